// Times DogSet epochs in headless chromium on the stand-in. Run after `make build` (DIST=folder
// serves another build, e.g. an older one, for a before/after comparison):
//   node scripts/browser-bench-dogs.mjs [mlp|cnn] [cpu|webgpu] [epochs] [workers]
// `workers` sets the pool's size (the CNN on the CPU trains data-parallel over all of them).
// Prints the per-epoch records the page shows (training pass only, evaluation excluded).
import { serve, open, byTestId, engineReady, setPool } from '../e2e/lib.mjs';

const net = process.argv[2] ?? 'mlp';
const backend = process.argv[3] ?? 'cpu';
const epochs = Number(process.argv[4] ?? 2);
const workers = process.argv[5];
const server = await serve(undefined, process.env.DIST ?? 'dist');
const { page, close } = await open(`${server.url}?backend=${backend}#dogs`, { webgpu: backend === 'webgpu' });
try {
  await engineReady(page);
  await page.waitForSelector('[data-testid="dog-source"]', { timeout: 300_000 });
  if (workers) await setPool(page, workers);
  const pool = await page.$$eval('[data-testid="pool-workers"] li', (items) => items.length);
  await byTestId(page, 'dog-epochs').fill(String(epochs));
  await byTestId(page, 'dog-stop-thr').fill('');
  await byTestId(page, `${net}-train`).click();
  await page.waitForFunction(
    (id) => ['finished', 'failed'].includes(document.querySelector(`[data-testid="${id}-progress"]`)?.dataset.phase),
    net,
    { timeout: 3_600_000 },
  );
  const rows = await page.$$eval(`[data-testid="${net}-epochs"] tbody tr`, (trs) => trs.map((tr) => [...tr.querySelectorAll('td')].map((td) => td.textContent)));
  const seconds = rows.map((r) => parseFloat(r[5]));
  const engine = (await Promise.all(page.workers().map((w) => w.evaluate(() => self.nnlabEngineName)))).find(Boolean);
  console.log(JSON.stringify({ net, backend, engine, epochs, workers: pool, epoch_seconds: seconds, examples_per_s: seconds.map((s) => Math.round(7665 / s)) }));
} finally {
  await close();
  server.close();
}
