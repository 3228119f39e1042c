// The DogSet lab: a user's own DogSet folder checked in the browser (a generated fixture with
// broken rows), the stand-in explored and the fully connected net trained on it, and the
// CNN's layer table following its settings.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { withPage, byTestId, engineReady, setForm, OUT } from './lib.mjs';
import { dogsetFolder, withHostedDogSet } from './dogset.mjs';


test('a DogSet folder is checked in the browser: counts kept, every refused row named, kept across a reload', async () => {
  const folder = dogsetFolder();
  try {
    await withPage('?backend=cpu#dogs', async ({ page, errors }) => {
      await engineReady(page);
      await page.waitForSelector('[data-testid="dog-source"][data-source="StandIn"]', { timeout: 120_000 });
      await byTestId(page, 'dog-folder').setInputFiles(folder);
      await page.waitForSelector('[data-testid="dog-source"][data-source="Uploaded"]', { timeout: 60_000 });
      assert.equal(await byTestId(page, 'dog-counts').textContent(), '6 train, 3 valid, 3 test');
      assert.equal(await byTestId(page, 'dog-palette').textContent(), 'RGB (colour)');
      assert.equal(await byTestId(page, 'dog-classes').textContent(), '2: beagle, poodle');
      const report = await byTestId(page, 'dog-report').textContent();
      assert.match(report, /kept 6 train, 3 valid and 3 test images/);
      assert.match(report, /1 images were not 64x64 and were resized/);
      assert.match(report, /refused 4 rows:/);
      assert.match(report, /line 14, missing\.png: the image is missing/);
      assert.match(report, /line 15, broken\.png: the image does not decode/);
      assert.match(report, /line 16, odd\.png: numeric_label 1 is `poodle` in most rows/);
      assert.match(report, /line 17, x\.png: partition `holdout`/);
      await page.screenshot({ path: OUT + 'dogs-uploaded.png', fullPage: true });

      // Kept in this browser: a reload loads it without asking again.
      await page.reload();
      await engineReady(page);
      await page.waitForSelector('[data-testid="dog-source"][data-source="Uploaded"]', { timeout: 60_000 });
      assert.equal(await byTestId(page, 'dog-counts').textContent(), '6 train, 3 valid, 3 test');
      await byTestId(page, 'dog-forget').click();
      await page.waitForSelector('[data-testid="dog-source"][data-source="StandIn"]', { timeout: 60_000 });
      assert.deepEqual(errors, []);
    });
  } finally {
    rmSync(join(folder, '..'), { recursive: true, force: true });
  }
});

test('a folder without dogs.csv is refused with a message', async () => {
  const root = mkdtempSync(join(tmpdir(), 'nnlab-notdogs-'));
  writeFileSync(join(root, 'readme.txt'), 'hello');
  try {
    await withPage('?backend=cpu#dogs', async ({ page }) => {
      await engineReady(page);
      await page.waitForSelector('[data-testid="dog-source"]', { timeout: 120_000 });
      await byTestId(page, 'dog-folder').setInputFiles(root);
      await page.waitForSelector('[data-testid="dog-load-error"]', { timeout: 30_000 });
      assert.match(await byTestId(page, 'dog-load-error').textContent(), /no dogs\.csv found/);

      // A set too large for the worker's memory is refused from its dogs.csv alone, before
      // one image is read: 40,000 rows naming images that are not even there.
      let csv = 'filename,numeric_label,semantic_label,partition\n';
      for (let i = 0; i < 40_000; i++) csv += `${i}.png,${i % 2},${i % 2 ? 'poodle' : 'beagle'},train\n`;
      writeFileSync(join(root, 'dogs.csv'), csv);
      await byTestId(page, 'dog-folder').setInputFiles(root);
      await page.waitForFunction(() => /needs about/.test(document.querySelector('[data-testid="dog-load-error"]')?.textContent));
      assert.match(await byTestId(page, 'dog-load-error').textContent(),
        /this DogSet needs about 2344 MB of the training worker's memory \(40000 images at 60 KB each, and 0 MB of files\), more than the 2048 MB a DogSet may take in a browser worker: keep at most 34952 rows in dogs\.csv/);
    });
  } finally {
    rmSync(root, { recursive: true, force: true });
  }
});

test('the stand-in is explored, the fully connected net trains 2 epochs, and the CNN table follows its kernels', async () => {
  await withPage('?backend=cpu#dogs', async ({ page, errors }) => {
    await engineReady(page);
    await page.waitForSelector('[data-testid="dog-source"][data-source="StandIn"]', { timeout: 120_000 });
    assert.equal(await byTestId(page, 'dog-counts').textContent(), '7,665 train, 2,000 valid, 555 test');
    assert.match(await byTestId(page, 'dog-palette').textContent(), /^greyscale/);
    assert.ok(await byTestId(page, 'stand-in-badge').isVisible());
    // The gallery: 12 images a page, arrow keys page through, 3 marks kept (a 4th is refused).
    await page.waitForSelector('[data-testid="dog-tile-11"]');
    await byTestId(page, 'dog-gallery').focus();
    await page.keyboard.press('ArrowRight');
    await page.waitForFunction(() => document.querySelector('[data-testid="gallery-page"]').textContent.startsWith('page 2 of'));
    for (const k of [0, 1, 2, 3]) await byTestId(page, `dog-tile-${k}`).click();
    assert.match(await byTestId(page, 'dog-picks').textContent(), /Marked as hard \(3 of 3\)/);

    // The layer tables: the MLP's counts, then the CNN's after a kernel change.
    const cells = (id) => page.$$eval(`[data-testid="${id}"] tbody tr`, (rows) => rows.map((r) => [...r.cells].map((c) => c.textContent)));
    const mlp = await cells('mlp-layers');
    assert.deepEqual(mlp.at(-1).slice(2), ['640', '10'], 'the logits layer: 64 x 10 weights, 10 biases');
    assert.equal(await byTestId(page, 'mlp-layers-total').textContent(), 'Parameters: 1,581,898 (1,581,696 weights + 202 biases)');
    assert.deepEqual((await cells('cnn-layers')).find((r) => r[0] === 'flatten')[1], '1 x 5,408');
    await byTestId(page, 'cnn-k1').fill('7');
    await page.waitForFunction(() => [...document.querySelectorAll('[data-testid="cnn-layers"] tbody tr')].some((r) => r.cells[1].textContent === '1 x 4,608'));
    await byTestId(page, 'cnn-k2').fill('40');
    await page.waitForFunction(() => document.querySelector('[data-testid="cnn-form-error"]')?.textContent !== '');
    assert.match(await byTestId(page, 'cnn-form-error').textContent(), /leave no image: convolution block 2/);
    assert.ok(await byTestId(page, 'cnn-train').isDisabled());

    await byTestId(page, 'dog-epochs').fill('2');
    await byTestId(page, 'mlp-train').click();
    await page.waitForFunction(
      () => ['finished', 'failed'].includes(document.querySelector('[data-testid="mlp-progress"]')?.dataset.phase),
      null,
      { timeout: 300_000 },
    );
    assert.equal(await byTestId(page, 'mlp-progress').getAttribute('data-phase'), 'finished', await byTestId(page, 'mlp-run-error').textContent().catch(() => ''));
    const rows = await cells('mlp-epochs');
    assert.equal(rows.length, 2);
    for (const r of rows) assert.ok(Number.isFinite(parseFloat(r[3])), `valid loss in ${r}`);
    // Before the next run, its expected duration at the speed just measured.
    assert.match(await byTestId(page, 'mlp-expected').textContent(), /^Expected: at most about .+ of training for 2 epochs of 7,665 images, at the [\d,]+ examples\/s this browser last measured on CPU/);
    const result = await byTestId(page, 'mlp-result').textContent();
    assert.match(result, /Test accuracy \(evaluated once, after training\): \d+\.\d%/);
    // The confusion matrix: every test image counted once, its diagonal the test accuracy.
    const matrix = byTestId(page, 'mlp-confusion');
    assert.equal(await matrix.getAttribute('data-total'), '555');
    const correct = Number(await matrix.getAttribute('data-correct'));
    assert.equal(`${((100 * correct) / 555).toFixed(1)}%`, result.match(/(\d+\.\d%)/)[1]);
    assert.equal(await page.locator('[data-testid="mlp-confusion-chart"] .cell').count(), 100);
    const table = await cells('mlp-confusion-table');
    assert.equal(table.length, 10);
    assert.equal(table.reduce((sum, r) => sum + Number(r[11].replace(',', '')), 0), 555, 'per-class image counts sum to the test set');
    assert.equal(table.reduce((sum, r, i) => sum + Number(r[i + 1]), 0), correct, 'the diagonal');
    assert.match(await byTestId(page, 'mlp-confusion-caption').textContent(), new RegExp(`^Confusion matrix of the MLP on the test set: .* ${correct} of 555 images on the diagonal`));
    // Focusing a cell says its count and share.
    await page.locator('[data-testid="mlp-confusion-chart"] .cell').nth(1).focus();
    assert.match(await byTestId(page, 'mlp-confusion-cell').textContent(), /^true .+, predicted .+: \d+ images?, \d+\.\d% of the true /);
    // Its surest mistakes, pictured: as many as it got wrong, at most 20.
    const wrong = Math.min(20, 555 - correct);
    assert.equal(await page.locator('[data-testid="mlp-confusion-gallery"] figure.mistake').count(), wrong);
    assert.equal((await cells('mlp-confusion-mistakes')).length, wrong);
    // The 3 marked images judged by the trained net: pictured, ranked among 7,665 by loss.
    assert.equal(await page.locator('[data-testid="mlp-picks-images"] figure').count(), 3);
    const ranks = await page.$$eval('[data-testid="mlp-picks-images"] figure', (fs) => fs.map((f) => Number(f.dataset.rank)));
    assert.ok(ranks.every((r) => r >= 1 && r <= 7665), `${ranks}`);
    const picks = await byTestId(page, 'mlp-picks').textContent();
    assert.match(picks, /^The MLP (does not find your marked images|agrees that your marked images|finds \d of your 3 marked images|stayed at about chance on the test set)/);
    assert.equal((picks.match(/ranks [\d,]+ of 7,665 by loss/g) ?? []).length, 3, picks);
    assert.match(await byTestId(page, 'mlp-answer').textContent(), /validation loss was lowest at epoch [12]/);
    assert.equal(await page.locator('[data-testid="dog-compare"] tbody tr').count(), 1);
    assert.equal(await page.locator('[data-testid="dog-gallery"] .tile').count(), 12, 'the gallery survives a run');
    assert.equal(await page.locator('[data-testid="dog-gallery"] .tile.picked').count(), 3);
    await page.screenshot({ path: OUT + 'dogs-trained.png', fullPage: true });
    assert.deepEqual(errors, []);
  });
});

test('a DogSet converted with nnlab data dogs and hosted in data/ is offered and used', async () => {
  await withHostedDogSet(async ({ page, errors }) => {
    await engineReady(page);
    await page.waitForSelector('[data-testid="dog-source"][data-source="Hosted"]', { timeout: 60_000 });
    assert.equal(await byTestId(page, 'dog-counts').textContent(), '6 train, 3 valid, 3 test');
    assert.match(await byTestId(page, 'dog-title').textContent(), /^DogSet: 2 breeds, 64x64 RGB/);
    const options = await page.$$eval('[data-testid="dog-source-choice"] option', (os) => os.map((o) => o.value));
    assert.deepEqual(options, ['Hosted', 'StandIn']);
    assert.deepEqual(errors, []);
  });
});

test('the trained CNN is looked inside for a chosen test image: 16 and 32 maps, a map large with its kernel', async () => {
  await withPage('?backend=cpu#dogs', async ({ page, errors }) => {
    await engineReady(page);
    await page.waitForSelector('[data-testid="dog-source"][data-source="StandIn"]', { timeout: 120_000 });
    // One epoch with strided convolutions: short on two cores, the same blocks of maps.
    await setForm(page, { 'dog-epochs': 1, 'dog-lr': 0.001, 'cnn-k1': 5, 'cnn-s1': 2, 'cnn-k2': 3, 'cnn-s2': 2 });
    await byTestId(page, 'cnn-train').click();
    await page.waitForFunction(() => ['finished', 'failed'].includes(document.querySelector('[data-testid="cnn-progress"]')?.dataset.phase), null, { timeout: 400_000 });
    assert.equal(await byTestId(page, 'cnn-confusion').getAttribute('data-total'), '555');
    await byTestId(page, 'inside-index').fill('7');
    await byTestId(page, 'inside-show').click();
    const inside = byTestId(page, 'cnn-inside');
    await inside.waitFor();
    const blocks = await inside.locator('figure.layer-maps').evaluateAll((fs) => fs.map((f) => [f.dataset.layer, Number(f.dataset.maps)]));
    assert.deepEqual(blocks, [['conv1 + relu', 16], ['maxpool1', 16], ['conv2 + relu', 32], ['maxpool2', 32]]);
    assert.equal(await inside.locator('button.map').count(), 96);
    assert.match(await inside.locator('.inside-head figcaption').textContent(), /^test image 7, a /);
    const probs = await inside.locator('[data-testid="cnn-inside-probs"] .value').allTextContents();
    assert.equal(probs.length, 10);
    assert.ok(Math.abs(probs.reduce((s, p) => s + parseFloat(p), 0) - 100) < 0.5, `${probs}`);
    assert.equal(await inside.locator('[data-testid="cnn-inside-units"] tbody tr').count(), 10);
    // A map of the second block, large, with its kernel's 16 input slices of 3x3.
    await inside.locator('button.map').nth(40).click();
    assert.match(await byTestId(page, 'cnn-inside-chosen').textContent(), /conv2 \+ relu, map 9 \(.*16 slices of 3x3/);
    assert.equal(await byTestId(page, 'cnn-inside-chosen').locator('.kernel-slice').count(), 16);
    await page.screenshot({ path: OUT + 'dogs-inside.png', fullPage: true });
    assert.deepEqual(errors, []);
  });
});
