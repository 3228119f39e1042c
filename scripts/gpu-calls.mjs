// Counts the WebGPU calls of each lab's training, in headless chromium (SwiftShader here, a real
// GPU where one is at hand). Run after `make build`:
//   node scripts/gpu-calls.mjs [lab ...] [--kernels]
//   labs: synth mnist dogs-mlp dogs-cnn xor adversarial (default all); --kernels also prints
//   each kernel's dispatches per step (cubecl names a pipeline after its kernel).
// In the training worker it wraps the WebGPU API's own methods and counts compute dispatches,
// queue submits, buffer creations, host-to-device writes and readbacks (mapAsync). Two figures
// per lab, one JSON line each:
// - per step: the counts between two moments of the first epoch, after the warm-up, divided by
//   the batches trained between them (from the run's progress bar), so the warm-up and the
//   epoch's end are left out (labs with a bar per batch);
// - per run: the counts of a whole short run, from Train to its end, warm-up and readbacks in
//   (labs whose run takes seconds on a software GPU; the DogSet's epoch takes many minutes).
import { serve, open, byTestId, engineReady, setForm } from '../e2e/lib.mjs';
import { countGpuCalls } from './gpu-count.mjs';

const phaseIs = (id) => `[data-testid="${id}"][data-phase="finished"]`;

// Each lab: where it is, a short form, its Train id, its per-batch progress bar, or the end of
// a whole run and the steps that run takes.
const LABS = {
  synth: {
    hash: '#synth', form: { 'batch-size': 10, epochs: 1, 'train-size': 400, 'valid-size': 50 }, train: 'train',
    bar: '[data-testid="progress-bar"]', batches: async () => 40, done: phaseIs('progress'), steps: '1 epoch of 40 steps',
  },
  mnist: {
    hash: '#mnist', form: { 'mnist-sizes': '400', 'mnist-epochs': 1 }, train: 'mnist-train',
    done: phaseIs('mnist-progress'), steps: '1 epoch of 40 steps',
  },
  'dogs-mlp': { hash: '#dogs', form: { 'dog-epochs': 1 }, train: 'mlp-train', bar: '[data-testid="mlp-progress-bar"]', batches: dogBatches },
  'dogs-cnn': { hash: '#dogs', form: { 'dog-epochs': 1 }, train: 'cnn-train', bar: '[data-testid="cnn-progress-bar"]', batches: dogBatches },
  xor: { hash: '#linear-xor', form: {}, train: 'xor-train', done: phaseIs('xor-status'), steps: 'two networks, full-batch Adam' },
  adversarial: { hash: '#adversarial', form: {}, train: 'adv-prepare', done: phaseIs('adv-progress'), steps: '15 epochs of 200 steps, then the sweep' },
};

/** The DogSet lab's batches per epoch: its training images (the counts line) over batch 10. */
async function dogBatches(page) {
  await page.waitForSelector('[data-testid="dog-source"]', { timeout: 300_000 });
  const counts = await byTestId(page, 'dog-counts').textContent();
  return Math.ceil(Number(counts.match(/^([\d,]+) train/)[1].replaceAll(',', '')) / 10);
}

/** Every training worker's counts so far, added up. */
async function counts(page) {
  const all = await Promise.all(page.workers().map((w) => w.evaluate(() => [self.nnlabGpuCalls, self.nnlabGpuKernels])));
  const [sum, kernels] = [{}, {}];
  for (const [c, k] of all.filter(([c]) => c)) {
    for (const [key, v] of Object.entries(c)) sum[key] = (sum[key] ?? 0) + v;
    for (const [key, v] of Object.entries(k)) kernels[key] = (kernels[key] ?? 0) + v;
  }
  return { sum, kernels };
}

const per = (b, a, n) => Object.fromEntries(Object.entries(b)
  .map(([k, v]) => [k, +((v - (a[k] ?? 0)) / n).toFixed(2)]).filter(([, v]) => v > 0).sort((x, y) => y[1] - x[1]));

async function measure(name) {
  const lab = LABS[name];
  const server = await serve(undefined, process.env.DIST ?? 'dist');
  const { page, close } = await open(`${server.url}?backend=webgpu${lab.hash}`, { webgpu: true });
  try {
    await engineReady(page);
    const batches = lab.batches && await lab.batches(page);
    await Promise.all(page.workers().map((w) => w.evaluate(countGpuCalls)));
    await setForm(page, lab.form);
    const start = await counts(page);
    await byTestId(page, lab.train).click();
    if (lab.bar) {
      const done = async () => Number(await page.locator(lab.bar).getAttribute('value')) * batches;
      // After the warm-up and a few steps, then 20 steps later (or as far as the epoch goes).
      const reach = (steps) => page.waitForFunction(
        ({ bar, fraction }) => Number(document.querySelector(bar)?.getAttribute('value')) >= fraction,
        { bar: lab.bar, fraction: steps / batches }, { timeout: 900_000, polling: 50 });
      await reach(Math.min(3, batches - 1));
      const [da, a] = [await done(), await counts(page)];
      await reach(Math.min(da + 20, batches - 1));
      const [db, b] = [await done(), await counts(page)];
      const steps = db - da;
      console.log(JSON.stringify({
        lab: name, per: 'step', steps: +steps.toFixed(1), batch: 10, calls: per(b.sum, a.sum, steps),
        ...(KERNELS ? { kernels: per(b.kernels, a.kernels, steps) } : {}),
      }));
    }
    if (lab.done) {
      await page.waitForSelector(lab.done, { timeout: 900_000 });
      const end = await counts(page);
      console.log(JSON.stringify({ lab: name, per: 'run', run: lab.steps, calls: per(end.sum, start.sum, 1) }));
    } else {
      await page.locator('button[data-testid$="stop"]').first().click().catch(() => {});
    }
  } finally {
    await close();
    server.close();
  }
}

const KERNELS = process.argv.includes('--kernels');
const chosen = process.argv.slice(2).filter((a) => a !== '--kernels');
for (const name of chosen.length ? chosen : Object.keys(LABS)) await measure(name);
