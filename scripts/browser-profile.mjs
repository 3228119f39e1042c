// Profiles the training worker in headless chromium (V8's sampling profiler over the DevTools
// protocol) while a DogSet network trains on the CPU fallback, and prints the functions with the
// most self time. Names need a build that keeps them:
//   trunk build --release --dist /tmp/dist-prof && NNLAB_WASM_NAMES=1 python3 scripts/postbuild.py /tmp/dist-prof
//   DIST=/tmp/dist-prof node scripts/browser-profile.mjs [cnn|mlp] [seconds] [top]
// CALLERS=<part of a function name> also prints who called the functions matching it.
// The profile starts once the first epoch is under way (data loaded) and lasts `seconds`.
import { serve, open, byTestId, engineReady } from '../e2e/lib.mjs';

const net = process.argv[2] ?? 'cnn';
const seconds = Number(process.argv[3] ?? 20);
const top = Number(process.argv[4] ?? 25);
const server = await serve(undefined, process.env.DIST ?? 'dist');
const { page, close } = await open(`${server.url}?backend=cpu#dogs`);

// The worker is reached through the page's session (Target.sendMessageToTarget): playwright
// gives no session of its own for dedicated workers.
const cdp = await page.context().newCDPSession(page);
const workers = [];
const pending = new Map();
let nextId = 1;
cdp.on('Target.attachedToTarget', (e) => e.targetInfo.type === 'worker' && workers.push(e.sessionId));
cdp.on('Target.receivedMessageFromTarget', (e) => {
  const message = JSON.parse(e.message);
  pending.get(message.id)?.(message);
  pending.delete(message.id);
});
const send = (sessionId, method, params = {}) =>
  new Promise((resolve, reject) => {
    const id = nextId++;
    pending.set(id, (m) => (m.error ? reject(new Error(`${method}: ${m.error.message}`)) : resolve(m.result)));
    cdp.send('Target.sendMessageToTarget', { sessionId, message: JSON.stringify({ id, method, params }) });
  });

try {
  await cdp.send('Target.setAutoAttach', { autoAttach: true, waitForDebuggerOnStart: false, flatten: false });
  await engineReady(page);
  await page.waitForSelector('[data-testid="dog-source"]', { timeout: 300_000 });
  if (workers.length !== 1) throw new Error(`expected one training worker, found ${workers.length}`);
  const [worker] = workers;
  await byTestId(page, 'dog-epochs').fill('1');
  await byTestId(page, `${net}-train`).click();
  await page.waitForFunction(
    (id) => document.querySelector(`[data-testid="${id}-progress"]`)?.dataset.phase === 'training',
    net,
    { timeout: 300_000 },
  );
  await send(worker, 'Profiler.enable');
  await send(worker, 'Profiler.setSamplingInterval', { interval: 500 });
  await send(worker, 'Profiler.start');
  await new Promise((resolve) => setTimeout(resolve, seconds * 1000));
  const { profile } = await send(worker, 'Profiler.stop');

  // Self time per function: each sample lands in one node; nodes of one function are summed.
  const hits = new Map();
  let total = 0;
  for (const node of profile.nodes) {
    const name = node.callFrame.functionName || `(anonymous ${node.callFrame.url.split('/').pop()})`;
    hits.set(name, (hits.get(name) ?? 0) + node.hitCount);
    total += node.hitCount;
  }
  const rows = [...hits].sort((a, b) => b[1] - a[1]).slice(0, top);
  console.log(`# ${net}: ${total} samples over ${seconds} s of the worker, self time`);
  for (const [name, count] of rows) console.log(`${((100 * count) / total).toFixed(1).padStart(5)} %  ${name}`);
  if (process.env.CALLERS) {
    const parent = new Map(profile.nodes.flatMap((n) => (n.children ?? []).map((c) => [c, n])));
    const callers = new Map();
    for (const node of profile.nodes.filter((n) => n.callFrame.functionName.includes(process.env.CALLERS))) {
      const name = parent.get(node.id)?.callFrame.functionName ?? '(root)';
      callers.set(name, (callers.get(name) ?? 0) + node.hitCount);
    }
    console.log(`# callers of ${process.env.CALLERS}, by its self time`);
    for (const [name, count] of [...callers].sort((a, b) => b[1] - a[1]).slice(0, top)) {
      console.log(`${((100 * count) / total).toFixed(1).padStart(5)} %  ${name}`);
    }
  }
} finally {
  await close();
  server.close();
}
