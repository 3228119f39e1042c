// The concept labs in the page: linear vs ReLU on XOR, and adversarial examples on a quick
// MNIST model trained in the worker.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { withPage, byTestId, engineReady, OUT } from './lib.mjs';

test('linear layers stay at or below 75% on XOR, ReLU reaches 100%, and the linear stack multiplies out', async () => {
  await withPage('?backend=cpu#linear-xor', async ({ page, errors }) => {
    await engineReady(page);
    await byTestId(page, 'xor-train').click();
    await page.waitForSelector('[data-testid="xor-status"][data-phase="finished"]', { timeout: 120_000 });
    const linear = parseFloat(await byTestId(page, 'xor-linear-accuracy').textContent());
    const relu = parseFloat(await byTestId(page, 'xor-relu-accuracy').textContent());
    assert.ok(linear <= 75, `linear: ${linear}%`);
    assert.equal(relu, 100);
    assert.equal(await page.locator('[data-testid="xor-collapsed"] tbody tr').count(), 3, 'x1, x2 and the bias');
    assert.equal(await page.locator('[data-testid="xor-linear-regions"] rect').count(), 41 * 41);
    // The homework's XOR run: the linear stack's best is one half everywhere, and it says so.
    const answer = await byTestId(page, 'xor-answer').textContent();
    assert.match(answer, /The linear network collapsed: it says p\(true\) = 0\.5 at every point.*No straight line/);
    assert.doesNotMatch(answer, /straight boundary in the input square/);
    // A tie at 0.5 is neither right nor wrong.
    const marks = await page.locator('[data-testid="xor-linear"] table:first-of-type tbody td:last-child').allTextContents();
    assert.deepEqual(marks, Array(4).fill('undecided (p = 0.5)'));
    assert.equal(linear, 0);
    // A separable function: both learn it.
    await byTestId(page, 'xor-preset-and').click();
    await byTestId(page, 'xor-train').click();
    await page.waitForFunction(() => document.querySelector('[data-testid="xor-linear-accuracy"]')?.textContent === '100%', null, { timeout: 120_000 });
    await page.screenshot({ path: OUT + 'xor.png', fullPage: true });
    assert.deepEqual(errors, []);
  });
});

test('an adversarial step flips a digit, a targeted attack reaches its target, and the sweep falls with epsilon', async () => {
  await withPage('?backend=cpu#adversarial', async ({ page, errors }) => {
    await engineReady(page);
    await byTestId(page, 'adv-prepare').click();
    await page.waitForSelector('[data-testid="adv-progress"][data-phase="finished"]', { timeout: 180_000 });
    const sweep = await page.$$eval('[data-testid="adv-sweep-table"] tbody tr', (rows) => rows.map((r) => [...r.cells].map((c) => parseFloat(c.textContent))));
    assert.equal(sweep.length, 13);
    assert.equal(sweep[0][0], 0);
    assert.ok(sweep[0][1] > 80, `clean accuracy ${sweep[0][1]}`);
    assert.ok(sweep.at(-1)[1] < sweep[0][1] / 2, `accuracy at 0.3: ${sweep.at(-1)[1]}`);
    // The first digit is attacked at once with epsilon 0.1.
    await page.waitForSelector('[data-testid="adv-answer"]', { timeout: 60_000 });
    assert.match(await byTestId(page, 'adv-answer').textContent(), /One fast gradient sign step of epsilon 0\.10\. (The smallest epsilon that changes this prediction is \d\.\d{3}|No epsilon)/);
    // Targeted: make the 3 a 5.
    await byTestId(page, 'adv-sample-3').click();
    await byTestId(page, 'adv-target').selectOption('5');
    await page.waitForFunction(() => /Targeted: the model says 5 after \d+ steps/.test(document.querySelector('[data-testid="adv-answer"]')?.textContent), null, { timeout: 60_000 });
    assert.equal(await byTestId(page, 'adv-after').textContent(), 'adversarial: model says 5');
    assert.doesNotMatch(await byTestId(page, 'adv-answer').textContent(), /epsilon/, 'the flip scan is the untargeted attack\'s');
    await page.screenshot({ path: OUT + 'adversarial.png', fullPage: true });
    assert.deepEqual(errors, []);
  });
});
