// Nothing is lost: the page open in two tabs, a browser whose storage is full, and records this
// page cannot read.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { serve, open, withPage, byTestId, engineReady, setForm, waitPhase, QUICK, OUT } from './lib.mjs';

/** Pauses the page's Synth run the moment `epochs` epochs are saved in this browser. */
async function pauseWhenSaved(page, epochs) {
  await page.evaluate((epochs) => new Promise((resolve) => {
    const saved = () => Number(document.querySelector('[data-testid="saved-epochs"]')?.dataset.epochs) >= epochs;
    const pause = () => saved() && (document.querySelector('[data-testid="pause"]').click(), resolve(), true);
    if (!pause()) new MutationObserver((_, seen) => pause() && seen.disconnect()).observe(document.body, { subtree: true, childList: true, attributes: true });
  }), epochs);
}

/** The runs list as [{status, epochs, elsewhere}]. */
const runRows = (page) => page.$$eval('[data-testid="run-row"]', (rows) => rows.map((tr) => ({
  status: tr.querySelector('[data-testid="run-status"]').textContent,
  epochs: Number(tr.querySelector('[data-testid="run-epochs"]').textContent),
  elsewhere: tr.dataset.elsewhere === 'true',
})));

const finishedRows = (page, n) => page.waitForFunction(
  (n) => document.querySelectorAll('[data-testid="run-row"][data-status="finished"]').length === n, n, { timeout: 120_000 });

test('two tabs: a run training in one shows as such in the other, both keep both runs, and clearing the cache in one does not break the other', async () => {
  const server = await serve();
  const { browser, page: a, errors } = await open(server.url + '?backend=cpu#synth');
  try {
    await engineReady(a);
    await setForm(a, { lr: 0.2, 'batch-size': 20, epochs: 8, 'train-size': 1000, 'valid-size': 100 });
    await byTestId(a, 'train').click();
    await pauseWhenSaved(a, 2);

    const b = await a.context().newPage();
    b.on('pageerror', (e) => errors.push(String(e)));
    await b.goto(server.url + '?backend=cpu#runs');
    await engineReady(b);
    await b.waitForSelector('[data-testid="run-row"][data-elsewhere="true"]');
    const row = b.locator('[data-testid="run-row"]');
    assert.equal(await row.locator('[data-testid="run-status"]').textContent(), 'training in another tab');
    assert.equal(await row.locator('[data-testid="run-resume"]').count(), 0, 'not resumed a second time');
    assert.ok(await row.locator('[data-testid="run-delete"]').isDisabled(), 'not deleted under the tab that trains it');
    await b.screenshot({ path: OUT + 'two-tabs-elsewhere.png', fullPage: true });
    // The other tab's run is not put on this tab's Synth lab as if it were its own.
    await byTestId(b, 'lab-synth').click();
    assert.equal(await b.locator('[data-testid="epoch-table"] tbody tr').count(), 0);

    // B trains and saves its own run while A's waits, paused.
    await setForm(b, QUICK);
    await byTestId(b, 'train').click();
    await waitPhase(b, ['finished', 'failed']);
    assert.equal(await byTestId(b, 'progress').getAttribute('data-phase'), 'finished');

    // A trains on to the end; B clears the cached datasets while A's MNIST run fetches them.
    await byTestId(a, 'pause').click();
    await waitPhase(a, ['finished', 'failed']);
    assert.equal(await byTestId(a, 'progress').getAttribute('data-phase'), 'finished');
    await byTestId(a, 'lab-mnist').click();
    await setForm(a, { 'mnist-sizes': '100, 200', 'mnist-epochs': 2 });
    await byTestId(a, 'mnist-train').click();
    await byTestId(b, 'lab-mnist').click();
    await byTestId(b, 'clear-cache').click();
    await a.waitForFunction(() => ['finished', 'failed'].includes(document.querySelector('[data-testid="mnist-progress"]')?.dataset.phase), null, { timeout: 180_000 });
    assert.equal(await byTestId(a, 'mnist-progress').getAttribute('data-phase'), 'finished');

    // Each tab lists all four runs, finished, as a third tab opened now does.
    for (const page of [a, b, await a.context().newPage()]) {
      if (page.url() === 'about:blank') await page.goto(server.url + '?backend=cpu#runs');
      else await byTestId(page, 'lab-runs').click();
      await finishedRows(page, 4);
      const rows = await runRows(page);
      assert.deepEqual(rows.map((r) => r.epochs).sort((x, y) => x - y), [2, 2, 3, 8], JSON.stringify(rows));
      assert.ok(rows.every((r) => !r.elsewhere));
    }
    assert.deepEqual(errors, []);
  } finally {
    await browser.close();
    server.close();
  }
});

test('a save refused for a full quota keeps the run, says what to delete, and saves it after a deletion', async () => {
  const server = await serve();
  const { browser, page, errors } = await open(server.url + '?backend=cpu#synth');
  try {
    // The browser's answer to a write over quota, on demand.
    await page.context().addInitScript(() => {
      const put = IDBObjectStore.prototype.put;
      IDBObjectStore.prototype.put = function (...args) {
        if (localStorage.getItem('test-storage-full') === 'yes') throw new DOMException('The quota has been exceeded.', 'QuotaExceededError');
        return put.apply(this, args);
      };
    });
    await page.reload();
    await engineReady(page);
    await setForm(page, QUICK);
    await byTestId(page, 'train').click();
    await waitPhase(page, ['finished']);
    await byTestId(page, 'lab-runs').click();
    await finishedRows(page, 1);
    await page.locator('[data-testid="run-name"]').fill('old run');
    await page.locator('[data-testid="run-name"]').press('Enter');
    // Asked for persistent storage with the first save, and the answer is on screen.
    assert.match(await byTestId(page, 'runs-persist').textContent(), /^This browser (keeps these runs until you delete them|may delete these runs when it runs short of space)/);

    await page.evaluate(() => localStorage.setItem('test-storage-full', 'yes'));
    await byTestId(page, 'lab-synth').click();
    await setForm(page, { ...QUICK, epochs: 2 });
    await byTestId(page, 'train').click();
    await waitPhase(page, ['finished']);
    const banner = byTestId(page, 'storage-error');
    await banner.waitFor();
    assert.match(await banner.textContent(), /storage for nnlab is full, so ".+" could not be saved\. It stays on this page, with every epoch.*Delete runs you no longer need in Saved runs \(the largest: "old run" \d+ KB\)/);
    await byTestId(page, 'lab-runs').click();
    await page.waitForFunction(() => [...document.querySelectorAll('[data-testid="run-status"]')].some((s) => s.textContent === 'finished, not saved (storage full)'));
    await page.screenshot({ path: OUT + 'storage-full.png', fullPage: true });
    // Leaving the page now would lose the run: the browser asks first, and staying keeps it.
    const asked = new Promise((resolve) => page.once('dialog', async (dialog) => {
      resolve(dialog.type());
      await dialog.dismiss();
    }));
    await page.close({ runBeforeUnload: true });
    assert.equal(await asked, 'beforeunload');
    assert.ok(!page.isClosed());

    // Room again: deleting the old run saves the kept one at once.
    await page.evaluate(() => localStorage.removeItem('test-storage-full'));
    await page.locator('[data-testid="run-row"]:has([data-testid="run-name"][value="old run"]) [data-testid="run-delete"]').click();
    await page.waitForFunction(() => {
      const status = [...document.querySelectorAll('[data-testid="run-status"]')].map((s) => s.textContent);
      return status.length === 1 && status[0] === 'finished';
    });
    assert.equal(await banner.count(), 0, 'the warning goes once the run is saved');
    await page.reload();
    await engineReady(page);
    await byTestId(page, 'lab-runs').click();
    await finishedRows(page, 1);
    assert.deepEqual((await runRows(page)).map((r) => r.epochs), [2]);
    assert.deepEqual(errors, []);
  } finally {
    await browser.close();
    server.close();
  }
});

test('a record from a newer nnlab is listed with its name and reason, kept, and deleted only when asked', async () => {
  await withPage('?backend=cpu#runs', async ({ page, errors }) => {
    await engineReady(page);
    // Written as a future nnlab would write it, straight into the page's database.
    await page.evaluate(() => new Promise((resolve, reject) => {
      const req = indexedDB.open('nnlab', 1);
      req.onerror = reject;
      req.onsuccess = () => {
        const tx = req.result.transaction('runs', 'readwrite');
        const json = JSON.stringify([{ format: 99, written_by: 'nnlab 9.0.0', name: 'from the future', key: 'future-1' }]);
        tx.objectStore('runs').put({ key: 'future-1', json });
        tx.oncomplete = () => { req.result.close(); resolve(); };
        tx.onerror = reject;
      };
    }));
    await page.reload();
    await engineReady(page);
    const record = byTestId(page, 'unreadable-record');
    await record.waitFor();
    assert.match(await record.textContent(), /^from the future: it was saved by a newer nnlab \(nnlab 9\.0\.0, format 99\); this page reads formats 1 to 2/);
    await page.screenshot({ path: OUT + 'unreadable.png', fullPage: true });

    page.once('dialog', (d) => d.dismiss());
    await byTestId(page, 'unreadable-delete').click();
    await page.reload();
    await engineReady(page);
    await record.waitFor();

    page.once('dialog', (d) => d.accept());
    await byTestId(page, 'unreadable-delete').click();
    await record.waitFor({ state: 'detached' });
    await page.reload();
    await engineReady(page);
    await page.waitForSelector('[data-testid="runs-table"][data-loaded="true"]');
    assert.equal(await byTestId(page, 'runs-unreadable').count(), 0);
    assert.deepEqual(errors, []);
  });
});

test('a worker that runs out of memory mid-run says so, and the epochs saved so far stay, ready to resume', async () => {
  await withPage('?backend=cpu&test-hooks#synth', async ({ page, errors }) => {
    await engineReady(page);
    await setForm(page, { lr: 0.2, 'batch-size': 20, epochs: 8, 'train-size': 1000, 'valid-size': 100 });
    await byTestId(page, 'train').click();
    await pauseWhenSaved(page, 2);
    // Real allocations until the worker's wasm memory can grow no more (4 GiB at most).
    await byTestId(page, 'exhaust-memory').click();
    await byTestId(page, 'worker-crashed').waitFor({ timeout: 120_000 });
    assert.match(await byTestId(page, 'worker-crashed').textContent(), /The training worker stopped: the training worker ran out of memory \(it asked for 64 MB more with \d+ MB in use\)/);
    await waitPhase(page, ['interrupted']);
    assert.match(await byTestId(page, 'run-error').textContent(), /ran out of memory .*The epochs so far are kept: train on fewer images or a smaller batch/);
    await page.screenshot({ path: OUT + 'out-of-memory.png', fullPage: true });
    await byTestId(page, 'restart-worker').click();
    await engineReady(page);
    await byTestId(page, 'lab-runs').click();
    const row = page.locator('[data-testid="run-row"][data-status="interrupted"]');
    await row.waitFor();
    assert.ok(Number(await row.locator('[data-testid="run-epochs"]').textContent()) >= 2, 'the saved epochs stay');
    await row.locator('[data-testid="run-resume"]').click();
    await waitPhase(page, ['finished', 'failed'], 120_000);
    assert.equal(await byTestId(page, 'progress').getAttribute('data-phase'), 'finished');
    // The only console errors are the allocation failure's.
    assert.ok(errors.every((e) => /unreachable|memory|alloc/i.test(e)), JSON.stringify(errors));
  });
});
