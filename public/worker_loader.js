// Loads the training engine in this classic worker, the build engine.js picks. Failures that
// would otherwise vanish inside the worker (a missing or broken wasm file, an uncaught
// rejection) are posted to the page as a protocol message (FromWorker::Crashed), so the page can
// say so and restart.
function crashed(what, error) {
  const detail = error && error.message ? error.message : String(error);
  postMessage(JSON.stringify({ Crashed: { message: what + ": " + detail } }));
}
self.addEventListener("unhandledrejection", (event) => crashed("the training engine failed", event.reason));

// The CPU engine's size in the unit of `packed`'s totals, beside a WebGPU engine's progress: the
// page starts a CPU stand-in when that would train a run sooner (src/session/routing.rs).
function cpuEngineBytes(name, packed) {
  if (name !== NNLAB_ENGINES.webgpu) return undefined;
  const cpu = NNLAB_ENGINE_BYTES[nnlabHasRelaxedSimd() ? NNLAB_ENGINES.cpuRelaxed : NNLAB_ENGINES.cpu];
  return cpu ? cpu[packed ? 1 : 0] : undefined;
}

// When the engine's fetch began, for the download's rate.
let fetchStarted = Date.now();

function postProgress(loaded, total, name, packed) {
  const elapsed_ms = Date.now() - fetchStarted;
  postMessage(JSON.stringify({ EngineProgress: { loaded, total, elapsed_ms, cpu_engine: cpuEngineBytes(name, packed) } }));
}

// The response with its body counted as it streams in (compilation still streams), each step
// posted to the page as FromWorker::EngineProgress, in bytes on the wire: the body's own length
// unless the host compressed it, else its share of the gzipped size postbuild measured.
function counted(response, name) {
  if (!response.ok || !response.body) return response;
  const [raw, gzipped] = NNLAB_ENGINE_BYTES[name] || [0, 0];
  const length = Number(response.headers.get("Content-Length")) || 0;
  const packed = (response.headers.get("Content-Encoding") || "identity") !== "identity";
  const total = packed ? gzipped : length || raw;
  if (!total) return response;
  let loaded = 0;
  let posted = 0;
  const post = (done) => {
    const wire = Math.min(total, Math.round(packed ? (loaded / raw) * total : loaded));
    postProgress(done ? total : wire, total, name, packed);
  };
  post(false);
  const counter = new TransformStream({
    transform(chunk, controller) {
      loaded += chunk.byteLength;
      const now = Date.now();
      if (now - posted > 100) {
        posted = now;
        post(false);
      }
      controller.enqueue(chunk);
    },
    flush() {
      post(true);
    },
  });
  return new Response(response.body.pipeThrough(counter), { status: response.status, headers: { "Content-Type": "application/wasm" } });
}

// `?engine=cpu`: the page's CPU stand-in, which trains while the WebGPU engine downloads.
function pickEngine() {
  if (new URLSearchParams(self.location.search).get("engine") === "cpu") {
    return Promise.resolve(nnlabHasRelaxedSimd() ? NNLAB_ENGINES.cpuRelaxed : NNLAB_ENGINES.cpu);
  }
  return nnlabEngine();
}

try {
  importScripts("./engine.js");
  pickEngine()
    .then((name) => {
      // Which build runs here, for the browser tests and anyone debugging.
      self.nnlabEngineName = name;
      // Its size before the first byte (as most hosts send it, gzipped): the page knows what
      // is coming while the response is still on its way.
      const gzipped = (NNLAB_ENGINE_BYTES[name] || [0, 0])[1];
      if (gzipped) postProgress(0, gzipped, name, true);
      importScripts("./" + name + ".js");
      fetchStarted = Date.now();
      return fetch("./" + name + "_bg.wasm").then((response) => wasm_bindgen({ module_or_path: counted(response, name) }));
    })
    .catch((e) => crashed("could not load the training engine", e));
} catch (e) {
  crashed("could not load the training engine", e);
}
