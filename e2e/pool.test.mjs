// The pool of training workers: independent runs train side by side, each with exactly the
// results it has alone; Stop and a crash touch only their own run; the MNIST lab split over
// two workers gives the table it gives on one; the DogSet CNN trained data-parallel over two
// workers gives the losses of one to float rounding.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { withPage, byTestId, engineReady, setForm, setPool, waitPhase, epochRows, watchPool, QUICK } from './lib.mjs';
import { withHostedDogSet } from './dogset.mjs';

const MNIST = { 'mnist-sizes': '100, 200', 'mnist-epochs': 3 };

const mnistPhase = (page) => byTestId(page, 'mnist-progress').getAttribute('data-phase');

async function waitMnist(page, phases) {
  await page.waitForFunction(
    (ps) => ps.includes(document.querySelector('[data-testid="mnist-progress"]')?.dataset.phase),
    phases,
    { timeout: 120_000 },
  );
}

/** The MNIST table without its time column: size, last loss, test accuracy. */
async function mnistTable(page) {
  // The model's columns, picked by their headers: the timing columns differ run to run.
  return page.$eval('[data-testid="mnist-table"]', (table) => {
    const headers = [...table.querySelectorAll('thead th')].map((th) => th.textContent);
    const keep = ['training examples', 'last loss', 'test accuracy (%)'].map((h) => headers.indexOf(h));
    if (keep.includes(-1)) throw new Error(`MNIST table headers changed: ${headers}`);
    return [...table.querySelectorAll('tbody tr')].map((tr) => keep.map((i) => tr.cells[i].textContent));
  });
}

/** The synth run's losses and accuracies, epoch by epoch. */
const synthLosses = async (page) => (await epochRows(page)).map(({ trainLoss, validLoss, validAcc }) => [trainLoss, validLoss, validAcc]);

async function trainMnist(page, fields = MNIST) {
  await byTestId(page, 'lab-mnist').click();
  await setForm(page, fields);
  await byTestId(page, 'mnist-train').click();
}

test('a synth run and the MNIST lab train side by side in two workers, each with the results it has alone', async () => {
  await withPage('?backend=cpu', async ({ page, errors }) => {
    await engineReady(page);
    await setPool(page, 2);
    const peak = await watchPool(page);
    // Together: a synth run, paused the moment it starts so that it holds its worker whatever
    // the machine's speed (a run of a second could end before the next click), then the MNIST
    // lab with one size on the other worker, then the synth run resumed.
    await setForm(page, { ...QUICK, epochs: 6, 'train-size': 2000 });
    await page.evaluate(async () => {
      const button = (id) => document.querySelector(`[data-testid="${id}"]`);
      button('train').click();
      const pause = button('pause');
      await new Promise((resolve) => {
        const live = () => !pause.disabled && (resolve(), true);
        if (!live()) new MutationObserver((_, seen) => live() && seen.disconnect()).observe(pause, { attributes: true });
      });
      pause.click();
    });
    await waitPhase(page, ['paused']);
    await trainMnist(page, { 'mnist-sizes': '200', 'mnist-epochs': 3 });
    await waitMnist(page, ['finished']);
    assert.equal(await peak(/training/), 2, 'both workers held a run at once');
    const mnistTogether = await mnistTable(page);
    await byTestId(page, 'lab-synth').click();
    await byTestId(page, 'pause').click(); // Resume
    await waitPhase(page, ['finished']);
    const synthTogether = await synthLosses(page);
    assert.equal(synthTogether.length, 6);

    // Alone: the same runs one after the other.
    await byTestId(page, 'train').click();
    await waitPhase(page, ['finished']);
    assert.deepEqual(await synthLosses(page), synthTogether, 'the synth run is the same alone');
    await trainMnist(page, { 'mnist-sizes': '200', 'mnist-epochs': 3 });
    await waitMnist(page, ['finished']);
    assert.deepEqual(await mnistTable(page), mnistTogether, 'the MNIST model is the same alone');
    assert.deepEqual(errors, []);
  });
});

test('Stop on one run leaves the other training, and a crashed worker fails only its own run', async () => {
  await withPage('?backend=cpu&test-hooks', async ({ page, errors }) => {
    await engineReady(page);
    await setPool(page, 2);
    await setForm(page, { ...QUICK, epochs: 400, 'train-size': 2000 });
    await byTestId(page, 'train').click();
    await waitPhase(page, ['training']);
    await trainMnist(page, { 'mnist-sizes': '2000', 'mnist-epochs': 100 });
    await waitMnist(page, ['training']);

    // Stop the MNIST lab: the synth run keeps going.
    await byTestId(page, 'mnist-stop').click();
    await waitMnist(page, ['finished']);
    await byTestId(page, 'lab-synth').click();
    const epochs = (await epochRows(page)).length;
    await page.waitForFunction((n) => document.querySelectorAll('[data-testid="epoch-table"] tbody tr').length > n, epochs, { timeout: 60_000 });
    assert.equal(await byTestId(page, 'progress').getAttribute('data-phase'), 'training');

    // The test hook crashes the worker of the newest run: the MNIST lab's, started again.
    await trainMnist(page, { 'mnist-sizes': '2000', 'mnist-epochs': 100 });
    await waitMnist(page, ['training']);
    await byTestId(page, 'lab-synth').click();
    await byTestId(page, 'crash-worker').click();
    await byTestId(page, 'worker-crashed').waitFor();
    assert.match(await byTestId(page, 'worker-crashed').textContent(), /Training worker \d stopped.*Only its runs stopped/);
    assert.equal(await byTestId(page, 'progress').getAttribute('data-phase'), 'training', 'the synth run goes on');
    assert.ok(!(await byTestId(page, 'again').isDisabled()), 'the live worker still takes runs');
    await byTestId(page, 'lab-mnist').click();
    assert.equal(await mnistPhase(page), 'interrupted');

    // Restarted, the worker trains again; the synth run stops when asked.
    await byTestId(page, 'restart-worker').click();
    await page.waitForFunction(() => !document.querySelector('[data-testid="worker-crashed"]'));
    await trainMnist(page, { 'mnist-sizes': '100', 'mnist-epochs': 1 });
    await waitMnist(page, ['finished']);
    await byTestId(page, 'lab-synth').click();
    await byTestId(page, 'stop').click();
    await waitPhase(page, ['finished']);
    assert.ok(errors.every((e) => /crash|unreachable|panicked/i.test(e)), JSON.stringify(errors));
  });
});

test('the MNIST lab gives the same table with a pool of two workers as with one', async () => {
  await withPage('?backend=cpu', async ({ page, errors }) => {
    await engineReady(page);
    await setPool(page, 1);
    await trainMnist(page);
    await waitMnist(page, ['finished']);
    const one = await mnistTable(page);
    assert.equal(one.length, 2);
    await setPool(page, 2);
    const peak = await watchPool(page);
    await trainMnist(page);
    await waitMnist(page, ['finished']);
    assert.equal(await peak(/MNIST/), 2, 'both sizes trained at once, one per worker');
    assert.deepEqual(await mnistTable(page), one);
    assert.deepEqual(errors, []);
  });
});

test('the DogSet CNN trains data-parallel over two workers with the losses of one, to float rounding', async () => {
  // The small hosted DogSet: 6 training images, shares of 3 rows each.
  await withHostedDogSet(async ({ page, errors }) => {
    const epochs = () => page.$$eval('[data-testid="cnn-epochs"] tbody tr', (rows) => rows.map((r) => [...r.cells].slice(1, 5).map((c) => parseFloat(c.textContent))));
    const trainCnn = async () => {
      await byTestId(page, 'cnn-train').click();
      await page.waitForFunction(
        () => ['finished', 'failed', 'interrupted'].includes(document.querySelector('[data-testid="cnn-progress"]')?.dataset.phase),
        null,
        { timeout: 120_000 },
      );
      assert.equal(await byTestId(page, 'cnn-progress').getAttribute('data-phase'), 'finished');
      return epochs();
    };
    await engineReady(page);
    await page.waitForSelector('[data-testid="dog-source"][data-source="Hosted"]', { timeout: 60_000 });
    await setForm(page, { 'dog-epochs': 3, 'dog-lr': 0.01 });
    await setPool(page, 1);
    const one = await trainCnn();
    assert.equal(one.length, 3);
    await setPool(page, 2);
    const peak = await watchPool(page);
    const shared = await trainCnn();
    assert.equal(await peak(/DogSet CNN/), 2, 'both workers held a share of the one run');
    assert.equal(shared.length, 3);
    // Losses and accuracies as printed (4 significant digits): equal up to the last digit.
    for (const [e, row] of one.entries()) {
      for (const [k, value] of row.entries()) {
        assert.ok(Math.abs(shared[e][k] - value) <= 1e-3 * Math.abs(value) + 1e-9, `epoch ${e + 1}: ${shared[e]} vs ${row}`);
      }
    }
    assert.ok(one[2][0] !== one[0][0], 'the model learned something: the losses moved');
    assert.deepEqual(errors, []);
  });
});
