// Faults a student can meet: no WebGPU when asked for it, and a worker that dies.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { withPage, byTestId, engineReady, setForm, waitPhase, QUICK, OUT } from './lib.mjs';

test('asking for WebGPU where there is none fails the run with a message, without hanging', async () => {
  await withPage('?backend=webgpu', async ({ page, errors }) => {
    await engineReady(page);
    await byTestId(page, 'gpu-status').filter({ hasText: 'No WebGPU' }).waitFor();
    await setForm(page, QUICK);
    await byTestId(page, 'train').click();
    await waitPhase(page, ['failed'], 30_000);
    assert.match(await byTestId(page, 'run-error').textContent(), /WebGPU is not available.*Choose the CPU backend/);
    // Automatic choice falls back to the CPU and says why.
    await byTestId(page, 'backend-choice').selectOption('auto');
    await byTestId(page, 'train').click();
    await waitPhase(page, ['finished'], 60_000);
    assert.match(await byTestId(page, 'backend-status').textContent(), /CPU.*WebGPU unavailable/);
    await page.screenshot({ path: OUT + 'no-webgpu.png' });
    assert.deepEqual(errors, []);
  });
});

test('a crashed worker is reported and a restarted one trains again', async () => {
  await withPage('?backend=cpu&test-hooks', async ({ page, errors }) => {
    await engineReady(page);
    await byTestId(page, 'crash-worker').click();
    await byTestId(page, 'worker-crashed').waitFor();
    assert.match(await byTestId(page, 'worker-crashed').textContent(), /The training worker stopped/);
    assert.ok(await byTestId(page, 'train').isDisabled(), 'no training on a dead worker');
    await page.screenshot({ path: OUT + 'worker-crashed.png' });
    await byTestId(page, 'restart-worker').click();
    await engineReady(page);
    await setForm(page, { ...QUICK, epochs: 1 });
    await byTestId(page, 'train').click();
    await waitPhase(page, ['finished'], 60_000);
    // The only console errors are the panic the test asked for.
    assert.ok(errors.length > 0 && errors.every((e) => /crash|unreachable|panicked/i.test(e)), JSON.stringify(errors));
  });
});
