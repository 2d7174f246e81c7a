# SPDX-License-Identifier: Apache-2.0
"""ecs-agent-shim with the real runc: exit codes, signals, logs and their
rotation, journald without a journal, create failures, surviving SIGTERM and
its parent's death, OOM kills, its own memory, and the shim as a spare.

Needs root (runc, cgroups) and a static busybox (Debian's busybox-static) to
build a tiny rootfs. Every test removes its containers, cgroups, processes
and files.
"""
import json
import os
import pathlib
import re
import shutil
import signal
import struct
import subprocess
import tempfile
import time
import uuid

import pytest

SOURCE_DIR = pathlib.Path(os.environ.get("ECS_SOURCE_DIR", pathlib.Path(__file__).resolve().parents[2]))
BUILD_DIR = pathlib.Path(os.environ.get("ECS_BUILD_DIR", SOURCE_DIR / "build"))
SHIM = BUILD_DIR / "agent" / "ecs-agent-shim"
RUNC = shutil.which("runc") or "/usr/sbin/runc"
BUSYBOX = pathlib.Path("/bin/busybox")
CGROUP_ROOT = pathlib.Path("/sys/fs/cgroup")
APPLETS = ["sh", "sleep", "head", "tail", "cat", "echo", "yes", "true", "tr"]

pytestmark = [
    pytest.mark.skipif(os.geteuid() != 0, reason="runc and cgroups need root"),
    pytest.mark.skipif(not os.path.exists(RUNC), reason="runc is not installed"),
]


def is_static(path):
    """No PT_INTERP: the ELF names no dynamic loader."""
    with open(path, "rb") as f:
        head = f.read(4096)
    return b"ld-linux" not in head


@pytest.fixture(scope="module")
def rootfs():
    if not SHIM.exists():
        pytest.fail(f"{SHIM} is not built: run scripts/test")
    if not BUSYBOX.exists() or not is_static(BUSYBOX):
        pytest.fail("a static /bin/busybox is needed (Debian package busybox-static)")
    top = pathlib.Path(tempfile.mkdtemp(prefix="shim-rootfs-"))
    root = top / "rootfs"
    (root / "bin").mkdir(parents=True)
    for d in ("proc", "dev", "sys", "tmp"):
        (root / d).mkdir()
    shutil.copy2(BUSYBOX, root / "bin" / "busybox")
    for applet in APPLETS:
        (root / "bin" / applet).symlink_to("busybox")
    yield root
    shutil.rmtree(top)


def remove_cgroup_tree(name):
    """rmdir /sys/fs/cgroup/*/NAME (and below), deepest first."""
    for hier in [CGROUP_ROOT, *CGROUP_ROOT.iterdir()]:
        top = hier / name
        if not top.is_dir():
            continue
        dirs = sorted((p for p in top.rglob("*") if p.is_dir()), key=lambda p: -len(p.parts))
        for d in [*dirs, top]:
            try:
                d.rmdir()
            except OSError:
                pass


class Shim:
    """One container run through the shim, in its own temp directory."""

    def __init__(self, rootfs, tmp, args, memory=None, log="json-file", log_opts=()):
        self.id = "shimtest-" + uuid.uuid4().hex[:10]
        self.cgroup_parent = "ecs-shim-test-" + uuid.uuid4().hex[:8]
        self.tmp = tmp
        self.bundle = tmp / "bundle"
        self.state = tmp / "state"
        self.runtime_root = tmp / "runc"
        self.log_path = tmp / "container.log"
        for d in (self.bundle, self.state, self.runtime_root):
            d.mkdir()
        config = {
            "ociVersion": "1.0.2",
            "process": {
                "terminal": False,
                "user": {"uid": 0, "gid": 0},
                "args": args,
                "env": ["PATH=/bin"],
                "cwd": "/",
                "noNewPrivileges": True,
            },
            "root": {"path": str(rootfs), "readonly": True},
            "hostname": "shimtest",
            "mounts": [
                {"destination": "/proc", "type": "proc", "source": "proc"},
                {"destination": "/dev", "type": "tmpfs", "source": "tmpfs",
                 "options": ["nosuid", "mode=755", "size=1m"]},
                {"destination": "/tmp", "type": "tmpfs", "source": "tmpfs",
                 "options": ["nosuid", "nodev", "size=1m"]},
            ],
            "linux": {
                "namespaces": [{"type": t} for t in ("pid", "ipc", "uts", "mount", "network")],
                "cgroupsPath": f"/{self.cgroup_parent}/{self.id}",
                "maskedPaths": ["/proc/kcore", "/proc/keys"],
                "readonlyPaths": ["/proc/sys", "/proc/sysrq-trigger"],
            },
        }
        if memory:
            config["linux"]["resources"] = {"memory": {"limit": memory, "swap": memory}}
        (self.bundle / "config.json").write_text(json.dumps(config))
        self.argv = [str(SHIM), "--runtime", RUNC, "--runtime-root", str(self.runtime_root),
                     "--id", self.id, "--bundle", str(self.bundle),
                     "--state-dir", str(self.state), "--log-driver", log]
        if log == "json-file":
            self.argv += ["--log-path", str(self.log_path)]
        self.argv += list(log_opts)
        self.proc = None
        self.pid = None

    def start(self):
        self.proc = subprocess.Popen(self.argv, stdin=subprocess.DEVNULL,
                                     stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)
        self.pid = self.proc.pid
        return self

    def start_spare(self, blank=" " * 4095):
        """As a spare (agent/shim/job.h): started with no container, and
        handed its command line through fd 3 by hand(). bash, not sh: dash
        redirects only single-digit descriptors."""
        r, self.job_w = os.pipe()
        self.proc = subprocess.Popen(["/bin/bash", "-c", f'exec "$0" "$@" 3<&{r}', str(SHIM),
                                      "--spare", blank],
                                     pass_fds=[r], stdin=subprocess.DEVNULL,
                                     stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)
        os.close(r)
        self.pid = self.proc.pid
        return self

    def hand(self, job=None):
        if job is None:
            payload = b"".join(a.encode() + b"\0" for a in self.argv)
            job = struct.pack("<I", len(payload)) + payload
        os.write(self.job_w, job)
        os.close(self.job_w)
        return self

    def wait_file(self, name, timeout=20):
        path = self.state / name
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            if path.exists():
                return record(path)
            time.sleep(0.02)
        raise AssertionError(f"{path} did not appear; shim stderr: {self.stderr()}")

    def stderr(self):
        if self.proc and self.proc.poll() is not None:
            return self.proc.stderr.read().decode(errors="replace")
        return "(running)"

    def wait_exit(self, timeout=20):
        rec = self.wait_file("exit", timeout)
        if self.proc:
            self.proc.wait(timeout=10)
        return rec

    def runc(self, *args):
        return subprocess.run([RUNC, "--root", str(self.runtime_root), *args],
                              capture_output=True, text=True, timeout=30)

    def log_entries(self, path=None):
        text = (path or self.log_path).read_text()
        return [json.loads(line) for line in text.splitlines()]

    def cleanup(self):
        if self.pid:
            try:
                os.kill(self.pid, signal.SIGKILL)
            except ProcessLookupError:
                pass
        if self.proc:
            self.proc.wait(timeout=10)
            self.proc.stderr.close()
        out = self.runc("list", "-q").stdout.split()
        for cid in out:
            self.runc("delete", "--force", cid)
        remove_cgroup_tree(self.cgroup_parent)


def record(path):
    out = {}
    for line in path.read_text().splitlines():
        key, _, value = line.partition("=")
        out[key] = value
    return out


@pytest.fixture
def make_shim(rootfs):
    made = []

    def make(args, **kw):
        tmp = pathlib.Path(tempfile.mkdtemp(prefix="shim-test-"))
        s = Shim(rootfs, tmp, args, **kw)
        made.append(s)
        return s

    yield make
    for s in made:
        s.cleanup()
        shutil.rmtree(s.tmp, ignore_errors=True)


TIME_RE = re.compile(r"^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{9}Z$")


def test_exit_code_streams_and_records(make_shim):
    s = make_shim(["/bin/sh", "-c", "echo out1; echo 'err <1>' >&2; echo out2; exit 42"]).start()
    ex = s.wait_exit()
    assert ex["exit_code"] == "42"
    assert ex["signal"] == "0"
    assert ex["oom_killed"] == "0"
    assert "error" not in ex
    started = record(s.state / "started")
    assert int(started["pid"]) > 0
    assert int(ex["finished_ms"]) >= int(started["started_ms"]) > 0
    assert (s.state / "shim.pid").read_text() == f"{s.pid}\n"
    assert s.proc.returncode == 0

    entries = s.log_entries()
    by_stream = {"stdout": [], "stderr": []}
    for e in entries:
        assert set(e) == {"log", "stream", "time"}
        assert TIME_RE.match(e["time"]), e["time"]
        by_stream[e["stream"]].append(e["log"])
    assert by_stream == {"stdout": ["out1\n", "out2\n"], "stderr": ["err <1>\n"]}
    # Docker's escaping of HTML characters, byte for byte.
    assert "\\u003c1\\u003e" in s.log_path.read_text()
    # The shim deleted the container.
    assert s.runc("list", "-q").stdout.split() == []


def test_sigkill_through_runc(make_shim):
    s = make_shim(["/bin/sh", "-c", "echo ready; sleep 100"]).start()
    s.wait_file("started")
    assert s.runc("kill", s.id, "KILL").returncode == 0
    ex = s.wait_exit()
    assert ex["exit_code"] == "137"
    assert ex["signal"] == "9"
    assert ex["oom_killed"] == "0"
    assert [e["log"] for e in s.log_entries()] == ["ready\n"]


def test_init_pid_from_the_children_list(make_shim):
    """Under runc the shim learns the init from its children list, sparing
    runc an O_SYNC pid file; the pid is the runtime's own."""
    s = make_shim(["/bin/sh", "-c", "sleep 100"]).start()
    started = s.wait_file("started")
    state = json.loads(s.runc("state", s.id).stdout)
    assert int(started["pid"]) == state["pid"]
    assert not (s.state / "container.pid").exists()
    assert s.runc("kill", s.id, "KILL").returncode == 0
    assert s.wait_exit()["exit_code"] == "137"


def test_json_file_rotation(make_shim):
    script = 'i=0; while [ $i -lt 300 ]; do echo "line $i"; i=$((i+1)); done'
    s = make_shim(["/bin/sh", "-c", script],
                  log_opts=["--log-max-size", "1024", "--log-max-file", "3"]).start()
    assert s.wait_exit()["exit_code"] == "0"
    files = [s.log_path.with_name(s.log_path.name + ".2"),
             s.log_path.with_name(s.log_path.name + ".1"), s.log_path]
    numbers = []
    for f in files:
        assert f.exists(), f
        assert 0 < f.stat().st_size <= 1024
        numbers += [int(e["log"].split()[1]) for e in s.log_entries(f)]
    assert not s.log_path.with_name(s.log_path.name + ".3").exists()
    # The newest lines, in order, without a gap.
    assert numbers[-1] == 299
    assert numbers == list(range(numbers[0], 300))


def test_log_driver_none_drains(make_shim):
    # 2 MiB of output: far more than a pipe holds, so the container only
    # finishes if the shim reads and discards.
    s = make_shim(["/bin/sh", "-c", "yes | head -c 2097152; exit 3"], log="none").start()
    assert s.wait_exit()["exit_code"] == "3"
    assert not s.log_path.exists()


def test_journald_without_socket(make_shim):
    s = make_shim(["/bin/sh", "-c", "echo to-journal; exit 5"], log="journald",
                  log_opts=["--log-field", "CONTAINER_NAME=web",
                            "--log-field", "ECS_TASK_ARN=arn:aws:ecs:r:1:task/c/t"]).start()
    ex = s.wait_exit()
    assert ex["exit_code"] == "5"
    assert "error" not in ex
    assert s.proc.returncode == 0


def test_create_failure_records_error(make_shim):
    s = make_shim(["/bin/nosuch-binary"]).start()
    ex = s.wait_exit()
    assert ex["exit_code"] == "-1"
    assert ex["signal"] == "0"
    assert "nosuch-binary" in ex["error"]
    assert "\n" not in ex["error"] and not ex["error"].startswith("time=")
    assert not (s.state / "started").exists()
    assert s.proc.returncode == 1
    assert s.runc("list", "-q").stdout.split() == []


def test_survives_sigterm_and_parent_death(make_shim):
    s = make_shim(["/bin/sh", "-c", "sleep 2; echo done; exit 7"])
    # Started from a shell that exits at once: the shim is orphaned.
    argv = " ".join(f"'{a}'" for a in s.argv)
    out = subprocess.run(["/bin/sh", "-c", f"{argv} </dev/null >/dev/null 2>&1 & echo $!"],
                         capture_output=True, text=True, timeout=10)
    s.pid = int(out.stdout.strip())
    s.wait_file("started")
    status = pathlib.Path(f"/proc/{s.pid}/status").read_text()
    assert int(re.search(r"PPid:\s+(\d+)", status).group(1)) != os.getpid()
    os.kill(s.pid, signal.SIGTERM)
    os.kill(s.pid, signal.SIGINT)
    os.kill(s.pid, signal.SIGHUP)
    time.sleep(0.3)
    assert pathlib.Path(f"/proc/{s.pid}/cmdline").read_bytes().startswith(str(SHIM).encode())
    ex = s.wait_exit()
    assert ex["exit_code"] == "7"
    assert [e["log"] for e in s.log_entries()] == ["done\n"]


def test_oom_kill_recorded(make_shim):
    # The shell itself holds 100 MB in a variable under a 16 MiB limit.
    s = make_shim(["/bin/sh", "-c", "x=$(yes | head -c 100000000); echo survived"],
                  memory=16 * 1024 * 1024).start()
    ex = s.wait_exit(timeout=60)
    assert ex["oom_killed"] == "1"
    assert ex["exit_code"] == "137"
    assert ex["signal"] == "9"


def test_shim_rss(make_shim):
    s = make_shim(["/bin/sh", "-c", "i=0; while [ $i -lt 50 ]; do echo line $i; echo e $i >&2; "
                   "i=$((i+1)); done; sleep 100"]).start()
    s.wait_file("started")
    time.sleep(1)
    status = pathlib.Path(f"/proc/{s.pid}/status").read_text()
    rss_kib = int(re.search(r"VmRSS:\s+(\d+) kB", status).group(1))
    rollup = pathlib.Path(f"/proc/{s.pid}/smaps_rollup").read_text()
    pss_kib = int(re.search(r"^Pss:\s+(\d+) kB", rollup, re.M).group(1))
    print(f"ecs-agent-shim RSS {rss_kib} KiB, PSS {pss_kib} KiB")
    assert len(s.log_entries()) == 100
    if is_static(SHIM):  # sanitizer builds are dynamic and much larger
        assert rss_kib < 512, f"shim RSS {rss_kib} KiB"
    assert s.runc("kill", s.id, "KILL").returncode == 0
    assert s.wait_exit()["exit_code"] == "137"


def test_spare_runs_the_container_it_is_handed(make_shim):
    s = make_shim(["/bin/sh", "-c", "echo spare-ran; exit 5"]).start_spare()
    time.sleep(0.3)
    # Waiting, and knowing of no container yet.
    assert s.proc.poll() is None
    assert not any(s.state.iterdir())
    s.hand()
    ex = s.wait_exit()
    assert ex["exit_code"] == "5"
    assert (s.state / "shim.pid").read_text() == f"{s.pid}\n"
    assert [e["log"] for e in s.log_entries()] == ["spare-ran\n"]
    assert s.proc.returncode == 0


def cmdline(pid):
    return pathlib.Path(f"/proc/{pid}/cmdline").read_bytes().split(b"\0")


@pytest.mark.parametrize("blank", ["long", "short"])
def test_spare_shows_its_containers_command_line(make_shim, blank):
    """What the agent's recovery and ps read: the command line the shim would
    have been exec'd with. In the spare's blank argument, NUL-padded; where
    that is too short, the spare execs itself with it."""
    s = make_shim(["/bin/sh", "-c", "sleep 100"])
    if blank == "long":
        s.start_spare()
    else:
        s.start_spare(blank=" ")
    s.hand()
    s.wait_file("started")
    args = [a.decode() for a in cmdline(s.pid)]
    if blank == "long":
        assert args[len(s.argv):] == [""] * (len(args) - len(s.argv))
        args = args[:len(s.argv)]
    else:
        assert args[-1] == ""
        args = args[:-1]
    assert args == s.argv
    assert s.runc("kill", s.id, "KILL").returncode == 0
    assert s.wait_exit()["exit_code"] == "137"


def test_spare_let_go_or_misfed(make_shim):
    # Closed without a job (the agent dropped it or died): exits quietly.
    s = make_shim(["/bin/true"]).start_spare()
    os.close(s.job_w)
    assert s.proc.wait(timeout=10) == 0
    assert s.proc.stderr.read() == b""
    assert not any(s.state.iterdir())
    # A job cut short: refused, nothing started.
    t = make_shim(["/bin/true"]).start_spare()
    t.hand(job=b"\x09\x00\x00\x00garbage")
    assert t.proc.wait(timeout=10) == 1
    assert b"malformed job" in t.proc.stderr.read()
    assert not any(t.state.iterdir())
    assert t.runc("list", "-q").stdout.split() == []
