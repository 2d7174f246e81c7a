#!/usr/bin/python3
# SPDX-License-Identifier: Apache-2.0
"""Pull benchmark: pull and unpack a multi-layer image of at least 50 MB
from a loopback registry, with ecs-agent-image against skopeo + umoci and
podman, and what a second image sharing the base costs.

    bench/pull_bench.py [--runs 3] [--size-mb 20,20,12] [--no-podman] [--keep]

Needs root (unpacking keeps owners; podman's storage), a build
(ECS_BUILD_DIR, default build/), docker-registry, skopeo and umoci; podman
when it works here, else its rows say n/a and why.

The image (tests/tools/mkimage.py): the busybox base, one layer of seeded
random bytes per --size-mb entry (hardly compressible, so the compressed and
unpacked sizes are alike) and a small top layer; the second image has the
same layers but a different top one. Both are pushed with skopeo to
docker-registry on 127.0.0.1 (tests/integration/registry_fixtures.py).

1. Pull and unpack, the variants taking turns round by round (the first one
   rotates), each into fresh storage, --runs rounds, wall time:
   `ecs-agent-image request` into a fresh data directory;
   `skopeo copy docker://... oci:DIR:tag` then `umoci unpack --image DIR:tag`;
   `podman pull --tls-verify=false` with its own --root/--runroot (overlay).
2. The second image after the first, through a counting proxy
   (tests/tools/faultproxy.py) in front of the registry, for each variant:
   bytes of blobs, manifests and configs sent and wall time, against what
   the second image has of its own (manifest + config + top layer).

Prints one table per figure and a summary against the targets of issue 5.
Everything is removed at the end, also after a failure or Ctrl-C (--keep
keeps the scratch directory).
"""
import argparse
import json
import os
import pathlib
import shutil
import signal
import statistics
import subprocess
import sys
import tempfile
import time

HERE = pathlib.Path(__file__).resolve().parent
sys.path.insert(0, str(HERE.parent / "tests" / "integration"))

from agent_bench_env import BUILD, Cleanup, mounts_below, run  # noqa: E402
from registry_fixtures import Registry, mkimage  # noqa: E402
from faultproxy import FaultProxy  # noqa: E402

HELPER = BUILD / "agent" / "ecs-agent-image"
REPO = "bench/app"


def log(msg):
    print(f"pull_bench: {msg}", file=sys.stderr, flush=True)


def mib(n):
    return f"{n / 1048576:.1f} MiB"


class Variant:
    """One way of pulling: pull(ref_host, tag, dest) into storage `dest`
    (made fresh by new_dest()); `unavailable` says why it cannot run."""
    name = "?"
    unavailable = None

    def __init__(self, work):
        self.work = work
        self.n = 0

    def new_dest(self):
        self.n += 1
        d = self.work / f"{self.key}-{self.n}"
        d.mkdir(parents=True)
        return d

    def drop(self, dest):
        for mp in mounts_below(dest):
            run("umount", "-l", mp, check=False)
        shutil.rmtree(dest, ignore_errors=True)


class Helper(Variant):
    name, key = "ecs-agent-image request", "agent"

    def __init__(self, work):
        super().__init__(work)
        if not HELPER.exists():
            self.unavailable = f"{HELPER} is not built"

    def pull(self, host, tag, dest):
        req = {"op": "resolve", "datadir": str(dest), "reference": f"{host}/{REPO}:{tag}",
               "insecureRegistries": [host], "pullBehavior": "always"}
        t0 = time.perf_counter()
        p = subprocess.run([str(HELPER), "request"], input=json.dumps(req), capture_output=True,
                           text=True, timeout=600)
        took = time.perf_counter() - t0
        if p.returncode != 0:
            raise RuntimeError(f"ecs-agent-image request failed: {p.stdout.strip()} {p.stderr.strip()}")
        return took, {}


class SkopeoUmoci(Variant):
    name, key = "skopeo copy + umoci unpack", "skopeo"

    def __init__(self, work):
        super().__init__(work)
        missing = [t for t in ("skopeo", "umoci") if not shutil.which(t)]
        if missing:
            self.unavailable = f"not installed: {', '.join(missing)}"
        self.auth = work / "skopeo-auth.json"
        self.auth.write_text("{}")

    def pull(self, host, tag, dest):
        t0 = time.perf_counter()
        run("skopeo", "--insecure-policy", "copy", "-q", "--src-tls-verify=false",
            "--authfile", self.auth, f"docker://{host}/{REPO}:{tag}", f"oci:{dest / 'oci'}:{tag}",
            timeout=600)
        t1 = time.perf_counter()
        run("umoci", "unpack", "--image", f"{dest / 'oci'}:{tag}", dest / f"bundle-{tag}",
            timeout=600)
        t2 = time.perf_counter()
        return t2 - t0, {"copy": t1 - t0, "unpack": t2 - t1}


class Podman(Variant):
    name, key = "podman pull (overlay)", "podman"

    def __init__(self, work, enabled):
        super().__init__(work)
        self.shm_lock_existed = os.path.exists("/dev/shm/libpod_lock")
        if not enabled:
            self.unavailable = "--no-podman"
        elif not shutil.which("podman"):
            self.unavailable = "podman is not installed"

    def base(self, dest):
        return ["podman", "--root", dest / "root", "--runroot", dest / "run", "--tmpdir",
                dest / "tmp", "--storage-driver", "overlay", "--cgroup-manager", "cgroupfs",
                "--events-backend", "file"]

    def pull(self, host, tag, dest):
        t0 = time.perf_counter()
        run(*self.base(dest), "pull", "-q", "--tls-verify=false", f"{host}/{REPO}:{tag}",
            timeout=600)
        return time.perf_counter() - t0, {}

    def drop(self, dest):
        run(*self.base(dest), "rmi", "-a", "-f", check=False)
        super().drop(dest)

    def teardown(self):
        if not self.shm_lock_existed and os.path.exists("/dev/shm/libpod_lock"):
            os.unlink("/dev/shm/libpod_lock")


def probe(v, host, tag):
    """Run one pull to find out whether the variant works here."""
    if v.unavailable:
        return
    dest = v.new_dest()
    try:
        v.pull(host, tag, dest)
    except (RuntimeError, subprocess.TimeoutExpired) as e:
        v.unavailable = str(e).strip().splitlines()[-1][-200:]
    finally:
        v.drop(dest)


# ---------------------------------------------------------------- the figures

def figure_pull(variants, host, runs):
    res = {v.key: [] for v in variants}
    parts = {v.key: {} for v in variants}
    live = [v for v in variants if not v.unavailable]
    for r in range(runs):
        order = live[r % len(live):] + live[:r % len(live)]
        for v in order:
            dest = v.new_dest()
            try:
                took, detail = v.pull(host, "a", dest)
            finally:
                v.drop(dest)
            res[v.key].append(took)
            for k, t in detail.items():
                parts[v.key].setdefault(k, []).append(t)
            log(f"round {r + 1}: {v.name} {took:.2f} s")
    return res, parts


def figure_second(variants, proxy):
    out = {}
    for v in variants:
        if v.unavailable:
            continue
        dest = v.new_dest()
        try:
            proxy.reset_counts()
            took_a, _ = v.pull(proxy.host, "a", dest)
            bytes_a = proxy.bytes_sent()
            proxy.reset_counts()
            took_b, _ = v.pull(proxy.host, "b", dest)
            out[v.key] = (bytes_a, took_a, proxy.bytes_sent(), took_b)
        finally:
            v.drop(dest)
    return out


def own_bytes(reg, tag):
    """Bytes of what the image has of its own: manifest, config, top layer."""
    _, _, body = reg.request("GET", f"/v2/{REPO}/manifests/{tag}",
                             {"Accept": "application/vnd.oci.image.manifest.v1+json"})
    m = json.loads(body)
    return len(body) + m["config"]["size"] + m["layers"][-1]["size"], m


def print_tables(variants, res, parts, second, own_b, manifest, runs):
    layers = manifest["layers"]
    total = sum(layer["size"] for layer in layers)
    print()
    print(f"Pull and unpack: {len(layers)} layers, {mib(total)} compressed, from docker-registry "
          f"on 127.0.0.1; wall time, {runs} rounds")
    print(f"| {'variant':34} | {'median':>8} | {'min':>8} | {'max':>8} | detail (median) |")
    print(f"|{'-' * 36}|{'-' * 10}|{'-' * 10}|{'-' * 10}|-----------------|")
    for v in variants:
        if v.unavailable:
            print(f"| {v.name:34} | {'n/a':>8} | {'':>8} | {'':>8} | {v.unavailable} |")
            continue
        t = res[v.key]
        detail = ", ".join(f"{k} {statistics.median(x):.2f} s" for k, x in parts[v.key].items())
        print(f"| {v.name:34} | {statistics.median(t):7.2f}s | {min(t):7.2f}s | {max(t):7.2f}s "
              f"| {detail} |")
    print()
    print(f"Second image sharing all but its top layer, after the first, through a counting proxy; "
          f"its own content is {own_b} bytes (manifest, config, top layer)")
    print(f"| {'variant':34} | {'first: bytes':>14} | {'time':>7} | {'second: bytes':>14} | "
          f"{'time':>7} |")
    print(f"|{'-' * 36}|{'-' * 16}|{'-' * 9}|{'-' * 16}|{'-' * 9}|")
    for v in variants:
        if v.key not in second:
            print(f"| {v.name:34} | {'n/a':>14} | {'':>7} | {'':>14} | {'':>7} |")
            continue
        ba, ta, bb, tb = second[v.key]
        print(f"| {v.name:34} | {ba:14d} | {ta:6.2f}s | {bb:14d} | {tb:6.2f}s |")
    print()
    ours, sk = res.get("agent"), res.get("skopeo")
    if ours and sk:
        ratio = statistics.median(ours) / statistics.median(sk)
        verdict = "met" if ratio <= 1.0 else "missed"
        print(f"Target: no slower than skopeo+umoci: {ratio:.2f}x of its median: {verdict}")
    if "agent" in second:
        bb = second["agent"][2]
        verdict = "met" if bb <= own_b + 4096 else "missed"
        print(f"Target: a second image costs only its own layers: {bb} bytes against {own_b} "
              f"of its own (4 KiB slack for error bodies and HEADs): {verdict}")


def main():
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--runs", type=int, default=3)
    ap.add_argument("--size-mb", default="20,20,12",
                    help="filler layers, MiB each, comma-separated")
    ap.add_argument("--no-podman", action="store_true")
    ap.add_argument("--keep", action="store_true", help="keep the scratch directory")
    a = ap.parse_args()
    if os.geteuid() != 0:
        sys.exit("pull_bench: needs root (layer owners, podman storage)")
    for tool in ("docker-registry", "skopeo"):
        if not shutil.which(tool):
            sys.exit(f"pull_bench: {tool} is not installed (scripts/setup-deps)")

    cleanup = Cleanup()
    work = pathlib.Path(tempfile.mkdtemp(prefix="ecs-pull-bench."))
    if not a.keep:
        cleanup.push("scratch directory", lambda: shutil.rmtree(work, ignore_errors=True))

    def on_signal(signum, frame):
        raise KeyboardInterrupt
    signal.signal(signal.SIGTERM, on_signal)
    try:
        layout = work / "layout"
        fillers = [x for s in a.size_mb.split(",") for x in ("--size-mb", s.strip())]
        log("building the images")
        mkimage(layout, "a", *fillers, "--layer", "file:app/id=A")
        mkimage(layout, "b", *fillers, "--layer", "file:app/id=B")
        reg = Registry(workdir=work / "registry")
        cleanup.push("registry", reg.stop)
        reg.start()
        for tag in ("a", "b"):
            reg.push(layout, tag, f"{REPO}:{tag}")
        own_b, _ = own_bytes(reg, "b")
        _, manifest = own_bytes(reg, "a")
        proxy = FaultProxy(reg.url).start()
        cleanup.push("proxy", proxy.stop)

        podman = Podman(work, not a.no_podman)
        cleanup.push("podman", podman.teardown)
        variants = [Helper(work), SkopeoUmoci(work), podman]
        for v in variants:
            probe(v, reg.host, "a")
            if v.unavailable:
                log(f"{v.name}: n/a: {v.unavailable}")
        if variants[0].unavailable:
            sys.exit(f"pull_bench: {variants[0].unavailable}")

        res, parts = figure_pull(variants, reg.host, a.runs)
        second = figure_second(variants, proxy)
        print_tables(variants, res, parts, second, own_b, manifest, a.runs)
    except KeyboardInterrupt:
        log("interrupted")
        return 130
    finally:
        cleanup.run()
        if a.keep:
            log(f"kept {work}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
