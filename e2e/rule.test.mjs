// The eighth lab, added through the one verb and the lab-view trait: the perceptron learning
// rule trains in the worker, converges on AND and cycles on XOR, and is listed, shared and
// saved like the other labs.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { withPage, byTestId, engineReady, OUT } from './lib.mjs';

test('the perceptron learning rule converges on AND, cycles on XOR, and its runs are shared and saved', async () => {
  await withPage('?backend=cpu#perceptron-rule?truth=0,0,0,1&lr=0.1&passes=50&seed=3', async ({ page, errors }) => {
    await engineReady(page);
    // Listed with the labs, opened by its link with the link's settings.
    assert.equal(await page.locator('nav a[href="#perceptron-rule"]').count(), 1);
    assert.equal(await byTestId(page, 'rule-seed').inputValue(), '3');
    await byTestId(page, 'rule-train').click();
    await page.waitForSelector('[data-testid="rule-status"][data-phase="finished"]', { timeout: 60_000 });
    const and = await byTestId(page, 'rule-answer').textContent();
    assert.match(and, /^The rule converged: pass \d+ made no mistake, after \d+ updates? in all\. The perceptron w = \(-?\d\.\d\d, -?\d\.\d\d\), b = -?\d\.\d\d gets all 4 rows right/);
    const rows = await page.$$eval('[data-testid="rule-outputs"] tbody tr', (trs) => trs.map((r) => r.cells[3].textContent));
    assert.deepEqual(rows, ['right', 'right', 'right', 'right']);
    const passes = await page.locator('[data-testid="rule-passes"] tbody tr').count();
    assert.match(and, new RegExp(`pass ${passes} made no mistake`), 'the table shows every pass');

    // XOR: no line separates it, and the page says the weights came round again.
    await byTestId(page, 'rule-preset-xor').click();
    assert.equal(await byTestId(page, 'rule-truth').inputValue(), '0,1,1,0');
    await byTestId(page, 'rule-train').click();
    await page.waitForFunction(() => /does not converge/.test(document.querySelector('[data-testid="rule-answer"]')?.textContent), null, { timeout: 60_000 });
    const xor = await byTestId(page, 'rule-answer').textContent();
    assert.match(xor, /after pass \d+ the weights are exactly those (it started from|after pass \d+), so it repeats (that pass|the same \d+ passes) for ever, still wrong on [1-4] of the 4 rows/);
    assert.match(xor, /No line separates this table's true rows from its false ones/);
    await page.screenshot({ path: OUT + 'rule.png', fullPage: true });

    // Shared: the link carries the table as it is now.
    await byTestId(page, 'perceptron-rule-share').click();
    assert.match(await byTestId(page, 'perceptron-rule-share-url').inputValue(), /#perceptron-rule\?truth=0,1,1,0&lr=0\.1&passes=50&seed=3$/);

    // Saved: both runs are in the runs list as this lab's.
    await page.evaluate(() => { location.hash = 'runs'; });
    await page.waitForFunction(() => [...document.querySelectorAll('[data-testid="run-row"]')].filter((r) => r.textContent.includes('perceptron-rule')).length === 2, null, { timeout: 30_000 });
    const names = await page.$$eval('[data-testid="run-name"]', (inputs) => inputs.map((i) => i.value));
    assert.ok(names.includes('Perceptron rule on 0001, η 0.1, seed 3'), names.join('\n'));
    assert.ok(names.includes('Perceptron rule on 0110, η 0.1, seed 3'), names.join('\n'));

    // A reload puts the lab's last run back, its result replayed from the saved settings.
    await page.evaluate(() => { location.hash = 'perceptron-rule'; });
    await page.reload();
    await engineReady(page);
    await byTestId(page, 'rule-answer').waitFor({ timeout: 30_000 });
    assert.equal(await byTestId(page, 'rule-answer').textContent(), xor);
    assert.equal(await byTestId(page, 'rule-status').getAttribute('data-phase'), 'finished');
    assert.deepEqual(errors, []);
  });
});
