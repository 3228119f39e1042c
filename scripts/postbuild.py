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


def shrink_wasm(path, level, quiet=False):
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
    if not quiet:
        print(f"postbuild: {os.path.basename(path)} {before / 1e6:.1f} MB -> {os.path.getsize(path) / 1e6:.1f} MB ({how})")


def content_name(path):
    """`chunk_3.wasm` as `chunk_3-<first 16 hex of its sha256>.wasm`: a new build's file never
    meets an old one under the same name in a cache."""
    stem, ext = os.path.splitext(os.path.basename(path))
    digest = hashlib.sha256(open(path, "rb").read()).hexdigest()[:16]
    return f"{stem}-{digest}{ext}"


# Appended to the splitter's loader (pack_parts): a lab's parts come out of its pack.
PACK_RUNTIME = """
// scripts/postbuild.py: each lab's parts (its panel and every chunk it shares with other labs)
// are fetched as one file, its pack: one request instead of dozens. `nnlabLoading` is the lab
// being loaded: its loader runs its parts' fetchers synchronously, before any await.
const NNLAB_PACKS = %s;
const nnlabPackBytes = new Map();
let nnlabLoading = undefined;
function nnlabInPack(split, load) {
    return wrapAsyncCb(() => { nnlabLoading = split; return load(); });
}
function nnlabPart(name) {
    const packs = Object.keys(NNLAB_PACKS).filter((s) => NNLAB_PACKS[s].parts[name]);
    const split = packs.includes(nnlabLoading) ? nnlabLoading : packs[0];
    const pack = NNLAB_PACKS[split];
    // public/early.js fetched the opened lab's pack with the page's shell: taken over by the
    // first part asked for, or never (a failed one is fetched again by the next try). From
    // here on early.js, should it run this late, fetches nothing.
    const early = self.nnlabEarlyPack;
    self.nnlabEarlyPack = null;
    if (early && early.file === pack.file && !nnlabPackBytes.has(pack.file)) {
        nnlabPackBytes.set(pack.file, early.bytes);
        early.bytes.catch(() => nnlabPackBytes.delete(pack.file));
    }
    if (!nnlabPackBytes.has(pack.file)) {
        const bytes = fetch(new URL(pack.file, import.meta.url)).then((r) => {
            if (!r.ok) throw new Error(`${pack.file}: HTTP ${r.status}`);
            return r.arrayBuffer();
        });
        // A failed fetch is tried again by the next load, not kept.
        bytes.catch(() => nnlabPackBytes.delete(pack.file));
        nnlabPackBytes.set(pack.file, bytes);
    }
    const [at, length] = pack.parts[name];
    return nnlabPackBytes.get(pack.file).then((buffer) =>
        new Response(buffer.slice(at, at + length), { headers: { "Content-Type": "application/wasm" } }));
}
"""


def pack_parts(loader, work, dist):
    """The splitter's loader rewritten to take each lab's parts from one file, its pack (a
    lab's panel with every chunk it needs, concatenated; PACK_RUNTIME slices them), and the
    packs written to `dist` under names of their content. Returns the loader and the packs by
    split name (`lab_<slug>`)."""
    fetch = re.compile(r'fetch\(new URL\("\./([\w.]+\.wasm)", import\.meta\.url\)\)')
    export = re.compile(r"export const (__wasm_split_load_(\w+)) = wrapAsyncCb\(makeLoad\((.*?)\n, \[(.*?)\]\)\);", re.S)
    chunk_file = {m.group(1): m.group(2) for m in re.finditer(
        r'const (__chunk_\d+) = makeLoad\(\(\) => \{\s*const src = fetch\(new URL\("\./([\w.]+\.wasm)"', loader)}
    needs = {}
    for m in export.finditer(loader):
        split, own = m.group(2), fetch.search(m.group(3))
        names = [chunk_file[d.strip()] for d in m.group(4).split(",") if d.strip()]
        needs[split] = names + ([own.group(1)] if own else [])
    packs = {}
    for split, names in needs.items():
        # A later part of a lab (`more_lab_<slug>`) is loaded after the lab itself: what the
        # lab's pack holds is here by then, and is not sent twice.
        if split.startswith("more_"):
            names = [n for n in names if n not in needs.get(split[len("more_"):], [])]
        body, parts = bytearray(), {}
        for name in names:
            data = open(os.path.join(work, name), "rb").read()
            parts[name] = [len(body), len(data)]
            body += data
        # `.wasm`, though a pack is wasm modules end to end and not one: static hosts and CDNs
        # compress application/wasm, and would send a `.bin` as it is (twice the bytes).
        path = os.path.join(work, f"pack_{split}.wasm")
        open(path, "wb").write(body)
        packed = content_name(path)
        shutil.copyfile(path, os.path.join(dist, packed))
        packs[split] = {"file": "./" + packed, "parts": parts}
    if not packs:
        sys.exit("postbuild: the splitter's loader has no lab to load (its format changed?)")
    loader = fetch.sub(lambda m: f'nnlabPart("{m.group(1)}")', loader)
    loader = export.sub(lambda m: m.group(0).replace("wrapAsyncCb(makeLoad(", f'nnlabInPack("{m.group(2)}", makeLoad(', 1), loader)
    return loader + PACK_RUNTIME % json.dumps(packs, indent=1), packs


def split_page(dist):
    """Splits the page's wasm at its `#[lazy]` functions (each lab's panel: src/web/app.rs), so
    the first download is the page's frame and a lab's code comes when the lab is first opened.

    trunk links the page and runs wasm-bindgen on it; the split must come between the two
    (trunk-rs/trunk#1022), so it is done again here from cargo's output, which build.rs links
    with its relocations: the Rust package registry's `wasm-split-cli` (leptos's splitter,
    installed by scripts/setup.sh) writes the main module, one module per panel and the chunks
    they share, and `__wasm_split.js` that loads them; wasm-bindgen then binds the main module
    under trunk's file names, so index.html stays as trunk wrote it."""
    bindgen = [n for n in os.listdir(dist) if n.startswith("app-") and n.endswith("_bg.wasm")]
    if len(bindgen) != 1:
        sys.exit(f"postbuild: expected one page wasm in {dist}, found {bindgen}")
    out_name = bindgen[0][: -len("_bg.wasm")]
    target = os.environ.get("CARGO_TARGET_DIR", "target")
    linked = os.path.join(target, "wasm32-unknown-unknown", "app", "app.wasm")
    work = os.path.join(target, "wasm-split")
    shutil.rmtree(work, ignore_errors=True)
    os.makedirs(os.path.join(work, "bound"))
    subprocess.run(["wasm-split-cli", linked, work, "--out-name", out_name], check=True)
    # --keep-lld-exports: the parts are instantiated with the main module's function table and
    # memory, which wasm-bindgen would otherwise drop from its exports.
    subprocess.run(["wasm-bindgen", "--target", "web", "--no-typescript", "--keep-lld-exports", "--out-dir", os.path.join(work, "bound"),
                    "--out-name", out_name, os.path.join(work, out_name + ".wasm")], check=True)
    for name in (out_name + ".js", out_name + "_bg.wasm"):
        shutil.copyfile(os.path.join(work, "bound", name), os.path.join(dist, name))
    loader = open(os.path.join(work, "__wasm_split.js"), encoding="utf-8").read()
    parts = sorted(n for n in os.listdir(work) if n.endswith(".wasm") and n != out_name + ".wasm")
    for name in parts:
        shrink_wasm(os.path.join(work, name), "-Oz", quiet=True)
    loader, packs = pack_parts(loader, work, dist)
    loader_path = os.path.join(work, "__wasm_split.js")
    open(loader_path, "w", encoding="utf-8").write(loader)
    loader_name = content_name(loader_path)
    shutil.copyfile(loader_path, os.path.join(dist, loader_name))
    page_js = os.path.join(dist, out_name + ".js")
    # Only the JS import: the wasm's own imports keep the module name it was linked with.
    js = open(page_js, encoding="utf-8").read().replace('from "./__wasm_split.js"', f'from "./{loader_name}"')
    open(page_js, "w", encoding="utf-8").write(js)
    print(f"postbuild: page split into its frame and {len(parts)} parts, in {len(packs)} packs, one per lab and one per later part of a lab ({loader_name})")
    # By lab slug (the labs' split points are named `lab_<slug>`), for public/early.js.
    return loader_name, {split[len("lab_"):].replace("_", "-"): packs[split]["file"] for split in packs if split.startswith("lab_")}


split_loader, pack_files = split_page(dist)
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
# The shell lists the labs of the one table of labs (LABS in src/labs.rs), not a copy of it: a
# new lab needs no edit here. A browser test checks that the shell's links are the app's.
labs_rs = open(os.path.join(os.path.dirname(__file__), "..", "src", "labs.rs"), encoding="utf-8").read()
table = labs_rs[labs_rs.index("pub const LABS"):]
table = table[: table.index("\n];")]
rows = re.findall(r'slug:\s*"([^"]+)",\s*title:\s*"([^"]+)",\s*section:\s*"([^"]+)"', table)
if not rows:
    sys.exit("postbuild: no labs found in LABS (src/labs.rs)")
# public/early.js fetches the pack of the lab the address opens (the first lab when it names
# none), so the lab's code downloads beside the page's wasm.
missing = [slug for slug, _, _ in rows if slug not in pack_files]
if missing:
    sys.exit(f"postbuild: no pack of code for the labs {missing} (their split points in src/web/app.rs)")
early_path = os.path.join(dist, "early.js")
early = open(early_path, encoding="utf-8").read()
ordered = {slug: pack_files[slug] for slug, _, _ in rows}
early = re.sub(r"const NNLAB_PACK_FILES = \{[^}]*\};", "const NNLAB_PACK_FILES = %s;" % json.dumps(ordered), early, count=1)
open(early_path, "w", encoding="utf-8").write(early)
# The static shell says how much the page's first download weighs on the wire (gzip, as hosts
# serve it): its frame and the first lab's code (a link to another lab loads that one's).
page_wasm = [n for n in os.listdir(dist) if n.endswith("_bg.wasm") and not n.startswith("worker")]
first = [os.path.join(dist, page_wasm[0]), os.path.join(dist, ordered[rows[0][0]])]
gz = sum(len(gzip.compress(open(path, "rb").read(), 6)) for path in first)
html = html.replace('<span class="shell-size"></span>', f'<span class="shell-size"> ({round(gz / 1000)} KB)</span>', 1)
items = "".join(
    f'\n        <li><a href="#{slug}">{escape(title)}</a> <span class="section">{escape(section)}</span></li>'
    for slug, title, section in rows
)
html = re.sub(r"<ol><!-- the labs of LABS[^>]*--></ol>", lambda _: f"<ol>{items}\n        </ol>", html, count=1)
html = re.sub(r'\s*<meta http-equiv="Content-Security-Policy"[^>]*>', "", html)
# The split's loader is imported by the page's JS: fetched beside it, not after it.
html = html.replace("</head>", f'<link rel="modulepreload" href="./{split_loader}" crossorigin="anonymous"></head>', 1)

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
