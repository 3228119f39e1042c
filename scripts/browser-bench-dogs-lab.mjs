// The homework's whole DogSet lab in headless chromium on the CPU fallback: both networks with
// the page's default settings (up to 100 epochs, early stopping as it falls), started together
// on a pool of `workers` training workers. Run after `make build` (DIST=folder serves another):
//   node scripts/browser-bench-dogs-lab.mjs [workers] [epochs]   (epochs: the page's default, 100)
// Prints one JSON line: per network the epochs run, how the run ended, the test accuracy line
// the page shows and the minutes from Train to its result; and the lab's wall time.
import { serve, open, byTestId, engineReady, setPool } from '../e2e/lib.mjs';

const workers = process.argv[2] ?? '2';
const epochs = process.argv[3];
const server = await serve(undefined, process.env.DIST ?? 'dist');
const { page, close } = await open(`${server.url}?backend=cpu#dogs`);
try {
  await engineReady(page);
  await page.waitForSelector('[data-testid="dog-source"]', { timeout: 300_000 });
  await setPool(page, workers);
  if (epochs) await byTestId(page, 'dog-epochs').fill(epochs);
  const start = performance.now();
  const finish = async (net) => {
    await byTestId(page, `${net}-train`).click();
    await page.waitForFunction(
      (id) => ['finished', 'failed'].includes(document.querySelector(`[data-testid="${id}-progress"]`)?.dataset.phase),
      net,
      { timeout: 3 * 3_600_000, polling: 1000 },
    );
    const minutes = (performance.now() - start) / 60_000;
    const epochs = await page.$$eval(`[data-testid="${net}-epochs"] tbody tr`, (trs) => trs.length);
    const result = await byTestId(page, `${net}-result`).textContent();
    return { net, epochs, minutes: Number(minutes.toFixed(1)), result };
  };
  const runs = await Promise.all(['mlp', 'cnn'].map(finish));
  const wall = (performance.now() - start) / 60_000;
  console.log(JSON.stringify({ lab: 'dogs', backend: 'cpu', workers: Number(workers), runs, wall_minutes: Number(wall.toFixed(1)) }));
} finally {
  await close();
  server.close();
}
