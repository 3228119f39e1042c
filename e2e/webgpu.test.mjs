// Training on WebGPU (SwiftShader's software Vulkan in this headless chromium): the same
// lab, the same numbers as on the CPU, within float tolerance.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { serve, open, byTestId, engineReady, setForm, waitPhase, epochRows, OUT } from './lib.mjs';

// Small: SwiftShader runs shaders on the CPU, and compiles each kernel on first use.
const TINY = { lr: 0.2, 'batch-size': 20, epochs: 2, 'train-size': 120, 'valid-size': 40 };

async function train(url, options, afterwards = async () => {}) {
  const { page, errors, close } = await open(url, options);
  try {
    await engineReady(page);
    await setForm(page, TINY);
    await byTestId(page, 'train').click();
    await waitPhase(page, ['finished', 'failed'], 280_000);
    const result = {
      phase: await byTestId(page, 'progress').getAttribute('data-phase'),
      backend: await byTestId(page, 'backend-status').textContent(),
      rows: await epochRows(page),
      kernels: await page.locator('[data-testid="kernel-0"] rect').count(),
      error: (await byTestId(page, 'run-error').count()) ? await byTestId(page, 'run-error').textContent() : null,
      errors: [...errors], // before the device-loss test hook, which logs errors of its own
      // Which engine build each worker loaded (public/engine.js picks it).
      engines: await Promise.all(page.workers().map((w) => w.evaluate(() => self.nnlabEngineName))),
      // Automatic's measurement, where it made one.
      choice: await byTestId(page, 'engine-choice').textContent(),
    };
    if (options.webgpu) await page.screenshot({ path: OUT + 'webgpu-trained.png', fullPage: true });
    await afterwards(page);
    return result;
  } finally {
    await close();
  }
}

test('the synth lab trains on WebGPU and matches the CPU run', { timeout: 600_000 }, async () => {
  const server = await serve();
  try {
    // After training, the GPU device is lost (test hook: the device is destroyed): the page says
    // so, points to the CPU backend, and a restarted worker trains on the CPU.
    const loseGpu = async (page) => {
      await page.locator('[data-testid="lose-gpu"]').click();
      const banner = page.locator('[data-testid="worker-crashed"]');
      await banner.waitFor({ timeout: 30_000 });
      assert.match(await banner.textContent(), /GPU device was lost.*choose the CPU backend/s);
      await page.screenshot({ path: OUT + 'webgpu-lost.png' });
      await page.locator('[data-testid="backend-choice"]').selectOption('cpu');
      await page.locator('[data-testid="restart-worker"]').click();
      await engineReady(page);
      await page.locator('[data-testid="train"]').click();
      await waitPhase(page, ['finished'], 60_000);
      assert.match(await page.locator('[data-testid="backend-status"]').textContent(), /CPU/);
    };
    const gpu = await train(server.url + '?backend=webgpu&test-hooks', { webgpu: true }, loseGpu);
    assert.equal(gpu.phase, 'finished', gpu.error ?? '');
    assert.match(gpu.backend, /WebGPU/);
    assert.equal(gpu.kernels, 25);
    assert.deepEqual(gpu.errors, []);
    assert.deepEqual(gpu.engines, ['worker_webgpu'], 'an adapter: the WebGPU engine');
    assert.equal(gpu.choice, '', 'a forced backend is obeyed without measuring');
    const cpu = await train(server.url + '?backend=cpu', { webgpu: false });
    assert.deepEqual(cpu.engines, ['worker_relaxed'], 'no adapter, relaxed SIMD: the CPU-only engine built with it');
    assert.equal(gpu.rows.length, 2);
    gpu.rows.forEach((g, i) => {
      const c = cpu.rows[i];
      assert.ok(Math.abs(g.trainLoss - c.trainLoss) < 0.02 * c.trainLoss, `epoch ${i + 1}: WebGPU ${g.trainLoss} vs CPU ${c.trainLoss}`);
    });
    assert.ok(gpu.rows[1].trainLoss < gpu.rows[0].trainLoss, `loss falls: ${JSON.stringify(gpu.rows)}`);
  } finally {
    server.close();
  }
});

// A browser with WebGPU gets the 6 MB WebGPU engine; a Train pressed while it downloads over a
// slow link (10 Mbit/s here, served throttled) starts a stand-in worker on the CPU-only engine,
// a fifth of the download, which trains the run at once and says why; the WebGPU engine then
// arrives for the next runs.
test('a run started while the WebGPU engine downloads trains on the CPU engine at once', { timeout: 300_000 }, async () => {
  const server = await serve(undefined, 'dist', ['--gzip', '--throttle', '10000/40']);
  const { page, errors, close } = await open(server.url + '#synth', { webgpu: true });
  try {
    // Train pressed at once, perhaps before the engine's loader has said which build it
    // fetches: the run waits in the queue, and the stand-in starts once the WebGPU engine's
    // first bytes give its rate.
    await setForm(page, TINY);
    await byTestId(page, 'train').click();
    await byTestId(page, 'progress-text')
      .filter({ hasText: /^loading the CPU engine, which trains this run while the WebGPU engine downloads/ })
      .waitFor({ timeout: 60_000 });
    assert.match(
      await byTestId(page, 'engine-download').textContent(),
      /^Loading the WebGPU engine: (\d+ KB|\d+\.\d MB) of \d+\.\d MB \(once; it is kept for offline use\)\. Runs started meanwhile train on the CPU engine, unless WebGPU is asked for\.$/,
    );
    await page.screenshot({ path: OUT + 'stand-in-loading.png' });
    await waitPhase(page, ['finished', 'failed'], 120_000);
    assert.equal(await byTestId(page, 'progress').getAttribute('data-phase'), 'finished');
    assert.equal((await epochRows(page)).length, TINY.epochs);
    assert.match(
      await byTestId(page, 'backend-status').textContent(),
      /^Last run: CPU \(burn flex, wasm relaxed SIMD\), [\d,]+ examples\/s \(the WebGPU engine was still downloading, so the CPU-only engine, a fifth of its download, trained this run\)$/,
    );
    const engines = await Promise.all(page.workers().map((w) => w.evaluate(() => self.nnlabEngineName)));
    assert.deepEqual(engines.sort(), ['worker_relaxed', 'worker_webgpu']);
    await page.screenshot({ path: OUT + 'stand-in-trained.png', fullPage: true });
    // The WebGPU engine arrives: the page believes its adapter, not the stand-in's CPU build.
    await engineReady(page);
    await byTestId(page, 'gpu-status').filter({ hasText: /^WebGPU available/ }).waitFor();
    assert.deepEqual(errors, []);
  } finally {
    await close();
    server.close();
  }
});

test('a browser without relaxed SIMD trains on the plain CPU engine, to the same losses', { timeout: 300_000 }, async () => {
  const server = await serve();
  try {
    const relaxed = await train(server.url + '?backend=cpu', {});
    const plain = await train(server.url + '?backend=cpu', { relaxedSimd: false });
    assert.deepEqual(relaxed.engines, ['worker_relaxed']);
    assert.deepEqual(plain.engines, ['worker']);
    assert.match(relaxed.backend, /CPU \(burn flex, wasm relaxed SIMD\)/);
    assert.match(plain.backend, /CPU \(burn flex, wasm SIMD\)/);
    assert.equal(plain.phase, 'finished', plain.error ?? '');
    assert.deepEqual(plain.errors, []);
    // The two builds differ only in the matrix product's multiply-add (fused or rounded twice).
    assert.equal(plain.rows.length, relaxed.rows.length);
    plain.rows.forEach((p, i) => {
      const r = relaxed.rows[i];
      assert.ok(Math.abs(p.trainLoss - r.trainLoss) < 1e-4 * r.trainLoss, `epoch ${i + 1}: plain ${p.trainLoss} vs relaxed ${r.trainLoss}`);
    });
  } finally {
    server.close();
  }
});

// Automatic with an adapter times both engines on the run's first batches at learning rate 0,
// trains on the faster (here the CPU engine: SwiftShader runs WebGPU's shaders on the CPU),
// shows both figures, remembers the choice for the next run of the same network, and gives
// the losses of a run with ?backend=cpu in the same browser, to the last digit.
test('Automatic measures both engines, trains on the faster and remembers it', { timeout: 600_000 }, async () => {
  const server = await serve();
  try {
    const automatic = await measured(server.url);
    const forced = await train(server.url + '?backend=cpu', { webgpu: true });
    assert.equal(forced.phase, 'finished', forced.error ?? '');
    assert.equal(forced.choice, '', 'the CPU asked for: nothing measured');
    assert.deepEqual(forced.rows, automatic, 'Automatic trained the run ?backend=cpu trains');
  } finally {
    server.close();
  }
});

/** Trains with Automatic three times (measured, remembered, measured again); the first run's rows. */
async function measured(url) {
  const { page, errors, close } = await open(url, { webgpu: true });
  try {
    await engineReady(page);
    await setForm(page, TINY);
    await byTestId(page, 'train').click();
    // The measurement is a phase of its own, with its progress (1 of 2, 2 of 2).
    await byTestId(page, 'progress-text').filter({ hasText: /Measuring which engine trains this network faster here: WebGPU \(1 of 2/ }).waitFor({ timeout: 120_000 });
    await waitPhase(page, ['finished', 'failed'], 280_000);
    const choice = await byTestId(page, 'engine-choice').textContent();
    assert.match(choice, /^WebGPU [\d,]+ examples\/s, CPU [\d,]+ examples\/s: training on the CPU$/);
    const [gpu, cpu] = [...choice.matchAll(/([\d,]+) examples/g)].map((m) => Number(m[1].replaceAll(',', '')));
    assert.ok(cpu > gpu, `the CPU engine is the faster here: ${choice}`);
    assert.match(await byTestId(page, 'backend-status').textContent(), /CPU \(burn flex/);
    const automatic = await epochRows(page);
    await page.screenshot({ path: OUT + 'engine-choice.png', fullPage: true });

    // The next run of the same network skips the measurement and says why.
    await byTestId(page, 'train').click();
    await waitPhase(page, ['finished', 'failed'], 280_000);
    assert.match(await byTestId(page, 'engine-choice').textContent(), /training on the CPU \(measured by an earlier run of this network in this browser\)$/);
    assert.deepEqual(await epochRows(page), automatic, 'the same run again');

    // "Measure again" forgets it: the next run times both engines once more.
    await byTestId(page, 'measure-again').click();
    assert.equal(await byTestId(page, 'measure-again').count(), 0);
    await byTestId(page, 'train').click();
    await byTestId(page, 'progress-text').filter({ hasText: /Measuring which engine trains this network faster here/ }).waitFor({ timeout: 120_000 });
    await waitPhase(page, ['finished', 'failed'], 280_000);
    assert.doesNotMatch(await byTestId(page, 'engine-choice').textContent(), /earlier run/);
    assert.deepEqual([...errors], []);
    return automatic;
  } finally {
    await close();
  }
}
