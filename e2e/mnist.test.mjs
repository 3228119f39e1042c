// The MNIST lab in the page: real shards fetched from the served data/, checked, cached; a
// reduced run on the CPU backend; bad shards named with a Retry.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { cpSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { chromium } from 'playwright-core';
import { serve, byTestId, engineReady, OUT } from './lib.mjs';

const QUICK = { 'mnist-sizes': '100, 200', 'mnist-epochs': 3 };
const FLAGS = ['--disable-background-networking', '--disable-component-update', '--disable-sync', '--no-first-run', '--disable-quic'];

async function trainMnist(page) {
  await byTestId(page, 'lab-mnist').click();
  for (const [id, value] of Object.entries(QUICK)) await byTestId(page, id).fill(String(value));
  await byTestId(page, 'mnist-train').click();
  await page.waitForFunction(
    () => ['finished', 'failed'].includes(document.querySelector('[data-testid="mnist-progress"]')?.dataset.phase),
    null,
    { timeout: 120_000 },
  );
  return byTestId(page, 'mnist-progress').getAttribute('data-phase');
}

test('the MNIST lab fetches the real shards, trains two sizes, plots both and reuses the cache after a reload', async () => {
  const server = await serve();
  // One browser profile for both visits, so Cache Storage survives the reload.
  const browser = await chromium.launch({ executablePath: '/usr/bin/chromium', headless: true, args: FLAGS });
  const context = await browser.newContext({ viewport: { width: 1280, height: 900 } });
  const page = await context.newPage();
  const errors = [];
  const shardRequests = [];
  page.on('console', (m) => m.type() === 'error' && errors.push(m.text()));
  context.on('request', (r) => r.url().endsWith('.safetensors.gz') && shardRequests.push(r.url()));
  try {
    await page.goto(server.url + '?backend=cpu');
    await engineReady(page);
    assert.equal(await trainMnist(page), 'finished', await byTestId(page, 'mnist-error').textContent().catch(() => ''));
    assert.match(await byTestId(page, 'data-text').textContent(), /11\.3 of 11\.3 MB, 0 of 7 files from the cache/);
    assert.equal(shardRequests.length, 7);
    assert.equal(await page.locator('[data-testid="time-chart"] g.series[data-series="measured"] circle').count(), 2);
    assert.equal(await page.locator('[data-testid="accuracy-chart"] circle').count(), 2);
    assert.equal(await page.locator('[data-testid="mnist-loss-chart"] g.series').count(), 2, 'one loss curve per size');
    assert.equal(await page.locator('[data-testid="mnist-table"] tbody tr').count(), 2);
    // The line is fitted to measured times, so it may rise (a prediction) or, with runs this
    // short, not (then the answer refuses to predict); either way it names the 60,000.
    assert.match(
      await byTestId(page, 'mnist-answer-time').textContent(),
      /least-squares line is t = .*(For all 60,000 examples|The line does not rise with N, so it predicts nothing for all 60,000 examples)/,
    );
    // Two sizes: a line fits any two points, so the answer claims no linearity; it warns of
    // sub-second timings exactly when the table shows one.
    const timeAnswer = await byTestId(page, 'mnist-answer-time').textContent();
    assert.match(timeAnswer, /With two sizes any line passes through both exactly/);
    assert.doesNotMatch(timeAnswer, /roughly linear/);
    const times = await page.$$eval('[data-testid="mnist-table"] tbody tr', (rows) => rows.map((r) => parseFloat(r.cells[1].textContent)));
    assert.equal(/timings are under a second/.test(timeAnswer), times.some((t) => t < 1), `${times}: ${timeAnswer}`);
    await page.screenshot({ path: OUT + 'mnist-trained.png', fullPage: true });

    // Exports: the chart as SVG and PNG, every epoch as CSV.
    const saved = async (testid) => {
      const [download] = await Promise.all([page.waitForEvent('download'), byTestId(page, testid).click()]);
      return { name: download.suggestedFilename(), body: readFileSync(await download.path()) };
    };
    const svg = await saved('mnist-time-svg');
    assert.equal(svg.name, 'nnlab-mnist-time.svg');
    assert.match(svg.body.toString(), /^<svg[^>]*>.*Training time vs training-set size.*<\/svg>$/s);
    const png = await saved('mnist-time-png');
    assert.equal(png.name, 'nnlab-mnist-time.png');
    assert.deepEqual([...png.body.subarray(1, 4)], [0x50, 0x4e, 0x47], 'a PNG file');
    const csv = (await saved('mnist-csv')).body.toString().trim().split('\n');
    assert.equal(csv[0], 'size,epoch,train_loss,train_acc_percent,seconds');
    assert.equal(csv.length, 1 + 2 * 3, 'one row per epoch of each model');

    // The extrapolation checked against one epoch on all 60,000 examples.
    await byTestId(page, 'mnist-check').click();
    await byTestId(page, 'mnist-check-result').waitFor({ timeout: 120_000 });
    assert.match(await byTestId(page, 'mnist-check-result').textContent(), /One epoch on all 60,000 examples took [\d.]+ s(; the fit predicts|\. The line fitted to your sizes does not rise)/);
    // Its test accuracy is shown in the lab, beside its time and the fit's prediction.
    assert.match(await byTestId(page, 'mnist-check-accuracy').textContent(), /^\d+\.\d%$/);
    // Times this short can fit a falling line; then the fit predicts nothing, and both the
    // prediction cell and the answer say so instead of printing a ratio.
    const predicted = (await byTestId(page, 'mnist-check-predicted').textContent()).trim();
    const rises = !/predicts nothing/.test(timeAnswer);
    assert.match(predicted, rises ? /^[\d.]+ s$|min/ : /^none: the line does not rise with N$/);
    assert.equal(/x the extrapolation/.test(await byTestId(page, 'mnist-check-result').textContent()), rises);
    const accuracy = await byTestId(page, 'mnist-check-accuracy').textContent();
    assert.match(await byTestId(page, 'mnist-check-result').textContent(),
      new RegExp(`the model scores ${accuracy.replace('.', '\\.')} on the 1,000 test images, against \\d+\\.\\d% for N = 200 after 3 epochs\\.$`));

    // Each finished model is written to IndexedDB after its result shows; a reload before the
    // last write lands would find that run still "running" (interrupted), so wait for the writes.
    await page.waitForFunction(() => new Promise((resolve) => {
      const open = indexedDB.open('nnlab');
      open.onerror = () => resolve(false);
      open.onsuccess = () => {
        const all = open.result.transaction('runs').objectStore('runs').getAll();
        all.onerror = () => resolve(false);
        all.onsuccess = () => {
          const runs = all.result.flatMap((r) => JSON.parse(r.json));
          open.result.close();
          resolve(runs.filter((r) => r.lab === 'mnist' && r.status === 'Finished').length === 3);
        };
      };
    }), null, { timeout: 30_000 });
    await page.reload();
    await engineReady(page);
    shardRequests.length = 0;
    assert.equal(await trainMnist(page), 'finished');
    assert.deepEqual(shardRequests, [], 'the second visit takes every shard from the cache');
    assert.match(await byTestId(page, 'data-text').textContent(), /7 of 7 files from the cache/);
    // Every model was kept as its own run: 2 sizes x 2 visits, and the 60,000 check.
    await byTestId(page, 'lab-runs').click();
    await byTestId(page, 'runs-filter').selectOption('mnist');
    await page.waitForFunction(() => document.querySelectorAll('[data-testid="run-row"][data-status="finished"]').length === 5);
    const [download] = await Promise.all([page.waitForEvent('download'), page.locator('[data-testid="run-json"]').first().click()]);
    const [model] = JSON.parse(readFileSync(await download.path(), 'utf8'));
    // Parameters are kept as base64 of their f32 bytes.
    const floats = (t) => Buffer.from(t.values, 'base64').length / 4;
    assert.equal(model.checkpoint.tensors.reduce((n, t) => n + floats(t), 0), 109386, 'the final weights are kept');
    // The adversarial lab attacks the MNIST lab's largest model, not only a quick one.
    await byTestId(page, 'lab-adversarial').click();
    await byTestId(page, 'adv-lab-model').click();
    await page.waitForSelector('[data-testid="adv-progress"][data-phase="finished"]', { timeout: 120_000 });
    assert.match(await byTestId(page, 'adv-progress').textContent(), /Ready: the MNIST lab's model \(N = 200, 3 epochs\), [\d.]+% clean test accuracy/);
    assert.deepEqual(errors, []);
  } finally {
    await browser.close();
    server.close();
  }
});

test('a corrupted or missing shard is named, never used, and Retry is offered', async () => {
  const dir = mkdtempSync(tmpdir() + '/nnlab-dist-');
  cpSync('dist', dir, { recursive: true });
  const test00 = dir + '/data/mnist/test-00.safetensors.gz';
  const bytes = readFileSync(test00);
  bytes[bytes.length >> 1] ^= 0xff;
  writeFileSync(test00, bytes);
  rmSync(dir + '/data/mnist/train-03.safetensors.gz');
  const server = await serve('/x/', dir);
  const browser = await chromium.launch({ executablePath: '/usr/bin/chromium', headless: true, args: FLAGS });
  try {
    const page = await (await browser.newContext()).newPage();
    await page.goto(server.url + '?backend=cpu');
    await engineReady(page);
    assert.equal(await trainMnist(page), 'failed');
    assert.match(await byTestId(page, 'mnist-error').textContent(), /data\/mnist\/train-03\.safetensors\.gz: the server answered 404/);
    assert.equal(await byTestId(page, 'mnist-train').textContent(), 'Retry');
    await page.screenshot({ path: OUT + 'mnist-missing-shard.png' });

    writeFileSync(dir + '/data/mnist/train-03.safetensors.gz', readFileSync('dist/data/mnist/train-03.safetensors.gz'));
    await byTestId(page, 'mnist-train').click(); // Retry
    await byTestId(page, 'mnist-error').filter({ hasText: 'sha256' }).waitFor({ timeout: 60_000 });
    assert.match(await byTestId(page, 'mnist-error').textContent(), /data\/mnist\/test-00\.safetensors\.gz: sha256 .* does not match/);
    assert.equal(await page.locator('[data-testid="mnist-table"] tbody tr').count(), 0, 'nothing trained on bad data');
  } finally {
    await browser.close();
    server.close();
    rmSync(dir, { recursive: true, force: true });
  }
});
