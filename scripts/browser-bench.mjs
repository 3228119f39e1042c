// Measures the synth lab's training speed in headless chromium, on the CPU fallback and on
// WebGPU, with the homework's batch size. Run after `make build`:
//   node scripts/browser-bench.mjs [cpu-images] [webgpu-images]
// Prints the examples/s that the page itself shows (training examples / epoch wall time), and on
// WebGPU the compute dispatches and queue submits per training step, counted in the workers by
// wrapping the WebGPU API's own methods (evaluation and the warm-up pass included).
import { serve, open, byTestId, engineReady, setForm, waitPhase } from '../e2e/lib.mjs';
import { countGpuCalls } from './gpu-count.mjs';

const [cpuImages = 10000, gpuImages = 500] = process.argv.slice(2).map(Number);

async function measure(backend, images, epochs) {
  const server = await serve(undefined, process.env.DIST ?? 'dist');
  const { page, close } = await open(`${server.url}?backend=${backend}`, { webgpu: backend === 'webgpu' });
  try {
    await engineReady(page);
    if (backend === 'webgpu') await Promise.all(page.workers().map((w) => w.evaluate(countGpuCalls)));
    await setForm(page, { lr: 0.0001, 'batch-size': 50, epochs, 'train-size': images, 'valid-size': 200 });
    await byTestId(page, 'train').click();
    await waitPhase(page, ['finished', 'failed'], 1_800_000);
    const speeds = await page.$$eval('[data-testid="epoch-table"] tbody tr', (rows) =>
      rows.map((tr) => parseFloat(tr.querySelectorAll('td')[5].textContent)),
    );
    const backendName = await byTestId(page, 'backend-status').textContent();
    // The first epoch includes kernel compilation on WebGPU: report the last one.
    const seconds = speeds[speeds.length - 1];
    const result = { backend: backendName, images, epoch_s: seconds, examples_per_s: images / seconds, first_epoch_s: speeds[0] };
    if (backend === 'webgpu') {
      const counts = await Promise.all(page.workers().map((w) => w.evaluate(() => self.nnlabGpuCalls)));
      const steps = epochs * Math.ceil(images / 50);
      const sum = (key) => counts.reduce((total, c) => total + (c ? c[key] : 0), 0);
      Object.assign(result, { dispatches_per_step: sum('dispatches') / steps, submits_per_step: sum('submits') / steps });
    }
    return result;
  } finally {
    await close();
    server.close();
  }
}

const results = [await measure('cpu', cpuImages, 3), await measure('webgpu', gpuImages, 2)];
for (const r of results) console.log(JSON.stringify(r));
