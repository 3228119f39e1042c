#!/usr/bin/env python3
"""The shape docs/architecture.md keeps: no function of src/ over 80 lines and at most two
files over 400, tests aside (a file's lines are counted up to its `#[cfg(test)]`). Prints what
is over and exits 1 when the shape is broken. Braces are counted per line, which Rust's
formatting makes exact enough for a count of lines."""
import glob
import os
import re
import sys

FUNCTION_LINES, FILE_LINES, LONG_FILES = 80, 400, 2
root = os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "src")


def code_lines(path):
    lines = open(path, encoding="utf-8").read().split("\n")
    for i, line in enumerate(lines):
        if re.match(r"\s*#\[cfg\(test\)\]", line):
            return lines[:i]
    return lines


def functions(lines):
    i = 0
    while i < len(lines):
        m = re.match(r"\s*(pub(\([^)]*\))?\s+)?(const\s+)?(async\s+)?fn\s+(\w+)", lines[i])
        if not m:
            i += 1
            continue
        depth, opened, j = 0, False, i
        while j < len(lines):
            depth += lines[j].count("{") - lines[j].count("}")
            opened = opened or "{" in lines[j]
            if (opened and depth <= 0) or (not opened and lines[j].rstrip().endswith(";")):
                break
            j += 1
        yield m.group(5), j - i + 1
        i = j + 1


long_functions, long_files = [], []
for path in sorted(glob.glob(os.path.join(root, "**", "*.rs"), recursive=True)):
    if path.endswith("tests.rs"):
        continue
    lines = code_lines(path)
    rel = os.path.relpath(path, os.path.join(root, ".."))
    if len(lines) > FILE_LINES:
        long_files.append((len(lines), rel))
    long_functions += [(n, rel, name) for name, n in functions(lines) if n > FUNCTION_LINES]
for n, rel, name in long_functions:
    print(f"{rel}: fn {name} is {n} lines (at most {FUNCTION_LINES})")
for n, rel in long_files:
    print(f"{rel}: {n} lines")
if long_functions or len(long_files) > LONG_FILES:
    print(f"code shape: {len(long_functions)} functions over {FUNCTION_LINES} lines, "
          f"{len(long_files)} files over {FILE_LINES} (at most {LONG_FILES})")
    sys.exit(1)
