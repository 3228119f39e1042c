// What a new student meets: answers that say when a model did not learn, Back that changes the
// lab, a reload that puts the last run back, keyboard focus that follows the run, and a first
// screen that holds the lab's Train button at desktop and phone widths.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { withPage, byTestId, engineReady, setForm, waitPhase, epochRows, OUT } from './lib.mjs';

// The homework's learning rate on a small set: the CNN stays at chance, as it does at 1e-4.
const AT_CHANCE = { lr: 0.0001, 'batch-size': 50, epochs: 2, 'train-size': 400, 'valid-size': 200 };

test('a run at chance is said not to have learned, and one click trains again with a rate that learns', async () => {
  await withPage('?backend=cpu', async ({ page, errors }) => {
    await engineReady(page);
    assert.match(await byTestId(page, 'lr-note').textContent(), /At learning rate 0\.0001 this net needs far more epochs/);
    await setForm(page, AT_CHANCE);
    await byTestId(page, 'train').click();
    await waitPhase(page, ['finished', 'failed']);
    const training = await byTestId(page, 'answer-training').textContent();
    assert.match(training, /^The model did not learn: it is still at chance\./);
    assert.match(await byTestId(page, 'answer-kernels').textContent(), /^Nothing yet: the model stayed at chance/);
    await byTestId(page, 'sweep').waitFor();
    const shift = await byTestId(page, 'answer-shift').textContent();
    assert.match(shift, /^Not yet: the model stayed at chance/);
    assert.doesNotMatch(shift, /wrong only/);
    assert.match(await byTestId(page, 'kernels').textContent(), /still near its random start/);
    await byTestId(page, 'retrain-lr').click();
    assert.equal(await byTestId(page, 'lr').inputValue(), '0.003');
    await waitPhase(page, ['training', 'finished']);
    assert.deepEqual(errors, []);
  });
});

test('Back and Forward switch the lab, and so does a typed fragment', async () => {
  await withPage('', async ({ page, errors }) => {
    await byTestId(page, 'lab-mnist').click();
    await page.locator('#mnist-title').waitFor();
    await byTestId(page, 'lab-linear-xor').click();
    await page.locator('#xor-title').waitFor();
    await page.goBack();
    await page.locator('#mnist-title').waitFor();
    assert.match(page.url(), /#mnist$/);
    await page.goForward();
    await page.locator('#xor-title').waitFor();
    await page.evaluate(() => (window.location.hash = 'runs'));
    await page.locator('#runs-title').waitFor();
    assert.equal(await byTestId(page, 'lab-runs').getAttribute('aria-current'), 'page');
    assert.deepEqual(errors, []);
  });
});

test('a reload puts the last run back: curves, kernels, answers and the form', async () => {
  await withPage('?backend=cpu', async ({ page, errors }) => {
    await engineReady(page);
    await setForm(page, { ...AT_CHANCE, lr: 0.05, epochs: 3 });
    await byTestId(page, 'train').click();
    await waitPhase(page, ['finished', 'failed']);
    await byTestId(page, 'sweep').waitFor();
    const before = { rows: await epochRows(page), training: await byTestId(page, 'answer-training').textContent() };
    await page.waitForFunction(() => document.querySelector('[data-testid="saved-epochs"]')?.dataset.epochs === '3');
    await page.reload();
    await engineReady(page);
    assert.equal(await byTestId(page, 'lr').inputValue(), '0.05', 'the form as typed');
    assert.equal(await byTestId(page, 'epochs').inputValue(), '3');
    await page.locator('[data-testid="epoch-table"] tbody tr').nth(2).waitFor({ state: 'attached' });
    assert.deepEqual(await epochRows(page), before.rows);
    await byTestId(page, 'kernel-0').waitFor();
    // The model is loaded again (nothing trains: no epoch is added), so the sweep and the demo work.
    await waitPhase(page, ['finished']);
    await byTestId(page, 'sweep').waitFor();
    assert.equal(await byTestId(page, 'answer-training').textContent(), before.training);
    assert.equal((await epochRows(page)).length, 3);
    await byTestId(page, 'probs').locator('.prob').first().waitFor();
    assert.equal(await page.locator('[data-testid="predicted"]').count(), 1, 'the predicted class stands out');
    assert.deepEqual(errors, []);
  });
});

test('keyboard: a skip link to the lab, and focus moves from Train to Stop while training', async () => {
  await withPage('?backend=cpu', async ({ page, errors }) => {
    await engineReady(page);
    await page.keyboard.press('Tab');
    assert.equal(await page.evaluate(() => document.activeElement?.dataset.testid), 'skip-link');
    await page.keyboard.press('Enter');
    assert.equal(await page.evaluate(() => document.activeElement?.dataset.testid), 'train');
    await setForm(page, { ...AT_CHANCE, epochs: 400, 'train-size': 2000 });
    await byTestId(page, 'epochs').press('Enter');
    await waitPhase(page, ['training']);
    await page.waitForFunction(() => document.activeElement?.dataset.testid === 'stop');
    await page.keyboard.press('Enter');
    await waitPhase(page, ['finished', 'failed']);
    assert.deepEqual(errors, []);
  });
});

test('the first screen holds the lab title and Train, and no view scrolls sideways', async () => {
  for (const [width, height] of [[1280, 900], [390, 844]]) {
    await withPage('?backend=cpu', async ({ page, errors }) => {
      // Opened at this size, as a phone opens it: the settings start open only on wide screens.
      await page.setViewportSize({ width, height });
      await page.reload();
      await engineReady(page);
      // Every lab the page lists (the list is LABS), so a new lab is checked too.
      const labs = await page.$$eval('nav.labs li a', (links) => links.map((a) => a.getAttribute('href').slice(1)));
      assert.ok(labs.length >= 9 && labs.includes('perceptron-rule'), labs.join(', '));
      for (const lab of labs) {
        await page.evaluate((l) => (window.location.hash = l), lab);
        await page.waitForFunction((l) => document.querySelector('[aria-current="page"]')?.dataset.testid === `lab-${l}`, lab);
        await page.locator('#lab h2').first().waitFor();
        const wide = await page.evaluate(() => document.documentElement.scrollWidth - window.innerWidth);
        assert.ok(wide <= 0, `${lab} at ${width}px scrolls sideways by ${wide}px`);
        await page.screenshot({ path: `${OUT}student-${lab}-${width}.png` });
      }
      await page.evaluate(() => (window.location.hash = 'synth'));
      const train = await byTestId(page, 'train').boundingBox();
      const title = await page.locator('#synth-title').boundingBox();
      assert.ok(train && train.y + train.height <= height, `Train at ${width}px is below the first screen (${train?.y})`);
      assert.ok(title && title.y >= 0 && title.y < train.y, 'the title above Train');
      assert.deepEqual(errors, []);
    });
  }
});
