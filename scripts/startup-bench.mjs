// Measures the page's start-up in headless chromium, after `make build`:
//   node scripts/startup-bench.mjs [--link KBPS/RTT_MS] [--train [--webgpu [--auto]]] [runs] [fragment, e.g. '#dogs']
// Each run is a fresh browser (cold cache) against dist/ served gzipped, as a static host or
// CDN serves it. --link serves it as over a slow link, e.g. `10000/40` (10 Mbit/s, 40 ms round
// trip) or `1600/150` (slow mobile); without it, loopback speed. The link is the server's
// (scripts/serve.py --throttle): the DevTools protocol's network emulation throttled the
// workers' fetches in some runs and not in others, so it is not used.
// Prints one JSON line per run: first contentful paint, when Train became pressable, when the
// training engine said Ready, every main-thread long task (over 50 ms) until then, and the bytes
// on the wire per file (the workers' fetches included), from the browser's own timings. With
// --train (the Synth lab) it presses Train the moment it is pressable, with the homework's
// settings, and adds when the first training step was taken and when the first epoch's row
// appeared; --webgpu trains on WebGPU (SwiftShader here) instead of the CPU engine, and stops
// at the first step (with --train, also when the Synth lab's later part, its own code, was
// up); --webgpu --auto leaves the backend to Automatic in a browser with WebGPU,
// as a student meets it (a Train pressed while the WebGPU engine downloads trains on the CPU
// stand-in), and waits for the first epoch.
import { serve, open } from '../e2e/lib.mjs';

const argv = process.argv.slice(2);
const at = argv.indexOf('--link');
const link = at >= 0 ? argv.splice(at, 2)[1] : null;
const flag = (name) => (argv.includes(name) ? (argv.splice(argv.indexOf(name), 1), true) : false);
const train = flag('--train');
const webgpu = flag('--webgpu');
const auto = flag('--auto');
const [kbps, rtt] = link ? link.split('/').map(Number) : [];
if (link && !(kbps > 0 && rtt >= 0)) {
  console.error('usage: startup-bench.mjs [--link KBPS/RTT_MS] [runs] [fragment]');
  process.exit(64);
}
const runs = Number(argv[0] ?? 3);
const fragment = argv[1] ?? '';
const server = await serve(undefined, process.env.DIST ?? 'dist', ['--gzip', ...(link ? ['--throttle', link] : [])]);
try {
  for (let i = 0; i < runs; i++) {
    const { page, close } = await open('about:blank', { webgpu });
    try {
      const wire = {};
      page.context().on('requestfinished', async (request) => {
        const sizes = await request.sizes().catch(() => null);
        const name = new URL(request.url()).pathname.split('/').pop() || 'index.html';
        if (sizes) wire[name] = (wire[name] ?? 0) + sizes.responseBodySize + sizes.responseHeadersSize;
      });
      await page.addInitScript(() => {
        window.__longTasks = [];
        new PerformanceObserver((list) => {
          for (const e of list.getEntries()) window.__longTasks.push({ start: Math.round(e.startTime), ms: Math.round(e.duration) });
        }).observe({ type: 'longtask', buffered: true });
        new MutationObserver(() => {
          const train = document.querySelector('[data-testid="train"], [data-testid="mnist-train"], [data-testid="mlp-train"]');
          if (!window.__train && train && !train.disabled) window.__train = performance.now();
          if (!window.__ready && document.querySelector('[data-testid="engine-ready"]')) window.__ready = performance.now();
          // The Synth lab's later part (its own code): the curves' table, the shift demo, the answers.
          if (!window.__whole && document.querySelector('[data-testid="epoch-table"]')) window.__whole = performance.now();
          if (!window.__epoch && document.querySelector('[data-testid="epoch-table"] tbody tr')) window.__epoch = performance.now();
          if (!window.__step && Number(document.querySelector('[data-testid="progress-bar"]')?.getAttribute('value')) > 0) window.__step = performance.now();
        }).observe(document, { subtree: true, childList: true, attributes: true });
      });
      const backend = train && !auto ? `?backend=${webgpu ? 'webgpu' : 'cpu'}` : '';
      await page.goto(server.url + backend + (train ? '#synth' : fragment));
      if (train) {
        await page.waitForFunction(() => window.__train, null, { timeout: 300_000 });
        await page.locator('[data-testid="train"]').click();
        // On WebGPU here the epoch times SwiftShader, a software renderer, not the link: wait
        // for the first training step (the engine downloaded, its kernels compiled) instead.
        await page.waitForFunction((gpu) => (gpu ? window.__step : window.__epoch), webgpu && !auto, { timeout: 600_000 });
      }
      await page.waitForFunction(() => window.__ready, null, { timeout: 300_000 });
      const result = await page.evaluate(() => ({
        fcp_ms: Math.round(performance.getEntriesByName('first-contentful-paint')[0]?.startTime ?? NaN),
        train_pressable_ms: Math.round(window.__train ?? NaN),
        engine_ready_ms: Math.round(window.__ready),
        first_step_ms: window.__step ? Math.round(window.__step) : undefined,
        first_epoch_ms: window.__epoch ? Math.round(window.__epoch) : undefined,
        synth_whole_ms: window.__whole ? Math.round(window.__whole) : undefined,
        backend: document.querySelector('[data-testid="backend-status"]')?.textContent || undefined,
        long_tasks: window.__longTasks,
      }));
      const kb = Object.fromEntries(Object.entries(wire).sort((a, b) => b[1] - a[1]).map(([k, v]) => [k, Math.round(v / 1000)]));
      console.log(JSON.stringify({ run: i + 1, link: link ?? 'loopback', ...result, wire_kb: kb }));
    } finally {
      await close();
    }
  }
} finally {
  server.close();
}
