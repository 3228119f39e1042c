// The built page, served from a sub-path: it loads cleanly, explains itself, stays on its
// origin, and refuses bad hyper-parameters at the form.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { chromium } from 'playwright-core';
import { serve, open, withPage, byTestId, engineReady, setForm, waitPhase, QUICK, OUT } from './lib.mjs';

test('the page loads from a sub-path with no console errors and no request off its origin', async () => {
  await withPage('', async ({ page, errors, requests, server }) => {
    await engineReady(page);
    await byTestId(page, 'gpu-status').filter({ hasNotText: 'Checking' }).waitFor();
    assert.match(await page.locator('h1').textContent(), /nnlab/);
    assert.match(await page.locator('.tagline').textContent(), /neural networks/);
    assert.equal(await page.locator('nav.labs li a').count(), 9, 'eight labs and the saved runs');
    assert.equal(await page.locator('nav.labs li.coming').count(), 0);
    assert.match(await byTestId(page, 'gpu-status').textContent(), /No WebGPU|WebGPU available/);
    assert.equal(await page.locator('[data-testid="gallery"] canvas').count(), 12);
    // Measured a step at a time after the page opened (no long task at start-up).
    await page.waitForSelector('[data-testid="answer-data"][data-done="true"]');
    assert.match(await byTestId(page, 'answer-data').textContent(), /In these 1,000 images, all 500 horizontal images hold one 2x12-pixel bar/);
    await page.screenshot({ path: OUT + 'page-loaded.png', fullPage: true });
    for (const url of requests) {
      assert.ok(url.startsWith(server.url) || url.startsWith('data:'), `request left the app's path: ${url}`);
    }
    assert.ok([...requests].some((u) => u.endsWith('/some/sub/path/worker_relaxed_bg.wasm')), 'the worker loads from the sub-path');
    assert.deepEqual(errors, []);
  }, { prefix: '/some/sub/path/' });
});

test('the same data seed shows the same images, another seed other images', async () => {
  await withPage('', async ({ page }) => {
    const pixels = () => page.$eval('[data-testid="gallery-0"]', (c) => c.toDataURL());
    // The lab is built a turn after the page's frame, and draws its images after that.
    await page.waitForFunction(() => {
      const canvas = document.querySelector('[data-testid="gallery-0"]');
      const blank = Object.assign(document.createElement('canvas'), { width: canvas?.width, height: canvas?.height });
      return canvas && canvas.toDataURL() !== blank.toDataURL();
    });
    const first = await pixels();
    await byTestId(page, 'data-seed').fill('2');
    await byTestId(page, 'gallery-seed').filter({ hasText: '2' }).waitFor();
    assert.notEqual(await pixels(), first);
    await byTestId(page, 'data-seed').fill('1');
    await byTestId(page, 'gallery-seed').filter({ hasText: '1' }).waitFor();
    assert.equal(await pixels(), first);
    // The data answer follows the seed: none for a seed that is not a number, then measured again.
    await byTestId(page, 'data-seed').fill('x');
    await byTestId(page, 'answer-data').filter({ hasText: 'Enter a whole-number data seed' }).waitFor();
    await byTestId(page, 'data-seed').fill('3');
    await page.waitForSelector('[data-testid="answer-data"][data-done="true"]');
    assert.match(await byTestId(page, 'answer-data').textContent(), /In these 1,000 images, all 500 horizontal images/);
  });
});

test('invalid hyper-parameters are refused at the form and nothing is sent', async () => {
  await withPage('', async ({ page }) => {
    await engineReady(page);
    for (const [id, value, message] of [
      ['lr', 'abc', /learning rate: "abc" is not a number/],
      ['lr', '0', /learning rate must be a positive number/],
      ['batch-size', '0', /batch size must be a whole number/],
      ['epochs', '-3', /epochs: "-3" is not a number/],
    ]) {
      await byTestId(page, 'defaults').click();
      await byTestId(page, id).fill(value);
      await byTestId(page, 'train').click();
      assert.match(await byTestId(page, 'form-error').textContent(), message);
      assert.equal(await byTestId(page, 'progress').count(), 0, 'no run was started');
    }
    await page.screenshot({ path: OUT + 'form-error.png' });
  });
});

test('the convolution calculator answers the homework question and refuses impossible settings', async () => {
  await withPage('#conv-size', async ({ page, errors }) => {
    assert.equal(await byTestId(page, 'conv-shape').textContent(), '[16, 8, 17, 23]');
    assert.match(await byTestId(page, 'conv-work').textContent(), /W = floor\(\(32 \+ 2 x 8 - 1 x \(4 - 1\) - 1\) \/ 2\) \+ 1 = floor\(44 \/ 2\) \+ 1 = 23/);
    await byTestId(page, 'conv-kernel-h').fill('41');
    assert.match(await byTestId(page, 'conv-error').textContent(), /H: the kernel spans 41 pixels/);
    await byTestId(page, 'conv-kernel-h').fill('x');
    assert.match(await byTestId(page, 'conv-error').textContent(), /Kernel H: "x" is not a number/);
    await byTestId(page, 'conv-kernel-h').fill('8');
    await byTestId(page, 'conv-stride-w').fill('1');
    assert.equal(await byTestId(page, 'conv-shape').textContent(), '[16, 8, 17, 45]');
    await page.screenshot({ path: OUT + 'conv-size.png' });
    assert.deepEqual(errors, []);
  });
});

test('the perceptron network computes any truth table, row by row', async () => {
  await withPage('#perceptrons', async ({ page, errors }) => {
    // XOR of 2 inputs: two hidden units, every row correct.
    assert.match(await byTestId(page, 'logic-summary').textContent(), /^2 hidden perceptrons .* 4 of 4 rows correct/);
    assert.deepEqual(await page.$$eval('[data-testid^="net-"]', (cells) => cells.map((c) => c.textContent)), ['0', '1', '1', '0']);
    // Edit a row: the network is rebuilt and still computes the table.
    await byTestId(page, 'want-3').check();
    assert.equal(await byTestId(page, 'net-3').textContent(), '1');
    assert.match(await byTestId(page, 'logic-summary').textContent(), /^3 hidden perceptrons .* 4 of 4 rows correct/);
    await byTestId(page, 'logic-inputs').selectOption('4');
    await byTestId(page, 'preset-random').click();
    assert.match(await byTestId(page, 'logic-summary').textContent(), /16 of 16 rows correct/);
    await byTestId(page, 'preset-majority').click();
    assert.match(await byTestId(page, 'logic-summary').textContent(), /^5 hidden perceptrons .* 16 of 16 rows correct/);
    await page.screenshot({ path: OUT + 'perceptrons.png', fullPage: true });
    assert.deepEqual(errors, []);
  });
});

test('before the page\'s wasm arrives index.html shows the name, the labs and what is loading; the app takes its place without moving them', async () => {
  const server = await serve();
  const place = () => ({
    h1: document.querySelector('h1').getBoundingClientRect().y,
    labs: [...document.querySelectorAll('nav.labs li a')].map((a) => [a.textContent.trim(), a.getAttribute('href'), Math.round(a.getBoundingClientRect().y)]),
  });
  try {
    for (const [width, height] of [[1280, 900], [390, 844]]) {
      // The page's wasm never arrives: the static shell is all there is.
      const slow = await open('about:blank');
      await slow.page.setViewportSize({ width, height });
      await slow.page.route('**/app-*_bg.wasm', () => {});
      await slow.page.goto(server.url, { waitUntil: 'domcontentloaded' });
      await slow.page.locator('#shell h1').waitFor();
      assert.match(await slow.page.locator('[data-testid="shell-loading"]').textContent(), /^Loading the labs \(\d+ KB\)…/);
      const shell = await slow.page.evaluate(place);
      await slow.close();
      // Loaded: the app's header and lab list stand where the shell's stood.
      const loaded = await open('about:blank');
      await loaded.page.setViewportSize({ width, height });
      await loaded.page.goto(server.url);
      await engineReady(loaded.page);
      assert.equal(await loaded.page.locator('#shell').count(), 0, 'the app took the shell\'s place');
      const app = await loaded.page.evaluate(place);
      assert.deepEqual(shell.labs.map(([t, h]) => [t, h]), app.labs.map(([t, h]) => [t, h]), 'the shell lists the labs of LABS');
      assert.ok(Math.abs(shell.h1 - app.h1) <= 1, `the name stays at ${width} px: ${shell.h1} -> ${app.h1}`);
      assert.ok(Math.abs(shell.labs[0][2] - app.labs[0][2]) <= 1, `the lab list stays at ${width} px: ${shell.labs[0][2]} -> ${app.labs[0][2]}`);
      assert.deepEqual(loaded.errors, []);
      await loaded.close();
    }
    // Without JavaScript the page says what it needs.
    const browser = await chromium.launch({ executablePath: '/usr/bin/chromium', headless: true, args: ['--disable-background-networking', '--disable-component-update', '--disable-sync', '--no-first-run', '--disable-quic'] });
    try {
      const page = await (await browser.newContext({ javaScriptEnabled: false })).newPage();
      await page.goto(server.url);
      assert.match(await page.locator('main').textContent(), /nnlab needs JavaScript and WebAssembly/);
    } finally {
      await browser.close();
    }
  } finally {
    server.close();
  }
});

test('the engine downloads once the page\'s wasm is in; a Train pressed before it is here waits, says so with the bytes, and trains once it arrives', async () => {
  const server = await serve();
  const { browser, page, errors, requests } = await open('about:blank');
  try {
    // The engine's wasm is held back until the test lets it go, whichever build is picked.
    let release;
    const held = new Promise((resolve) => (release = resolve));
    let asked;
    const engineAsked = new Promise((resolve) => (asked = resolve));
    await page.context().route(/\/worker(_relaxed|_webgpu)?_bg\.wasm$/, async (route) => {
      asked();
      await held;
      await route.continue();
    });
    // Every text the loading line shows, however briefly (a DOM observer, set up before load).
    await page.addInitScript(() => {
      window.__downloads = [];
      new MutationObserver(() => {
        const text = document.querySelector('[data-testid="engine-download"]')?.textContent;
        if (text && window.__downloads.at(-1) !== text) window.__downloads.push(text);
      }).observe(document, { subtree: true, childList: true, characterData: true });
    });
    await page.goto(server.url + '?backend=cpu#synth');
    await byTestId(page, 'engine-loading').waitFor();
    await engineAsked;
    await setForm(page, QUICK);
    await byTestId(page, 'train').click();
    await page.waitForFunction(() => document.querySelector('[data-testid="progress"]')?.dataset.phase === 'queued');
    assert.match(await page.locator('#lab').textContent(), /waiting for the training engine/);
    await page.screenshot({ path: OUT + 'train-before-engine.png' });

    release();
    await waitPhase(page, ['finished', 'failed']);
    assert.equal(await byTestId(page, 'progress').getAttribute('data-phase'), 'finished');
    const seen = await page.evaluate(() => window.__downloads);
    assert.ok(seen.some((t) => /^Loading the training engine: \d+ KB of \d+\.\d MB \(once; it is kept for offline use\)\. You can press Train now/.test(t)), JSON.stringify(seen));
    assert.ok([...requests].some((url) => /\/early\.js$/.test(url)));
    assert.deepEqual(errors, []);
  } finally {
    await browser.close();
    server.close();
  }
});

// The page's wasm is split (scripts/postbuild.py): its frame, then each lab's code in one file
// (its pack) fetched the first time the lab is opened, so the first download holds one lab.
test("a lab's code arrives when the lab is first opened, in one file", async () => {
  await withPage('#perceptrons', async ({ page, errors }) => {
    // The page's own fetches: the offline copy (the service worker) keeps every lab's pack.
    const fetched = [];
    page.on('request', (r) => !r.serviceWorker() && /\/pack_/.test(r.url()) && fetched.push(r.url()));
    await page.reload();
    const packs = () => fetched.map((u) => u.match(/pack_lab_([a-z_]+)-/)[1]);
    await byTestId(page, 'logic-summary').waitFor();
    assert.deepEqual(packs(), ['perceptrons'], 'only the lab on screen');
    await page.locator('nav a[href="#conv-size"]').click();
    await byTestId(page, 'conv-shape').waitFor();
    assert.deepEqual(packs().sort(), ['conv_size', 'perceptrons']);
    // Back to a lab already loaded: nothing fetched again.
    await page.locator('nav a[href="#perceptrons"]').click();
    await byTestId(page, 'logic-summary').waitFor();
    assert.equal(packs().length, 2);
    assert.deepEqual(errors, []);
  });
});

// The Synth lab's code comes in two files: its data, form and Train first, then its curves,
// kernels, shift demo and answers, which say they are loading until theirs is here (and, when
// it cannot be downloaded, say so with Try again).
test("the Synth lab's Train comes with the lab's first file, its charts and answers with a second", async () => {
  const server = await serve();
  const browser = await chromium.launch({ executablePath: '/usr/bin/chromium', headless: true });
  try {
    const context = await browser.newContext({ serviceWorkers: 'block' });
    const fetched = [];
    let release;
    const held = new Promise((resolve) => (release = resolve));
    let refuse = false;
    await context.route(/pack_more_lab_synth-/, async (route) => {
      fetched.push('more');
      await held;
      await (refuse ? route.abort('internetdisconnected') : route.continue());
    });
    const page = await context.newPage();
    page.on('request', (r) => /pack_lab_synth-/.test(r.url()) && fetched.push('lab'));
    await page.goto(server.url + '#synth');
    // Train and the form are up while the later part's file is still held back.
    await byTestId(page, 'train').waitFor();
    await byTestId(page, 'gallery-0').waitFor();
    const loading = byTestId(page, 'part-loading');
    await loading.waitFor();
    assert.equal(await loading.textContent(), 'Loading the charts, kernels and answers…');
    assert.equal(await byTestId(page, 'epoch-table').count(), 0);
    await page.screenshot({ path: OUT + 'synth-later-part-loading.png' });
    // A dropped connection: said, with Try again, which loads it.
    refuse = true;
    release();
    const failed = byTestId(page, 'part-load-failed');
    await failed.waitFor();
    assert.match(await failed.textContent(), /This part of the lab could not be downloaded\. Check the connection, then try again\./);
    refuse = false;
    await failed.getByRole('button', { name: 'Try again' }).click();
    await byTestId(page, 'epoch-table').waitFor({ state: 'attached' });
    await byTestId(page, 'shift-needs-model').waitFor();
    assert.equal(await failed.count(), 0);
    assert.deepEqual(fetched.slice(0, 2), ['lab', 'more'], 'the lab first, its later part after');
  } finally {
    await browser.close();
    server.close();
  }
});

// A lab's code that cannot be downloaded (the connection dropped) says so, and Try again loads it.
test("a lab whose code cannot be downloaded says so, and Try again loads it", async () => {
  const server = await serve();
  const browser = await chromium.launch({ executablePath: '/usr/bin/chromium', headless: true });
  try {
    // No service worker: its offline copy would answer from its cache.
    const context = await browser.newContext({ serviceWorkers: 'block' });
    let refuse = true;
    await context.route(/pack_lab_conv_size-/, (route) => (refuse ? route.abort('internetdisconnected') : route.continue()));
    const page = await context.newPage();
    await page.goto(server.url + '#conv-size');
    const failed = byTestId(page, 'lab-load-failed');
    await failed.waitFor();
    assert.match(await failed.textContent(), /This lab's code could not be downloaded\. Check the connection, then try again\./);
    refuse = false;
    await failed.getByRole('button', { name: 'Try again' }).click();
    assert.equal(await byTestId(page, 'conv-shape').textContent(), '[16, 8, 17, 23]');
    assert.equal(await failed.count(), 0);
  } finally {
    await browser.close();
    server.close();
  }
});
