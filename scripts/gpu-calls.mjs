// Counts the WebGPU calls of a training step in each lab, in headless chromium (SwiftShader here,
// a real GPU where one is at hand). Run after `make build`:
//   node scripts/gpu-calls.mjs [lab ...]     (labs: synth mnist dogs-mlp dogs-cnn; default all)
// In the training worker it wraps the WebGPU API's own methods and counts compute dispatches,
// queue submits, buffer creations, host-to-device writes and readbacks (mapAsync). A step's
// figures are the counts between two moments of the first epoch, after the warm-up, divided by
// the batches trained between them (from the run's progress bar), so the warm-up and the
// epoch's end are left out. Prints one JSON line per lab.
import { serve, open, byTestId, engineReady, setForm } from '../e2e/lib.mjs';
import { countGpuCalls } from './gpu-count.mjs';

// Each lab: where it is, a short form, its Train and progress ids, and its batches per epoch.
const LABS = {
  synth: { hash: '#synth', form: { 'batch-size': 10, epochs: 1, 'train-size': 400, 'valid-size': 50 }, train: 'train', bar: '[data-testid="progress-bar"]', batches: async () => 40 },
  mnist: { hash: '#mnist', form: { 'mnist-sizes': '400', 'mnist-epochs': 1 }, train: 'mnist-train', bar: '[data-testid="mnist-progress"] progress[aria-label="Training progress"]', batches: async () => 40 },
  'dogs-mlp': { hash: '#dogs', form: { 'dog-epochs': 1 }, train: 'mlp-train', bar: '[data-testid="mlp-progress-bar"]', batches: dogBatches },
  'dogs-cnn': { hash: '#dogs', form: { 'dog-epochs': 1 }, train: 'cnn-train', bar: '[data-testid="cnn-progress-bar"]', batches: dogBatches },
};

/** The DogSet lab's batches per epoch: its training images (the counts line) over batch 10. */
async function dogBatches(page) {
  await page.waitForSelector('[data-testid="dog-source"]', { timeout: 300_000 });
  const counts = await byTestId(page, 'dog-counts').textContent();
  return Math.ceil(Number(counts.match(/^([\d,]+) train/)[1].replaceAll(',', '')) / 10);
}

async function measure(name) {
  const lab = LABS[name];
  const server = await serve(undefined, process.env.DIST ?? 'dist');
  const { page, close } = await open(`${server.url}?backend=webgpu${lab.hash}`, { webgpu: true });
  try {
    await engineReady(page);
    const batches = await lab.batches(page);
    await Promise.all(page.workers().map((w) => w.evaluate(countGpuCalls)));
    await setForm(page, lab.form);
    await byTestId(page, lab.train).click();
    const bar = page.locator(lab.bar);
    const at = async () => {
      const counts = await Promise.all(page.workers().map((w) => w.evaluate(() => self.nnlabGpuCalls)));
      const sum = {};
      for (const c of counts.filter(Boolean)) for (const [k, v] of Object.entries(c)) sum[k] = (sum[k] ?? 0) + v;
      return { done: Number(await bar.getAttribute('value')) * batches, sum };
    };
    // After the warm-up and a few steps, then 20 steps later (or as far as the epoch goes).
    const reach = (steps) => page.waitForFunction(
      ({ bar, fraction }) => Number(document.querySelector(bar)?.getAttribute('value')) >= fraction,
      { bar: lab.bar, fraction: steps / batches }, { timeout: 900_000, polling: 50 });
    await reach(Math.min(3, batches - 1));
    const a = await at();
    await reach(Math.min(a.done + 20, batches - 1));
    const b = await at();
    const steps = b.done - a.done;
    const perStep = Object.fromEntries(Object.entries(b.sum).map(([k, v]) => [k, +((v - a.sum[k]) / steps).toFixed(2)]));
    console.log(JSON.stringify({ lab: name, steps: +steps.toFixed(1), batch: 10, per_step: perStep }));
    await page.locator('button[data-testid$="stop"]').first().click().catch(() => {});
  } finally {
    await close();
    server.close();
  }
}

const chosen = process.argv.slice(2);
for (const name of chosen.length ? chosen : Object.keys(LABS)) await measure(name);
