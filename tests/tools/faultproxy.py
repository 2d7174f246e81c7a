# SPDX-License-Identifier: Apache-2.0
"""A fault-injecting HTTP proxy for registry tests, on 127.0.0.1.

    proxy = FaultProxy("http://127.0.0.1:5000").start()
    proxy.add("/blobs/sha256:" + hexdigest, "corrupt")
    ... pull from proxy.host ...
    proxy.count("/blobs/sha256:" + hexdigest)      # GETs seen for it
    proxy.stop()

It forwards every request to one upstream (plain HTTP, normally a
docker-registry) and relays the answer, except where a rule matches: a
rule is a substring of the request path, an action and how many times it
fires (None: every time), for GET requests unless `methods` says more:

    corrupt       the upstream body with one byte changed (same length)
    truncate      headers with the full Content-Length, half the body, close
    stall         the same, but wait `delay` seconds before closing (a client
                  killed meanwhile leaves its partial download behind)
    status        answer `status` (500 by default) with a small body
    retry-after   answer 429 with `Retry-After: retry_after`
    delay         wait `delay` seconds, then pass through
    redirect      answer 307 with Location: `location` + the request path
                  (as registries do to a storage backend)

down() stops listening (connections are refused), up() listens again on
the same port. Requests are counted per (method, path) whatever happens to
them, and the bytes of bodies sent per path, so tests can assert retries
and that a blob was fetched once; `seen` lists (method, path, whether an
Authorization header came). Standard library only.
"""
import http.client
import http.server
import socket
import sys
import threading
import time
import urllib.parse

HOP_BY_HOP = {"connection", "keep-alive", "transfer-encoding", "te", "trailer", "upgrade",
              "proxy-authorization", "proxy-authenticate"}
ACTIONS = ("corrupt", "truncate", "stall", "status", "retry-after", "delay", "redirect")


class Rule:
    def __init__(self, match, action, times=None, status=500, retry_after=1, delay=1.0,
                 location=None, methods=("GET",)):
        if action not in ACTIONS:
            raise ValueError(f"unknown action {action!r}")
        self.match, self.action, self.times = match, action, times
        self.status, self.retry_after, self.delay = status, retry_after, delay
        self.location = location
        if action == "redirect" and not location:
            raise ValueError("redirect needs a location")
        self.methods = methods
        self.fired = 0

    def take(self, method, path):
        """Whether the rule fires for this request (and count it)."""
        if method not in self.methods or self.match not in path:
            return False
        if self.times is not None and self.fired >= self.times:
            return False
        self.fired += 1
        return True


class _Server(http.server.ThreadingHTTPServer):
    daemon_threads = True
    allow_reuse_address = True

    def handle_error(self, request, client_address):
        # A client that gave up (killed, timed out) is part of the tests.
        if not isinstance(sys.exc_info()[1], ConnectionError):
            super().handle_error(request, client_address)


class FaultProxy:
    def __init__(self, upstream, port=0):
        u = urllib.parse.urlsplit(upstream)
        if u.scheme != "http":
            raise ValueError("the proxy forwards to plain HTTP upstreams only")
        self.upstream = (u.hostname, u.port or 80)
        self.port = port
        self.rules = []
        self.counts = {}
        self.bytes = {}
        self.seen = []
        self.lock = threading.Lock()
        self.server = None
        self.thread = None

    @property
    def host(self):
        return f"127.0.0.1:{self.port}"

    @property
    def url(self):
        return f"http://{self.host}"

    # ---- rules and counters ----
    def add(self, match, action, **kw):
        rule = Rule(match, action, **kw)
        with self.lock:
            self.rules.append(rule)
        return rule

    def clear(self):
        with self.lock:
            self.rules.clear()

    def reset_counts(self):
        with self.lock:
            self.counts.clear()
            self.bytes.clear()
            self.seen.clear()

    def count(self, match, method="GET"):
        """Requests whose path contains `match`."""
        with self.lock:
            return sum(n for (m, p), n in self.counts.items() if m == method and match in p)

    def bytes_sent(self, match=""):
        with self.lock:
            return sum(n for p, n in self.bytes.items() if match in p)

    def _rule_for(self, method, path, authorized):
        with self.lock:
            self.counts[(method, path)] = self.counts.get((method, path), 0) + 1
            self.seen.append((method, path, authorized))
            for rule in self.rules:
                if rule.take(method, path):
                    return rule
        return None

    def _sent(self, path, n):
        with self.lock:
            self.bytes[path] = self.bytes.get(path, 0) + n

    # ---- lifecycle ----
    def start(self):
        self.server = _Server(("127.0.0.1", self.port), self._handler())
        self.port = self.server.server_address[1]
        self.thread = threading.Thread(target=self.server.serve_forever, daemon=True)
        self.thread.start()
        return self

    def down(self):
        """Stop listening: new connections are refused."""
        if self.server:
            self.server.shutdown()
            self.server.server_close()
            self.server = None

    def up(self):
        if not self.server:
            self.start()

    stop = down

    def __enter__(self):
        return self.start()

    def __exit__(self, *exc):
        self.stop()

    # ---- the handler ----
    def _handler(self):
        proxy = self

        class Handler(http.server.BaseHTTPRequestHandler):
            protocol_version = "HTTP/1.1"

            def log_message(self, *args):
                pass

            def _simple(self, status, body=b"", headers=()):
                self.send_response(status)
                for k, v in headers:
                    self.send_header(k, v)
                self.send_header("Content-Type", "application/json")
                self.send_header("Content-Length", str(len(body)))
                self.end_headers()
                if self.command != "HEAD":
                    self.wfile.write(body)

            def _forward(self):
                length = int(self.headers.get("Content-Length") or 0)
                body = self.rfile.read(length) if length else None
                # Repeated headers (clients send one Accept per media type)
                # are joined, which HTTP allows; a dict would keep the last.
                headers = {}
                for k, v in self.headers.items():
                    if k.lower() not in HOP_BY_HOP and k.lower() != "host":
                        headers[k] = f"{headers[k]}, {v}" if k in headers else v
                headers["Host"] = f"{proxy.upstream[0]}:{proxy.upstream[1]}"
                conn = http.client.HTTPConnection(*proxy.upstream, timeout=60)
                conn.request(self.command, self.path, body=body, headers=headers)
                return conn, conn.getresponse()

            def _relay(self, rule):
                try:
                    conn, resp = self._forward()
                except OSError as e:
                    return self._simple(502, f'{{"proxy":"{e}"}}'.encode())
                try:
                    with_body = self.command != "HEAD" and resp.status not in (204, 304)
                    damage = rule and rule.action in ("corrupt", "truncate", "stall")
                    declared = resp.getheader("Content-Length")
                    data = None
                    if with_body and (damage or declared is None):
                        data = resp.read()
                        declared = str(len(data))
                    if data and rule and rule.action == "corrupt":
                        i = len(data) // 2
                        data = data[:i] + bytes([data[i] ^ 0xFF]) + data[i + 1:]
                    self.send_response(resp.status)
                    for k, v in resp.getheaders():
                        if k.lower() not in HOP_BY_HOP and k.lower() != "content-length":
                            self.send_header(k, v)
                    if declared is not None:
                        self.send_header("Content-Length", declared)
                    self.end_headers()
                    if not with_body:
                        return
                    if data and rule and rule.action in ("truncate", "stall"):
                        half = data[:len(data) // 2]
                        self.wfile.write(half)
                        self.wfile.flush()
                        proxy._sent(self.path, len(half))
                        if rule.action == "stall":
                            time.sleep(rule.delay)
                        self.close_connection = True
                        try:
                            self.connection.shutdown(socket.SHUT_RDWR)
                        except OSError:
                            pass        # the client went away first
                        return
                    if data is not None:
                        self.wfile.write(data)
                        proxy._sent(self.path, len(data))
                        return
                    while True:
                        chunk = resp.read(1 << 18)
                        if not chunk:
                            break
                        self.wfile.write(chunk)
                        proxy._sent(self.path, len(chunk))
                finally:
                    conn.close()

            def _handle(self):
                rule = proxy._rule_for(self.command, self.path, "Authorization" in self.headers)
                if rule and rule.action == "status":
                    length = int(self.headers.get("Content-Length") or 0)
                    if length:
                        self.rfile.read(length)
                    return self._simple(rule.status, b'{"errors":[{"code":"UNKNOWN",'
                                        b'"message":"injected by faultproxy"}]}')
                if rule and rule.action == "retry-after":
                    return self._simple(429, b'{"errors":[{"code":"TOOMANYREQUESTS",'
                                        b'"message":"injected by faultproxy"}]}',
                                        [("Retry-After", str(rule.retry_after))])
                if rule and rule.action == "redirect":
                    return self._simple(307, b"", [("Location", rule.location + self.path)])
                if rule and rule.action == "delay":
                    time.sleep(rule.delay)
                self._relay(rule)

            do_GET = do_HEAD = do_POST = do_PUT = do_PATCH = do_DELETE = _handle

        return Handler
