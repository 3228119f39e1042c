// The report a student hands in: trained briefly in the page, exported from Saved runs, read
// as text (settings in words, the homework's sections, the charts and answers), then printed
// to PDF on A4 and Letter with every chart on one page and within its width.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync, writeFileSync } from 'node:fs';
import { withPage, byTestId, engineReady, setForm, waitPhase, QUICK, OUT } from './lib.mjs';

/** Page sizes with the report's @page margins (14 mm top and bottom, 12 mm left and right),
 * in CSS pixels (96 per inch). */
const MM = 96 / 25.4;
const FORMATS = {
  A4: { width: (210 - 24) * MM, height: (297 - 28) * MM },
  Letter: { width: (215.9 - 24) * MM, height: (279.4 - 28) * MM },
};

async function exportReport(page) {
  await byTestId(page, 'lab-runs').click();
  await page.locator('[data-testid="run-row"]').first().waitFor();
  const [download] = await Promise.all([page.waitForEvent('download'), byTestId(page, 'runs-export-html').click()]);
  return readFileSync(await download.path(), 'utf8');
}

/** Every heading of the report's sections, in order. */
const sections = (html) => [...html.matchAll(/<h2>Section ([^<]+)<\/h2>/g)].map((m) => m[1]);

/** Text of the answer that follows the quoted question `q`. */
function answerTo(html, q) {
  const at = html.indexOf(`“${q}`);
  assert.ok(at >= 0, `question ${q} in the report`);
  return html.slice(at).match(/<p class="answer">([^<]*)<\/p>/)[1];
}

function assertNoRawSettings(html) {
  for (const raw of ['"Cnn"', 'convs', 'StandIn', 'stop_thr', 'batch_size', '{&quot;']) {
    assert.ok(!html.includes(raw), `raw config ${raw} in the report`);
  }
  assert.doesNotMatch(html, /<script/);
}

/** Opens the report in `context`, checks its print layout for each page size, prints it to
 * PDF and returns the page counts. */
async function printReport(context, html, name) {
  const page = await context.newPage();
  await page.setContent(html);
  await page.emulateMedia({ media: 'print' });
  const pages = {};
  for (const [format, size] of Object.entries(FORMATS)) {
    await page.setViewportSize({ width: Math.floor(size.width), height: Math.floor(size.height) });
    const layout = await page.evaluate(() => ({
      charts: [...document.querySelectorAll('svg.chart')].map((svg) => {
        const box = svg.getBoundingClientRect();
        const figure = svg.closest('figure');
        return { label: svg.getAttribute('aria-label'), width: box.width, height: box.height, avoid: figure && getComputedStyle(figure).breakInside };
      }),
      pageWidth: document.documentElement.scrollWidth,
      headings: [...document.querySelectorAll('h2, h3, .question')].map((h) => getComputedStyle(h).breakAfter),
    }));
    assert.ok(layout.charts.length > 0);
    for (const c of layout.charts) {
      assert.equal(c.avoid, 'avoid', `${c.label}: its figure is never split across pages`);
      assert.ok(c.width <= size.width + 0.5, `${c.label} (${c.width} px wide) fits the ${format} page's width`);
      assert.ok(c.height > 100 && c.height <= size.height, `${c.label} (${c.height} px high) fits on one ${format} page`);
    }
    assert.ok(layout.pageWidth <= Math.ceil(size.width), `nothing wider than the ${format} page (${layout.pageWidth})`);
    assert.ok(layout.headings.every((b) => b === 'avoid'), 'titles stay with what follows them');
    const pdf = await page.pdf({ format, path: `${OUT}${name}-${format}.pdf` });
    // Each page object of Chromium's PDF has its own "/Type /Page" entry ("/Pages" is the tree).
    pages[format] = pdf.toString('latin1').match(/\/Type\s*\/Page(?!s)/g).length;
  }
  await page.close();
  return pages;
}

test('a Synth and an MNIST run export as a report with settings in words, their charts and answers, and print on A4 and Letter', async () => {
  await withPage('?backend=cpu#synth', async ({ page, errors }) => {
    await engineReady(page);
    await setForm(page, QUICK);
    await byTestId(page, 'train').click();
    await waitPhase(page, ['finished', 'failed']);
    await byTestId(page, 'lab-mnist').click();
    // Largest first is how the lab sends them: the report still lists 100, 200, 300. Ten epochs
    // at the homework's learning rate leave chance (two do not), so the accuracy answer compares.
    await setForm(page, { 'mnist-sizes': '100, 200, 300', 'mnist-epochs': 10 });
    await byTestId(page, 'mnist-train').click();
    await page.waitForFunction(() => document.querySelector('[data-testid="mnist-progress"]')?.dataset.phase === 'finished', null, { timeout: 180_000 });
    // Every model written to this browser before the report reads them.
    await byTestId(page, 'lab-runs').click();
    await page.waitForFunction(() => document.querySelectorAll('[data-testid="run-row"][data-status="finished"]').length === 4, null, { timeout: 60_000 });

    const html = await exportReport(page);
    writeFileSync(OUT + 'report-synth-mnist.html', html);
    assert.deepEqual(sections(html), ['1. MNIST: training time and accuracy against training-set size', '6. Synthetic images and shift invariance']);
    assertNoRawSettings(html);
    assert.match(html, /<th scope="row">Learning rate \(SGD\)<\/th><td>0\.2<\/td>/);
    assert.match(html, /<th scope="row">Training-set sizes<\/th><td>100, 200, 300<\/td>/);
    assert.match(html, /<th scope="row">Network<\/th><td>conv 5x5, stride 1 \(1 → 2 channels\) → ReLU/);
    // The scaling run as one: time vs N with its fit, accuracy vs N, a loss curve per size.
    assert.equal((html.match(/<article class="run scaling">/g) ?? []).length, 1);
    const time = html.match(/aria-label="Training time vs training-set size".*?<\/svg>/s)[0];
    assert.equal((time.match(/data-series="measured"/g) ?? []).length, 1);
    assert.equal(time.split('data-series="measured"')[1].split('</g>')[0].match(/<circle/g).length, 3);
    assert.match(time, /data-series="least-squares fit: t = [-\d.e]+ N [+−] [\d.]+"/);
    assert.match(html, /Least-squares fit: t = [-\d.e]+ s × N [+−] [\d.]+ s; extrapolated to N = 60,000: about /);
    assert.match(html, /aria-label="Test accuracy vs training-set size"/);
    const curves = [...html.match(/aria-label="Training loss per epoch, one model per size".*?<\/svg>/s)[0].matchAll(/data-series="([^"]+)"/g)].map((m) => m[1]);
    assert.deepEqual(curves, ['N = 100', 'N = 200', 'N = 300']);
    assert.match(
      answerTo(html, 'How does time grow with N'),
      /least-squares line is t = .*(For all 60,000 examples|The line does not rise with N, so it predicts nothing for all 60,000 examples)/,
    );
    assert.match(answerTo(html, 'How does accuracy change with N?'), /Test accuracy goes from \d+\.\d% with 100 examples to \d+\.\d% with 300/);
    assert.doesNotMatch(html, /No epoch with a validation loss/);
    assert.match(html, /10 epochs, trained all epochs, training took [\d.]+ (ms|s); test accuracy \d+\.\d% \(test loss [\d.]+\)/);
    // The Synth run: its curves with legends, kernels and each answer under its question.
    assert.match(html, /aria-label="[^"]+: loss per epoch \(cross-entropy\)"/);
    assert.match(html, /<g class="legend">.*?training.*?validation/s);
    assert.equal((html.match(/class="heatmap"/g) ?? []).length, 2, 'the two first-layer kernels');
    assert.match(answerTo(html, 'What did training do?'), /^Over 3 epochs the training loss/);
    assert.match(answerTo(html, 'Plot the two first-layer kernels'), /^Kernel 1 /);
    assert.match(answerTo(html, 'Say what is common within a class'), /horizontal images hold one/);

    const pages = await printReport(page.context(), html, 'report-synth-mnist');
    for (const [format, n] of Object.entries(pages)) assert.ok(n >= 2 && n <= 12, `${n} ${format} pages`);
    assert.deepEqual(errors, []);
  });
});

test('the DogSet networks export with their layer tables, the CNN kernels and the comparison, and print whole', async () => {
  await withPage('?backend=cpu#dogs', async ({ page, errors }) => {
    await engineReady(page);
    await page.waitForSelector('[data-testid="dog-source"][data-source="StandIn"]', { timeout: 120_000 });
    // One epoch each; the CNN with strided convolutions so its epoch is short on two cores.
    await setForm(page, { 'dog-epochs': 1, 'dog-lr': 0.001, 'cnn-k1': 5, 'cnn-s1': 2, 'cnn-k2': 3, 'cnn-s2': 2 });
    for (const net of ['mlp', 'cnn']) {
      await byTestId(page, `${net}-train`).click();
      await page.waitForFunction((net) => ['finished', 'failed'].includes(document.querySelector(`[data-testid="${net}-progress"]`)?.dataset.phase), net, { timeout: 400_000 });
      assert.equal(await byTestId(page, `${net}-progress`).getAttribute('data-phase'), 'finished');
    }
    await byTestId(page, 'lab-runs').click();
    await page.waitForFunction(() => document.querySelectorAll('[data-testid="run-row"][data-status="finished"]').length === 2, null, { timeout: 60_000 });

    const html = await exportReport(page);
    writeFileSync(OUT + 'report-dogs.html', html);
    assert.deepEqual(sections(html), ['3. DogSet: fully connected network with early stopping', '5. DogSet: convolutional network']);
    assertNoRawSettings(html);
    assert.match(html, /<th scope="row">Conv 1 stride<\/th><td>2<\/td>/);
    assert.match(html, /<th scope="row">Data<\/th><td>the stand-in: Fashion-MNIST pictures in DogSet's shape/);
    assert.match(html, /<td>total<\/td><td><\/td><td>1,581,696<\/td><td>202<\/td><td>1,581,898<\/td>/);
    assert.equal((html.match(/class="pixels"/g) ?? []).length, 16, 'the CNN first layer\'s 16 kernels');
    const compare = html.match(/<table class="compare[^"]*">.*?<\/table>/s)[0];
    assert.equal((compare.match(/<tr><td>/g) ?? []).length, 2);
    assert.match(answerTo(html, 'Compare with the fully connected net.'), /test accuracy against the .*\. The convolutional net has [\d,]+ parameters/);
    // The curves explained, or (a run at chance) said to show nothing yet.
    assert.match(answerTo(html, 'Describe the interaction'), /^(Over 1 epochs? the training loss|The network did not learn: after 1 epoch )/);

    const pages = await printReport(page.context(), html, 'report-dogs');
    for (const [format, n] of Object.entries(pages)) assert.ok(n >= 2 && n <= 12, `${n} ${format} pages`);
    assert.deepEqual(errors, []);
  });
});
