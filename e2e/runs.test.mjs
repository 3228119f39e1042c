// Runs that last: a run cut short by a reload is kept as interrupted, resumes from its last
// epoch, and travels as a report and a JSON file that imports back.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync, writeFileSync } from 'node:fs';
import { withPage, byTestId, engineReady, setForm, epochRows, waitPhase, QUICK, OUT } from './lib.mjs';

test('a run interrupted by a reload is kept, resumes to the end, exports and imports back', async () => {
  await withPage('?backend=cpu#synth', async ({ page, errors }) => {
    await engineReady(page);
    await setForm(page, { lr: 0.2, 'batch-size': 20, epochs: 30, 'train-size': 3000, 'valid-size': 200 });
    await byTestId(page, 'train').click();
    // Paused in the page the moment two epochs are saved, so that the reload always cuts the
    // run short, however fast this machine trains the rest.
    await page.evaluate(() => new Promise((resolve) => {
      const saved = () => Number(document.querySelector('[data-testid="saved-epochs"]')?.dataset.epochs) >= 2;
      const pause = () => saved() && (document.querySelector('[data-testid="pause"]').click(), resolve(), true);
      if (!pause()) new MutationObserver((_, seen) => pause() && seen.disconnect()).observe(document.body, { subtree: true, childList: true, attributes: true });
    }));
    await page.reload();
    await engineReady(page);

    await byTestId(page, 'lab-runs').click();
    const row = page.locator('[data-testid="run-row"]');
    await row.first().waitFor();
    assert.equal(await row.count(), 1);
    assert.equal(await row.getAttribute('data-status'), 'interrupted');
    const saved = Number(await row.locator('[data-testid="run-epochs"]').textContent());
    assert.ok(saved >= 2 && saved < 30, `${saved} epochs saved`);

    await row.locator('[data-testid="run-resume"]').click();
    await page.waitForFunction(() => document.querySelector('[data-testid="progress"]')?.dataset.phase === 'finished', null, { timeout: 300_000 });
    const rows = await epochRows(page);
    assert.deepEqual(rows.map((r) => r.epoch), Array.from({ length: 30 }, (_, i) => i + 1), 'the saved epochs, then the rest');
    assert.ok(rows.at(-1).trainLoss < rows[0].trainLoss);

    await byTestId(page, 'lab-runs').click();
    await page.waitForSelector('[data-testid="run-row"][data-status="finished"]');
    assert.equal(await page.locator('[data-testid="run-row"] [data-testid="run-epochs"]').textContent(), '30');
    await page.locator('[data-testid="run-name"]').fill('my resumed run');
    await page.locator('[data-testid="run-name"]').press('Enter');
    await page.locator('h2').last().click();

    const saveOf = async (testid) => {
      const [download] = await Promise.all([page.waitForEvent('download'), byTestId(page, testid).click()]);
      return readFileSync(await download.path(), 'utf8');
    };
    const report = await saveOf('run-report');
    assert.match(report, /^<!doctype html>.*Section 6\. Synthetic images and shift invariance.*my resumed run.*<table class="settings">.*<svg.*<svg/s);
    assert.doesNotMatch(report, /<script/);
    const json = await saveOf('run-json');
    assert.equal(JSON.parse(json)[0].epochs.length, 30);

    await byTestId(page, 'run-delete').click();
    await page.waitForFunction(() => document.querySelectorAll('[data-testid="run-row"]').length === 0);
    const file = OUT + 'run.json';
    writeFileSync(file, json);
    await byTestId(page, 'runs-import').setInputFiles(file);
    await page.waitForSelector('[data-testid="run-row"][data-status="finished"]');
    assert.match(await byTestId(page, 'runs-import-note').textContent(), /Imported 1 run/);
    assert.equal(await page.locator('[data-testid="run-name"]').inputValue(), 'my resumed run');
    await page.reload();
    await engineReady(page);
    await page.waitForSelector('[data-testid="run-row"][data-status="finished"]');
    await page.screenshot({ path: OUT + 'runs.png', fullPage: true });
    assert.deepEqual(errors, []);
  });
});

test('the runs list shows whole names, training times and MNIST sizes in order, fits a phone and brings the comparison into view', async () => {
  await withPage('?backend=cpu#synth', async ({ page, errors }) => {
    await engineReady(page);
    await setForm(page, QUICK);
    await byTestId(page, 'train').click();
    await waitPhase(page, ['finished', 'failed']);
    await byTestId(page, 'lab-mnist').click();
    await setForm(page, { 'mnist-sizes': '100, 200, 300', 'mnist-epochs': 2 });
    await byTestId(page, 'mnist-train').click();
    await page.waitForFunction(() => document.querySelector('[data-testid="mnist-progress"]')?.dataset.phase === 'finished', null, { timeout: 180_000 });
    await byTestId(page, 'lab-runs').click();
    await page.waitForFunction(() => document.querySelectorAll('[data-testid="run-row"][data-status="finished"]').length === 4, null, { timeout: 60_000 });

    const names = await page.$$eval('[data-testid="run-name"]', (inputs) => inputs.map((i) => ({ value: i.value, cut: i.scrollWidth > i.clientWidth })));
    const mnist = names.map((n) => n.value).filter((n) => n.startsWith('MNIST'));
    assert.deepEqual(mnist, ['MNIST MLP, N = 100, seed 1', 'MNIST MLP, N = 200, seed 1', 'MNIST MLP, N = 300, seed 1']);
    for (const n of names) assert.ok(!n.cut, `"${n.value}" shows whole in its box`);
    const headers = await page.$$eval('[data-testid="runs-table"] th', (ths) => ths.map((th) => th.textContent));
    assert.ok(headers.includes('training time'));
    const seconds = await page.$$eval('[data-testid="run-seconds"]', (tds) => tds.map((td) => td.textContent));
    assert.equal(seconds.length, 4);
    for (const s of seconds) assert.match(s, /^(0\.0*[1-9]\d* s|[1-9][\d.]* s|\d+ min \d+ s)$/, `${s} of training`);

    // On a phone: the page never scrolls sideways; the table scrolls inside its own box.
    await page.setViewportSize({ width: 390, height: 844 });
    const widths = await page.evaluate(() => ({ page: document.documentElement.scrollWidth, box: document.querySelector('[data-testid="runs-table-box"]').getBoundingClientRect().right }));
    assert.ok(widths.page <= 390, `page ${widths.page} px wide at 390`);
    assert.ok(widths.box <= 390, `table box ends at ${widths.box}`);
    await page.screenshot({ path: OUT + 'runs-phone.png', fullPage: true });

    // Ticking two runs at the bottom of the list brings their chart into view, with focus.
    const boxes = page.locator('[data-testid="run-row"] input[type=checkbox]');
    await boxes.nth(2).check();
    await boxes.nth(3).check();
    await page.waitForFunction(() => document.activeElement?.id === 'runs-compare');
    const chart = await byTestId(page, 'runs-compare-chart').boundingBox();
    assert.ok(chart.y >= 0 && chart.y + 40 <= 844, `the comparison's top (${chart.y}) is on screen`);
    assert.equal(await page.locator('[data-testid="runs-compare-chart"] g.series').count(), 2);
    await page.screenshot({ path: OUT + 'runs-compare-phone.png' });
    assert.deepEqual(errors, []);
  });
});
