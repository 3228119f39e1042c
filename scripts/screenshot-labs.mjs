// Makes docs/dogs.png, docs/xor.png and docs/adversarial.png: the DogSet lab on the stand-in
// after a short run of each network, the XOR lab, and an adversarial attack, on the CPU
// fallback. Run after `make build`: node scripts/screenshot-labs.mjs
import { serve, open, byTestId, engineReady } from '../e2e/lib.mjs';

const server = await serve('/nnlab/');
const { page, close } = await open(server.url + '?backend=cpu#dogs');
const finished = (id, timeout = 900_000) =>
  page.waitForFunction((i) => document.querySelector(`[data-testid="${i}-progress"]`)?.dataset.phase === 'finished', id, { timeout });
try {
  await engineReady(page);
  await page.waitForSelector('[data-testid="dog-source"]', { timeout: 300_000 });
  await page.waitForSelector('[data-testid="dog-tile-11"]');
  for (const k of [2, 5, 9]) await byTestId(page, `dog-tile-${k}`).click();
  await byTestId(page, 'dog-note').fill('Shirts, T-shirts and pullovers share one outline; only texture tells them apart.');
  await byTestId(page, 'dog-epochs').fill('6');
  await byTestId(page, 'mlp-train').click();
  await finished('mlp');
  await byTestId(page, 'dog-epochs').fill('2');
  await byTestId(page, 'cnn-train').click();
  await finished('cnn');
  await page.screenshot({ path: 'docs/dogs.png', fullPage: true });

  await byTestId(page, 'lab-linear-xor').click();
  await byTestId(page, 'xor-train').click();
  await page.waitForSelector('[data-testid="xor-status"][data-phase="finished"]', { timeout: 120_000 });
  await page.screenshot({ path: 'docs/xor.png', fullPage: true });

  await byTestId(page, 'lab-adversarial').click();
  await byTestId(page, 'adv-prepare').click();
  await page.waitForSelector('[data-testid="adv-progress"][data-phase="finished"]', { timeout: 300_000 });
  await byTestId(page, 'adv-sample-7').click();
  await byTestId(page, 'adv-target').selectOption('1');
  await page.waitForFunction(() => /Targeted/.test(document.querySelector('[data-testid="adv-answer"]')?.textContent), null, { timeout: 60_000 });
  await page.screenshot({ path: 'docs/adversarial.png', fullPage: true });
} finally {
  await close();
  server.close();
}
