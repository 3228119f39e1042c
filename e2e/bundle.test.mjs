// The page's bundle must not contain the training engine: it paints before burn loads.
// Sizes are reported, not asserted (they are benchmarks, not tests).
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { readdirSync, readFileSync } from 'node:fs';
import { gzipSync } from 'node:zlib';

const dist = new URL('../dist/', import.meta.url).pathname;
const wasm = (pattern) => readdirSync(dist).find((f) => pattern.test(f));

test("the page's wasm holds no burn, cubecl or wgpu; the worker's does", () => {
  const page = readFileSync(dist + wasm(/^app-.*_bg\.wasm$/));
  const worker = readFileSync(dist + 'worker_bg.wasm');
  // The release bundles carry no symbol names (wasm-opt drops them), so look for what any
  // linked crate leaves in the data section: its source paths (panic locations) and messages.
  const text = (bytes) => bytes.toString('latin1');
  for (const name of [/burn[-_]/, /cubecl/, /wgpu/]) {
    assert.equal(name.test(text(page)), false, `the page's wasm contains ${name}`);
    assert.equal(name.test(text(worker)), true, `the worker's wasm lacks ${name}`);
  }
  const kb = (b) => (b.length / 1024).toFixed(0) + ' KiB';
  console.log(`page wasm ${kb(page)} (${kb(gzipSync(page, { level: 9 }))} gzip); worker wasm ${kb(worker)} (${kb(gzipSync(worker, { level: 9 }))} gzip)`);
});
