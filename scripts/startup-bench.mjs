// Measures the page's start-up in headless chromium, after `make build`:
//   node scripts/startup-bench.mjs [runs] [fragment, e.g. '#dogs' to open another lab first]
// Prints one JSON line per run: first contentful paint, when the training engine said Ready,
// and every main-thread long task (over 50 ms) until then, from the browser's own timings.
import { serve, open } from '../e2e/lib.mjs';

const runs = Number(process.argv[2] ?? 3);
const fragment = process.argv[3] ?? '';
const server = await serve(undefined, process.env.DIST ?? 'dist');
try {
  for (let i = 0; i < runs; i++) {
    const { page, close } = await open('about:blank');
    try {
      await page.addInitScript(() => {
        window.__longTasks = [];
        new PerformanceObserver((list) => {
          for (const e of list.getEntries()) window.__longTasks.push({ start: Math.round(e.startTime), ms: Math.round(e.duration) });
        }).observe({ type: 'longtask', buffered: true });
        new MutationObserver(() => {
          if (!window.__ready && document.querySelector('[data-testid="engine-ready"]')) window.__ready = performance.now();
        }).observe(document, { subtree: true, childList: true, attributes: true });
      });
      await page.goto(server.url + fragment);
      await page.waitForFunction(() => window.__ready, null, { timeout: 120_000 });
      const result = await page.evaluate(() => ({
        fcp_ms: Math.round(performance.getEntriesByName('first-contentful-paint')[0]?.startTime ?? NaN),
        engine_ready_ms: Math.round(window.__ready),
        long_tasks: window.__longTasks,
      }));
      console.log(JSON.stringify({ run: i + 1, ...result }));
    } finally {
      await close();
    }
  }
} finally {
  server.close();
}
