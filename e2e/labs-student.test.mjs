// What a student reads and operates in the DogSet, conv-size and adversarial labs (issue 24):
// the gallery's Previous/Next page, a 4th hard-image mark is refused with the reason, the layer
// table follows the form after a run with the last run's model in a table of its own, Train is
// disabled with the reason beside it, counts are grouped, tables scroll in their own box at
// 390 px, the conv calculator keeps H and W on one line, and the adversarial digit buttons
// have names.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { withPage, byTestId, engineReady } from './lib.mjs';

const cells = (page, id) =>
  page.$$eval(`[data-testid="${id}"] tbody tr`, (rows) => rows.map((r) => [...r.cells].map((c) => c.textContent)));
const tileNames = (page) =>
  page.$$eval('[data-testid="dog-gallery"] .tile span', (spans) => spans.map((s) => s.textContent));
const text = (page, id) => byTestId(page, id).textContent();

async function standIn(page) {
  await engineReady(page);
  await page.waitForSelector('[data-testid="dog-source"][data-source="StandIn"]', { timeout: 120_000 });
  await page.waitForSelector('[data-testid="dog-tile-11"]');
}

test('the gallery pages with Previous and Next, and a 4th mark is refused with the reason', async () => {
  await withPage('?backend=cpu#dogs', async ({ page, errors }) => {
    await standIn(page);
    assert.equal(await text(page, 'dog-counts'), '7,665 train, 2,000 valid, 555 test');
    const next = page.getByRole('button', { name: 'Next', exact: true });
    const previous = page.getByRole('button', { name: 'Previous', exact: true });
    assert.equal(await next.count(), 1, 'one button named exactly "Next"');
    assert.equal(await byTestId(page, 'gallery-next').textContent(), 'Next');
    const [, pages] = (await text(page, 'gallery-page')).match(/^page 1 of (\d+)$/);
    assert.ok(Number(pages) > 1, `${pages} pages`);
    assert.ok(await next.isEnabled(), 'Next is enabled on page 1');
    assert.ok(await previous.isDisabled(), 'Previous is disabled on page 1');

    const first = await tileNames(page);
    await next.click();
    await page.waitForFunction((n) => document.querySelector('[data-testid="gallery-page"]').textContent === `page 2 of ${n}`, pages);
    await page.waitForFunction((before) => {
      const now = [...document.querySelectorAll('[data-testid="dog-gallery"] .tile span')].map((s) => s.textContent);
      return now.length > 0 && now.every((t) => !before.includes(t));
    }, first);
    assert.ok(await previous.isEnabled());
    await previous.click();
    await page.waitForFunction(() => document.querySelector('[data-testid="gallery-page"]').textContent.startsWith('page 1 of'));
    await page.waitForFunction((before) => {
      const now = [...document.querySelectorAll('[data-testid="dog-gallery"] .tile span')].map((s) => s.textContent);
      return JSON.stringify(now) === JSON.stringify(before);
    }, first);

    // Three marks, as the homework asks; a fourth is refused and the page says why.
    for (const k of [0, 1, 2]) await byTestId(page, `dog-tile-${k}`).click();
    assert.match(await text(page, 'dog-picks'), /Marked as hard \(3 of 3\)/);
    assert.equal(await text(page, 'dog-picks-refused'), '');
    await byTestId(page, 'dog-tile-3').click();
    assert.match(await text(page, 'dog-picks-refused'), /^Not marked: the homework asks for 3 hard images and 3 are marked\. Unmark one/);
    assert.ok(await byTestId(page, 'dog-picks-refused').isVisible());
    assert.equal(await byTestId(page, 'dog-tile-3').getAttribute('aria-pressed'), 'false');
    await byTestId(page, 'dog-tile-0').click(); // unmark
    assert.equal(await text(page, 'dog-picks-refused'), '');
    await byTestId(page, 'dog-tile-3').click();
    assert.equal(await byTestId(page, 'dog-tile-3').getAttribute('aria-pressed'), 'true');
    assert.match(await text(page, 'dog-picks'), /Marked as hard \(3 of 3\): .*#/);
    assert.deepEqual(errors, []);
  });
});

test('the layer table follows the form after a run, beside the last run\'s model; impossible settings disable Train with the reason', async () => {
  await withPage('?backend=cpu#dogs', async ({ page, errors }) => {
    await standIn(page);
    assert.equal(await text(page, 'mlp-layers-total'), 'Parameters: 1,581,898 (1,581,696 weights + 202 biases)');
    const mlp = await cells(page, 'mlp-layers');
    assert.deepEqual(mlp.find((r) => r[0] === 'linear1 + relu').slice(1), ['1 x 128', '1,572,864', '128']);
    assert.ok(mlp.every((r) => !/parameters/i.test(r.join(' '))), 'no total in the biases column');
    assert.equal(await text(page, 'cnn-layers-total'), 'Parameters: 68,138 (68,080 weights + 58 biases)');
    assert.equal(await byTestId(page, 'cnn-run-layers').count(), 0, 'no run yet, no run table');

    // A run builds its model: its table appears; stop it at once (only its layers are needed).
    await byTestId(page, 'dog-epochs').fill('1');
    await byTestId(page, 'cnn-train').click();
    await byTestId(page, 'cnn-run-layers').waitFor({ timeout: 120_000 });
    await byTestId(page, 'cnn-stop').click();
    await page.waitForFunction(
      () => !['queued', 'training', 'paused'].includes(document.querySelector('[data-testid="cnn-progress"]')?.dataset.phase),
      null,
      { timeout: 120_000 },
    );
    assert.equal(await text(page, 'cnn-run-layers-total'), 'Parameters: 68,138 (68,080 weights + 58 biases)');

    // Typing changes the form's table at once, never the run's.
    await byTestId(page, 'cnn-k1').fill('3');
    await page.waitForFunction(() => document.querySelector('[data-testid="cnn-layers-total"]')?.textContent.startsWith('Parameters: 67,370'));
    assert.equal(await text(page, 'cnn-layers-total'), 'Parameters: 67,370 (67,312 weights + 58 biases)');
    assert.equal(await text(page, 'cnn-run-layers-total'), 'Parameters: 68,138 (68,080 weights + 58 biases)');
    // A 40x40 first kernel still leaves an image (64 -> 25 -> pooled 12 -> 8 -> 4).
    await byTestId(page, 'cnn-k1').fill('40');
    await page.waitForFunction(() => document.querySelector('[data-testid="cnn-layers-total"]')?.textContent.startsWith('Parameters: 94,778'));
    assert.deepEqual((await cells(page, 'cnn-layers')).find((r) => r[0] === 'flatten')[1], '1 x 512');
    assert.ok(await byTestId(page, 'cnn-train').isEnabled());
    assert.equal(await text(page, 'cnn-form-error'), '');
    // A 40x40 second kernel does not: the 12x12 pooled image is smaller than it.
    await byTestId(page, 'cnn-k2').fill('40');
    await byTestId(page, 'cnn-layers-none').waitFor();
    assert.match(await text(page, 'cnn-layers-none'), /these settings build no network/);
    assert.match(await text(page, 'cnn-form-error'), /^Cannot train: kernels and strides leave no image: convolution block 2/);
    assert.ok(await byTestId(page, 'cnn-train').isDisabled());
    assert.equal(await byTestId(page, 'cnn-train').getAttribute('aria-describedby'), 'cnn-train-reason');
    assert.ok(await byTestId(page, 'mlp-train').isEnabled(), 'the fully connected net has no kernels');
    await byTestId(page, 'cnn-k2').fill('5');
    await byTestId(page, 'cnn-k1').fill('0');
    await page.waitForFunction(() => document.querySelector('[data-testid="cnn-form-error"]')?.textContent.startsWith('Cannot train: kernel size must be'));
    assert.ok(await byTestId(page, 'cnn-train').isDisabled());
    await byTestId(page, 'cnn-k1').fill('5');
    await page.waitForFunction(() => document.querySelector('[data-testid="cnn-form-error"]')?.textContent === '');
    assert.ok(await byTestId(page, 'cnn-train').isEnabled());
    assert.deepEqual(errors, []);
  });
});

/** Elements of a lab (`scope`) wider than the viewport: none may be, outside a scroll box. */
const tooWide = (page, scope) =>
  page.evaluate((scope) => {
    const width = document.documentElement.clientWidth;
    const inScrollBox = (e) => e.closest('.table-scroll') && e !== e.closest('.table-scroll');
    return [...document.querySelectorAll(`${scope}, ${scope} *`)]
      .filter((e) => !inScrollBox(e) && e.getBoundingClientRect().right > width + 1 && e.getClientRects().length > 0)
      .map((e) => `${e.tagName.toLowerCase()}${e.dataset.testid ? `[${e.dataset.testid}]` : ''}${e.className ? '.' + e.className : ''}`);
  }, scope);

test('at 390 px the DogSet lab does not scroll sideways: its tables scroll in their own labelled box', async () => {
  await withPage('?backend=cpu#dogs', async ({ page, errors }) => {
    await page.setViewportSize({ width: 390, height: 844 });
    await standIn(page);
    await page.$$eval('article[aria-labelledby="dogs-title"] details', (ds) => ds.forEach((d) => { d.open = true; }));
    assert.deepEqual(await tooWide(page, 'article[aria-labelledby="dogs-title"]'), []);
    const boxes = await page.$$eval('article[aria-labelledby="dogs-title"] .table-scroll', (bs) => bs.map((b) => ({
      role: b.getAttribute('role'), label: b.getAttribute('aria-label'), tabindex: b.tabIndex,
      scrolls: b.scrollWidth > b.clientWidth, table: !!b.querySelector('table'),
    })));
    assert.ok(boxes.length >= 4, `${boxes.length} boxes`);
    for (const b of boxes) assert.ok(b.role === 'region' && b.label && b.tabindex === 0 && b.table, JSON.stringify(b));
    assert.ok(boxes.some((b) => b.scrolls), 'at least one table is wider than the phone and scrolls in its box');
    assert.deepEqual(errors, []);
  });
});

test('the conv calculator keeps each H and W pair on one line at 1280 and 390 px', async () => {
  await withPage('#conv-size', async ({ page, errors }) => {
    // The lab's panel is built a turn after the page's frame: wait for it to be there.
    await byTestId(page, 'conv-dilation-w').waitFor();
    for (const width of [1280, 390]) {
      await page.setViewportSize({ width, height: 844 });
      for (const axis of ['size', 'padding', 'kernel', 'stride', 'dilation']) {
        // Both boxes in one task: the engine's loading banner may shift the page between two calls.
        const [h, w] = await page.evaluate((axis) => ['h', 'w'].map((k) => {
          const r = document.querySelector(`[data-testid="conv-${axis}-${k}"]`).getBoundingClientRect();
          return { x: r.x, y: r.y };
        }), axis);
        assert.equal(Math.round(h.y), Math.round(w.y), `${axis} at ${width} px`);
        assert.ok(w.x > h.x, `${axis}: W after H at ${width} px`);
      }
      assert.deepEqual(await tooWide(page, 'article[aria-labelledby="conv-title"]'), [], `${width} px`);
    }
    assert.deepEqual(errors, []);
  });
});

test('the adversarial lab\'s digit buttons have names and say which is chosen', async () => {
  await withPage('?backend=cpu#adversarial', async ({ page, errors }) => {
    await engineReady(page);
    await byTestId(page, 'adv-prepare').click();
    await page.waitForSelector('[data-testid="adv-progress"][data-phase="finished"]', { timeout: 300_000 });
    await byTestId(page, 'adv-sample-0').waitFor();
    for (let d = 0; d < 10; d++) {
      assert.equal(await page.getByRole('button', { name: `Attack the test image of a ${d}`, exact: true }).count(), 1, `digit ${d}`);
    }
    await page.getByRole('button', { name: 'Attack the test image of a 3', exact: true }).click();
    assert.equal(await byTestId(page, 'adv-sample-3').getAttribute('aria-pressed'), 'true');
    const pressed = await page.$$eval('[data-testid^="adv-sample-"]', (bs) => bs.filter((b) => b.getAttribute('aria-pressed') === 'true').length);
    assert.equal(pressed, 1);
    assert.deepEqual(errors, []);
  });
});
