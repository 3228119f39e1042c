// The page's bundle must not contain the training engine: it paints before burn loads.
// Sizes are reported, not asserted (they are benchmarks, not tests).
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { readdirSync, readFileSync } from 'node:fs';
import { gzipSync } from 'node:zlib';

const dist = new URL('../dist/', import.meta.url).pathname;
const wasm = (pattern) => readdirSync(dist).find((f) => pattern.test(f));

test("the page's wasm holds no burn, cubecl or wgpu; the CPU engine no wgpu; the WebGPU engine all three", () => {
  const page = readFileSync(dist + wasm(/^app-.*_bg\.wasm$/));
  const cpu = readFileSync(dist + 'worker_bg.wasm');
  const gpu = readFileSync(dist + 'worker_webgpu_bg.wasm');
  // The release bundles carry no symbol names (wasm-opt drops them), so look for what any
  // linked crate leaves in the data section: its source paths (panic locations) and messages.
  const has = (bytes, name) => name.test(bytes.toString('latin1'));
  for (const name of [/burn[-_]/, /cubecl/, /wgpu/]) {
    assert.equal(has(page, name), false, `the page's wasm contains ${name}`);
    assert.equal(has(gpu, name), true, `the WebGPU engine lacks ${name}`);
  }
  assert.equal(has(cpu, /burn[-_]/), true, 'the CPU engine lacks burn');
  // cubecl-common (burn's device and stream types) is in every burn build; its GPU runtime is not.
  for (const name of [/wgpu/, /cubecl[-_](wgpu|core|runtime)/, /naga/]) {
    assert.equal(has(cpu, name), false, `the CPU engine contains ${name}`);
  }
  const kb = (b) => (b.length / 1024).toFixed(0) + ' KiB';
  const size = (b) => `${kb(b)} (${kb(gzipSync(b, { level: 9 }))} gzip)`;
  console.log(`page wasm ${size(page)}; CPU engine ${size(cpu)}; WebGPU engine ${size(gpu)}`);
});
