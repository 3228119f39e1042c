#!/usr/bin/env python3
"""Which crates take the bytes of a wasm bundle: code size per crate (and the largest
functions), read from the function bodies and the `name` section of an unstripped build.

  scripts/wasm-size.py $CARGO_TARGET_DIR/wasm32-unknown-unknown/app/app.wasm [--functions 15]

Use the cargo output (before wasm-bindgen and wasm-opt strip the names); the sizes are of the
unoptimised code, so read them as shares, not as the final download."""
import argparse
import collections
import os
import re
import sys

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from wasmfile import read_leb, sections  # noqa: E402


def function_sizes(data):
    """{function index: body bytes} and {function index: name}."""
    imported, sizes, names = 0, {}, {}
    for kind, start, end in sections(data):
        if kind == 2:  # imports: count the imported functions, which come first in the index space
            count, pos = read_leb(data, start)
            for _ in range(count):
                for _ in range(2):
                    n, pos = read_leb(data, pos)
                    pos += n
                desc = data[pos]
                pos += 1
                if desc == 0:
                    imported += 1
                    _, pos = read_leb(data, pos)
                elif desc == 1:
                    pos += 1
                    flags = data[pos]
                    _, pos = read_leb(data, pos + 1)
                    if flags & 1:
                        _, pos = read_leb(data, pos)
                elif desc == 2:
                    flags = data[pos]
                    _, pos = read_leb(data, pos + 1)
                    if flags & 1:
                        _, pos = read_leb(data, pos)
                else:
                    pos += 2
        elif kind == 10:
            count, pos = read_leb(data, start)
            for i in range(count):
                size, body = read_leb(data, pos)
                sizes[imported + i] = size
                pos = body + size
        elif kind == 0:
            name_len, name_at = read_leb(data, start)
            if data[name_at:name_at + name_len] != b"name":
                continue
            pos = name_at + name_len
            while pos < end:
                sub = data[pos]
                size, body = read_leb(data, pos + 1)
                if sub == 1:
                    count, p = read_leb(data, body)
                    for _ in range(count):
                        idx, p = read_leb(data, p)
                        n, p = read_leb(data, p)
                        names[idx] = data[p:p + n].decode("utf-8", "replace")
                        p += n
                pos = body + size
    return sizes, names


def crate_of(name):
    """The crate a Rust symbol belongs to. Legacy mangling (`_ZN`, most of the code): the first
    path segment, or for `<Type as Trait>::f` the type's crate (the trait's when the type is
    generic). v0 mangling (`_R`, what the prebuilt standard library uses): the first crate root
    (`Cs<hash>_<len><name>`)."""
    if name.startswith("_R"):
        v0 = re.search(r"C(?:s[0-9A-Za-z]*_)?(\d+)", name)
        if v0:
            return name[v0.end():v0.end() + int(v0.group(1))].lstrip("_") or "(runtime)"
    m = re.match(r"_ZN(\d+)", name)
    if not m:
        return "(unnamed or runtime)"
    # Named after core, written by others: a boxed closure's body is inlined into core's
    # `call_once` shim, and a type's drop glue is core's `drop_in_place` for it.
    if name.startswith("_ZN4core3ops8function"):
        return "(closure bodies, in core's shims)"
    if name.startswith("_ZN4core3ptr") and "drop_in_place" in name:
        return "(drop glue, in core's drop_in_place)"
    segment = name[m.end():m.end() + int(m.group(1))]
    if not segment.startswith("_$LT$"):
        return segment
    inner = segment[len("_$LT$"):].removeprefix("$RF$").removeprefix("mut$u20$")
    typ, _, trait = inner.partition("$u20$as$u20$")
    if "..." in typ or ".." not in typ:
        typ = trait or typ
    return re.split(r"\.\.|\$", typ, maxsplit=1)[0] or "(generic)"


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("wasm")
    parser.add_argument("--functions", type=int, default=15)
    args = parser.parse_args()
    data = open(args.wasm, "rb").read()
    sizes, names = function_sizes(data)
    # wasm-bindgen runs these type descriptors at build time and removes them from the bundle.
    described = {i for i in sizes if names.get(i, "").startswith("__wbindgen_describe")}
    left_out = sum(sizes.pop(i) for i in described)
    total = sum(sizes.values())
    by_crate = collections.Counter()
    for idx, size in sizes.items():
        by_crate[crate_of(names.get(idx, ""))] += size
    print(f"{args.wasm}: {len(data):,} bytes, code {total:,} bytes in {len(sizes):,} functions")
    print(f"(left out: {left_out:,} bytes of wasm-bindgen's type descriptors, which it removes)")
    print("\ncode by crate:")
    for crate, size in by_crate.most_common(20):
        print(f"  {size:>10,}  {100 * size / total:5.1f}%  {crate}")
    print(f"\nlargest {args.functions} functions:")
    for idx, size in sorted(sizes.items(), key=lambda kv: -kv[1])[: args.functions]:
        print(f"  {size:>10,}  {names.get(idx, f'func {idx}')[:110]}")


if __name__ == "__main__":
    main()
