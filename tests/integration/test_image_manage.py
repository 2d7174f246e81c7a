# SPDX-License-Identifier: Apache-2.0
"""ecs-agent-image load, ls, rm and gc against a temporary data directory.

Images come from tests/tools/mkimage.py; the OCI archive is its layout
directory tarred, the `docker save` archive is assembled here with tarfile
in Docker's classic format (<id>/layer.tar, <hex>.json, manifest.json).
Unpacking layers needs root (owners, whiteout devices), as CI has.
"""
import hashlib
import io
import json
import os
import pathlib
import shutil
import subprocess
import tarfile
import tempfile
import time

import pytest

from conftest import BUILD_DIR, SOURCE_DIR

PYTHON = "/usr/bin/python3"
MKIMAGE = SOURCE_DIR / "tests" / "tools" / "mkimage.py"
HELPER = BUILD_DIR / "agent" / "ecs-agent-image"
REF_NAME = "org.opencontainers.image.ref.name"
TOP_FILE = {"1.0": "one", "2.0": "two", "3.0": "three"}

pytestmark = pytest.mark.skipif(os.geteuid() != 0, reason="unpacking layers needs root")


def sha256(data):
    return hashlib.sha256(data).hexdigest()


def run(*args, check_rc=None):
    if not HELPER.exists():
        pytest.fail(f"{HELPER} is not built")
    proc = subprocess.run([str(HELPER), *map(str, args)], capture_output=True, text=True,
                          timeout=120)
    if check_rc is not None:
        assert proc.returncode == check_rc, (proc.stdout, proc.stderr)
    return proc


def mkimage(layout, tag, *args):
    proc = subprocess.run([PYTHON, str(MKIMAGE), str(layout), "--tag", tag, *args],
                          capture_output=True, text=True, timeout=120)
    assert proc.returncode == 0, proc.stderr


def tar_dir(src, dest):
    with tarfile.open(dest, "w") as t:
        for p in sorted(pathlib.Path(src).rglob("*")):
            t.add(p, arcname=str(p.relative_to(src)), recursive=False)


def add_bytes(t, name, data):
    info = tarfile.TarInfo(name)
    info.size = len(data)
    info.mode = 0o644
    t.addfile(info, io.BytesIO(data))


class Layout:
    """An OCI layout read back: for each tag its manifest, config and
    layer blobs."""

    def __init__(self, path):
        self.path = pathlib.Path(path)
        self.index = json.loads((self.path / "index.json").read_text())

    def blob(self, digest):
        return (self.path / "blobs" / "sha256" / digest.split(":", 1)[1]).read_bytes()

    def image(self, tag):
        desc = next(d for d in self.index["manifests"] if d["annotations"][REF_NAME] == tag)
        manifest = json.loads(self.blob(desc["digest"]))
        config = json.loads(self.blob(manifest["config"]["digest"]))
        return desc["digest"], manifest, config


@pytest.fixture(scope="module")
def work():
    d = pathlib.Path(tempfile.mkdtemp(prefix="ecs-image-manage."))
    try:
        plain = d / "plain"  # uncompressed layers: what docker save holds
        for tag, extra in (("app:1.0", "file:one.txt=1"), ("app:2.0", "file:two.txt=2"),
                           ("app:3.0", "file:three.txt=3")):
            mkimage(d / "layout", tag, "--layer", extra)
            mkimage(plain, tag, "--layer", extra, "--compression", "none")
        tar_dir(d / "layout", d / "oci.tar")
        yield d
    finally:
        shutil.rmtree(d, ignore_errors=True)


@pytest.fixture
def datadir():
    d = pathlib.Path(tempfile.mkdtemp(prefix="ecs-image-store."))
    try:
        yield d
    finally:
        shutil.rmtree(d, ignore_errors=True)


def record_file(datadir, name):
    return datadir / "images" / (sha256(name.encode()) + ".json")


def records(datadir):
    out = {}
    for p in (datadir / "images").glob("*.json"):
        r = json.loads(p.read_text())
        out[r["name"]] = r
    return out


def store_hexes(datadir, sub):
    d = datadir / sub / "sha256"
    return {p.name for p in d.iterdir()} if d.exists() else set()


def docker_save(work, dest, entries, tamper=None):
    """entries: (layout tag, [RepoTags]) from the uncompressed layout."""
    layout = Layout(work / "plain")
    manifest = []
    with tarfile.open(dest, "w") as t:
        written = set()
        for tag, repo_tags in entries:
            _, m, config = layout.image(tag)
            if tamper:
                config = tamper(config)
            cbytes = json.dumps(config).encode()
            cname = sha256(cbytes) + ".json"
            if cname not in written:
                add_bytes(t, cname, cbytes)
                written.add(cname)
            layers = []
            for desc in m["layers"]:
                lid = sha256(desc["digest"].encode())
                if lid not in written:
                    add_bytes(t, f"{lid}/VERSION", b"1.0")
                    add_bytes(t, f"{lid}/layer.tar", layout.blob(desc["digest"]))
                    written.add(lid)
                layers.append(f"{lid}/layer.tar")
            manifest.append({"Config": cname, "RepoTags": repo_tags, "Layers": layers})
        add_bytes(t, "manifest.json", json.dumps(manifest).encode())
        add_bytes(t, "repositories", b"{}")
    return manifest


def check_image_in_store(datadir, name, layout, tag):
    """The record of `name` names the layout image `tag`'s config and diff
    IDs, and all of it is in the store."""
    _, _, config = layout.image(tag)
    rec = records(datadir)[name]
    assert rec["layers"] == config["rootfs"]["diff_ids"]
    assert rec["size"] > 0
    blobs = store_hexes(datadir, "blobs")
    assert rec["manifestDigest"].split(":")[1] in blobs
    assert rec["configDigest"].split(":")[1] in blobs
    layers = store_hexes(datadir, "layers")
    for diff in rec["layers"]:
        assert diff.split(":")[1] in layers
    return rec


def test_load_oci_archive_and_ls(work, datadir):
    proc = run("load", "--datadir", datadir, work / "oci.tar", check_rc=0)
    layout = Layout(work / "layout")
    names = {f"docker.io/library/app:{v}" for v in ("1.0", "2.0", "3.0")}
    assert set(records(datadir)) == names
    for v in ("1.0", "2.0", "3.0"):
        name = f"docker.io/library/app:{v}"
        digest, _, _ = layout.image(f"app:{v}")
        assert f"Loaded {name} {digest}" in proc.stdout
        rec = check_image_in_store(datadir, name, layout, f"app:{v}")
        assert rec["manifestDigest"] == digest
        assert record_file(datadir, name).exists()
        top = datadir / "layers" / "sha256" / rec["layers"][-1].split(":")[1]
        assert (top / (TOP_FILE[v] + ".txt")).read_text() == {"1.0": "1", "2.0": "2", "3.0": "3"}[v]
    assert not list(datadir.glob("tmp-load-*"))
    assert oct(os.stat(datadir / "images").st_mode & 0o777) == "0o700"

    proc = run("ls", "--datadir", datadir, check_rc=0)
    lines = proc.stdout.splitlines()
    assert lines[0].split() == ["NAME", "DIGEST", "SIZE", "LAST-USED"]
    assert [ln.split()[0] for ln in lines[1:]] == sorted(names)
    digest, _, _ = layout.image("app:1.0")
    row = lines[1].split()
    assert row[1] == digest
    assert row[-1].endswith("Z") and row[-1][:4].isdigit()
    assert row[-2] in ("kB", "MB", "GB", "B")

    listed = json.loads(run("ls", "--datadir", datadir, "--json", check_rc=0).stdout)
    assert [r["name"] for r in listed] == sorted(names)
    assert listed == [records(datadir)[n] for n in sorted(names)]

    # Loading again replaces the records and changes nothing in the store.
    before = (store_hexes(datadir, "layers"), store_hexes(datadir, "blobs"))
    run("load", "--datadir", datadir, work / "oci.tar", check_rc=0)
    assert (store_hexes(datadir, "layers"), store_hexes(datadir, "blobs")) == before
    assert set(records(datadir)) == names


def test_load_refuses_bare_tag(work, datadir):
    layout_dir = datadir.parent / (datadir.name + "-layout")
    try:
        shutil.copytree(work / "layout", layout_dir)
        index = json.loads((layout_dir / "index.json").read_text())
        first = next(d for d in index["manifests"] if d["annotations"][REF_NAME] == "app:1.0")
        index["manifests"] = [first, dict(first, annotations={REF_NAME: "1.0"})]
        (layout_dir / "index.json").write_text(json.dumps(index))
        tar_dir(layout_dir, datadir.parent / (datadir.name + ".tar"))
        proc = run("load", "--datadir", datadir, datadir.parent / (datadir.name + ".tar"),
                   check_rc=1)
    finally:
        shutil.rmtree(layout_dir, ignore_errors=True)
        (datadir.parent / (datadir.name + ".tar")).unlink(missing_ok=True)
    assert '"1.0" is a bare tag' in proc.stderr
    assert set(records(datadir)) == {"docker.io/library/app:1.0"}


def test_load_docker_save(work, datadir):
    archive = datadir.parent / (datadir.name + ".tar")
    try:
        docker_save(work, archive, [("app:1.0", ["localhost:5000/team/tool:3", "tool:latest"]),
                                    ("app:2.0", ["127.0.0.1:5000/other:1"])])
        proc = run("load", "--datadir", datadir, archive, check_rc=0)
    finally:
        archive.unlink(missing_ok=True)
    layout = Layout(work / "plain")
    recs = records(datadir)
    assert set(recs) == {"localhost:5000/team/tool:3", "docker.io/library/tool:latest",
                         "127.0.0.1:5000/other:1"}
    rec = check_image_in_store(datadir, "localhost:5000/team/tool:3", layout, "app:1.0")
    assert recs["docker.io/library/tool:latest"]["manifestDigest"] == rec["manifestDigest"]
    assert f"Loaded localhost:5000/team/tool:3 {rec['manifestDigest']}" in proc.stdout
    check_image_in_store(datadir, "127.0.0.1:5000/other:1", layout, "app:2.0")
    # The synthesised manifest: OCI, plain tar layers named by their sha256.
    mhex = rec["manifestDigest"].split(":")[1]
    mbytes = (datadir / "blobs" / "sha256" / mhex).read_bytes()
    assert sha256(mbytes) == mhex
    manifest = json.loads(mbytes)
    assert manifest["mediaType"] == "application/vnd.oci.image.manifest.v1+json"
    assert manifest["config"]["digest"] == rec["configDigest"]
    assert [d["digest"] for d in manifest["layers"]] == rec["layers"]
    assert {d["mediaType"] for d in manifest["layers"]} == {"application/vnd.oci.image.layer.v1.tar"}
    assert not list(datadir.glob("tmp-load-*"))


def test_load_verifies_diff_ids(work, datadir):
    def tamper(config):
        config = json.loads(json.dumps(config))
        config["rootfs"]["diff_ids"][-1] = "sha256:" + "0" * 64
        return config
    archive = datadir.parent / (datadir.name + ".tar")
    try:
        docker_save(work, archive, [("app:1.0", ["bad:1"])], tamper=tamper)
        proc = run("load", "--datadir", datadir, archive, check_rc=1)
    finally:
        archive.unlink(missing_ok=True)
    assert "diff ID" in proc.stderr
    assert records(datadir) == {}
    assert "0" * 64 not in store_hexes(datadir, "layers")
    assert not list(datadir.glob("tmp-load-*"))


@pytest.mark.parametrize("kind", ["symlink", "dotdot", "device", "hardlink"])
def test_load_refuses_unsafe_archive(datadir, kind):
    archive = datadir.parent / (datadir.name + ".tar")
    outside = datadir.parent / (datadir.name + "-outside")
    try:
        with tarfile.open(archive, "w") as t:
            add_bytes(t, "oci-layout", b'{"imageLayoutVersion":"1.0.0"}')
            if kind == "symlink":
                info = tarfile.TarInfo("index.json")
                info.type = tarfile.SYMTYPE
                info.linkname = "/etc/passwd"
                t.addfile(info)
            elif kind == "dotdot":
                add_bytes(t, f"../{outside.name}", b"x")
            elif kind == "device":
                info = tarfile.TarInfo("dev")
                info.type = tarfile.CHRTYPE
                info.devmajor, info.devminor = 1, 3
                t.addfile(info)
            else:
                info = tarfile.TarInfo("index.json")
                info.type = tarfile.LNKTYPE
                info.linkname = "oci-layout"
                t.addfile(info)
        proc = run("load", "--datadir", datadir, archive, check_rc=1)
        assert "refused" in proc.stderr or '".."' in proc.stderr, proc.stderr
        assert not outside.exists()
        assert not list(datadir.glob("tmp-load-*"))
        assert records(datadir) == {}
    finally:
        archive.unlink(missing_ok=True)
        outside.unlink(missing_ok=True)


def test_load_not_an_image_archive(datadir):
    archive = datadir.parent / (datadir.name + ".tar")
    try:
        with tarfile.open(archive, "w") as t:
            add_bytes(t, "hello.txt", b"hi")
        proc = run("load", "--datadir", datadir, archive, check_rc=1)
        assert "neither" in proc.stderr
        proc = run("load", "--datadir", datadir, datadir / "missing.tar", check_rc=1)
        assert "missing.tar" in proc.stderr
    finally:
        archive.unlink(missing_ok=True)


def test_rm(work, datadir):
    run("load", "--datadir", datadir, work / "oci.tar", check_rc=0)
    recs = records(datadir)
    one = recs["docker.io/library/app:1.0"]
    two = recs["docker.io/library/app:2.0"]
    three = recs["docker.io/library/app:3.0"]
    # The base layers are shared; the top ones are each image's own.
    shared = set(one["layers"][:-1])
    assert shared == set(two["layers"][:-1])

    proc = run("rm", "--datadir", datadir, "--keep", one["manifestDigest"], "app:1.0", check_rc=1)
    assert "in use" in proc.stderr
    assert "docker.io/library/app:1.0" in records(datadir)
    assert one["layers"][-1].split(":")[1] in store_hexes(datadir, "layers")

    proc = run("rm", "--datadir", datadir, "app:2.0", check_rc=0)
    assert "Deleted docker.io/library/app:2.0" in proc.stdout
    assert set(records(datadir)) == {"docker.io/library/app:1.0", "docker.io/library/app:3.0"}
    assert not record_file(datadir, "docker.io/library/app:2.0").exists()
    layers, blobs = store_hexes(datadir, "layers"), store_hexes(datadir, "blobs")
    assert two["layers"][-1].split(":")[1] not in layers
    assert two["manifestDigest"].split(":")[1] not in blobs
    assert two["configDigest"].split(":")[1] not in blobs
    for rec in (one, three):
        for d in rec["layers"]:
            assert d.split(":")[1] in layers
        assert rec["manifestDigest"].split(":")[1] in blobs

    # By manifest digest, and an unknown name fails without touching the rest.
    proc = run("rm", "--datadir", datadir, three["manifestDigest"], "nosuch:1", check_rc=1)
    assert "no such image: nosuch:1" in proc.stderr
    assert set(records(datadir)) == {"docker.io/library/app:1.0"}
    assert three["layers"][-1].split(":")[1] not in store_hexes(datadir, "layers")

    run("rm", "--datadir", datadir, "docker.io/library/app:1.0", check_rc=0)
    assert records(datadir) == {}
    assert store_hexes(datadir, "layers") == set()
    assert store_hexes(datadir, "blobs") == set()

    assert run("rm", "--datadir", datadir).returncode == 2


def set_last_used(datadir, name, ms):
    p = record_file(datadir, name)
    rec = json.loads(p.read_text())
    rec["lastUsedAt"] = ms
    p.write_text(json.dumps(rec))


def gc(datadir, *args):
    proc = run("gc", "--datadir", datadir, *args, check_rc=0)
    lines = proc.stdout.splitlines()
    assert len(lines) == 1, proc.stdout
    return json.loads(lines[0])


def test_gc(work, datadir):
    run("load", "--datadir", datadir, work / "oci.tar", check_rc=0)
    now = int(time.time() * 1000)
    one, two, three = (f"docker.io/library/app:{v}" for v in ("1.0", "2.0", "3.0"))
    set_last_used(datadir, one, now - 2 * 3600 * 1000)
    set_last_used(datadir, two, now - 3 * 3600 * 1000)  # least recently used
    recs = records(datadir)
    # Work in progress of a pull, and content no record names.
    (datadir / "layers" / "tmp-pull").mkdir()
    (datadir / "blobs" / "tmp-dl").write_bytes(b"partial")
    junk = sha256(b"junk")
    (datadir / "blobs" / "sha256" / junk).write_bytes(b"junk")
    (datadir / "layers" / "sha256" / ("f" * 64)).mkdir()
    (datadir / "layers" / "sha256" / ("f" * 64) / "file").write_bytes(b"x" * 1000)

    # One per cycle, least recently used first; unreferenced content goes too.
    out = gc(datadir, "--min-age", 3600, "--max", 1)
    assert out["deleted"] == [two]
    assert out["freedBytes"] >= 1004
    assert set(records(datadir)) == {one, three}
    assert junk not in store_hexes(datadir, "blobs")
    assert "f" * 64 not in store_hexes(datadir, "layers")
    assert recs[two]["layers"][-1].split(":")[1] not in store_hexes(datadir, "layers")
    assert (datadir / "layers" / "tmp-pull").is_dir()
    assert (datadir / "blobs" / "tmp-dl").exists()

    # Kept (in use) and recent images stay.
    out = gc(datadir, "--keep", recs[one]["manifestDigest"], "--min-age", 3600, "--max", 5)
    assert out == {"deleted": [], "freedBytes": 0}
    assert set(records(datadir)) == {one, three}

    # An image used after the caller listed what is in use (--before) may
    # be about to be used by a container the caller does not know of: it
    # stays whatever its age.
    listed = now - 3600 * 1000
    out = gc(datadir, "--min-age", 0, "--max", 5, "--before", listed)
    assert out["deleted"] == [one], out
    assert set(records(datadir)) == {three}

    # Old enough, not kept: the last goes, and the store empties.
    out = gc(datadir, "--min-age", 0, "--max", 5)
    assert out["deleted"] == [three]
    assert out["freedBytes"] > 0
    assert records(datadir) == {}
    assert store_hexes(datadir, "layers") == set()
    assert store_hexes(datadir, "blobs") == set()
    assert (datadir / "layers" / "tmp-pull").is_dir()

    assert run("gc", "--datadir", datadir, "--keep", "latest").returncode == 2
    assert run("gc", "--datadir", datadir, "--max", "-1").returncode == 2
