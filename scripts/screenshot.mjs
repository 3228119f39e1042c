// Makes docs/screenshot.png: two CPU runs of the synth lab and the shift demo, as a student
// would see them. Run after `make build`: node scripts/screenshot.mjs
import { serve, open, byTestId, engineReady, setForm, waitPhase } from '../e2e/lib.mjs';

const server = await serve('/nnlab/');
const { page, close } = await open(server.url + '?backend=cpu');
try {
  await engineReady(page);
  await setForm(page, { lr: 0.1, 'batch-size': 50, epochs: 12, 'train-size': 2000, 'valid-size': 400 });
  await byTestId(page, 'train').click();
  await waitPhase(page, ['finished']);
  await byTestId(page, 'again').click();
  await page.waitForFunction(() => document.querySelectorAll('[data-testid="runs"] figure').length === 2, null, { timeout: 120_000 });
  await byTestId(page, 'sweep').waitFor();
  await byTestId(page, 'shift-view').focus();
  for (const key of ['ArrowLeft', 'ArrowLeft', 'ArrowLeft', 'ArrowLeft', 'ArrowUp', 'ArrowUp']) await page.keyboard.press(key);
  await page.waitForTimeout(500); // let the last probe's answer paint before the picture
  await page.screenshot({ path: 'docs/screenshot.png', fullPage: true });

  // The MNIST lab with the homework's settings (about a minute on the CPU fallback).
  await byTestId(page, 'lab-mnist').click();
  await byTestId(page, 'mnist-train').click();
  await page.waitForFunction(() => document.querySelector('[data-testid="mnist-progress"]')?.dataset.phase === 'finished', null, { timeout: 600_000 });
  await byTestId(page, 'mnist-check').click();
  await byTestId(page, 'mnist-check-result').waitFor({ timeout: 300_000 });
  await page.screenshot({ path: 'docs/mnist.png', fullPage: true });
} finally {
  await close();
  server.close();
}
