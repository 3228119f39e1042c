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
  for (const name of ['burn_', 'cubecl', 'wgpu']) {
    assert.equal(page.includes(name), false, `the page's wasm contains ${name}`);
    assert.equal(worker.includes(name), true, `the worker's wasm lacks ${name}`);
  }
  const kb = (b) => (b.length / 1024).toFixed(0) + ' KiB';
  console.log(`page wasm ${kb(page)} (${kb(gzipSync(page, { level: 9 }))} gzip); worker wasm ${kb(worker)} (${kb(gzipSync(worker, { level: 9 }))} gzip)`);
});
