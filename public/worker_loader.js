// Loads the training engine in this classic worker. Failures that would otherwise vanish
// inside the worker (a missing or broken wasm file, an uncaught rejection) are posted to the
// page as a protocol message (FromWorker::Crashed), so the page can say so and restart.
function crashed(what, error) {
  const detail = error && error.message ? error.message : String(error);
  postMessage(JSON.stringify({ Crashed: { message: what + ": " + detail } }));
}
self.addEventListener("unhandledrejection", (event) => crashed("the training engine failed", event.reason));
let loaded = null;
try {
  importScripts("./worker.js");
  loaded = wasm_bindgen;
} catch (e) {
  crashed("could not load the training engine", e);
}
// The page compiles the engine once for all its workers and hands it over as the first
// message, {module}; where it could not ({module: null}) this worker fetches and compiles it
// itself. The engine then installs its own message handler and posts Ready.
self.onmessage = (event) => {
  self.onmessage = null;
  const module = event.data && event.data.module;
  if (loaded) {
    loaded({ module_or_path: module || "./worker_bg.wasm" }).catch((e) => crashed("could not load the training engine", e));
  }
};
