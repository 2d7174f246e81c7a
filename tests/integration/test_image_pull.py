# SPDX-License-Identifier: Apache-2.0
"""Registry pulls through the helper `ecs-agent-image request` (docs/images.md):
one JSON request on stdin, one JSON answer on stdout.

The images are built here (tests/tools/mkimage.py) and pushed with skopeo to
docker-registry on 127.0.0.1 (registry_fixtures); faults come from a proxy
in front of it (tests/tools/faultproxy.py) that also counts the requests
per path, so the tests can tell what was fetched and how often. Unpacking
whiteouts (character devices, trusted.* xattrs) and the overlay mount need
root.
"""
import base64
import fcntl
import glob
import io
import json
import os
import pathlib
import re
import shutil
import stat
import subprocess
import tarfile
import tempfile
import time

import pytest

from cp_fixtures import BUILD_DIR
from registry_fixtures import Registry, missing_tools, mkimage, registry_factory  # noqa: F401
from faultproxy import FaultProxy  # noqa: E402 (tests/tools, put on sys.path by registry_fixtures)

HELPER = BUILD_DIR / "agent" / "ecs-agent-image"
REPO = "test"

pytestmark = [
    pytest.mark.skipif(os.geteuid() != 0, reason="needs root: whiteouts are device nodes and "
                       "trusted.* xattrs"),
    pytest.mark.skipif(bool(missing_tools()), reason=f"not installed: {missing_tools()}"),
]


# ---------------------------------------------------------------- fixtures

@pytest.fixture(scope="module")
def layout():
    """One OCI layout with every image the module pushes. app:a and app:b
    share the busybox base and a 1 MiB filler layer; only their top layer
    differs."""
    d = tempfile.mkdtemp(prefix="ecs-pull-images.")
    try:
        mkimage(d, "base:1")
        mkimage(d, "wh:1", "--extra-layers", "whiteout-demo")
        mkimage(d, "app:a", "--size-mb", "1", "--layer", "file:app/id=A")
        mkimage(d, "app:b", "--size-mb", "1", "--layer", "file:app/id=B")
        mkimage(d, "zstd:1", "--compression", "zstd", "--layer", "file:app/id=Z")
        mkimage(d, "baddiff:1", "--layer", "file:app/id=D", "--corrupt-diff-id")
        yield d
    finally:
        shutil.rmtree(d, ignore_errors=True)


def push_all(reg, layout):
    for tag in ("base:1", "wh:1", "app:a", "app:b", "zstd:1", "baddiff:1"):
        reg.push(layout, tag, f"{REPO}/{tag}")
    reg.push(layout, "base:1", f"{REPO}/v2s2:1", format="v2s2")
    reg.push(layout, "base:1", f"{REPO}/base:latest")
    # Multi-platform: the host's platform is app:a, the other one base:1.
    host_arch = {"x86_64": "amd64", "aarch64": "arm64"}.get(os.uname().machine, os.uname().machine)
    other_arch = "arm64" if host_arch != "arm64" else "amd64"
    for kind, fmt, media, child in (
            ("oci", None, "application/vnd.oci.image.index.v1+json",
             "application/vnd.oci.image.manifest.v1+json"),
            ("docker", "v2s2", "application/vnd.docker.distribution.manifest.list.v2+json",
             "application/vnd.docker.distribution.manifest.v2+json")):
        entries = []
        for tag, arch in (("base:1", other_arch), ("app:a", host_arch)):
            pushed = reg.push(layout, tag, f"{REPO}/multi-{kind}:{arch}", format=fmt)
            _, _, body = reg.request("GET", f"/v2/{REPO}/multi-{kind}/manifests/{pushed}",
                                     {"Accept": child})
            platform = {"os": "linux", "architecture": arch}
            if arch == "arm64":
                platform["variant"] = "v8"
            entries.append({"mediaType": child, "digest": pushed, "size": len(body),
                            "platform": platform})
        reg.put_manifest(f"{REPO}/multi-{kind}", "1",
                         {"schemaVersion": 2, "mediaType": media, "manifests": entries}, media)


@pytest.fixture(scope="module")
def reg(layout):
    """The plain-HTTP registry most tests pull from (directly or through a
    proxy)."""
    r = Registry()
    try:
        r.start()
        push_all(r, layout)
        yield r
    finally:
        r.stop()


@pytest.fixture
def proxy(reg):
    p = FaultProxy(reg.url).start()
    yield p
    p.stop()


@pytest.fixture
def store():
    d = pathlib.Path(tempfile.mkdtemp(prefix="ecs-pull-store."))
    yield d
    shutil.rmtree(d, ignore_errors=True)


@pytest.fixture
def new_store():
    """Fresh data directories on demand (a failed pull must not find a
    record from an earlier one)."""
    made = []

    def make():
        made.append(pathlib.Path(tempfile.mkdtemp(prefix="ecs-pull-store.")))
        return made[-1]
    yield make
    for d in made:
        shutil.rmtree(d, ignore_errors=True)


# ---------------------------------------------------------------- helpers

class Answer:
    def __init__(self, proc, elapsed):
        self.rc, self.stderr, self.elapsed = proc.returncode, proc.stderr, elapsed
        self.stdout = proc.stdout
        try:
            self.json = json.loads(proc.stdout)
        except ValueError:
            self.json = None

    @property
    def ok(self):
        return self.rc == 0 and isinstance(self.json, dict) and "error" not in self.json

    @property
    def message(self):
        err = (self.json or {}).get("error") or {}
        return err.get("message", "")

    def __repr__(self):
        return f"rc={self.rc} stdout={self.stdout!r} stderr={self.stderr[-2000:]!r}"


def failed(ans):
    """A well-formed error answer (not a crash or a usage message)."""
    assert ans.rc == 1, ans
    assert isinstance(ans.json, dict) and isinstance(ans.json.get("error"), dict), ans
    assert ans.message, ans
    return True


def request(datadir, reference, **kw):
    """Run one request; kw are members of the request (camelCase)."""
    if not HELPER.exists():
        pytest.fail(f"{HELPER} is not built")
    req = {"op": "resolve", "datadir": str(datadir), "reference": reference, **kw}
    return run_request(req)


def run_request(req, timeout=180):
    t = time.monotonic()
    proc = subprocess.run([str(HELPER), "request"], input=json.dumps(req), capture_output=True,
                          text=True, timeout=timeout)
    return Answer(proc, time.monotonic() - t)


def start_request(datadir, reference, **kw):
    req = {"op": "resolve", "datadir": str(datadir), "reference": reference, **kw}
    proc = subprocess.Popen([str(HELPER), "request"], stdin=subprocess.PIPE,
                            stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
    proc.stdin.write(json.dumps(req))
    proc.stdin.close()
    return proc


def kill_request(proc):
    proc.kill()
    proc.wait()
    proc.stdout.close()
    proc.stderr.close()


def finish_request(proc, timeout=180):
    out = proc.stdout.read()
    err = proc.stderr.read()
    proc.wait(timeout=timeout)
    return Answer(subprocess.CompletedProcess(proc.args, proc.returncode, out, err), 0)


def pull(datadir, host, tag, **kw):
    kw.setdefault("insecureRegistries", [host])
    return request(datadir, f"{host}/{REPO}/{tag}", **kw)


def image_parts(reg, tag):
    """(manifest digest, config, manifest) of REPO/tag in the registry."""
    name, ref = tag.split(":")
    m = reg.manifest(f"{REPO}/{name}", ref)
    _, _, body = reg.request("GET", f"/v2/{REPO}/{name}/blobs/{m['config']['digest']}")
    return reg.manifest_digest(f"{REPO}/{name}", ref), json.loads(body), m


def layer_digests(reg, tag):
    return [layer["digest"] for layer in image_parts(reg, tag)[2]["layers"]]


def assert_no_partials(datadir):
    left = glob.glob(f"{datadir}/blobs/tmp-*") + glob.glob(f"{datadir}/layers/tmp-*") + \
        glob.glob(f"{datadir}/blobs/sha256/*.tmp*") + glob.glob(f"{datadir}/images/*.tmp*")
    assert not left, f"partial files left in the store: {left}"


def assert_layers_of(ans, config, datadir):
    diff_ids = config["rootfs"]["diff_ids"]
    assert len(ans.json["layers"]) == len(diff_ids), ans
    for path, diff_id in zip(ans.json["layers"], diff_ids):
        assert pathlib.Path(path) == datadir / "layers" / "sha256" / diff_id.split(":")[1]
        assert os.path.isdir(path)


# ---------------------------------------------------------------- plain pulls

def test_pull_over_http_reports_the_registry_digest(reg, store):
    digest, config, _ = image_parts(reg, "base:1")
    ans = pull(store, reg.host, "base:1")
    assert ans.ok, ans
    assert ans.json["digest"] == digest
    assert ans.json["pulled"] is True
    assert ans.json["reference"] == f"{reg.host}/{REPO}/base:1"
    assert ans.json["cmd"] == ["sh"]
    assert_layers_of(ans, config, store)
    assert os.access(pathlib.Path(ans.json["layers"][0]) / "bin" / "busybox", os.X_OK)
    records = list((store / "images").glob("*.json"))
    assert len(records) == 1
    record = json.loads(records[0].read_text())
    assert record["manifestDigest"] == digest
    assert record["layers"] == config["rootfs"]["diff_ids"]
    assert_no_partials(store)


def test_second_pull_fetches_no_layer_again(proxy, reg, store):
    first = pull(store, proxy.host, "base:1")
    assert first.ok, first
    (layer,) = layer_digests(reg, "base:1")
    assert proxy.count(f"/blobs/{layer}") == 1
    again = pull(store, proxy.host, "base:1")
    assert again.ok, again
    assert again.json["digest"] == first.json["digest"]
    assert proxy.count(f"/blobs/{layer}") == 1


def test_whiteouts_and_opaque_directories_are_converted_for_overlayfs(reg, store):
    ans = pull(store, reg.host, "wh:1")
    assert ans.ok, ans
    layers = ans.json["layers"]
    assert len(layers) == 3
    added, top = pathlib.Path(layers[1]), pathlib.Path(layers[2])
    assert (added / "demo" / "olddir" / "sub" / "b").read_text() == "b"
    gone = os.lstat(top / "demo" / "gone")
    assert stat.S_ISCHR(gone.st_mode) and os.major(gone.st_rdev) == 0 and os.minor(gone.st_rdev) == 0
    assert os.getxattr(top / "demo" / "olddir", "trusted.overlay.opaque") == b"y"
    assert (top / "demo" / "olddir" / "c").read_text() == "c"
    for layer in layers:
        for dirpath, dirnames, filenames in os.walk(layer):
            names = [n for n in dirnames + filenames if n.startswith(".wh.")]
            assert not names, f"aufs whiteout names left in {dirpath}: {names}"

    # The merged view is what the image means.
    merged = store / "merged"
    merged.mkdir()
    lower = ":".join(reversed(layers))
    subprocess.run(["mount", "-t", "overlay", "overlay", "-o", f"lowerdir={lower}", str(merged)],
                   check=True)
    try:
        found = sorted(str(p.relative_to(merged)) for p in (merged / "demo").rglob("*"))
        assert found == ["demo/keep", "demo/olddir", "demo/olddir/c"]
    finally:
        subprocess.run(["umount", str(merged)], check=True)


def test_image_sharing_the_base_fetches_only_its_own_layers(proxy, reg, store):
    base, filler, top_a = layer_digests(reg, "app:a")
    base_b, filler_b, top_b = layer_digests(reg, "app:b")
    assert (base, filler) == (base_b, filler_b) and top_a != top_b
    a = pull(store, proxy.host, "app:a")
    assert a.ok, a
    b = pull(store, proxy.host, "app:b")
    assert b.ok, b
    for digest in (base, filler, top_a, top_b):
        assert proxy.count(f"/blobs/{digest}") == 1, (digest, proxy.counts)
    assert a.json["layers"][:2] == b.json["layers"][:2]
    assert (pathlib.Path(b.json["layers"][2]) / "app" / "id").read_text() == "B"
    assert_no_partials(store)


def test_tag_and_digest_references(reg, new_store):
    digest, config, _ = image_parts(reg, "app:a")
    for ref in (f"{REPO}/app@{digest}", f"{REPO}/app:a@{digest}", f"{REPO}/app:a"):
        datadir = new_store()
        ans = request(datadir, f"{reg.host}/{ref}", insecureRegistries=[reg.host])
        assert ans.ok, (ref, ans)
        assert ans.json["digest"] == digest, ref
        assert_layers_of(ans, config, datadir)


def test_reference_without_tag_means_latest(reg, store):
    ans = request(store, f"{reg.host}/{REPO}/base", insecureRegistries=[reg.host])
    assert ans.ok, ans
    assert ans.json["digest"] == reg.manifest_digest(f"{REPO}/base", "latest")


def test_bad_reference_names_the_bad_part(reg, store):
    ans = request(store, f"{reg.host}/{REPO}/Base:1", insecureRegistries=[reg.host])
    assert failed(ans)
    assert "Base" in ans.message, ans


def test_unknown_tag_gives_the_registry_message(reg, store):
    ans = pull(store, reg.host, "base:no-such-tag")
    assert failed(ans)
    assert "manifest unknown" in ans.message, ans
    assert not list(store.glob("images/*.json"))


def test_docker_schema2_manifest(reg, store):
    assert reg.manifest(f"{REPO}/v2s2", "1")["mediaType"] == \
        "application/vnd.docker.distribution.manifest.v2+json"
    digest, config, _ = image_parts(reg, "v2s2:1")
    ans = pull(store, reg.host, "v2s2:1")
    assert ans.ok, ans
    assert ans.json["digest"] == digest
    assert_layers_of(ans, config, store)


@pytest.mark.parametrize("kind", ["oci", "docker"])
def test_index_picks_the_host_platform(reg, new_store, kind):
    index_digest = reg.manifest_digest(f"{REPO}/multi-{kind}", "1")
    _, config, _ = image_parts(reg, "app:a")
    for ref in ("1", index_digest):
        datadir = new_store()
        sep = "@" if ref.startswith("sha256:") else ":"
        ans = request(datadir, f"{reg.host}/{REPO}/multi-{kind}{sep}{ref}",
                      insecureRegistries=[reg.host])
        assert ans.ok, ans
        assert_layers_of(ans, config, datadir)
        # What `docker pull` and ECS report for a multi-platform image.
        assert ans.json["digest"] == index_digest, ans


def test_index_without_the_host_platform_is_refused(reg, store):
    child = "application/vnd.oci.image.manifest.v1+json"
    _, h, body = reg.request("GET", f"/v2/{REPO}/base/manifests/1", {"Accept": child})
    media = "application/vnd.oci.image.index.v1+json"
    reg.put_manifest(f"{REPO}/base", "foreign", {
        "schemaVersion": 2, "mediaType": media,
        "manifests": [{"mediaType": child, "digest": h["Docker-Content-Digest"], "size": len(body),
                       "platform": {"os": "windows", "architecture": "amd64"}}]}, media)
    ans = pull(store, reg.host, "base:foreign")
    assert failed(ans)
    assert re.search(r"platform|architecture|linux", ans.message, re.I), ans


def test_zstd_layers(reg, store):
    _, config, manifest = image_parts(reg, "zstd:1")
    assert manifest["layers"][-1]["mediaType"].endswith("+zstd")
    ans = pull(store, reg.host, "zstd:1")
    assert ans.ok, ans
    assert_layers_of(ans, config, store)
    assert (pathlib.Path(ans.json["layers"][-1]) / "app" / "id").read_text() == "Z"


# ---------------------------------------------------------------- TLS

def test_tls_with_the_test_ca(registry_factory, layout, new_store):
    tls = registry_factory(tls=True)
    tls.push(layout, "base:1", f"{REPO}/base:1")
    digest = tls.manifest_digest(f"{REPO}/base", "1")
    ref = f"{tls.host}/{REPO}/base:1"

    ans = request(new_store(), ref, caFile=str(tls.ca_file))
    assert ans.ok, ans
    assert ans.json["digest"] == digest

    ans = request(new_store(), ref)
    assert failed(ans)
    assert re.search(r"certificate|SSL|TLS", ans.message, re.I), ans


def test_plain_http_registry_needs_insecure_registries(reg, store):
    ans = request(store, f"{reg.host}/{REPO}/base:1")
    assert failed(ans)
    assert re.search(r"SSL|TLS|https", ans.message, re.I), ans


# ---------------------------------------------------------------- authentication

@pytest.fixture(scope="module")
def basic_reg(layout):
    """htpasswd basic auth over TLS with the test CA."""
    if missing_tools():
        pytest.skip(f"not installed: {missing_tools()}")
    r = Registry(tls=True, auth="htpasswd")
    try:
        r.start()
        r.push(layout, "base:1", f"{REPO}/base:1")
        yield r
    finally:
        r.stop()


def basic_pull(reg, datadir, **kw):
    return request(datadir, f"{reg.host}/{REPO}/base:1", caFile=str(reg.ca_file), **kw)


def test_basic_auth_with_request_credentials(basic_reg, new_store):
    creds = {"username": basic_reg.username, "password": basic_reg.password}
    ans = basic_pull(basic_reg, new_store(), credentials=creds)
    assert ans.ok, ans
    assert ans.json["digest"] == basic_reg.manifest_digest(f"{REPO}/base", "1")


@pytest.mark.parametrize("key", ["{host}", "https://{host}", "https://{host}/v2/"])
def test_basic_auth_with_engine_auth_docker(basic_reg, new_store, key):
    data = {key.format(host=basic_reg.host): {"username": basic_reg.username,
                                              "password": basic_reg.password,
                                              "email": "tester@example.com"}}
    ans = basic_pull(basic_reg, new_store(), engineAuth={"type": "docker", "data": json.dumps(data)})
    assert ans.ok, ans


def test_basic_auth_with_engine_auth_dockercfg(basic_reg, new_store):
    token = base64.b64encode(f"{basic_reg.username}:{basic_reg.password}".encode()).decode()
    data = {basic_reg.host: {"auth": token, "email": "tester@example.com"}}
    ans = basic_pull(basic_reg, new_store(), engineAuth={"type": "dockercfg", "data": json.dumps(data)})
    assert ans.ok, ans


def test_request_credentials_win_over_engine_auth(basic_reg, new_store):
    wrong = {basic_reg.host: {"username": basic_reg.username, "password": "wrong"}}
    ans = basic_pull(basic_reg, new_store(),
                     engineAuth={"type": "docker", "data": json.dumps(wrong)},
                     credentials={"username": basic_reg.username, "password": basic_reg.password})
    assert ans.ok, ans


def test_basic_auth_without_or_with_wrong_credentials_is_unauthorized(basic_reg, new_store):
    ans = basic_pull(basic_reg, new_store())
    assert failed(ans)
    assert "unauthorized" in ans.message.lower(), ans
    other = {"127.0.0.1:1": {"username": basic_reg.username, "password": basic_reg.password}}
    ans = basic_pull(basic_reg, new_store(), engineAuth={"type": "docker", "data": json.dumps(other)})
    assert "unauthorized" in ans.message.lower(), ans
    ans = basic_pull(basic_reg, new_store(),
                     credentials={"username": basic_reg.username, "password": "wrong"})
    assert failed(ans)
    assert "unauthorized" in ans.message.lower(), ans


def test_bearer_token_flow(registry_factory, layout, new_store):
    reg = registry_factory(auth="token", anonymous=False)
    reg.push(layout, "app:a", f"{REPO}/app:a")
    digest = reg.manifest_digest(f"{REPO}/app", "a")
    scope = f"repository:{REPO}/app:pull"
    before = list(reg.tokens.requests)

    ans = pull(new_store(), reg.host, "app:a",
               credentials={"username": reg.username, "password": reg.password})
    assert ans.ok, ans
    assert ans.json["digest"] == digest
    got = reg.tokens.requests[len(before):]
    # One token for the manifest and all the blobs: cached per realm+scope.
    assert got == [(scope, reg.username)], got

    ans = pull(new_store(), reg.host, "app:a")
    assert failed(ans)
    assert "unauthorized" in ans.message.lower(), ans


@pytest.mark.parametrize("field", ["token", "access_token"])
def test_anonymous_bearer_token(registry_factory, layout, store, field):
    reg = registry_factory(auth="token", anonymous=True, token_fields=(field,))
    reg.push(layout, "base:1", f"{REPO}/base:1")
    before = len(reg.tokens.requests)
    ans = pull(store, reg.host, "base:1")
    assert ans.ok, ans
    assert reg.tokens.requests[before:] == [(f"repository:{REPO}/base:pull", None)]


# ---------------------------------------------------------------- faults

def top_layer(reg, tag):
    digest, config, manifest = image_parts(reg, tag)
    return manifest["layers"][-1]["digest"], config["rootfs"]["diff_ids"][-1]


def assert_layer_absent(datadir, layer_digest, diff_id):
    assert_no_partials(datadir)
    assert not (datadir / "layers" / "sha256" / diff_id.split(":")[1]).exists()
    assert not (datadir / "blobs" / "sha256" / layer_digest.split(":")[1]).exists()
    records = list(datadir.glob("images/*.json"))
    assert not records, records


@pytest.mark.parametrize("action", ["corrupt", "truncate"])
def test_bad_blob_is_retried_then_rejected(proxy, reg, store, action):
    digest, diff_id = top_layer(reg, "app:a")
    proxy.add(f"/blobs/{digest}", action)
    ans = pull(store, proxy.host, "app:a")
    assert failed(ans)
    assert proxy.count(f"/blobs/{digest}") == 3, proxy.counts
    assert_layer_absent(store, digest, diff_id)


@pytest.mark.parametrize("action", ["corrupt", "truncate"])
def test_bad_blob_once_then_good(proxy, reg, store, action):
    digest, diff_id = top_layer(reg, "app:a")
    proxy.add(f"/blobs/{digest}", action, times=1)
    ans = pull(store, proxy.host, "app:a")
    assert ans.ok, ans
    assert proxy.count(f"/blobs/{digest}") == 2
    assert (store / "layers" / "sha256" / diff_id.split(":")[1] / "app" / "id").read_text() == "A"
    assert_no_partials(store)


@pytest.mark.parametrize("by", ["tag", "digest"])
def test_corrupt_manifest_is_rejected(proxy, reg, store, by):
    digest, _, _ = image_parts(reg, "app:a")
    ref = "a" if by == "tag" else digest
    proxy.add(f"/{REPO}/app/manifests/{ref}", "corrupt")
    ans = request(store, f"{proxy.host}/{REPO}/app{':' if by == 'tag' else '@'}{ref}",
                  insecureRegistries=[proxy.host])
    assert failed(ans)
    assert not list(store.glob("images/*.json"))
    assert not list(store.glob("layers/sha256/*"))
    assert_no_partials(store)


def test_corrupt_config_is_rejected(proxy, reg, store):
    _, _, manifest = image_parts(reg, "app:a")
    proxy.add(f"/blobs/{manifest['config']['digest']}", "corrupt")
    ans = pull(store, proxy.host, "app:a")
    assert failed(ans)
    assert not list(store.glob("images/*.json"))
    assert_no_partials(store)


def test_layer_not_matching_its_diff_id_is_rejected(reg, store):
    digest, config, manifest = image_parts(reg, "baddiff:1")
    ans = pull(store, reg.host, "baddiff:1")
    assert failed(ans)
    assert "diff" in ans.message.lower() or "sha256" in ans.message, ans
    bogus = config["rootfs"]["diff_ids"][-1].split(":")[1]
    assert not (store / "layers" / "sha256" / bogus).exists()
    assert not list(store.glob("images/*.json"))
    assert_no_partials(store)


def test_server_errors_then_success(proxy, reg, store):
    digest, _ = top_layer(reg, "app:a")
    proxy.add(f"/{REPO}/app/manifests/a", "status", times=2, methods=("GET", "HEAD"))
    proxy.add(f"/blobs/{digest}", "status", status=503, times=1)
    ans = pull(store, proxy.host, "app:a")
    assert ans.ok, ans
    assert proxy.count(f"/blobs/{digest}") == 2
    assert_no_partials(store)


def test_too_many_requests_honours_retry_after(proxy, reg, store):
    proxy.add(f"/{REPO}/app/manifests/a", "retry-after", times=1, retry_after=2,
              methods=("GET", "HEAD"))
    ans = pull(store, proxy.host, "app:a")
    assert ans.ok, ans
    assert ans.elapsed >= 1.9, ans.elapsed


def test_client_error_is_not_retried(proxy, reg, store):
    digest, diff_id = top_layer(reg, "app:a")
    proxy.add(f"/blobs/{digest}", "status", status=403)
    ans = pull(store, proxy.host, "app:a")
    assert failed(ans)
    assert proxy.count(f"/blobs/{digest}") == 1, proxy.counts
    assert_layer_absent(store, digest, diff_id)


def test_registry_down(proxy, store):
    proxy.down()
    ans = pull(store, proxy.host, "app:a")
    assert failed(ans)
    assert re.search(r"connect|refused", ans.message, re.I), ans


def test_inactivity_timeout(proxy, reg, store):
    digest, diff_id = top_layer(reg, "app:a")
    proxy.add(f"/blobs/{digest}", "delay", delay=5)
    ans = pull(store, proxy.host, "app:a", inactivityTimeoutMs=1000)
    assert failed(ans)
    assert ans.elapsed < 15, ans.elapsed
    assert_layer_absent(store, digest, diff_id)


def test_missing_blob_gives_the_registry_message(registry_factory, layout, store):
    own = registry_factory()
    own.push(layout, "app:a", f"{REPO}/app:a")
    layer = own.manifest(f"{REPO}/app", "a")["layers"][-1]["digest"]
    own.request("DELETE", f"/v2/{REPO}/app/blobs/{layer}")
    ans = pull(store, own.host, "app:a")
    assert failed(ans)
    assert "blob unknown" in ans.message, ans
    assert_no_partials(store)


def test_layer_size_must_match_the_descriptor(registry_factory, layout, new_store):
    own = registry_factory()
    own.push(layout, "app:a", f"{REPO}/app:a")
    media = "application/vnd.oci.image.manifest.v1+json"
    m = own.manifest(f"{REPO}/app", "a")
    m["layers"][1]["size"] -= 1000
    own.put_manifest(f"{REPO}/app", "short", m, media)
    m["layers"][1]["size"] += 2000
    own.put_manifest(f"{REPO}/app", "long", m, media)
    for tag in ("short", "long"):
        datadir = new_store()
        ans = pull(datadir, own.host, f"app:{tag}")
        assert failed(ans)
        assert not list(datadir.glob("images/*.json"))
        assert_no_partials(datadir)


def test_layer_cannot_write_outside_itself(registry_factory, new_store, tmp_path):
    """../ entries and entries through an absolute symlink stay inside the
    layer (or fail the pull); nothing lands outside the store."""
    outside = tmp_path / "outside"
    outside.mkdir()
    tar = tmp_path / "evil.tar"
    with tarfile.open(tar, "w", format=tarfile.PAX_FORMAT) as t:
        def add(name, kind=tarfile.REGTYPE, data=b"x", link=""):
            ti = tarfile.TarInfo(name)
            ti.type, ti.linkname, ti.mode = kind, link, 0o644
            if kind == tarfile.REGTYPE:
                ti.size = len(data)
                t.addfile(ti, io.BytesIO(data))
            else:
                t.addfile(ti)
        add("../../escape-dotdot")
        add("abs", tarfile.SYMTYPE, link=str(outside))
        add("abs/escape-symlink")
        add("rel", tarfile.SYMTYPE, link="../../../../../../../.." + str(outside))
        add("rel/escape-relsymlink")
    layout_dir = tmp_path / "layout"
    mkimage(layout_dir, "evil:1", "--layer-tar", str(tar))
    own = registry_factory()
    own.push(layout_dir, "evil:1", f"{REPO}/evil:1")
    datadir = new_store()
    ans = pull(datadir, own.host, "evil:1")
    assert ans.ok or failed(ans)
    assert not list(outside.iterdir()), list(outside.iterdir())
    escaped = [p for p in datadir.rglob("escape-*")
               if not str(p).startswith(str(datadir / "layers" / "sha256") + "/")]
    assert not escaped, escaped
    assert not list(tmp_path.glob("escape-*")) and not list(datadir.parent.glob("escape-*"))
    assert_no_partials(datadir)


def test_killed_pull_leaves_nothing_and_the_next_pull_succeeds(proxy, reg, store):
    digest, diff_id = top_layer(reg, "app:a")
    filler = layer_digests(reg, "app:a")[1]
    proxy.add(f"/blobs/{filler}", "stall", delay=30, times=1)
    p = start_request(store, f"{proxy.host}/{REPO}/app:a", insecureRegistries=[proxy.host])
    try:
        deadline = time.monotonic() + 20
        while proxy.count(f"/blobs/{filler}") == 0 and time.monotonic() < deadline:
            time.sleep(0.05)
        assert proxy.count(f"/blobs/{filler}") == 1
        time.sleep(0.5)     # the first half is on its way to the disk
    finally:
        kill_request(p)
    ans = pull(store, proxy.host, "app:a")
    assert ans.ok, ans
    assert_no_partials(store)
    assert proxy.count(f"/blobs/{filler}") == 2


def test_pull_waiting_on_a_killed_puller_takes_over(proxy, reg, store):
    filler = layer_digests(reg, "app:a")[1]
    proxy.add(f"/blobs/{filler}", "stall", delay=30, times=1)
    first = start_request(store, f"{proxy.host}/{REPO}/app:a", insecureRegistries=[proxy.host])
    second = None
    try:
        deadline = time.monotonic() + 20
        while proxy.count(f"/blobs/{filler}") == 0 and time.monotonic() < deadline:
            time.sleep(0.05)
        assert proxy.count(f"/blobs/{filler}") == 1
        second = start_request(store, f"{proxy.host}/{REPO}/app:b", insecureRegistries=[proxy.host])
        time.sleep(1.0)     # the second one is waiting for the shared layer
        kill_request(first)
        ans = finish_request(second, timeout=60)
        assert ans.ok, ans
    finally:
        for p in (first, second):
            if p and p.poll() is None:
                kill_request(p)
    assert proxy.count(f"/blobs/{filler}") == 2
    # The dead puller's partial file is swept by the next helper to start
    # (the second one started while its owner was still alive).
    ans = pull(store, proxy.host, "app:a")
    assert ans.ok, ans
    assert_no_partials(store)


def test_whole_pull_timeout(proxy, reg, store):
    digest, diff_id = top_layer(reg, "app:a")
    proxy.add(f"/blobs/{digest}", "delay", delay=6)
    ans = pull(store, proxy.host, "app:a", timeoutMs=1500)
    assert failed(ans)
    assert ans.elapsed < 5, ans.elapsed
    assert_layer_absent(store, digest, diff_id)


def test_redirect_to_another_host_drops_the_credentials(registry_factory, layout, reg, store):
    """Blobs redirected to storage elsewhere (as registries do to S3):
    followed, without sending the registry's credentials there."""
    private = registry_factory(auth="htpasswd")
    private.push(layout, "app:a", f"{REPO}/app:a")
    front = FaultProxy(private.url).start()
    storage = FaultProxy(reg.url).start()   # the anonymous registry has the same blobs
    try:
        front.add("/blobs/", "redirect", location=storage.url)
        ans = pull(store, front.host, "app:a",
                   credentials={"username": private.username, "password": private.password})
        assert ans.ok, ans
        blobs = [(m, p, a) for m, p, a in storage.seen if "/blobs/" in p]
        assert blobs, storage.seen
        assert not any(a for _, _, a in blobs), f"credentials sent to another host: {blobs}"
        assert any(a for _, p, a in front.seen if "/manifests/" in p), front.seen
    finally:
        front.stop()
        storage.stop()


# ---------------------------------------------------------------- pull behaviour

@pytest.mark.parametrize("behavior", ["once", "prefer-cached"])
def test_cached_behaviours_do_not_contact_the_registry(proxy, reg, store, behavior):
    first = pull(store, proxy.host, "app:a", pullBehavior=behavior)
    assert first.ok and first.json["pulled"] is True, first
    proxy.reset_counts()
    again = pull(store, proxy.host, "app:a", pullBehavior=behavior)
    assert again.ok, again
    assert again.json["pulled"] is False
    assert again.json["digest"] == first.json["digest"]
    assert not proxy.counts, proxy.counts


def test_once_without_record_pulls_and_fails_when_down(proxy, store):
    proxy.down()
    ans = pull(store, proxy.host, "app:a", pullBehavior="once")
    assert failed(ans)


def test_default_falls_back_to_the_record_when_the_registry_is_down(proxy, store):
    first = pull(store, proxy.host, "app:a")
    assert first.ok, first
    proxy.down()
    ans = pull(store, proxy.host, "app:a", pullBehavior="default")
    assert ans.ok, ans
    assert ans.json["pulled"] is False
    assert ans.json["digest"] == first.json["digest"]
    assert ans.json["layers"] == first.json["layers"]


def test_always_fails_when_the_registry_is_down(proxy, store):
    first = pull(store, proxy.host, "app:a", pullBehavior="always")
    assert first.ok, first
    proxy.down()
    ans = pull(store, proxy.host, "app:a", pullBehavior="always")
    assert failed(ans)
    assert re.search(r"connect|refused", ans.message, re.I), ans


# ---------------------------------------------------------------- concurrency

@pytest.mark.parametrize("second", ["app:b", "app:a"])
def test_concurrent_pulls_fetch_a_shared_layer_once(proxy, reg, store, second):
    base, filler, top_a = layer_digests(reg, "app:a")
    top_b = layer_digests(reg, second)[2]
    # Slow shared blobs, so that both helpers want them at the same time.
    proxy.add(f"/blobs/{base}", "delay", delay=1.0)
    proxy.add(f"/blobs/{filler}", "delay", delay=1.0)
    procs = [start_request(store, f"{proxy.host}/{REPO}/{tag}", insecureRegistries=[proxy.host])
             for tag in ("app:a", second)]
    answers = [finish_request(p) for p in procs]
    for ans in answers:
        assert ans.ok, ans
    assert answers[0].json["layers"][:2] == answers[1].json["layers"][:2]
    for digest in (base, filler, top_a, top_b):
        assert proxy.count(f"/blobs/{digest}") == 1, (digest, proxy.counts)
    assert_no_partials(store)


def test_waiting_for_another_pull_honours_the_deadline(reg, store):
    """Another helper holds a layer's download lock (and the store lock
    shared, as a pull does, so nothing is swept) and never lets go: the pull
    gives up at its deadline, naming the blob."""
    filler = layer_digests(reg, "app:a")[1]
    (store / "blobs").mkdir(parents=True, exist_ok=True)
    held = []
    try:
        for path, how in ((store / "store.lock", fcntl.LOCK_SH),
                          (store / "blobs" / f"lock-{filler.split(':')[1]}", fcntl.LOCK_EX)):
            fd = os.open(path, os.O_RDWR | os.O_CREAT, 0o600)
            held.append(fd)
            fcntl.flock(fd, how)
        ans = pull(store, reg.host, "app:a", timeoutMs=2000)
    finally:
        for fd in held:
            os.close(fd)
    assert failed(ans)
    assert 1.5 < ans.elapsed < 5, ans.elapsed
    assert f"waiting for another pull of {filler}: pull timed out" in ans.message, ans
