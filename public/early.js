// Starts the page's first training worker, and so the engine's download, as soon as the
// page's own wasm has arrived: while the page compiles and builds itself, not after. Not
// sooner: on a slow link the two downloads would share it, and Train would come later with
// the engine no sooner (scripts/startup-bench.mjs --link 1600/150: Train at 6.2 s instead of
// 3.7 s, the engine at 10 s either way). The page adopts this worker as the first of its pool
// (src/web/bridge.rs, `adopt_early_worker`), replaying in order what it posted meanwhile (its
// download progress, Ready). Where the page started its pool first, or the browser has no
// workers, this does nothing and the page starts its own.

// The pack of the lab's code for each lab's slug, in the order of the page's lab list
// (scripts/postbuild.py writes it): the lab the address opens (the first when it names none)
// is fetched at once, beside the page's wasm, not after the page has started; the page's split
// loader (postbuild.py's PACK_RUNTIME) takes this download over.
const NNLAB_PACK_FILES = {};

(function () {
  const slug = decodeURIComponent(location.hash.slice(1).split("?")[0]);
  const file = NNLAB_PACK_FILES[slug] ?? Object.values(NNLAB_PACK_FILES)[0];
  // null: the page's loader has already asked for its parts (this script ran late), and fetches
  // them itself.
  if (file && typeof fetch === "function" && self.nnlabEarlyPack !== null) {
    const bytes = fetch(new URL(file, document.baseURI)).then((r) => {
      if (!r.ok) throw new Error(`${file}: HTTP ${r.status}`);
      return r.arrayBuffer();
    });
    bytes.catch(() => {});
    self.nnlabEarlyPack = { file, bytes };
  }
})();

(function () {
  if (typeof Worker !== "function") return;
  function start() {
    if (self.nnlabPoolStarted || self.nnlabEarlyWorker) return;
    try {
      const worker = new Worker("./worker_loader.js");
      const events = [];
      worker.onmessage = (event) => events.push(event);
      worker.onerror = (event) => {
        event.preventDefault();
        events.push(event);
      };
      self.nnlabEarlyWorker = { worker, events };
    } catch (_) {
      // The page starts its own worker and reports what went wrong.
    }
  }
  try {
    // A resource's timing entry is added when its response has ended.
    new PerformanceObserver((list, observer) => {
      if (list.getEntries().some((e) => /\/app-[^/]*_bg\.wasm$/.test(new URL(e.name).pathname))) {
        observer.disconnect();
        start();
      }
    }).observe({ type: "resource", buffered: true });
  } catch (_) {
    start();
  }
})();
