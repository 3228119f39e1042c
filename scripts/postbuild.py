#!/usr/bin/env python3
"""After `trunk build`: shrink both wasm bundles (Debian's wasm-opt where installed, else only the
debug names are dropped), give dist/index.html a Content-Security-Policy that allows only what the
app needs (its own files, WebAssembly compilation, the one inline module script trunk writes,
identified by its hash), and give the service worker the list of files to keep offline.

NNLAB_WASM_NAMES=1 keeps the functions' names in the wasm (wasm-opt -g), for profiles
(scripts/browser-profile.mjs); the bundles are otherwise the same."""
import base64
import gzip
import json
import hashlib
import os
import re
import shutil
import subprocess
import sys
from html import escape

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from wasmfile import leb_u32, read_leb, sections  # noqa: E402

dist = sys.argv[1] if len(sys.argv) > 1 else "dist"

# Features rustc's wasm32 target emits by default, plus SIMD for the worker (+simd128): wasm-opt
# must be told it may keep them.
WASM_FEATURES = ["--enable-" + f for f in (
    "simd", "bulk-memory", "nontrapping-float-to-int", "sign-ext", "mutable-globals",
    "reference-types", "multivalue")]


def strip_custom_sections(data, names=(b"name", b"producers")):
    """The wasm binary without the given custom sections (debug names: 7 MB of the worker)."""
    out, last = bytearray(data[:8]), 8
    for kind, start, end in sections(data):
        name_len, name_at = read_leb(data, start)
        if kind == 0 and data[name_at:name_at + name_len] in names:
            last = end
            continue
        out += data[last:end]
        last = end
    return bytes(out)


def fix_externref_export(data):
    """Points wasm-bindgen's `__wbindgen_externrefs` table export back at the externref table.

    Debian's binaryen 108 rewrites every table export to table 0 (the function table), and the
    page then fails at start-up with "WebAssembly.Table.set(): Argument 1 is invalid for table".
    Newer binaryen releases fix this; until Debian ships one, the export is repaired here."""
    all_sections = sections(data)
    tables = []
    for kind, start, end in all_sections:
        if kind == 4:  # table section: count, then (reftype, limits) per table
            count, pos = read_leb(data, start)
            for _ in range(count):
                tables.append(data[pos])
                flags = data[pos + 1]
                _, pos = read_leb(data, pos + 2)
                if flags & 1:
                    _, pos = read_leb(data, pos)
    externref = [i for i, t in enumerate(tables) if t != 0x70]
    out, last = bytearray(), 0
    for kind, start, end in all_sections:
        if kind != 7 or len(externref) != 1:
            continue
        count, pos = read_leb(data, start)
        body = bytearray(leb_u32(count))
        for _ in range(count):
            name_len, name_at = read_leb(data, pos)
            name = data[name_at:name_at + name_len]
            export_kind = data[name_at + name_len]
            index, pos = read_leb(data, name_at + name_len + 1)
            if export_kind == 1 and name == b"__wbindgen_externrefs":
                index = externref[0]
            body += data[name_at - len(leb_u32(name_len)):name_at + name_len + 1] + leb_u32(index)
        header_at = start - len(leb_u32(end - start)) - 1
        out += data[last:header_at] + bytes([7]) + leb_u32(len(body)) + body
        last = end
    return bytes(out + data[last:]) if out else data


KEEP_NAMES = os.environ.get("NNLAB_WASM_NAMES") == "1"


def shrink_wasm(path, level):
    before = os.path.getsize(path)
    # Debian's binaryen 108 predates relaxed SIMD's final opcodes and cannot read that build.
    relaxed = os.path.basename(path).startswith("worker_relaxed")
    if shutil.which("wasm-opt") and not relaxed:
        names = ["-g"] if KEEP_NAMES else []
        subprocess.run(["wasm-opt", level, *names, *WASM_FEATURES, path, "-o", path], check=True)
        data = open(path, "rb").read()
        open(path, "wb").write(fix_externref_export(data))
        how = f"wasm-opt {level}"
    else:
        data = open(path, "rb").read()
        open(path, "wb").write(strip_custom_sections(data, (b"producers",) if KEEP_NAMES else (b"name", b"producers")))
        how = ("names kept" if KEEP_NAMES else "debug names dropped") + (
            " (relaxed SIMD: too new for this wasm-opt)" if relaxed
            else "; NOTICE: wasm-opt not installed, bundle not optimised")
    print(f"postbuild: {os.path.basename(path)} {before / 1e6:.1f} MB -> {os.path.getsize(path) / 1e6:.1f} MB ({how})")


# The page is downloaded before anything paints: smallest (-Oz). The worker is the engine: speed
# first (-O2), which still shrinks it by a fifth.
for name in sorted(os.listdir(dist)):
    if name.endswith("_bg.wasm"):
        shrink_wasm(os.path.join(dist, name), "-O2" if name.startswith("worker") else "-Oz")
# Each engine build's size, raw and gzipped (as hosts serve it), for its loader's progress in
# bytes on the wire (the fetch stream counts unpacked bytes).
engine_path = os.path.join(dist, "engine.js")
sizes = {}
for name in sorted(os.listdir(dist)):
    if name.startswith("worker") and name.endswith("_bg.wasm"):
        raw = open(os.path.join(dist, name), "rb").read()
        sizes[name[: -len("_bg.wasm")]] = [len(raw), len(gzip.compress(raw, 6))]
engine = open(engine_path, encoding="utf-8").read()
engine = re.sub(r"const NNLAB_ENGINE_BYTES = \{[^}]*\};", "const NNLAB_ENGINE_BYTES = %s;" % json.dumps(sizes), engine, count=1)
open(engine_path, "w", encoding="utf-8").write(engine)

index_path = os.path.join(dist, "index.html")
html = open(index_path, encoding="utf-8").read()
# The static shell says how much the page's wasm weighs on the wire (gzip, as hosts serve it).
page_wasm = [n for n in os.listdir(dist) if n.endswith("_bg.wasm") and not n.startswith("worker")]
if page_wasm:
    gz = len(gzip.compress(open(os.path.join(dist, page_wasm[0]), "rb").read(), 6))
    html = html.replace('<span class="shell-size"></span>', f'<span class="shell-size"> ({round(gz / 1000)} KB)</span>', 1)
# The shell lists the labs of the one table of labs (LABS in src/labs.rs), not a copy of it: a
# new lab needs no edit here. A browser test checks that the shell's links are the app's.
labs_rs = open(os.path.join(os.path.dirname(__file__), "..", "src", "labs.rs"), encoding="utf-8").read()
table = labs_rs[labs_rs.index("pub const LABS"):]
table = table[: table.index("\n];")]
rows = re.findall(r'slug:\s*"([^"]+)",\s*title:\s*"([^"]+)",\s*section:\s*"([^"]+)"', table)
if not rows:
    sys.exit("postbuild: no labs found in LABS (src/labs.rs)")
items = "".join(
    f'\n        <li><a href="#{slug}">{escape(title)}</a> <span class="section">{escape(section)}</span></li>'
    for slug, title, section in rows
)
html = re.sub(r"<ol><!-- the labs of LABS[^>]*--></ol>", lambda _: f"<ol>{items}\n        </ol>", html, count=1)
html = re.sub(r'\s*<meta http-equiv="Content-Security-Policy"[^>]*>', "", html)

inline = re.findall(r"<script(?![^>]*\bsrc=)[^>]*>(.*?)</script>", html, flags=re.S)
hashes = " ".join(
    "'sha256-%s'" % base64.b64encode(hashlib.sha256(body.encode("utf-8")).digest()).decode() for body in inline
)
policy = "; ".join([
    "default-src 'self'",
    f"script-src 'self' 'wasm-unsafe-eval' {hashes}".strip(),
    "style-src 'self'",
    # leptos sets sizes of canvases through style attributes; no style element is ever inline.
    "style-src-attr 'unsafe-inline'",
    "img-src 'self' data: blob:",
    "connect-src 'self'",
    "worker-src 'self'",
    "object-src 'none'",
    "base-uri 'self'",
    "form-action 'none'",
])
meta = f'<meta http-equiv="Content-Security-Policy" content="{policy}" />'
html = html.replace('<meta charset="utf-8" />', '<meta charset="utf-8" />\n  ' + meta, 1)
open(index_path, "w", encoding="utf-8").write(html)

files = ["./"]
for root, dirs, names in os.walk(dist):
    rel_root = os.path.relpath(root, dist)
    if rel_root.split(os.sep)[0] == "data":
        continue
    for name in sorted(names):
        if name == "sw.js":
            continue
        rel = name if rel_root == "." else os.path.join(rel_root, name)
        files.append("./" + rel.replace(os.sep, "/"))
files.sort()
digest = hashlib.sha256()
for f in files:
    if f != "./":
        digest.update(open(os.path.join(dist, f[2:]), "rb").read())
sw_path = os.path.join(dist, "sw.js")
sw = open(sw_path, encoding="utf-8").read()
sw = re.sub(r"const VERSION = '[^']*';", f"const VERSION = '{digest.hexdigest()[:16]}';", sw, count=1)
sw = re.sub(r"const FILES = \[[^\]]*\];", "const FILES = %s;" % repr(files).replace("'", '"'), sw, count=1)
open(sw_path, "w", encoding="utf-8").write(sw)
print(f"postbuild: CSP with {len(inline)} inline script hash(es); service worker keeps {len(files)} files")
