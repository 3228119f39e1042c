// Runs that travel: shared links set a lab up (and hostile ones are ignored), presenter mode,
// the Content-Security-Policy in force, and the app working offline after a first visit.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { chromium } from 'playwright-core';
import { serve, withPage, byTestId, engineReady, OUT } from './lib.mjs';

const FLAGS = ['--disable-background-networking', '--disable-component-update', '--disable-sync', '--no-first-run', '--disable-quic'];

test('a shared link opens its lab with its settings, and nothing runs until Train', async () => {
  await withPage('?backend=cpu#dogs?lr=0.001&epochs=7&k1=7&s1=2', async ({ page, errors }) => {
    await engineReady(page);
    assert.equal(await byTestId(page, 'dog-lr').inputValue(), '0.001');
    assert.equal(await byTestId(page, 'dog-epochs').inputValue(), '7');
    assert.equal(await byTestId(page, 'cnn-k1').inputValue(), '7');
    assert.equal(await byTestId(page, 'cnn-s1').inputValue(), '2');
    assert.equal(await page.locator('[data-testid="mlp-progress"], [data-testid="cnn-progress"]').count(), 0, 'nothing trains');
    // The link of the settings as they are now.
    await byTestId(page, 'dog-epochs').fill('9');
    await byTestId(page, 'dogs-share').click();
    const url = await byTestId(page, 'dogs-share-url').inputValue();
    assert.match(url, /#dogs\?lr=0\.001&epochs=9&stop=0\.0001&seed=1&k1=7&s1=2&k2=5&s2=1$/);
    assert.deepEqual(errors, []);
  });
});

test('a hostile fragment is ignored with a notice and injects nothing', async () => {
  const hostile = '#synth?lr=%3Cimg%20src%3Dx%20onerror%3Dwindow.pwned%3D1%3E&epochs=3&__proto__=1';
  await withPage(`?backend=cpu${hostile}`, async ({ page }) => {
    await engineReady(page);
    await byTestId(page, 'link-notice').waitFor();
    const notice = await byTestId(page, 'link-notice').textContent();
    assert.match(notice, /Parts of this link were ignored .*lr = .*not a number.*unknown setting "__proto__"/);
    assert.equal(await byTestId(page, 'epochs').inputValue(), '3', 'the valid part is applied');
    assert.equal(await byTestId(page, 'lr').inputValue(), '0.0001', 'the hostile value is not');
    assert.equal(await page.evaluate(() => window.pwned), undefined);
    assert.equal(await page.locator('main img').count(), 0);
  });
});

test('presenter mode enlarges the page, hides the lab list, and space starts training', async () => {
  await withPage('?backend=cpu&present#synth?train=400&valid=100&batch=20&lr=0.2&epochs=3', async ({ page, errors }) => {
    await engineReady(page);
    assert.equal(await page.evaluate(() => document.body.classList.contains('present')), true);
    assert.equal(await page.locator('nav.labs').isVisible(), false, 'the lab list is hidden');
    await page.locator('main h2').first().click();
    await page.keyboard.press(' ');
    await page.waitForSelector('[data-testid="progress"]');
    await page.waitForFunction(() => ['finished', 'training', 'paused'].includes(document.querySelector('[data-testid="progress"]')?.dataset.phase));
    await page.waitForFunction(() => document.querySelector('[data-testid="progress"]')?.dataset.phase === 'finished', null, { timeout: 120_000 });
    await byTestId(page, 'present-toggle').click();
    assert.equal(await page.evaluate(() => document.body.classList.contains('present')), false);
    assert.deepEqual(errors, []);
  });
});

/** Decodes the QR code in a PNG with jsQR, in a blank page of the same browser. */
async function decodeQr(context, png) {
  const blank = await context.newPage();
  try {
    await blank.evaluate(readFileSync(new URL('../node_modules/jsqr/dist/jsQR.js', import.meta.url), 'utf8'));
    return await blank.evaluate(async (src) => {
      const img = new Image();
      img.src = src;
      await img.decode();
      const canvas = document.createElement('canvas');
      [canvas.width, canvas.height] = [img.width, img.height];
      const g = canvas.getContext('2d');
      g.drawImage(img, 0, 0);
      const { data, width, height } = g.getImageData(0, 0, img.width, img.height);
      return window.jsQR(data, width, height)?.data ?? null;
    }, `data:image/png;base64,${png.toString('base64')}`);
  } finally {
    await blank.close();
  }
}

test('presenter mode shows a QR code that decodes to the lab\'s shared link, which opens on a phone and trains', async () => {
  await withPage('?present#mnist', async ({ page, errors, server }) => {
    await engineReady(page);
    await byTestId(page, 'mnist-sizes').fill('100');
    await byTestId(page, 'mnist-epochs').fill('2');
    await page.waitForFunction(() => document.querySelector('[data-testid="join-url"]')?.textContent.includes('epochs=2'));
    const decoded = await decodeQr(page.context(), await byTestId(page, 'qr').screenshot());
    assert.equal(decoded, await byTestId(page, 'join-url').textContent(), 'the code is the link under it');
    const box = await byTestId(page, 'qr').boundingBox();
    assert.ok(box.width >= 300, `large enough to scan from the back of a room: ${box.width} px`);
    // Exactly the link "Copy a link to these settings" gives (out of presenter mode, which
    // hides that button), and without presenter mode.
    await byTestId(page, 'present-toggle').click();
    await byTestId(page, 'mnist-share').click();
    assert.equal(decoded, await byTestId(page, 'mnist-share-url').inputValue());
    assert.ok(decoded.startsWith(server.url) && decoded.includes('#mnist?') && !decoded.includes('present'), decoded);

    // Opened on a phone: the lab at phone width, with the settings, and it trains.
    const phone = await page.context().newPage();
    await phone.setViewportSize({ width: 390, height: 844 });
    await phone.goto(decoded);
    await engineReady(phone);
    assert.equal(await byTestId(phone, 'mnist-epochs').inputValue(), '2');
    assert.equal(await byTestId(phone, 'mnist-sizes').inputValue(), '100');
    assert.equal(await phone.evaluate(() => document.body.classList.contains('present')), false);
    assert.ok(await phone.evaluate(() => document.documentElement.scrollWidth <= window.innerWidth), 'no sideways scroll');
    await byTestId(phone, 'mnist-train').click();
    await phone.waitForFunction(() => document.querySelector('[data-testid="mnist-progress"]')?.dataset.phase === 'finished', null, { timeout: 120_000 });
    await phone.close();
    assert.deepEqual(errors, []);
  });
});

test('the Content-Security-Policy is in force and the app runs under it', async () => {
  const html = readFileSync('dist/index.html', 'utf8');
  const policy = html.match(/http-equiv="Content-Security-Policy" content="([^"]+)"/)?.[1];
  assert.ok(policy, 'dist/index.html carries a CSP');
  assert.match(policy, /script-src 'self' 'wasm-unsafe-eval' 'sha256-[^']+'/);
  const scriptSrc = policy.split(';').map((d) => d.trim()).find((d) => d.startsWith('script-src '));
  assert.ok(!scriptSrc.includes("'unsafe-eval'") && !scriptSrc.includes("'unsafe-inline'"), scriptSrc);
  await withPage('?backend=cpu#synth?train=400&valid=100&batch=20&lr=0.2&epochs=2', async ({ page, errors }) => {
    await page.evaluate(() => {
      window.violations = [];
      document.addEventListener('securitypolicyviolation', (e) => window.violations.push(`${e.violatedDirective} ${e.blockedURI}`));
    });
    await engineReady(page);
    await byTestId(page, 'train').click();
    await page.waitForFunction(() => document.querySelector('[data-testid="progress"]')?.dataset.phase === 'finished', null, { timeout: 120_000 });
    // An inline script injected now is refused by the policy.
    await page.evaluate(() => {
      const s = document.createElement('script');
      s.textContent = 'window.injected = 1';
      document.body.appendChild(s);
    });
    assert.equal(await page.evaluate(() => window.injected), undefined);
    const violations = await page.evaluate(() => window.violations);
    assert.deepEqual(violations.filter((v) => !v.startsWith('script-src-elem inline')), []);
    assert.deepEqual(errors.filter((e) => !/Content Security Policy/.test(e)), []);
  });
});

test('after a first visit the app opens offline, from a sub-path', async () => {
  const server = await serve('/course/nnlab/');
  const browser = await chromium.launch({ executablePath: '/usr/bin/chromium', headless: true, args: FLAGS });
  const context = await browser.newContext();
  const page = await context.newPage();
  try {
    await page.goto(server.url + '?backend=cpu#linear-xor');
    await engineReady(page);
    await page.waitForSelector('[data-testid="offline-ready"]', { timeout: 60_000 });
    // Only the engine build this browser loads is kept (no WebGPU adapter here, relaxed SIMD:
    // the CPU one built with relaxed SIMD).
    const kept = await page.evaluate(async () => {
      const cache = await caches.open((await caches.keys()).find((k) => k.startsWith('nnlab-app-')));
      return (await cache.keys()).map((r) => new URL(r.url).pathname.split('/').pop()).filter((f) => f.startsWith('worker'));
    });
    assert.deepEqual(kept.sort(), ['worker_loader.js', 'worker_relaxed.js', 'worker_relaxed_bg.wasm']);
    await context.setOffline(true);
    await page.reload();
    await engineReady(page);
    assert.equal(await page.locator('main h2').first().textContent(), 'Linear layers cannot learn XOR');
    await byTestId(page, 'xor-train').click();
    await page.waitForSelector('[data-testid="xor-status"][data-phase="finished"]', { timeout: 120_000 });
    await page.screenshot({ path: OUT + 'offline.png', fullPage: true });
  } finally {
    await browser.close();
    server.close();
  }
});
