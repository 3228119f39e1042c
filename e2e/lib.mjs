// Shared set-up for the browser tests: serve dist/ under a sub-path, launch Debian's chromium
// through playwright-core, and record console errors and every request.
import { chromium } from 'playwright-core';
import { spawn } from 'node:child_process';
import { mkdirSync } from 'node:fs';
import { once } from 'node:events';

export const OUT = new URL('./out/', import.meta.url).pathname;
mkdirSync(OUT, { recursive: true });

/** Serves dist/ at http://127.0.0.1:<free port><prefix> (with serve.py's `extra` flags, e.g.
 * `--gzip`); returns { url, origin, close }. */
export async function serve(prefix = '/some/sub/path/', dir = 'dist', extra = []) {
  const server = spawn('python3', ['scripts/serve.py', '--dir', dir, '--port', '0', '--prefix', prefix, ...extra], {
    stdio: ['ignore', 'pipe', 'inherit'],
  });
  const [chunk] = await once(server.stdout, 'data');
  const url = chunk.toString().match(/http:\/\/\S+/)[0];
  return { url, origin: new URL(url).origin, close: () => server.kill() };
}

// Flags this machine's chromium needs (toolchain notes): no background traffic to a closed network.
const FLAGS = ['--disable-background-networking', '--disable-component-update', '--disable-sync', '--no-first-run', '--disable-quic'];

const extraArgs = () => (process.env.NNLAB_CHROMIUM_ARGS ?? '').split(' ').filter(Boolean);

/** A fresh browser (playwright gives it a new user-data-dir) and a watched page. With
 * `relaxedSimd: false` the page meets a browser without relaxed SIMD (this chromium has it, and
 * no flag turns it off): engine.js's probe answers no. */
export async function open(url, { webgpu = false, relaxedSimd = true } = {}) {
  const browser = await chromium.launch({
    executablePath: '/usr/bin/chromium',
    headless: true,
    // NNLAB_CHROMIUM_ARGS adds flags, e.g. to reach a real GPU (scripts/gpu-check.sh).
    args: [...FLAGS, ...(webgpu ? ['--enable-unsafe-webgpu'] : []), ...extraArgs()],
  });
  const context = await browser.newContext({ viewport: { width: 1280, height: 900 } });
  if (!relaxedSimd) {
    await context.route('**/engine.js', async (route) => {
      const response = await route.fetch();
      const body = (await response.text()) + '\nfunction nnlabHasRelaxedSimd() { return false; }\n';
      await route.fulfill({ response, body });
    });
  }
  const page = await context.newPage();
  const errors = [];
  const requests = new Set();
  page.on('console', (m) => m.type() === 'error' && errors.push(m.text()));
  page.on('pageerror', (e) => errors.push(String(e)));
  context.on('request', (r) => requests.add(r.url()));
  page.on('request', (r) => requests.add(r.url()));
  page.on('worker', (w) => w.on('console', (m) => m.type() === 'error' && errors.push('[worker] ' + m.text())));
  await page.goto(url);
  return { browser, page, errors, requests, close: () => browser.close() };
}

/** Serves dist/ (under `prefix`), opens `suffix` of it in a fresh browser, runs `body` with
 * { page, errors, requests, server }, and closes both whatever happens. */
export async function withPage(suffix, body, { prefix, webgpu = false } = {}) {
  const server = await serve(prefix);
  const opened = await open(server.url + suffix, { webgpu });
  try {
    await body({ ...opened, server });
  } finally {
    await opened.close();
    server.close();
  }
}

export const byTestId = (page, id) => page.locator(`[data-testid="${id}"]`);

/** Waits until the training engine posted Ready. */
export async function engineReady(page) {
  await page.waitForSelector('[data-testid="engine-ready"]', { state: 'attached', timeout: 120_000 });
}

/** Sets the pool's size (1-8 training workers) and waits until every worker has loaded the
 * engine. */
export async function setPool(page, n) {
  await byTestId(page, 'pool-size').selectOption(String(n));
  await page.waitForFunction(
    (n) => {
      const items = [...document.querySelectorAll('[data-testid="pool-workers"] li')];
      return items.length === n && items.every((li) => /idle|training/.test(li.textContent));
    },
    Number(n),
    { timeout: 120_000 },
  );
}

/** Starts recording every state the pool's worker list passes through (a DOM observer sees
 * each one, however briefly it lasts); returns a function giving the largest number of workers
 * whose line matched `pattern` at once. Waiting for such a state after the click instead would
 * race a short run: it can end before the wait begins. */
export async function watchPool(page) {
  await page.evaluate(() => {
    const list = document.querySelector('[data-testid="pool-workers"]');
    const snapshot = () => [...list.querySelectorAll('li')].map((li) => li.textContent);
    window.nnlabPoolStates = [snapshot()];
    new MutationObserver(() => window.nnlabPoolStates.push(snapshot())).observe(list, { subtree: true, childList: true, characterData: true });
  });
  return async (pattern) => {
    const states = await page.evaluate(() => window.nnlabPoolStates);
    return Math.max(...states.map((lines) => lines.filter((line) => pattern.test(line)).length));
  };
}

/** Fills the training form. */
export async function setForm(page, fields) {
  for (const [id, value] of Object.entries(fields)) {
    await byTestId(page, id).fill(String(value));
  }
}

/** Waits for the current run to reach one of `phases` (queued, training, paused, finished, failed). */
export async function waitPhase(page, phases, timeout = 120_000) {
  await page.waitForFunction(
    (ps) => ps.includes(document.querySelector('[data-testid="progress"]')?.dataset.phase),
    phases,
    { timeout },
  );
}

/** The per-epoch table as numbers: [{epoch, trainLoss, trainAcc, validLoss, validAcc}]. */
export async function epochRows(page) {
  return page.$$eval('[data-testid="epoch-table"] tbody tr', (rows) =>
    rows.map((tr) => {
      const c = [...tr.querySelectorAll('td')].map((td) => parseFloat(td.textContent));
      return { epoch: c[0], trainLoss: c[1], trainAcc: c[2], validLoss: c[3], validAcc: c[4] };
    }),
  );
}

/** Fast settings for browser runs: a few hundred images and a large learning rate. */
export const QUICK = { lr: 0.2, 'batch-size': 20, epochs: 3, 'train-size': 400, 'valid-size': 100 };
