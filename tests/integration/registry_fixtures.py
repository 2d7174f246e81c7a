# SPDX-License-Identifier: Apache-2.0
"""A real registry for pull tests: Debian's docker-registry (CNCF
distribution) on 127.0.0.1 with a configuration of its own.

Never the stock /etc/docker/registry/config.yml: it listens on every
interface. Each Registry gets a scratch directory holding its config, its
storage, its log and whatever its options need:

    Registry()                       plain HTTP, anonymous
    Registry(tls=True)               HTTPS with a test CA (reg.ca_file)
    Registry(auth="htpasswd")        basic auth, user reg.username/password
    Registry(auth="token")           bearer tokens from a TokenServer on
                                     loopback (RS256 JWTs signed with the
                                     openssl CLI), which gives anonymous pull
                                     tokens unless anonymous=False

Images are pushed from OCI layouts (tests/tools/mkimage.py) with skopeo.
Everything listens on 127.0.0.1 only, or on `addr`: the address of an
interface the test made (the root side of an AgentHost's veth pair, so that
an agent in its namespace reaches the registry); never on every interface.
stop() kills by PID and removes the scratch directory. The classes raise RuntimeError (no pytest inside) so the
benchmarks use them too; test modules get the fixtures below:

    from registry_fixtures import Registry, registry, mkimage  # noqa: F401
"""
import base64
import http.server
import json
import os
import pathlib
import secrets
import shutil
import socket
import ssl
import subprocess
import sys
import tempfile
import threading
import time
import urllib.error
import urllib.parse
import urllib.request

import pytest

SOURCE_DIR = pathlib.Path(os.environ.get("ECS_SOURCE_DIR", pathlib.Path(__file__).resolve().parents[2]))
TOOLS_DIR = SOURCE_DIR / "tests" / "tools"
MKIMAGE = TOOLS_DIR / "mkimage.py"
PYTHON = "/usr/bin/python3"
REGISTRY_BIN = "/usr/bin/docker-registry"
ACCEPT_MANIFESTS = ", ".join([
    "application/vnd.oci.image.index.v1+json",
    "application/vnd.oci.image.manifest.v1+json",
    "application/vnd.docker.distribution.manifest.list.v2+json",
    "application/vnd.docker.distribution.manifest.v2+json",
])

if str(TOOLS_DIR) not in sys.path:
    sys.path.insert(0, str(TOOLS_DIR))


def layout_of(ref):
    """oci-layout:DIR:TAG (as tests/tools/mkimage.py prints it) -> (DIR, TAG)."""
    rest = ref[len("oci-layout:"):]
    colon = rest.index(":", rest.rindex("/"))
    return rest[:colon], rest[colon + 1:]


def free_port(addr="127.0.0.1"):
    with socket.socket() as s:
        s.bind((addr, 0))
        return s.getsockname()[1]


def _run(*args, input=None, timeout=120):
    proc = subprocess.run([str(a) for a in args], input=input, capture_output=True, timeout=timeout)
    if proc.returncode != 0:
        raise RuntimeError(f"{' '.join(map(str, args))} failed ({proc.returncode}): "
                           f"{proc.stderr.decode(errors='replace')}")
    return proc.stdout


def missing_tools():
    """The tools this module needs that are not installed (tests skip)."""
    return [t for t in (REGISTRY_BIN, "skopeo", "openssl", "htpasswd") if not shutil.which(t)]


def mkimage(outdir, tag, *args):
    """Build an image into the OCI layout `outdir`; returns oci-layout:..."""
    out = _run(PYTHON, MKIMAGE, outdir, "--tag", tag, *args, timeout=300)
    return out.decode().strip()


# ---------------------------------------------------------------- certificates

def make_ca(directory, addr="127.0.0.1"):
    """A test CA and a server certificate for `addr`, 127.0.0.1 and
    localhost, with the openssl CLI. Returns (ca.crt, server.crt, server.key)."""
    d = pathlib.Path(directory)
    ca_key, ca_crt = d / "ca.key", d / "ca.crt"
    key, csr, crt, ext = d / "server.key", d / "server.csr", d / "server.crt", d / "server.ext"
    _run("openssl", "req", "-x509", "-newkey", "rsa:2048", "-nodes", "-sha256", "-days", "2",
         "-keyout", ca_key, "-out", ca_crt, "-subj", "/CN=ecs-agent test CA",
         "-addext", "basicConstraints=critical,CA:TRUE",
         "-addext", "keyUsage=critical,keyCertSign,cRLSign")
    _run("openssl", "req", "-newkey", "rsa:2048", "-nodes", "-sha256", "-keyout", key,
         "-out", csr, "-subj", "/CN=127.0.0.1")
    ips = ",".join(f"IP:{a}" for a in dict.fromkeys([addr, "127.0.0.1"]))
    ext.write_text(f"subjectAltName={ips},DNS:localhost\n"
                   "basicConstraints=critical,CA:FALSE\n"
                   "keyUsage=critical,digitalSignature,keyEncipherment\n"
                   "extendedKeyUsage=serverAuth\n")
    _run("openssl", "x509", "-req", "-in", csr, "-CA", ca_crt, "-CAkey", ca_key,
         "-CAcreateserial", "-sha256", "-days", "2", "-out", crt, "-extfile", ext)
    return ca_crt, crt, key


# ---------------------------------------------------------------- token server

def _b64url(data):
    return base64.urlsafe_b64encode(data).rstrip(b"=").decode()


class TokenServer:
    """The token endpoint of distribution's token auth, on 127.0.0.1: GET
    /token?service=S&scope=repository:NAME:ACTIONS answers {"token": JWT,
    "access_token": JWT}. The JWT is RS256 with the signing certificate in
    its x5c header; the registry trusts that certificate through its
    rootcertbundle. Basic credentials must match when given; without any,
    anonymous=True grants pull (not push), anonymous=False answers 401.
    `fields` are the members of the answer carrying the token (token
    services answer either or both). `requests` lists (scope, user or None)
    per token request."""

    def __init__(self, directory, service, issuer, users, anonymous=True, addr="127.0.0.1",
                 fields=("token", "access_token")):
        self.dir = pathlib.Path(directory)
        self.fields = fields
        self.service, self.issuer, self.users, self.anonymous = service, issuer, users, anonymous
        self.key, self.cert = self.dir / "token.key", self.dir / "token.crt"
        _run("openssl", "req", "-x509", "-newkey", "rsa:2048", "-nodes", "-sha256", "-days", "2",
             "-keyout", self.key, "-out", self.cert, "-subj", "/CN=ecs-agent test token signer")
        der = _run("openssl", "x509", "-in", self.cert, "-outform", "DER")
        self.x5c = base64.b64encode(der).decode()
        self.requests = []
        self.lock = threading.Lock()
        self.addr = addr
        self.port = free_port(addr)
        self.server = http.server.ThreadingHTTPServer((addr, self.port), self._handler())
        self.server.daemon_threads = True
        self.thread = threading.Thread(target=self.server.serve_forever, daemon=True)
        self.thread.start()

    @property
    def realm(self):
        return f"http://{self.addr}:{self.port}/token"

    def sign(self, claims):
        header = {"typ": "JWT", "alg": "RS256", "x5c": [self.x5c]}
        signing_input = f"{_b64url(json.dumps(header).encode())}.{_b64url(json.dumps(claims).encode())}"
        sig = _run("openssl", "dgst", "-sha256", "-sign", self.key, "-binary",
                   input=signing_input.encode())
        return f"{signing_input}.{_b64url(sig)}"

    def token(self, scopes, user):
        access = []
        for scope in scopes:
            parts = scope.split(":")
            if len(parts) != 3 or parts[0] != "repository":
                continue
            wanted = parts[2].split(",")
            allowed = [a for a in wanted if a in (("pull", "push") if user else ("pull",))]
            access.append({"type": "repository", "name": parts[1], "actions": allowed})
        now = int(time.time())
        return self.sign({"iss": self.issuer, "sub": user or "", "aud": self.service,
                          "exp": now + 600, "nbf": now - 10, "iat": now,
                          "jti": secrets.token_hex(8), "access": access})

    def _handler(self):
        ts = self

        class Handler(http.server.BaseHTTPRequestHandler):
            def log_message(self, *args):
                pass

            def _deny(self):
                # The body token services such as Harbor's send.
                body = json.dumps({"errors": [{"code": "UNAUTHORIZED",
                                               "message": "authentication required"}]}).encode()
                self.send_response(401)
                self.send_header("WWW-Authenticate", 'Basic realm="token"')
                self.send_header("Content-Type", "application/json")
                self.send_header("Content-Length", str(len(body)))
                self.end_headers()
                self.wfile.write(body)

            def do_GET(self):
                url = urllib.parse.urlsplit(self.path)
                q = urllib.parse.parse_qs(url.query)
                user = None
                auth = self.headers.get("Authorization", "")
                if auth.startswith("Basic "):
                    try:
                        u, _, p = base64.b64decode(auth[6:]).decode().partition(":")
                    except ValueError:
                        u, p = "", None
                    if ts.users.get(u) != p:
                        with ts.lock:
                            ts.requests.append((q.get("scope", [None])[0], "denied"))
                        return self._deny()
                    user = u
                elif not ts.anonymous:
                    with ts.lock:
                        ts.requests.append((q.get("scope", [None])[0], "denied"))
                    return self._deny()
                scopes = [s for v in q.get("scope", []) for s in v.split(" ")]
                with ts.lock:
                    for s in scopes or [None]:
                        ts.requests.append((s, user))
                tok = ts.token(scopes, user)
                answer = {f: tok for f in ts.fields}
                answer["expires_in"] = 600
                body = json.dumps(answer).encode()
                self.send_response(200)
                self.send_header("Content-Type", "application/json")
                self.send_header("Content-Length", str(len(body)))
                self.end_headers()
                self.wfile.write(body)

        return Handler

    def stop(self):
        self.server.shutdown()
        self.server.server_close()


# ---------------------------------------------------------------- the registry

class Registry:
    def __init__(self, tls=False, auth=None, username="tester", password="s3cret-pass",
                 anonymous=True, workdir=None, addr="127.0.0.1",
                 token_fields=("token", "access_token")):
        if auth not in (None, "htpasswd", "token"):
            raise ValueError(f"auth {auth!r}")
        if addr in ("", "0.0.0.0", "::", "[::]"):
            raise ValueError("the test registry never listens on every interface")
        self.addr = addr
        self.tls, self.auth = tls, auth
        self.username, self.password = username, password
        self.workdir = pathlib.Path(workdir or tempfile.mkdtemp(prefix="ecs-registry."))
        self.storage = self.workdir / "storage"
        self.config = self.workdir / "config.yml"
        self.log = self.workdir / "registry.log"
        self.port = free_port(addr)
        self.proc = None
        self.tokens = None
        self.ca_file = None
        self._token_cache = {}
        self.token_fields = token_fields
        try:
            self._configure(anonymous)
        except BaseException:
            self.stop()
            raise

    @property
    def host(self):
        """host:port, as in image references and insecureRegistries."""
        return f"{self.addr}:{self.port}"

    @property
    def url(self):
        return f"{'https' if self.tls else 'http'}://{self.host}"

    def _configure(self, anonymous):
        self.storage.mkdir(parents=True)
        http = [f"  addr: {self.addr}:{self.port}", f"  secret: {secrets.token_hex(16)}"]
        if self.tls:
            self.ca_file, crt, key = make_ca(self.workdir, self.addr)
            http += ["  tls:", f"    certificate: {crt}", f"    key: {key}"]
        auth = []
        if self.auth == "htpasswd":
            line = _run("htpasswd", "-Bbn", self.username, self.password)
            (self.workdir / "htpasswd").write_bytes(line)
            auth = ["auth:", "  htpasswd:", "    realm: ecs-test-registry",
                    f"    path: {self.workdir / 'htpasswd'}"]
        elif self.auth == "token":
            self.tokens = TokenServer(self.workdir, "ecs-test-registry", "ecs-test-issuer",
                                      {self.username: self.password}, anonymous=anonymous,
                                      addr=self.addr, fields=self.token_fields)
            auth = ["auth:", "  token:", f"    realm: {self.tokens.realm}",
                    "    service: ecs-test-registry", "    issuer: ecs-test-issuer",
                    f"    rootcertbundle: {self.tokens.cert}"]
        lines = ["version: 0.1", "log:", "  level: info", "  accesslog:", "    disabled: false",
                 "storage:", "  filesystem:", f"    rootdirectory: {self.storage}",
                 "  delete:", "    enabled: true", "  maintenance:", "    uploadpurging:",
                 "      enabled: false", "http:", *http, *auth]
        self.config.write_text("\n".join(lines) + "\n")

    def start(self, timeout=15):
        # REGISTRY_* variables override the config file (REGISTRY_HTTP_ADDR...).
        env = {k: v for k, v in os.environ.items() if not k.startswith("REGISTRY_")}
        with open(self.log, "ab") as log:
            self.proc = subprocess.Popen([REGISTRY_BIN, "serve", str(self.config)], stdout=log,
                                         stderr=log, stdin=subprocess.DEVNULL, cwd=self.workdir,
                                         env=env)
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            if self.proc.poll() is not None:
                raise RuntimeError(f"docker-registry exited with {self.proc.returncode}:\n"
                                   f"{self.log.read_text(errors='replace')}")
            try:
                self.request("GET", "/v2/", auth=False)
                return self
            except urllib.error.HTTPError:
                return self          # 401 from an auth registry: it is up
            except (urllib.error.URLError, OSError):
                time.sleep(0.05)
        raise RuntimeError(f"docker-registry did not answer /v2/ within {timeout}s:\n"
                           f"{self.log.read_text(errors='replace')}")

    def stop(self):
        if self.proc and self.proc.poll() is None:
            self.proc.terminate()
            try:
                self.proc.wait(timeout=5)
            except subprocess.TimeoutExpired:
                self.proc.kill()
                self.proc.wait()
        if self.tokens:
            self.tokens.stop()
            self.tokens = None
        shutil.rmtree(self.workdir, ignore_errors=True)

    def __enter__(self):
        return self.start()

    def __exit__(self, *exc):
        self.stop()

    # ---- talking to it ----
    def _ssl(self):
        return ssl.create_default_context(cafile=str(self.ca_file)) if self.tls else None

    def _bearer(self, challenge):
        params = dict(p.split("=", 1) for p in
                      challenge[len("Bearer "):].replace('"', "").split(","))
        key = params.get("scope", "")
        if key not in self._token_cache:
            q = urllib.parse.urlencode({k: v for k, v in params.items() if k != "realm"})
            req = urllib.request.Request(f"{params['realm']}?{q}")
            req.add_header("Authorization", "Basic " + base64.b64encode(
                f"{self.username}:{self.password}".encode()).decode())
            with urllib.request.urlopen(req, timeout=10) as r:
                self._token_cache[key] = json.load(r)["token"]
        return self._token_cache[key]

    def request(self, method, path, headers=None, auth=True, data=None):
        """One request to the registry as the test user: (status, headers,
        body). Raises urllib.error.HTTPError for >= 400."""
        headers = dict(headers or {})
        if auth and self.auth == "htpasswd":
            headers["Authorization"] = "Basic " + base64.b64encode(
                f"{self.username}:{self.password}".encode()).decode()
        for attempt in range(2):
            req = urllib.request.Request(self.url + path, method=method, headers=headers, data=data)
            try:
                with urllib.request.urlopen(req, timeout=10, context=self._ssl()) as r:
                    return r.status, r.headers, r.read()
            except urllib.error.HTTPError as e:
                challenge = e.headers.get("WWW-Authenticate", "")
                if not (auth and attempt == 0 and e.code == 401 and challenge.startswith("Bearer ")):
                    raise
                headers["Authorization"] = "Bearer " + self._bearer(challenge)
        raise AssertionError("unreachable")

    def manifest_digest(self, repo, ref):
        """The registry's Docker-Content-Digest of REPO:REF (tag or digest)."""
        _, h, _ = self.request("HEAD", f"/v2/{repo}/manifests/{ref}", {"Accept": ACCEPT_MANIFESTS})
        return h["Docker-Content-Digest"]

    def manifest(self, repo, ref):
        _, _, body = self.request("GET", f"/v2/{repo}/manifests/{ref}", {"Accept": ACCEPT_MANIFESTS})
        return json.loads(body)

    def put_manifest(self, repo, ref, obj, media_type):
        """PUT a manifest or index (JSON `obj`); returns its digest."""
        body = json.dumps(obj).encode()
        _, h, _ = self.request("PUT", f"/v2/{repo}/manifests/{ref}", {"Content-Type": media_type},
                               data=body)
        return h["Docker-Content-Digest"]

    def push_ref(self, ref, repo_tag):
        """push() of an oci-layout: reference."""
        return self.push(*layout_of(ref), repo_tag)

    def push(self, layout_dir, tag, repo_tag, format=None):
        """skopeo copy oci:LAYOUT:TAG -> this registry's REPO:TAG; returns the
        manifest digest skopeo wrote. format "v2s2" converts to Docker's
        schema 2 media types (what most registries serve)."""
        digest_file = self.workdir / f"digest.{secrets.token_hex(4)}"
        args = ["skopeo", "--insecure-policy", "copy", "-q", "--dest-tls-verify=false",
                "--digestfile", digest_file]
        if format:
            args += ["--format", format]
        if self.auth:
            args += ["--dest-creds", f"{self.username}:{self.password}"]
        # An empty auth file: nothing from ~/.docker or $XDG_RUNTIME_DIR leaks in.
        auth_file = self.workdir / "skopeo-auth.json"
        if not auth_file.exists():
            auth_file.write_text("{}")
        args += ["--authfile", auth_file, f"oci:{layout_dir}:{tag}", f"docker://{self.host}/{repo_tag}"]
        _run(*args, timeout=300)
        digest = digest_file.read_text().strip()
        digest_file.unlink()
        return digest


# ---------------------------------------------------------------- fixtures

@pytest.fixture
def registry_factory():
    """Start registries with any options; all are stopped at the end."""
    if missing_tools():
        pytest.skip(f"not installed: {', '.join(missing_tools())}")
    made = []

    def start(**kw):
        reg = Registry(**kw)
        made.append(reg)
        try:
            return reg.start()
        except RuntimeError as e:
            pytest.fail(str(e))
    yield start
    for reg in made:
        reg.stop()


@pytest.fixture
def registry(registry_factory):
    """A plain-HTTP anonymous registry."""
    return registry_factory()
