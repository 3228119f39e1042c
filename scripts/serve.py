#!/usr/bin/env python3
"""Serves a folder over HTTP on 127.0.0.1, optionally under a sub-path, with the MIME types
a WebAssembly app needs. Used by `make serve` and by the browser tests.

  scripts/serve.py --dir dist --port 8080 [--prefix /some/sub/path/] [--log requests.log] [--gzip]
                   [--throttle KBPS/RTT_MS]
Port 0 picks a free port; the chosen URL is printed on the first line of output. --gzip sends
text and wasm gzipped (level 6) to browsers that accept it, as static hosts and CDNs do, so
start-up timings count the bytes a student's browser would download. --throttle serves as over
a slow link: one round trip before each response, and every response's bytes through one
shared link of KBPS kilobits per second (the page's, its workers' and its service worker's
requests alike, which the browser's own network emulation does not reliably cover)."""
import argparse
import functools
import gzip
import http.server
import io
import os
import sys
import threading
import time

parser = argparse.ArgumentParser()
parser.add_argument("--dir", default="dist")
parser.add_argument("--port", type=int, default=8080)
parser.add_argument("--prefix", default="/")
parser.add_argument("--log")
parser.add_argument("--gzip", action="store_true")
parser.add_argument("--throttle")
args = parser.parse_args()


class Link:
    """One slow link shared by every response: bytes leave no faster than its rate."""

    def __init__(self, spec):
        kbps, rtt_ms = (float(x) for x in spec.split("/"))
        self.rate, self.rtt = kbps * 1000 / 8, rtt_ms / 1000
        self.lock = threading.Lock()
        self.free_at = time.monotonic()

    def send(self, n):
        with self.lock:
            self.free_at = max(time.monotonic(), self.free_at) + n / self.rate
            done = self.free_at
        time.sleep(max(0.0, done - time.monotonic()))


link = Link(args.throttle) if args.throttle else None
prefix = "/" + args.prefix.strip("/") + "/" if args.prefix.strip("/") else "/"


class Handler(http.server.SimpleHTTPRequestHandler):
    extensions_map = {
        **http.server.SimpleHTTPRequestHandler.extensions_map,
        ".wasm": "application/wasm",
        ".js": "text/javascript",
        ".json": "application/json",
    }

    COMPRESSIBLE = (".html", ".js", ".css", ".wasm", ".json", ".svg")
    gzipped = {}

    def copyfile(self, source, outputfile):
        if not link:
            return super().copyfile(source, outputfile)
        while chunk := source.read(16 * 1024):
            link.send(len(chunk))
            outputfile.write(chunk)

    def send_head(self):
        if link:
            time.sleep(link.rtt)
        path = self.translate_path(self.path.split("?", 1)[0].split("#", 1)[0])
        if os.path.isdir(path):
            if not self.path.split("?", 1)[0].endswith("/"):
                return super().send_head()  # the redirect to the folder's address
            path = os.path.join(path, "index.html")
        wants = "gzip" in self.headers.get("Accept-Encoding", "")
        if not (args.gzip and wants and path.endswith(self.COMPRESSIBLE) and os.path.isfile(path)):
            return super().send_head()
        key = (path, os.stat(path).st_mtime_ns)
        if key not in self.gzipped:
            with open(path, "rb") as f:
                self.gzipped[key] = gzip.compress(f.read(), 6)
        body = self.gzipped[key]
        self.send_response(200)
        self.send_header("Content-Type", self.guess_type(path))
        self.send_header("Content-Encoding", "gzip")
        self.send_header("Content-Length", str(len(body)))
        self.send_header("Vary", "Accept-Encoding")
        self.end_headers()
        return io.BytesIO(body)

    def translate_path(self, path):
        if not path.startswith(prefix):
            return "/nonexistent-outside-prefix"
        return super().translate_path("/" + path[len(prefix):])

    def end_headers(self):
        self.send_header("Cache-Control", "no-cache")
        super().end_headers()

    def log_message(self, fmt, *a):
        if args.log:
            with open(args.log, "a") as f:
                f.write("%s\n" % (fmt % a))


class Server(http.server.ThreadingHTTPServer):
    def handle_error(self, request, client_address):
        # A browser that closes a connection mid-transfer (a test ending, a tab closed) is normal.
        if not isinstance(sys.exc_info()[1], (ConnectionResetError, BrokenPipeError)):
            super().handle_error(request, client_address)


server = Server(("127.0.0.1", args.port), functools.partial(Handler, directory=args.dir))
print(f"nnlab is served at http://127.0.0.1:{server.server_address[1]}{prefix}", flush=True)
try:
    server.serve_forever()
except KeyboardInterrupt:
    sys.exit(0)
