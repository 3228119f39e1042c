// Loads the training engine in this classic worker, the build engine.js picks. Failures that
// would otherwise vanish inside the worker (a missing or broken wasm file, an uncaught
// rejection) are posted to the page as a protocol message (FromWorker::Crashed), so the page can
// say so and restart.
function crashed(what, error) {
  const detail = error && error.message ? error.message : String(error);
  postMessage(JSON.stringify({ Crashed: { message: what + ": " + detail } }));
}
self.addEventListener("unhandledrejection", (event) => crashed("the training engine failed", event.reason));

try {
  importScripts("./engine.js");
  nnlabEngine()
    .then((name) => {
      // Which build runs here, for the browser tests and anyone debugging.
      self.nnlabEngineName = name;
      importScripts("./" + name + ".js");
      return wasm_bindgen({ module_or_path: "./" + name + "_bg.wasm" });
    })
    .catch((e) => crashed("could not load the training engine", e));
} catch (e) {
  crashed("could not load the training engine", e);
}
