// Training in the worker on the CPU backend: curves, kernels, the shift demo, Stop, Pause,
// and a page that stays responsive meanwhile.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { withPage, byTestId, engineReady, setForm, waitPhase, epochRows, QUICK, OUT } from './lib.mjs';

test('the synth lab trains on the CPU backend: loss falls, curves, kernels and the shift demo', async () => {
  await withPage('?backend=cpu', async ({ page, errors }) => {
    await engineReady(page);
    await setForm(page, QUICK);
    await byTestId(page, 'train').click();
    await waitPhase(page, ['finished', 'failed']);
    assert.equal(await byTestId(page, 'progress').getAttribute('data-phase'), 'finished');
    assert.match(await byTestId(page, 'backend-status').textContent(), /CPU/);
    assert.equal(await byTestId(page, 'backend-choice').inputValue(), 'cpu', 'the selector shows the ?backend= choice');
    // Switching labs keeps the page (no reload): the run and the URL's query survive.
    await byTestId(page, 'lab-mnist').click();
    await byTestId(page, 'lab-synth').click();
    // The lab is built over a few turns of the event loop: wait for its table's third row.
    await page.locator('[data-testid="epoch-table"] tbody tr').nth(2).waitFor({ state: 'attached' });
    assert.equal((await epochRows(page)).length, 3);
    assert.match(page.url(), /\?backend=cpu#synth$/);
    assert.equal(await byTestId(page, 'lr').inputValue(), '0.2', 'the form keeps what was typed');
    const rows = await epochRows(page);
    assert.equal(rows.length, 3);
    assert.ok(rows[2].trainLoss < rows[0].trainLoss, `loss falls: ${JSON.stringify(rows)}`);
    for (const chart of ['loss-chart', 'acc-chart']) {
      assert.equal(await page.locator(`[data-testid="${chart}"] circle`).count(), 6, 'two curves of three epochs');
    }
    assert.equal(await page.locator('[data-testid="kernel-0"] rect').count(), 25);
    assert.equal(await page.locator('[data-testid="kernel-1"] rect').count(), 25);
    assert.match(await byTestId(page, 'answer-kernels').textContent(), /^Kernel 1 /);
    assert.match(await byTestId(page, 'speed').textContent(), /examples\/s on CPU/);

    // The shift demo runs the trained model: probabilities appear and follow the arrow keys.
    await byTestId(page, 'probs').locator('.prob').first().waitFor();
    await byTestId(page, 'sweep').waitFor();
    assert.match(await byTestId(page, 'answer-shift').textContent(), /possible positions/);
    const label = () => byTestId(page, 'shift-input').getAttribute('aria-label');
    const before = await label();
    await byTestId(page, 'shift-view').focus();
    await page.keyboard.press('ArrowRight');
    await page.keyboard.press('ArrowDown');
    assert.notEqual(await label(), before);
    const p = parseFloat(await byTestId(page, 'prob-vertical').textContent());
    assert.ok(p >= 0 && p <= 100);
    // Every layer for the demo's image: each conv block's maps after ReLU and after pooling.
    await byTestId(page, 'inside-show').click();
    await byTestId(page, 'synth-inside').waitFor();
    const blocks = await byTestId(page, 'synth-inside').locator('figure.layer-maps').evaluateAll((fs) => fs.map((f) => [f.dataset.layer, Number(f.dataset.maps)]));
    assert.deepEqual(blocks, [['conv1 + relu', 2], ['maxpool1', 2], ['conv2 + relu', 4], ['maxpool2', 4], ['conv3 + relu', 8], ['maxpool3', 8]]);
    assert.match(await byTestId(page, 'synth-inside-chosen').textContent(), /conv1 \+ relu, map 1 \(24x24\).*1 slice of 5x5/);
    await page.screenshot({ path: OUT + 'cpu-trained.png', fullPage: true });
    assert.deepEqual(errors, []);
  });
});

test('while the worker trains the page answers clicks; Pause holds and Stop stops', async () => {
  await withPage('?backend=cpu', async ({ page, errors }) => {
    await engineReady(page);
    await setForm(page, { ...QUICK, epochs: 400, 'train-size': 2000 });
    await byTestId(page, 'train').click();
    await waitPhase(page, ['training']);
    await byTestId(page, 'progress-text').filter({ hasText: 'batch' }).waitFor();

    // Another control is handled while training goes on.
    await byTestId(page, 'data-seed').fill('9');
    await byTestId(page, 'gallery-seed').filter({ hasText: '9' }).waitFor();
    assert.equal(await byTestId(page, 'progress').getAttribute('data-phase'), 'training');

    await byTestId(page, 'pause').click();
    await byTestId(page, 'progress-text').filter({ hasText: '(paused)' }).waitFor();
    const held = await byTestId(page, 'progress-text').textContent();
    await page.waitForTimeout(1000); // observe that nothing moves while paused
    assert.equal(await byTestId(page, 'progress-text').textContent(), held);
    await byTestId(page, 'pause').click(); // Resume
    await byTestId(page, 'progress-text').filter({ hasNotText: '(paused)' }).waitFor();

    await byTestId(page, 'stop').click();
    await waitPhase(page, ['finished'], 10_000);
    assert.match(await byTestId(page, 'progress-text').textContent(), /stopped by the user/);
    await page.screenshot({ path: OUT + 'cpu-stopped.png', fullPage: true });
    assert.deepEqual(errors, []);
  });
});
