// Times each training lab in headless chromium on WebGPU and on the CPU fallback, and prints
// one JSON line per lab and backend with the adapter's name and the epoch times. Run after
// `make build`, through scripts/gpu-check.sh (which picks the flags for a real GPU):
//   node scripts/gpu-check.mjs [scale] [labs]
// `scale` (default 1) multiplies the synth and MNIST workloads: 1 is a few minutes on a GPU
// machine; 0.1 checks the script itself on SwiftShader.
import { serve, open, byTestId, engineReady, setForm, waitPhase } from '../e2e/lib.mjs';

const scale = Number(process.argv[2] ?? 1);
// Which labs, comma-separated (default all): synth, mnist, dogs-mlp, dogs-cnn.
const labs = (process.argv[3] ?? 'synth,mnist,dogs-mlp,dogs-cnn').split(',');
const server = await serve(undefined, process.env.DIST ?? 'dist');

/** Opens the page on `backend` at `fragment`, runs `body(page)`, returns its figures. */
async function onPage(backend, fragment, body) {
  const { page, close } = await open(`${server.url}?backend=${backend}${fragment}`, { webgpu: backend === 'webgpu' });
  try {
    await engineReady(page);
    await page.waitForFunction(() => !/Checking/.test(document.querySelector('[data-testid="gpu-status"]')?.textContent ?? 'Checking'));
    const adapter = (await byTestId(page, 'gpu-status').textContent()).trim();
    return { backend, adapter, ...(await body(page)) };
  } catch (e) {
    return { backend, error: String(e).split('\n')[0] };
  } finally {
    await close();
  }
}

/** The seconds column of a per-epoch table (the last column). */
const epochSeconds = (page, table) =>
  page.$$eval(`[data-testid="${table}"] tbody tr`, (rows) => rows.map((tr) => parseFloat(tr.lastElementChild.textContent)));

async function synth(page) {
  const images = Math.max(100, Math.round(2000 * scale));
  await setForm(page, { lr: 0.0001, 'batch-size': 50, epochs: 3, 'train-size': images, 'valid-size': 500 });
  await byTestId(page, 'train').click();
  await waitPhase(page, ['finished', 'failed'], 3_600_000);
  return { lab: 'synth', images, epoch_s: await epochSeconds(page, 'epoch-table'), status: await byTestId(page, 'backend-status').textContent() };
}

async function mnist(page) {
  const sizes = [500, 1000].map((n) => Math.max(10, Math.round((n * scale) / 10) * 10)).join(', ');
  await byTestId(page, 'mnist-epochs').fill('3');
  await byTestId(page, 'mnist-sizes').fill(sizes);
  const start = Date.now();
  await byTestId(page, 'mnist-train').click();
  await page.waitForFunction(() => ['finished', 'failed'].includes(document.querySelector('[data-testid="mnist-progress"]')?.dataset.phase), null, { timeout: 3_600_000 });
  const rows = await page.$$eval('[data-testid="mnist-table"] tbody tr', (trs) => trs.map((tr) => parseFloat(tr.querySelectorAll('td')[1].textContent)));
  return { lab: 'mnist', sizes, epochs: 3, train_s_per_size: rows, wall_s: (Date.now() - start) / 1000 };
}

async function dogs(page, net) {
  const id = net === 'cnn' ? 'cnn' : 'mlp';
  await byTestId(page, 'dog-epochs').fill('2');
  await byTestId(page, 'dog-stop-thr').fill('');
  await byTestId(page, `${id}-train`).click();
  await page.waitForFunction((p) => ['finished', 'failed'].includes(document.querySelector(`[data-testid="${p}-progress"]`)?.dataset.phase), id, { timeout: 3_600_000 });
  return { lab: `dogs-${id}`, epochs: 2, epoch_s: await epochSeconds(page, `${id}-epochs`) };
}

try {
  for (const backend of ['webgpu', 'cpu']) {
    if (labs.includes('synth')) console.log(JSON.stringify(await onPage(backend, '#synth', synth)));
    if (labs.includes('mnist')) console.log(JSON.stringify(await onPage(backend, '#mnist', mnist)));
    for (const net of ['mlp', 'cnn']) {
      if (labs.includes(`dogs-${net}`)) console.log(JSON.stringify(await onPage(backend, '#dogs', (page) => dogs(page, net))));
    }
  }
} finally {
  server.close();
}
