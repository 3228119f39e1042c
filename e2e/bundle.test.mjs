// The page's bundle must not contain the training engine: it paints before burn loads.
// Sizes are reported, not asserted (they are benchmarks, not tests).
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { readdirSync, readFileSync } from 'node:fs';
import { gzipSync } from 'node:zlib';

const dist = new URL('../dist/', import.meta.url).pathname;
const wasm = (pattern) => readdirSync(dist).find((f) => pattern.test(f));

test("the page's wasm holds no burn, cubecl or wgpu; the CPU engine no wgpu; the WebGPU engine all three", () => {
  // The page's frame and the packs of its labs' code (postbuild.py's split), as one.
  const parts = readdirSync(dist).filter((f) => /^pack_.*\.wasm$/.test(f));
  assert.ok(parts.some((f) => f.startsWith('pack_lab_synth-')), `each lab's code is a pack of its own: ${parts}`);
  const frame = readFileSync(dist + wasm(/^app-.*_bg\.wasm$/));
  const page = Buffer.concat([frame, ...parts.map((f) => readFileSync(dist + f))]);
  const cpu = readFileSync(dist + 'worker_bg.wasm');
  const relaxed = readFileSync(dist + 'worker_relaxed_bg.wasm');
  const gpu = readFileSync(dist + 'worker_webgpu_bg.wasm');
  // The release bundles carry no symbol names (wasm-opt drops them), so look for what any
  // linked crate leaves in the data section: its source paths (panic locations) and messages.
  const has = (bytes, name) => name.test(bytes.toString('latin1'));
  for (const name of [/burn[-_]/, /cubecl/, /wgpu/]) {
    assert.equal(has(page, name), false, `the page's wasm contains ${name}`);
    assert.equal(has(gpu, name), true, `the WebGPU engine lacks ${name}`);
  }
  for (const engine of [cpu, relaxed]) {
    assert.equal(has(engine, /burn[-_]/), true, 'a CPU engine lacks burn');
    // cubecl-common (burn's device and stream types) is in every burn build; its GPU runtime is not.
    for (const name of [/wgpu/, /cubecl[-_](wgpu|core|runtime)/, /naga/]) {
      assert.equal(has(engine, name), false, `a CPU engine contains ${name}`);
    }
  }
  const kb = (b) => (b.length / 1024).toFixed(0) + ' KiB';
  const size = (b) => `${kb(b)} (${kb(gzipSync(b, { level: 9 }))} gzip)`;
  console.log(`page wasm: frame ${size(frame)}, ${parts.length} lab packs ${size(page)} in all; CPU engine ${size(cpu)} (relaxed SIMD ${size(relaxed)}); WebGPU engine ${size(gpu)}`);
});

test('only the relaxed-SIMD engine needs relaxed SIMD, and engine.js probes for it correctly', () => {
  // The probe engine.js uses, run in this node: where it says relaxed SIMD is missing (node 20
  // here), the relaxed build must fail validation and the plain one pass.
  const source = readFileSync(new URL('../public/engine.js', import.meta.url), 'utf8');
  const hasRelaxedSimd = new Function(`${source}; return nnlabHasRelaxedSimd();`)();
  assert.equal(WebAssembly.validate(readFileSync(dist + 'worker_bg.wasm')), true, 'the plain CPU engine');
  assert.equal(WebAssembly.validate(readFileSync(dist + 'worker_relaxed_bg.wasm')), hasRelaxedSimd,
    `the relaxed-SIMD engine, in a node ${hasRelaxedSimd ? 'with' : 'without'} relaxed SIMD`);
});
