// nnlab's service worker: keeps the app (page, engine, scripts) for offline use. Datasets are
// not its business: the training worker checks them against their sha256 and keeps them in its
// own cache. `make build` (scripts/postbuild.py) writes the file list and version below.
const VERSION = 'dev';
const FILES = [];
const CACHE = `nnlab-app-${VERSION}`;

importScripts('./engine.js');

// The files to keep: the app, and of the engine builds only the one this browser loads.
async function filesToKeep() {
  const chosen = await nnlabEngine();
  const other = Object.values(NNLAB_ENGINES).filter((name) => name !== chosen);
  return FILES.filter((f) => !other.some((name) => f === `./${name}.js` || f === `./${name}_bg.wasm`));
}

self.addEventListener('install', (event) => {
  // Resolve the list against this script's folder, so any sub-path works.
  event.waitUntil(
    Promise.all([caches.open(CACHE), filesToKeep()])
      .then(([cache, files]) => cache.addAll(files.map((f) => new URL(f, self.registration.scope).href)))
      .then(() => self.skipWaiting()),
  );
});

self.addEventListener('activate', (event) => {
  event.waitUntil(
    caches.keys()
      .then((keys) => Promise.all(keys.filter((k) => k.startsWith('nnlab-app-') && k !== CACHE).map((k) => caches.delete(k))))
      .then(() => self.clients.claim()),
  );
});

// Network first, so an online visit always gets the hosted version; the cache when offline.
self.addEventListener('fetch', (event) => {
  const url = new URL(event.request.url);
  if (event.request.method !== 'GET' || url.origin !== self.location.origin || url.pathname.includes('/data/')) return;
  event.respondWith(
    fetch(event.request)
      .then((response) => {
        if (response.ok) {
          const copy = response.clone();
          caches.open(CACHE).then((c) => c.put(event.request, copy));
        }
        return response;
      })
      .catch(() => caches.match(event.request, { ignoreSearch: true }).then((hit) => hit || Response.error())),
  );
});
