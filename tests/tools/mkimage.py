#!/usr/bin/python3
# SPDX-License-Identifier: Apache-2.0
"""Build a small OCI image layout for tests and the quickstart.

    mkimage.py OUTDIR --tag busybox:latest

makes an image from the host's static busybox (Debian busybox-static):
/bin/busybox with a symlink per applet, /etc/passwd (root, nobody, app
1000), /etc/group and the usual top-level directories. Several images can
share one OUTDIR; each is found by its --tag (the
org.opencontainers.image.ref.name annotation). The output is deterministic:
the same inputs give the same digests. Prints the image reference
oci-layout:OUTDIR:TAG.

Layers, lowest first: the busybox base (plus --add-binary), one per
--extra-layer DIR, one per --layer-tar FILE, one per --size-mb N (N MiB of
seeded pseudo-random bytes in filler/LAYER/part-*, hardly compressible;
--seed picks the bytes), one per --layer SPEC and per --extra-layers
PRESET (in that order), then the --whiteout layer. Images built with the
same options up to their top layer share those layers, digests included,
which is how tests make images sharing a base. A SPEC is comma-separated
operations:

    file:PATH=TEXT   dir:PATH   symlink:PATH=TARGET
    rm:PATH          a whiteout (.wh.NAME) deleting PATH from lower layers
    opaque:DIR       DIR replaced: its lower content hidden (.wh..wh..opq)

The preset whiteout-demo adds two layers: demo/{keep,gone,olddir/a,
olddir/sub/b}, then one deleting demo/gone and making demo/olddir opaque
with a new demo/olddir/c; merged, demo holds keep and olddir/c only.

Standard library only, plus the zstd command for --compression zstd.
"""
import argparse
import gzip
import hashlib
import io
import json
import os
import platform
import random
import re
import stat
import subprocess
import sys
import tarfile

BUSYBOX = "/bin/busybox"
DEFAULT_PATH = "/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin"
MEDIA_LAYER = {
    "none": "application/vnd.oci.image.layer.v1.tar",
    "gzip": "application/vnd.oci.image.layer.v1.tar+gzip",
    "zstd": "application/vnd.oci.image.layer.v1.tar+zstd",
}
MEDIA_MANIFEST = "application/vnd.oci.image.manifest.v1+json"
MEDIA_CONFIG = "application/vnd.oci.image.config.v1+json"
MEDIA_INDEX = "application/vnd.oci.image.index.v1+json"
REF_NAME = "org.opencontainers.image.ref.name"

PASSWD = """root:x:0:0:root:/root:/bin/sh
nobody:x:65534:65534:nobody:/nonexistent:/bin/false
app:x:1000:1000:app:/home/app:/bin/sh
"""
GROUP = """root:x:0:
wheel:x:10:app
nogroup:x:65534:
app:x:1000:
"""
# path, mode, uid, gid
BASE_DIRS = [
    ("bin", 0o755, 0, 0), ("dev", 0o755, 0, 0), ("etc", 0o755, 0, 0),
    ("home", 0o755, 0, 0), ("home/app", 0o755, 1000, 1000), ("proc", 0o555, 0, 0),
    ("root", 0o700, 0, 0), ("run", 0o755, 0, 0), ("sbin", 0o755, 0, 0),
    ("sys", 0o555, 0, 0), ("tmp", 0o1777, 0, 0), ("usr", 0o755, 0, 0),
    ("usr/bin", 0o755, 0, 0), ("usr/sbin", 0o755, 0, 0), ("var", 0o755, 0, 0),
]


def die(msg):
    print(f"mkimage: {msg}", file=sys.stderr)
    sys.exit(1)


def oci_arch():
    m = platform.machine()
    return {"x86_64": "amd64", "aarch64": "arm64", "i686": "386"}.get(m, m)


class Layer:
    """Tar entries keyed by path; serialized sorted, with fixed times."""

    def __init__(self):
        self.entries = {}

    def _info(self, path, kind, mode, uid=0, gid=0):
        ti = tarfile.TarInfo(path)
        ti.type = kind
        ti.mode = mode
        ti.uid, ti.gid = uid, gid
        ti.uname = ti.gname = ""
        ti.mtime = 0
        return ti

    def parents(self, path):
        parts = path.split("/")[:-1]
        for i in range(1, len(parts) + 1):
            p = "/".join(parts[:i])
            if p not in self.entries:
                self.dir(p, 0o755)

    def dir(self, path, mode, uid=0, gid=0):
        self.parents(path)
        self.entries[path] = (self._info(path, tarfile.DIRTYPE, mode, uid, gid), None)

    def file(self, path, data, mode=0o644, uid=0, gid=0):
        self.parents(path)
        ti = self._info(path, tarfile.REGTYPE, mode, uid, gid)
        ti.size = len(data)
        self.entries[path] = (ti, data)

    def symlink(self, path, target, uid=0, gid=0):
        self.parents(path)
        ti = self._info(path, tarfile.SYMTYPE, 0o777, uid, gid)
        ti.linkname = target
        self.entries[path] = (ti, None)

    def tar(self):
        buf = io.BytesIO()
        with tarfile.open(fileobj=buf, mode="w", format=tarfile.PAX_FORMAT) as t:
            for path in sorted(self.entries):
                ti, data = self.entries[path]
                t.addfile(ti, io.BytesIO(data) if data is not None else None)
        return buf.getvalue()


def image_path(p):
    p = p.strip("/")
    if not p or any(c in ("", ".", "..") for c in p.split("/")):
        die(f"bad path in image: {p!r}")
    return p


def add_busybox(layer):
    if not os.path.exists(BUSYBOX):
        die(f"{BUSYBOX} is missing (install busybox-static)")
    for path, mode, uid, gid in BASE_DIRS:
        layer.dir(path, mode, uid, gid)
    with open(BUSYBOX, "rb") as f:
        layer.file("bin/busybox", f.read(), 0o755)
    out = subprocess.run([BUSYBOX, "--list-full"], check=True, capture_output=True, text=True)
    for applet in out.stdout.split():
        applet = image_path(applet)
        if applet != "bin/busybox":
            layer.symlink(applet, "/bin/busybox")
    layer.file("etc/passwd", PASSWD.encode())
    layer.file("etc/group", GROUP.encode())


def shared_libraries(host):
    """The libraries `ldd` lists for a dynamic binary (none when static)."""
    out = subprocess.run(["ldd", host], capture_output=True, text=True)
    if out.returncode != 0:
        return []
    libs = []
    for line in out.stdout.splitlines():
        m = re.search(r"(?:=>\s*)?(/\S+)\s+\(0x", line)
        if m:
            libs.append(m.group(1))
    return libs


def add_binary(layer, spec):
    host, _, dest = spec.partition(":")
    if not os.path.isfile(host):
        die(f"--add-binary: {host} is not a file")
    for path in [host] + shared_libraries(host):
        target = dest if path == host and dest else path
        with open(os.path.realpath(path), "rb") as f:
            layer.file(image_path(target), f.read(), 0o755)


def layer_from_dir(root):
    layer = Layer()
    if not os.path.isdir(root):
        die(f"--extra-layer: {root} is not a directory")
    for dirpath, dirnames, filenames in os.walk(root):
        dirnames.sort()
        for name in sorted(dirnames) + sorted(filenames):
            full = os.path.join(dirpath, name)
            rel = os.path.relpath(full, root)
            st = os.lstat(full)
            mode = stat.S_IMODE(st.st_mode)
            if stat.S_ISLNK(st.st_mode):
                layer.symlink(rel, os.readlink(full), st.st_uid, st.st_gid)
            elif stat.S_ISDIR(st.st_mode):
                layer.dir(rel, mode, st.st_uid, st.st_gid)
            elif stat.S_ISREG(st.st_mode):
                with open(full, "rb") as f:
                    layer.file(rel, f.read(), mode, st.st_uid, st.st_gid)
            else:
                die(f"--extra-layer: {full}: only files, directories and symlinks")
    return layer


def whiteout_layer(paths, lower):
    """A layer of ".wh." entries deleting `paths` (parents as below)."""
    layer = Layer()
    for p in paths:
        p = image_path(p)
        lower_parents(layer, p, lower)
        parent, _, base = p.rpartition("/")
        wh = f"{parent}/.wh.{base}" if parent else f".wh.{base}"
        ti = layer._info(wh, tarfile.REGTYPE, 0o644)
        ti.size = 0
        layer.entries[wh] = (ti, b"")
    return layer


def lower_parents(layer, path, lower):
    """Put the parent directories of `path` into `layer` with the metadata
    the lower layers give them: an unpacker creates a missing parent with
    default metadata, which would show in the merged view."""
    parts = path.split("/")[:-1]
    for i in range(1, len(parts) + 1):
        d = "/".join(parts[:i])
        if d in layer.entries:
            continue
        found = next((l.entries[d] for l in reversed(lower) if d in l.entries), None)
        if found and found[0].isdir():
            layer.entries[d] = found
        else:
            layer.entries[d] = (layer._info(d, tarfile.DIRTYPE, 0o755), None)


def filler_layer(index, mib, seed):
    """`mib` MiB of pseudo-random bytes from (seed, index), in 1 MiB files."""
    layer = Layer()
    rng = random.Random(f"mkimage-filler:{seed}:{index}")
    left = int(mib * 1024 * 1024)
    if left <= 0:
        die(f"--size-mb {mib}: expected a positive size")
    part = 0
    while left > 0:
        n = min(left, 1024 * 1024)
        layer.file(f"filler/{index}/part-{part:04d}", rng.randbytes(n))
        left -= n
        part += 1
    return layer


PRESETS = {
    "whiteout-demo": [
        "dir:demo,file:demo/keep=keep,file:demo/gone=gone,file:demo/olddir/a=a,"
        "file:demo/olddir/sub/b=b",
        "rm:demo/gone,opaque:demo/olddir,file:demo/olddir/c=c",
    ],
}


def spec_layer(spec, lower):
    layer = Layer()
    for op in spec.split(","):
        kind, sep, arg = op.partition(":")
        if not sep:
            die(f"--layer {spec!r}: {op!r} is not KIND:ARG")
        if kind in ("file", "symlink"):
            path, eq, value = arg.partition("=")
            if not eq:
                die(f"--layer {spec!r}: {op!r} needs PATH=VALUE")
            path = image_path(path)
            lower_parents(layer, path, lower)
            if kind == "file":
                layer.file(path, value.encode())
            else:
                layer.symlink(path, value)
        elif kind == "dir":
            path = image_path(arg)
            lower_parents(layer, path, lower)
            layer.dir(path, 0o755)
        elif kind == "rm":
            path = image_path(arg)
            lower_parents(layer, path, lower)
            parent, _, base = path.rpartition("/")
            ti = layer._info(f"{parent}/.wh.{base}" if parent else f".wh.{base}",
                             tarfile.REGTYPE, 0o644)
            layer.entries[ti.name] = (ti, b"")
        elif kind == "opaque":
            path = image_path(arg)
            lower_parents(layer, path, lower)
            found = next((l.entries[path] for l in reversed(lower) if path in l.entries), None)
            if found and found[0].isdir():
                layer.entries[path] = found
            else:
                layer.dir(path, 0o755)
            ti = layer._info(f"{path}/.wh..wh..opq", tarfile.REGTYPE, 0o644)
            layer.entries[ti.name] = (ti, b"")
        else:
            die(f"--layer {spec!r}: unknown operation {kind!r}")
    return layer


def compress(data, how):
    if how == "gzip":
        return gzip.compress(data, compresslevel=6, mtime=0)
    if how == "zstd":
        out = subprocess.run(["zstd", "-q", "-c", "-3", "--no-progress"], input=data,
                             capture_output=True, check=True)
        return out.stdout
    return data


def sha256(data):
    return hashlib.sha256(data).hexdigest()


def canonical(obj):
    return json.dumps(obj, sort_keys=True, separators=(",", ":")).encode()


def put_blob(outdir, data):
    digest = sha256(data)
    path = os.path.join(outdir, "blobs", "sha256", digest)
    if not os.path.exists(path):
        tmp = f"{path}.tmp.{os.getpid()}"
        with open(tmp, "wb") as f:
            f.write(data)
        os.rename(tmp, path)
    return {"digest": f"sha256:{digest}", "size": len(data)}


def write_json(path, obj):
    tmp = f"{path}.tmp.{os.getpid()}"
    with open(tmp, "wb") as f:
        f.write(canonical(obj))
    os.rename(tmp, path)


def parse_json_list(text, opt):
    try:
        v = json.loads(text)
    except ValueError as e:
        die(f"{opt}: {e}")
    if not isinstance(v, list) or not all(isinstance(s, str) for s in v):
        die(f"{opt}: expected a JSON array of strings")
    return v


def main():
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("outdir")
    ap.add_argument("--tag", required=True, help="NAME:TAG, the ref.name annotation")
    ap.add_argument("--entrypoint", help="JSON array")
    ap.add_argument("--cmd", help="JSON array (default [\"sh\"] without --entrypoint)")
    ap.add_argument("--env", action="append", default=[], metavar="K=V")
    ap.add_argument("--workdir")
    ap.add_argument("--user")
    ap.add_argument("--add-binary", action="append", default=[],
                    metavar="HOSTPATH[:IMAGEPATH]", help="a binary and its shared libraries")
    ap.add_argument("--extra-layer", action="append", default=[], metavar="DIR")
    ap.add_argument("--layer-tar", action="append", default=[], metavar="FILE",
                    help="an existing uncompressed tar as a layer, as is")
    ap.add_argument("--whiteout", action="append", default=[], metavar="PATH",
                    help="a top layer deleting PATH")
    ap.add_argument("--size-mb", action="append", default=[], type=float, metavar="N",
                    help="a filler layer of N MiB of seeded random bytes")
    ap.add_argument("--seed", default="0", help="seed of the --size-mb bytes")
    ap.add_argument("--layer", action="append", default=[], metavar="SPEC",
                    help="a layer: comma-separated file:PATH=TEXT, dir:PATH, "
                    "symlink:PATH=TARGET, rm:PATH (a whiteout), opaque:DIR")
    ap.add_argument("--extra-layers", action="append", default=[], choices=sorted(PRESETS),
                    help="canned layers: whiteout-demo")
    ap.add_argument("--compression", choices=sorted(MEDIA_LAYER), default="gzip")
    ap.add_argument("--corrupt-diff-id", action="store_true", help=argparse.SUPPRESS)
    a = ap.parse_args()

    if "/" in a.tag or not a.tag:
        die("--tag must not contain '/'")
    outdir = os.path.abspath(a.outdir)
    os.makedirs(os.path.join(outdir, "blobs", "sha256"), exist_ok=True)

    base = Layer()
    add_busybox(base)
    for spec in a.add_binary:
        add_binary(base, spec)
    built = [base] + [layer_from_dir(d) for d in a.extra_layer]
    tars = [layer.tar() for layer in built]
    for path in a.layer_tar:
        with open(path, "rb") as f:
            tars.append(f.read())
    for i, mib in enumerate(a.size_mb):
        tars.append(filler_layer(i, mib, a.seed).tar())
    for spec in a.layer + [s for p in a.extra_layers for s in PRESETS[p]]:
        layer = spec_layer(spec, built)
        built.append(layer)
        tars.append(layer.tar())
    if a.whiteout:
        tars.append(whiteout_layer(a.whiteout, built).tar())

    layers, diff_ids = [], []
    for t in tars:
        desc = put_blob(outdir, compress(t, a.compression))
        desc["mediaType"] = MEDIA_LAYER[a.compression]
        layers.append(desc)
        diff_ids.append(f"sha256:{sha256(t)}")
    if a.corrupt_diff_id:
        diff_ids[-1] = f"sha256:{sha256(b'not this layer')}"

    env = {"PATH": DEFAULT_PATH}
    for kv in a.env:
        k, sep, v = kv.partition("=")
        if not sep or not k:
            die(f"--env {kv}: expected K=V")
        env[k] = v
    cfg = {"Env": [f"{k}={v}" for k, v in env.items()]}
    if a.entrypoint is not None:
        cfg["Entrypoint"] = parse_json_list(a.entrypoint, "--entrypoint")
    if a.cmd is not None:
        cfg["Cmd"] = parse_json_list(a.cmd, "--cmd")
    elif a.entrypoint is None:
        cfg["Cmd"] = ["sh"]
    if a.workdir:
        cfg["WorkingDir"] = a.workdir
    if a.user:
        cfg["User"] = a.user
    config = {
        "architecture": oci_arch(),
        "os": "linux",
        "config": cfg,
        "rootfs": {"type": "layers", "diff_ids": diff_ids},
        "history": [{"created_by": "mkimage.py"} for _ in tars],
    }
    cdesc = put_blob(outdir, canonical(config))
    cdesc["mediaType"] = MEDIA_CONFIG
    manifest = {"schemaVersion": 2, "mediaType": MEDIA_MANIFEST, "config": cdesc,
                "layers": layers}
    mdesc = put_blob(outdir, canonical(manifest))
    mdesc["mediaType"] = MEDIA_MANIFEST
    mdesc["annotations"] = {REF_NAME: a.tag}
    mdesc["platform"] = {"os": "linux", "architecture": oci_arch()}

    index_path = os.path.join(outdir, "index.json")
    index = {"schemaVersion": 2, "mediaType": MEDIA_INDEX, "manifests": []}
    if os.path.exists(index_path):
        with open(index_path, "rb") as f:
            index = json.load(f)
    others = [m for m in index.get("manifests", [])
              if m.get("annotations", {}).get(REF_NAME) != a.tag]
    index["manifests"] = sorted(others + [mdesc],
                                key=lambda m: m.get("annotations", {}).get(REF_NAME, ""))
    write_json(os.path.join(outdir, "oci-layout"), {"imageLayoutVersion": "1.0.0"})
    write_json(index_path, index)
    print(f"oci-layout:{outdir}:{a.tag}")


if __name__ == "__main__":
    main()
