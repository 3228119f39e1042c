// A new student's walk through every lab: trains each briefly on the CPU fallback, the way a
// student would (the homework's defaults where they finish in seconds, shortened runs where
// they take minutes), reloads, and saves a screenshot of every view at 1280x900 and 390x844
// for review. Run after `make build`:
//   node scripts/student-walkthrough.mjs [out-folder]   (default: e2e/out/walkthrough/)
// Look at every picture it writes before calling a view done.
import { mkdirSync } from 'node:fs';
import { serve, open, byTestId, engineReady } from '../e2e/lib.mjs';

const out = (process.argv[2] ?? 'e2e/out/walkthrough').replace(/\/?$/, '/');
mkdirSync(out, { recursive: true });
const SIZES = [[1280, 900], [390, 844]];
const server = await serve('/course/nnlab/');
const { page, close } = await open(server.url + '?backend=cpu#synth');
const phase = (id, phases, timeout = 900_000) =>
  page.waitForFunction(
    ([i, ps]) => ps.includes(document.querySelector(`[data-testid="${i}"]`)?.dataset.phase),
    [id, phases],
    { timeout },
  );
const fill = async (fields) => {
  for (const [id, value] of Object.entries(fields)) await byTestId(page, id).fill(String(value));
};
// Both sizes of the view on screen: the first screen and the whole page.
const shoot = async (name) => {
  for (const [width, height] of SIZES) {
    await page.setViewportSize({ width, height });
    await page.screenshot({ path: `${out}${name}-${width}.png` });
    await page.screenshot({ path: `${out}${name}-${width}-full.png`, fullPage: true });
  }
  await page.setViewportSize({ width: 1280, height: 900 });
};
const go = async (lab) => {
  await byTestId(page, `lab-${lab}`).click();
  await page.locator('#lab h2').first().waitFor();
};

try {
  await engineReady(page);
  await shoot('00-first-open');

  // Synth: the homework's settings on a tenth of the images (at chance, as at full size),
  // then the offered learning rate.
  await fill({ epochs: 5, 'train-size': 1000 });
  await byTestId(page, 'train').click();
  await phase('progress', ['finished', 'failed']);
  await byTestId(page, 'sweep').waitFor();
  await shoot('01-synth-at-chance');
  await fill({ epochs: 20, 'train-size': 10000 });
  await byTestId(page, 'retrain-lr').click();
  await phase('progress', ['training']);
  await phase('progress', ['finished', 'failed']);
  await byTestId(page, 'sweep').waitFor();
  await shoot('02-synth-learned');

  await go('mnist');
  await fill({ 'mnist-epochs': 10 });
  await byTestId(page, 'mnist-train').click();
  await phase('mnist-progress', ['finished', 'failed']);
  await shoot('03-mnist');

  await go('dogs');
  await page.waitForSelector('[data-testid="dog-source"]', { timeout: 300_000 });
  await page.waitForSelector('[data-testid="dog-tile-11"]');
  await shoot('04-dogs-explore');
  await byTestId(page, 'dog-epochs').fill('3');
  await byTestId(page, 'mlp-train').click();
  await phase('mlp-progress', ['finished', 'failed']);
  await byTestId(page, 'dog-epochs').fill('1');
  await byTestId(page, 'cnn-train').click();
  await phase('cnn-progress', ['finished', 'failed']);
  await shoot('05-dogs-trained');

  await go('conv-size');
  await shoot('06-conv-size');
  await go('perceptrons');
  await shoot('07-perceptrons');
  await go('linear-xor');
  await byTestId(page, 'xor-train').click();
  await page.waitForSelector('[data-testid="xor-status"][data-phase="finished"]', { timeout: 120_000 });
  await shoot('08-xor');
  await go('adversarial');
  await byTestId(page, 'adv-prepare').click();
  await phase('adv-progress', ['finished', 'failed'], 300_000);
  await shoot('09-adversarial');
  await go('runs');
  await shoot('10-saved-runs');

  // A reload: every lab comes back as it was.
  await page.reload();
  await engineReady(page);
  for (const [lab, name] of [['synth', '11-reload-synth'], ['mnist', '12-reload-mnist'], ['dogs', '13-reload-dogs'], ['linear-xor', '14-reload-xor']]) {
    await go(lab);
    await shoot(name);
  }
  console.log(`walkthrough: screenshots in ${out}`);
} finally {
  await close();
  server.close();
}
