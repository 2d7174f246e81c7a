# SPDX-License-Identifier: Apache-2.0
"""agent_bench.py's tools: process, mount and cgroup helpers, cleanup, and
the raw runtimes it compares the agent with (`runc`/`crun run -d`,
`podman run -d`)."""
import json
import math
import os
import pathlib
import re
import shutil
import signal
import subprocess
import sys
import tarfile
import time

HERE = pathlib.Path(__file__).resolve().parent
SOURCE = HERE.parent
BUILD = pathlib.Path(os.environ.get("ECS_BUILD_DIR", SOURCE / "build"))
MKIMAGE = SOURCE / "tests" / "tools" / "mkimage.py"
REGION, AKID, SECRET = "us-east-1", "AKIDAGENTBENCH", "agent-bench-secret"
JOIN_TOKEN = "agent-bench-join"
CLUSTER = "bench"
CONTAINER = "app"
MEMORY_MIB = 8
COMMAND = ["sleep", "3600"]
CGROUP_ROOT = pathlib.Path("/sys/fs/cgroup")
PR_SET_CHILD_SUBREAPER = 36


def log(msg):
    print(f"agent_bench: {msg}", file=sys.stderr, flush=True)


def run(*args, check=True, timeout=60, **kw):
    proc = subprocess.run([str(a) for a in args], capture_output=True, text=True,
                          timeout=timeout, **kw)
    if check and proc.returncode != 0:
        raise RuntimeError(f"{' '.join(map(str, args))} failed ({proc.returncode}): "
                           f"{proc.stderr.strip()}")
    return proc


def pct(values, q):
    """Nearest-rank percentile."""
    s = sorted(values)
    return s[max(0, math.ceil(q / 100 * len(s)) - 1)]


def mem_kib(pid):
    """(VmRSS, Pss, RssAnon, RssFile) of a process in KiB."""
    status = {}
    for line in pathlib.Path(f"/proc/{pid}/status").read_text().splitlines():
        key, _, value = line.partition(":")
        if key in ("VmRSS", "RssAnon", "RssFile"):
            status[key] = int(value.split()[0])
    pss = 0
    for line in pathlib.Path(f"/proc/{pid}/smaps_rollup").read_text().splitlines():
        if line.startswith("Pss:"):
            pss = int(line.split()[1])
    return status["VmRSS"], pss, status["RssAnon"], status["RssFile"]


def cmdline(pid):
    try:
        return pathlib.Path(f"/proc/{pid}/cmdline").read_bytes().split(b"\0")
    except OSError:
        return []


def parent(pid):
    """The parent pid of `pid`, None when it is gone."""
    try:
        status = pathlib.Path(f"/proc/{pid}/status").read_text()
    except OSError:
        return None
    m = re.search(r"^PPid:\s+(\d+)", status, re.M)
    return int(m.group(1)) if m else None


def reap_orphans(keep):
    """Reap our zombie children except the Popen ones in `keep`. The bench
    is a child subreaper (as the agent is) so that detached containers of
    the raw runtimes come back to it instead of lingering under PID 1."""
    me = os.getpid()
    for d in pathlib.Path("/proc").iterdir():
        if not d.name.isdigit() or int(d.name) in keep:
            continue
        try:
            stat = (d / "stat").read_text()
        except OSError:
            continue
        fields = stat[stat.rindex(")") + 2:].split()
        if fields[0] == "Z" and int(fields[1]) == me:
            try:
                os.waitpid(int(d.name), os.WNOHANG)
            except ChildProcessError:
                pass


def mounts_below(prefix):
    prefix = str(prefix).rstrip("/") + "/"
    out = []
    with open("/proc/self/mountinfo") as f:
        for line in f:
            mp = line.split()[4].replace("\\040", " ")
            if mp.startswith(prefix):
                out.append(mp)
    return sorted(out, key=lambda p: -p.count("/"))


def remove_cgroups(parent):
    """SIGKILL whatever still runs in PARENT's subtree (a container whose
    runtime or shim died mid-start), then rmdir it bottom-up in every
    hierarchy, retrying while the killed processes exit."""
    rel = parent.strip("/")
    bases = [top / rel for top in (CGROUP_ROOT.iterdir() if CGROUP_ROOT.is_dir() else [])
             if not top.is_symlink() and (top / rel).is_dir()]
    for base in bases:
        for dirpath, _, files in os.walk(base):
            if "cgroup.procs" in files:
                for pid in pathlib.Path(dirpath, "cgroup.procs").read_text().split():
                    try:
                        os.kill(int(pid), signal.SIGKILL)
                    except (ProcessLookupError, ValueError):
                        pass
    for attempt in range(50):
        left = False
        for base in bases:
            for dirpath, _, _ in sorted(os.walk(base), key=lambda w: -len(w[0])):
                try:
                    os.rmdir(dirpath)
                except FileNotFoundError:
                    pass
                except OSError:
                    left = True
        if not left:
            return
        reap_orphans(set())
        time.sleep(0.1)
    log(f"cleanup: could not remove every cgroup below {parent}")


def unpack_image(layout, tag, dest):
    """The image's layers extracted in order (the busybox image has no
    whiteouts): the raw runtimes' rootfs."""
    index = json.loads((layout / "index.json").read_text())
    desc = next(m for m in index["manifests"]
                if m.get("annotations", {}).get("org.opencontainers.image.ref.name") == tag)
    blob = lambda d: layout / "blobs" / d.split(":")[0] / d.split(":")[1]  # noqa: E731
    manifest = json.loads(blob(desc["digest"]).read_text())
    dest.mkdir(parents=True)
    for layer in manifest["layers"]:
        with tarfile.open(blob(layer["digest"])) as t:
            t.extractall(dest, numeric_owner=True)


class Cleanup:
    """Undo actions run in reverse order, each once, errors reported and
    skipped so that the rest still runs."""

    def __init__(self):
        self.actions = []

    def push(self, what, fn):
        self.actions.append((what, fn))

    def run(self):
        while self.actions:
            what, fn = self.actions.pop()
            try:
                fn()
            except Exception as e:  # keep cleaning
                log(f"cleanup: {what}: {e}")


# ---------------------------------------------------------------- raw runtimes

class RawRuntime:
    """`RUNTIME run -d` of a bundle with a `runc spec` config: namespaces
    incl. an empty network namespace, the container in CGROUP_PARENT/ID with
    the task's 8 MiB memory limit. Its rootfs is what the agent gives a
    container: an overlay mount with the unpacked image as its lower layer
    and a fresh upper directory, mounted before the clock starts (preparing
    it is part of the agent's work, not of the runtime's)."""

    def __init__(self, name, binary, work, template, rootfs, cgroup_parent, cleanup):
        self.name, self.binary = name, binary
        self.root = work / f"{name}-root"
        self.bundles = work / f"{name}-bundles"
        self.bundles.mkdir(parents=True)
        self.stderr = open(work / f"{name}.stderr", "ab")
        self.template, self.rootfs = template, rootfs
        self.cgroup_parent = cgroup_parent
        self.serial = 0
        self.live = set()
        self.unavailable = None
        cleanup.push(f"{name} containers", self.teardown)

    def bundle(self):
        self.serial += 1
        cid = f"bench-{self.name}-{self.serial}"
        spec = json.loads(json.dumps(self.template))
        spec["root"] = {"path": str(self.rootfs), "readonly": False}
        spec["process"]["terminal"] = False
        spec["process"]["args"] = COMMAND
        spec["hostname"] = cid
        spec["linux"]["cgroupsPath"] = f"{self.cgroup_parent}/{cid}"
        spec["linux"].setdefault("resources", {})["memory"] = {"limit": MEMORY_MIB << 20}
        d = self.bundles / cid
        d.mkdir()
        for sub in ("upper", "work", "rootfs"):
            (d / sub).mkdir()
        run("mount", "-t", "overlay", "overlay", "-o",
            f"lowerdir={self.rootfs},upperdir={d / 'upper'},workdir={d / 'work'}", d / "rootfs")
        spec["root"]["path"] = str(d / "rootfs")
        (d / "config.json").write_text(json.dumps(spec))
        return cid, d

    def start(self, cid, bundle):
        """Seconds `run -d` took; stdio to /dev/null and a file, never a
        pipe: the container inherits them and would hold a pipe open."""
        self.stderr.flush()
        mark = self.stderr.tell()
        t0 = time.perf_counter()
        rc = subprocess.call([self.binary, "--root", str(self.root), "run", "-d", "--bundle",
                              str(bundle), cid], stdin=subprocess.DEVNULL,
                             stdout=subprocess.DEVNULL, stderr=self.stderr)
        took = time.perf_counter() - t0
        self.live.add(cid)
        if rc != 0:
            self.stop(cid)
            with open(self.stderr.name, "rb") as f:
                f.seek(mark)
                lines = f.read().decode(errors="replace").strip().splitlines()
            raise RuntimeError(f"{self.name} run failed ({rc}): "
                               f"{lines[-1] if lines else 'no message'}")
        return took

    def stop(self, cid):
        subprocess.call([self.binary, "--root", str(self.root), "delete", "-f", cid],
                        stdin=subprocess.DEVNULL, stdout=subprocess.DEVNULL,
                        stderr=subprocess.DEVNULL)
        self.live.discard(cid)
        if os.path.ismount(self.bundles / cid / "rootfs"):
            run("umount", self.bundles / cid / "rootfs", check=False)
        shutil.rmtree(self.bundles / cid, ignore_errors=True)

    def probe(self):
        """None if the runtime runs a container here, else why not."""
        if not shutil.which(self.binary):
            return f"{self.binary} is not installed"
        cid, b = self.bundle()
        try:
            self.start(cid, b)
        except RuntimeError as e:
            return str(e)
        self.stop(cid)
        return None

    def teardown(self):
        if self.root.exists():
            r = run(self.binary, "--root", self.root, "list", "-q", check=False)
            for cid in r.stdout.split():
                self.stop(cid)
        for cid in list(self.live):
            self.stop(cid)
        self.stderr.close()


class Podman:
    """podman run -d with its own storage, run root and cgroup parent, the
    image pulled from the same OCI layout, runc as runtime (crun, podman's
    default, does not run on this cgroup layout), cgroupfs manager (no
    systemd), k8s-file logs through conmon, --network none."""

    def __init__(self, work, layout_ref, cgroup_parent, cleanup):
        self.work = work / "podman"
        self.work.mkdir()
        self.base = ["podman", "--root", str(self.work / "root"), "--runroot",
                     str(self.work / "run"), "--tmpdir", str(self.work / "tmp"),
                     "--cgroup-manager", "cgroupfs", "--events-backend", "file",
                     "--runtime", shutil.which("runc") or "runc"]
        self.layout_ref = layout_ref
        self.cgroup_parent = cgroup_parent
        self.image = None
        self.conmon = None
        self.live = set()
        self.unavailable = None
        self.shm_lock_existed = os.path.exists("/dev/shm/libpod_lock")
        cleanup.push("podman", self.teardown)

    def probe(self):
        if not shutil.which("podman"):
            return "podman is not installed (apt-get install podman)"
        try:
            out = run(*self.base, "pull", "-q", self.layout_ref, timeout=120).stdout
            self.image = out.strip().splitlines()[-1]
            self.stop(self.start_one()[0])
        except (RuntimeError, subprocess.TimeoutExpired, IndexError) as e:
            return str(e).strip().splitlines()[-1].split(": ", 1)[-1][-300:]
        return None

    def start_one(self):
        t0 = time.perf_counter()
        # podman's default nofile and nproc limits are above this host's
        # hard limits, which runc may not raise here
        r = run(*self.base, "run", "-d", "--network", "none", "--log-driver", "k8s-file",
                "--ulimit", "nofile=1024:1024", "--ulimit", "nproc=4096:4096",
                "--cgroup-parent", self.cgroup_parent, "--memory", f"{MEMORY_MIB}m",
                self.image, *COMMAND)
        took = time.perf_counter() - t0
        cid = r.stdout.strip()
        self.live.add(cid)
        if self.conmon is None:  # conmon's memory, once, for comparison with the shim
            pid = run(*self.base, "inspect", "--format", "{{.State.ConmonPid}}", cid).stdout
            try:
                self.conmon = mem_kib(int(pid))
            except (ValueError, OSError):
                pass
        return cid, took

    def stop(self, cid):
        run(*self.base, "rm", "-f", "-t", "0", cid, check=False)
        self.live.discard(cid)

    def teardown(self):
        if shutil.which("podman") and self.work.exists():
            run(*self.base, "rm", "-a", "-f", "-t", "0", check=False)
            run(*self.base, "rmi", "-a", "-f", check=False)
        for mp in mounts_below(self.work):
            run("umount", "-l", mp, check=False)
        if not self.shm_lock_existed and os.path.exists("/dev/shm/libpod_lock"):
            os.unlink("/dev/shm/libpod_lock")
