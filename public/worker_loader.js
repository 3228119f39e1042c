// Loads the training engine in this classic worker. Failures that would otherwise vanish
// inside the worker (a missing or broken wasm file, an uncaught rejection) are posted to the
// page as a protocol message (FromWorker::Crashed), so the page can say so and restart.
function crashed(what, error) {
  const detail = error && error.message ? error.message : String(error);
  postMessage(JSON.stringify({ Crashed: { message: what + ": " + detail } }));
}
self.addEventListener("unhandledrejection", (event) => crashed("the training engine failed", event.reason));
try {
  importScripts("./worker.js");
  wasm_bindgen({ module_or_path: "./worker_bg.wasm" }).catch((e) => crashed("could not load the training engine", e));
} catch (e) {
  crashed("could not load the training engine", e);
}
