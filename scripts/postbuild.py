#!/usr/bin/env python3
"""After `trunk build`: give dist/index.html a Content-Security-Policy that allows only what the
app needs (its own files, WebAssembly compilation, the one inline module script trunk writes,
identified by its hash), and give the service worker the list of files to keep offline."""
import base64
import hashlib
import os
import re
import sys

dist = sys.argv[1] if len(sys.argv) > 1 else "dist"
index_path = os.path.join(dist, "index.html")
html = open(index_path, encoding="utf-8").read()
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
