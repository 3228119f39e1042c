// Times the MNIST lab in headless chromium. Run after `make build`:
//   node scripts/browser-bench-mnist.mjs [epochs] [cpu|webgpu] [sizes] [workers]
// Defaults: the homework's 4 sizes x 100 epochs on the CPU fallback, with the page's own pool
// size (one worker per core but the page's); `workers` sets the pool (1-8).
import { serve, open, byTestId, engineReady, setPool } from '../e2e/lib.mjs';

const epochs = Number(process.argv[2] ?? 100);
const backend = process.argv[3] ?? 'cpu';
const sizes = process.argv[4] ?? '500, 1000, 1500, 2000';
const workers = process.argv[5];
const server = await serve(undefined, process.env.DIST ?? 'dist');
const { page, close } = await open(`${server.url}?backend=${backend}#mnist`, { webgpu: backend === 'webgpu' });
try {
  await engineReady(page);
  if (workers) await setPool(page, workers);
  const pool = await page.$$eval('[data-testid="pool-workers"] li', (items) => items.length);
  await byTestId(page, 'mnist-epochs').fill(String(epochs));
  await byTestId(page, 'mnist-sizes').fill(sizes);
  const start = Date.now();
  await byTestId(page, 'mnist-train').click();
  await page.waitForFunction(() => document.querySelector('[data-testid="mnist-progress"]')?.dataset.phase === 'finished', null, { timeout: 1_800_000 });
  const wall = (Date.now() - start) / 1000;
  const rows = await page.$$eval('[data-testid="mnist-table"] tbody tr', (trs) => trs.map((tr) => [...tr.querySelectorAll('td')].map((td) => td.textContent)));
  const train = rows.reduce((s, r) => s + parseFloat(r[1]), 0);
  console.log(JSON.stringify({ backend, sizes, epochs, workers: pool, wall_s: wall, train_s: train, rows }));
} finally {
  await close();
  server.close();
}
