#!/usr/bin/env python3
"""Runs every benchmark, one after the other on this machine, and writes docs/benchmarks.md
(the tables the README quotes) and docs/benchmarks.jsonl (every raw JSON line).

  1. the reference: PyTorch with one thread (scripts/pytorch-bench.py), where `import torch`
     works in $PYTHON (default python3); skipped with a note otherwise;
  2. native: `nnlab bench --reference` (burn's CPU backend with nnlab's kernels, one thread);
  3. browser, headless chromium, after `make build`: the synth lab (CPU fallback and WebGPU on
     this machine's adapter), the whole MNIST lab, the DogSet MLP and CNN on the CPU fallback;
  4. with --dogs-lab, the homework's whole DogSet lab on the CPU fallback (both networks at once
     on two workers, early stopping as it falls: about an hour here).

Usage: scripts/bench-all.py [--quick] [--dogs-lab]   (--quick: one timed epoch each, fewer images
on WebGPU)
Speeds are reported, never asserted; the machine is shared, so rerun and compare ranges.
"""
import argparse
import datetime
import json
import os
import platform
import subprocess
import sys
import tempfile

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))


def run(cmd, **kw):
    print("bench-all:", " ".join(cmd), file=sys.stderr, flush=True)
    out = subprocess.run(cmd, cwd=ROOT, capture_output=True, text=True, **kw)
    if out.returncode != 0:
        sys.stderr.write(out.stderr[-4000:])
        raise SystemExit(f"bench-all: {' '.join(cmd)} failed (exit {out.returncode})")
    return [json.loads(line) for line in out.stdout.splitlines() if line.startswith("{")]


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--quick", action="store_true")
    parser.add_argument("--dogs-lab", action="store_true")
    args = parser.parse_args()
    repeats = "1" if args.quick else "3"
    python = os.environ.get("PYTHON", "python3")
    lines = []

    has_torch = subprocess.run([python, "-c", "import torch"], capture_output=True).returncode == 0
    reference = os.path.join(tempfile.mkdtemp(), "pytorch.jsonl")
    torch = []
    if has_torch:
        torch = run([python, "scripts/pytorch-bench.py", "--repeats", repeats])
        with open(reference, "w") as f:
            f.writelines(json.dumps(t) + "\n" for t in torch)
    native = run(["cargo", "run", "--quiet", "--release", "--features", "cli", "--bin", "nnlab", "--", "bench",
                  "--format", "json", "--repeats", repeats] + (["--reference", reference] if has_torch else []))
    if has_torch:
        os.remove(reference)
    synth = run(["node", "scripts/browser-bench.mjs", "10000", "100" if args.quick else "500"])
    mnist = run(["node", "scripts/browser-bench-mnist.mjs"])
    dogs = [r for net in ("mlp", "cnn") for r in run(["node", "scripts/browser-bench-dogs.mjs", net, "cpu", "2"])]
    lab = run(["node", "scripts/browser-bench-dogs-lab.mjs", "2"]) if args.dogs_lab else []
    lines = torch + native + synth + mnist + dogs + lab

    with open(os.path.join(ROOT, "docs", "benchmarks.jsonl"), "w") as f:
        f.writelines(json.dumps(line) + "\n" for line in lines)
    write_markdown(native, synth, mnist, dogs, lab, has_torch)


def write_markdown(native, synth, mnist, dogs, lab, has_torch):
    when = datetime.date.today().isoformat()
    md = [f"# Benchmarks ({when}, {platform.machine()}, {os.cpu_count()} cores)", "",
          "Written by `scripts/bench-all.py`; raw lines in `benchmarks.jsonl`. Seconds per training "
          "epoch (evaluation excluded), one thread unless said otherwise.", "",
          "## Native (`nnlab bench`)", "",
          "| workload | model | examples | batch | nnlab s/epoch | PyTorch 1 thread (reference) | nnlab / PyTorch |",
          "|---|---|---|---|---|---|---|"]
    for r in native:
        t = r.get("pytorch_reference_epoch_s")
        md.append(f"| {r['workload']} | {r['model']} | {r['examples']:,} | {r['batch_size']} | {r['epoch_s']:.3f} | "
                  + (f"{t:.3f} | {r['epoch_s'] / t:.2f}x |" if t else "not measured | - |"))
    if not has_torch:
        md += ["", "PyTorch was not importable, so no reference was measured in this run."]
    md += ["", "## Browser (headless chromium, CPU fallback unless said)", "",
           "| what | s/epoch | examples/s | first epoch s |", "|---|---|---|---|"]
    for r in synth:
        md.append(f"| synth lab, {r['backend']}, {r['images']:,} images | {r['epoch_s']:.2f} | "
                  f"{r['examples_per_s']:,.0f} | {r['first_epoch_s']:.2f} |")
    for r in dogs:
        secs = r["epoch_seconds"]
        md.append(f"| DogSet {r['net'].upper()}, stand-in, 7,665 images | {min(secs):.2f}-{max(secs):.2f} | "
                  f"{7665 / min(secs):,.0f} | {secs[0]:.2f} |")
    for r in mnist:
        md += ["", f"Whole MNIST lab in the browser ({r['backend']}, sizes {r['sizes']}, {r['epochs']} epochs): "
               f"{r['wall_s']:.1f} s wall, {r['train_s']:.1f} s training."]
    for r in lab:
        nets = "; ".join(f"{run['net'].upper()} {run['epochs']} epochs in {run['minutes']} min" for run in r["runs"])
        md += ["", f"Whole DogSet lab in the browser ({r['backend']}, {r['workers']} workers, defaults, early "
               f"stopping as it falls): {nets}; {r['wall_minutes']} min wall."]
    with open(os.path.join(ROOT, "docs", "benchmarks.md"), "w") as f:
        f.write("\n".join(md) + "\n")
    print("\n".join(md))


if __name__ == "__main__":
    main()
