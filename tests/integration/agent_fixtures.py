# SPDX-License-Identifier: Apache-2.0
"""Fixtures for end-to-end tests of the real ecs-agent daemon.

An AgentHost is one simulated host: a network namespace joined to the root
namespace by a private veth pair, an ecs-controlplane listening on the
root-side address (so the aws CLI in the root namespace and the agent inside
the namespace both reach it), a cluster with a join token, and an ecs-agent
with its own data directory, cgroup parent and instance identity. Teardown
removes everything it made even after a failed test: runc containers, shims,
mounts under the data directory, cgroups in every hierarchy, the namespace,
the control plane and the temporary directory.

Test modules import what they use:
    from agent_fixtures import AgentHost, images, needs_root  # noqa: F401
"""
import glob
import itertools
import json
import os
import pathlib
import re
import shutil
import signal
import socket
import subprocess
import tempfile
import time

import pytest

from cp_fixtures import AWS_CLI, BUILD_DIR, SOURCE_DIR, CliResult, ControlPlane, cli_env, make_client

AGENT_DIR = BUILD_DIR / "agent"
AGENT = AGENT_DIR / "ecs-agent"
MKIMAGE = SOURCE_DIR / "tests" / "tools" / "mkimage.py"
PYTHON = "/usr/bin/python3"
JOIN_TOKEN = "agent-e2e-join-0001"
CGROUP_ROOT = pathlib.Path("/sys/fs/cgroup")

needs_root = pytest.mark.skipif(os.geteuid() != 0,
                                reason="needs root: network namespaces, mounts, cgroups and runc")

_serial = itertools.count()


def _run(*args, check=True, timeout=30):
    proc = subprocess.run([str(a) for a in args], capture_output=True, text=True, timeout=timeout)
    if check and proc.returncode != 0:
        raise AssertionError(f"{' '.join(map(str, args))} failed ({proc.returncode}): {proc.stderr}")
    return proc


def _require_binaries():
    for name in ("ecs-agent", "ecs-agent-shim", "ecs-agent-init"):
        if not (AGENT_DIR / name).exists():
            pytest.fail(f"{AGENT_DIR / name} is not built: run make")
    if not shutil.which("runc"):
        pytest.skip("runc is not installed")


def _free_subnet():
    """A 10.251.N.0/30 that no interface on the host uses yet."""
    used = _run("ip", "-o", "-4", "addr", "show").stdout
    start = (os.getpid() * 7 + next(_serial)) % 250
    for i in range(250):
        n = (start + i) % 250 + 1
        if f" 10.251.{n}." not in used:
            return n
    raise AssertionError("no free 10.251.N.0/30 subnet")


def _free_port(addr):
    with socket.socket() as s:
        s.bind((addr, 0))
        return s.getsockname()[1]


def task_id(arn):
    return arn.rsplit("/", 1)[1]


class HostControlPlane(ControlPlane):
    """ControlPlane listening on a given address and a fixed port, so that an
    agent in another namespace reaches it and its URL survives a restart
    (cp_fixtures.insert_task restarts the daemon)."""

    def __init__(self, workdir, addr, extra_args=()):
        super().__init__(workdir, extra_args=extra_args)
        self.addr = addr
        self.port = _free_port(addr)

    @property
    def endpoint(self):
        return f"http://{self.addr}:{self.port}"

    def start(self, timeout=10):
        args = [str(self.binary), "--config", str(self.config), "--listen", f"{self.addr}:{self.port}",
                "--db", str(self.db), "--region", "us-east-1", "--account-id", "123456789012",
                "--credentials", str(self.credentials), *self.extra_args]
        self.log.write_text("")
        env = {k: v for k, v in os.environ.items() if not k.startswith("ECS_CP_")}
        with open(self.log, "ab") as log:
            self.proc = subprocess.Popen(args, stdout=log, stderr=log, stdin=subprocess.DEVNULL,
                                         env=env)
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            if "Listening on http://" in self.log.read_text():
                return self
            if self.proc.poll() is not None:
                pytest.fail(f"ecs-controlplane exited with {self.proc.returncode}:\n{self.log.read_text()}")
            time.sleep(0.02)
        self.kill()
        pytest.fail(f"ecs-controlplane did not start:\n{self.log.read_text()}")


class AgentHost:
    """One host: netns + veth, control plane, cluster, agent. Use as a context
    manager or call teardown(); both are safe after any failure."""

    def __init__(self, config=None, cluster=None, cp_args=()):
        _require_binaries()
        self.n = next(_serial)
        self.workdir = pathlib.Path(tempfile.mkdtemp(prefix="ecs-agent-e2e."))
        self.datadir = self.workdir / "data"
        self.config_path = self.workdir / "ecs-agent.conf"
        self.log = self.workdir / "agent.log"
        self.cgroup_parent = f"/ecs-test-{os.getpid()}-{self.n}"
        self.identity = f"e2e-{os.getpid()}-{self.n}-{os.urandom(3).hex()}"
        self.cluster = cluster or f"e2e-{os.getpid()}-{self.n}"
        self.netns = None
        self.veth = None
        self.proc = None
        self.cp = None
        self.extra_config = dict(config or {})
        self.torn_down = False
        self.instance_arn = None
        self._client = None
        try:
            self._make_network()
            (self.workdir / "cp").mkdir()
            self.cp = HostControlPlane(self.workdir / "cp", self.root_addr,
                                       extra_args=("--join-token", JOIN_TOKEN, "--poll-timeout", "2s",
                                                   *cp_args)).start()
            r = self.aws("ecs", "create-cluster", "--cluster-name", self.cluster)
            assert r.rc == 0, r.stderr
        except BaseException:
            self.teardown()
            raise

    # ---- context manager ----
    def __enter__(self):
        return self

    def __exit__(self, *exc):
        self.teardown()

    # ---- network ----
    def _make_network(self):
        sub = _free_subnet()
        tag = f"{os.getpid() % 100000}x{self.n}"
        self.netns = f"ecs-e2e-{tag}"
        self.veth = f"ve2e{tag}"[:15]
        peer = f"vp2e{tag}"[:15]
        self.root_addr = f"10.251.{sub}.1"
        self.ns_addr = f"10.251.{sub}.2"
        _run("ip", "netns", "add", self.netns)
        _run("ip", "-n", self.netns, "link", "set", "lo", "up")
        _run("ip", "link", "add", self.veth, "type", "veth", "peer", "name", peer)
        _run("ip", "link", "set", peer, "netns", self.netns)
        _run("ip", "addr", "add", f"{self.root_addr}/30", "dev", self.veth)
        _run("ip", "link", "set", self.veth, "up")
        _run("ip", "-n", self.netns, "addr", "add", f"{self.ns_addr}/30", "dev", peer)
        _run("ip", "-n", self.netns, "link", "set", peer, "up")

    def in_netns(self, *args, timeout=30):
        return _run("nsenter", f"--net=/run/netns/{self.netns}", *args, check=False, timeout=timeout)

    # ---- the aws CLI and boto-shaped helpers ----
    def aws(self, *args, timeout=60):
        cmd = [AWS_CLI, "--no-cli-pager", "--output", "json", "--endpoint-url", self.cp.endpoint, *args]
        proc = subprocess.run(cmd, capture_output=True, text=True, timeout=timeout,
                              env=cli_env(self.workdir))
        return CliResult(proc)

    @property
    def client(self):
        """boto3 for the frequent reads (describe while waiting): the aws CLI
        costs a Python start-up per call."""
        if self._client is None:
            self._client = make_client(self.cp.endpoint)
        return self._client

    def ecs(self, *args, **kw):
        """aws ecs ARGS, asserting success; returns the parsed reply."""
        r = self.aws("ecs", *args, **kw)
        if r.rc != 0:
            raise AssertionError(f"aws ecs {args[0]} failed: {r.stderr}")
        return r.json if r.stdout.strip() else {}

    # ---- the agent ----
    def config_values(self):
        values = {
            "ECS_CLUSTER": self.cluster,
            "ECS_DATADIR": str(self.datadir),
            "ECS_CONTROLPLANE_URL": self.cp.endpoint,
            "ECS_JOIN_TOKEN": JOIN_TOKEN,
            "ECS_CGROUP_PARENT": self.cgroup_parent,
            "ECS_INSTANCE_IDENTITY": self.identity,
            "ECS_CONTAINER_STOP_TIMEOUT": "2s",
            "ECS_ENGINE_TASK_CLEANUP_WAIT_DURATION": "1h",
            "ECS_LOGLEVEL": "debug",
            "ECS_POLL_WAIT": "2s",
            "ECS_RECONNECT_MAX_BACKOFF": "1s",
        }
        values.update(self.extra_config)
        return values

    def write_config(self):
        lines = [f"{k}={v}" for k, v in self.config_values().items() if v is not None]
        self.config_path.write_text("# written by agent_fixtures.AgentHost\n" + "\n".join(lines) + "\n")

    def start(self, wait=True, timeout=20):
        """Start the agent inside the namespace. nsenter --net, not `ip netns
        exec`: the latter also unshares the mount namespace and remounts
        /sys, which hides /sys/fs/cgroup from the agent and its mounts from
        the test."""
        assert self.proc is None or self.proc.poll() is not None, "agent already running"
        self.write_config()
        with open(self.log, "ab") as log:
            log.write(b"==== agent start ====\n")
            log.flush()
            env = {k: v for k, v in os.environ.items() if not k.startswith("ECS_")}
            self.proc = subprocess.Popen(["nsenter", f"--net=/run/netns/{self.netns}", str(AGENT),
                                          "--config", str(self.config_path)],
                                         stdout=log, stderr=log, stdin=subprocess.DEVNULL, env=env)
        if wait:
            return self.wait_registered(timeout=timeout)
        return None

    def stop(self, timeout=15):
        """SIGTERM; returns the exit status."""
        if not self.proc or self.proc.poll() is not None:
            return self.proc.returncode if self.proc else None
        self.proc.send_signal(signal.SIGTERM)
        try:
            return self.proc.wait(timeout=timeout)
        except subprocess.TimeoutExpired:
            self.kill()
            raise AssertionError(f"ecs-agent did not exit on SIGTERM\n{self.log_tail()}")

    def kill(self):
        if self.proc and self.proc.poll() is None:
            self.proc.kill()
            self.proc.wait()

    def restart(self, wait=True):
        self.stop()
        return self.start(wait=wait)

    def running(self):
        return self.proc is not None and self.proc.poll() is None

    def log_text(self):
        return self.log.read_text(errors="replace") if self.log.exists() else ""

    def log_tail(self, lines=60):
        text = "\n".join(self.log_text().splitlines()[-lines:])
        return f"---- agent log ({self.log}) ----\n{text}\n---- end of agent log ----"

    def instances(self):
        arns = self.ecs("list-container-instances", "--cluster", self.cluster)["containerInstanceArns"]
        if not arns:
            return []
        return self.ecs("describe-container-instances", "--cluster", self.cluster,
                        "--container-instances", *arns)["containerInstances"]

    def instance_arns(self):
        return self.client.list_container_instances(cluster=self.cluster)["containerInstanceArns"]

    def describe_instance(self):
        reply = self.ecs("describe-container-instances", "--cluster", self.cluster,
                         "--container-instances", self.instance_arn)
        return reply["containerInstances"][0]

    def wait_registered(self, timeout=20):
        """The ARN this agent registered as, once the control plane lists
        it (list-container-instances only: a describe is a test of its own)."""
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            if not self.running():
                raise AssertionError(f"ecs-agent exited with {self.proc.returncode}\n{self.log_tail()}")
            m = re.findall(r"Registered as (arn:\S+)", self.log_text())
            if m and m[-1] in self.instance_arns():
                self.instance_arn = m[-1]
                return self.instance_arn
            time.sleep(0.1)
        raise AssertionError(f"the agent did not register within {timeout}s\n{self.log_tail()}")

    # ---- tasks ----
    def register(self, taskdef):
        td = dict(taskdef)
        return self.ecs("register-task-definition", "--cli-input-json",
                        json.dumps(td))["taskDefinition"]["taskDefinitionArn"]

    def run_task_raw(self, taskdef, overrides=None):
        """Register `taskdef` (a dict) and run it; the RunTask reply."""
        td_arn = self.register(taskdef)
        args = ["run-task", "--cluster", self.cluster, "--task-definition", td_arn]
        if overrides:
            args += ["--overrides", json.dumps(overrides)]
        return self.ecs(*args)

    def run_task(self, taskdef, overrides=None):
        """Register and run; returns the task ARN (fails on placement failures)."""
        reply = self.run_task_raw(taskdef, overrides)
        assert not reply.get("failures"), f"run-task failures: {reply['failures']}"
        assert len(reply["tasks"]) == 1, reply
        return reply["tasks"][0]["taskArn"]

    def describe(self, arn):
        reply = self.client.describe_tasks(cluster=self.cluster, tasks=[arn])
        assert reply["tasks"], f"no such task {arn}: {reply.get('failures')}"
        return reply["tasks"][0]

    def stop_task(self, arn, reason="stopped by the test"):
        return self.ecs("stop-task", "--cluster", self.cluster, "--task", arn, "--reason", reason)["task"]

    def wait_status(self, arn, status="RUNNING", timeout=30):
        """Wait until lastStatus is `status`; returns the task. Fails early
        when the task stops while waiting for RUNNING."""
        deadline = time.monotonic() + timeout
        task = None
        while time.monotonic() < deadline:
            task = self.describe(arn)
            if task["lastStatus"] == status:
                return task
            if task["lastStatus"] == "STOPPED" and status != "STOPPED":
                break
            time.sleep(0.2)
        raise AssertionError(f"task {arn} is {task and task['lastStatus']}, not {status}:\n"
                             f"{json.dumps(task, indent=1, default=str)}\n{self.log_tail()}")

    def container(self, task, name):
        for c in task["containers"]:
            if c["name"] == name:
                return c
        raise AssertionError(f"no container {name} in {json.dumps(task, default=str)}")

    def task_dir(self, arn):
        return self.datadir / "tasks" / task_id(arn)

    def container_dir(self, arn, name):
        return self.task_dir(arn) / name

    def logs(self, arn, name):
        """The container's json-file log: a list of decoded lines."""
        files = sorted(glob.glob(str(self.container_dir(arn, name) / "*-json.log")))
        assert files, f"no json-file log in {self.container_dir(arn, name)}"
        out = []
        for path in files:
            with open(path) as f:
                out += [json.loads(line) for line in f if line.strip()]
        return out

    def log_lines(self, arn, name, stream=None):
        return [e["log"].rstrip("\n") for e in self.logs(arn, name)
                if stream is None or e["stream"] == stream]

    # ---- leaks ----
    def runtime(self):
        """The OCI runtime the agent is configured with (runc or crun)."""
        return self.config_values().get("ECS_RUNTIME") or "runc"

    def runc_root(self):
        return self.datadir / "runtime" / self.runtime()

    def runc_containers(self):
        if not self.runc_root().exists():
            return []
        r = _run(self.runtime(), "--root", self.runc_root(), "list", "-q", check=False)
        return [line for line in r.stdout.split() if line]

    def mounts(self):
        """Mount points under the data directory, deepest first."""
        prefix = str(self.datadir) + "/"
        out = []
        with open("/proc/self/mountinfo") as f:
            for line in f:
                mp = line.split()[4].replace("\\040", " ")
                if mp.startswith(prefix) or mp == str(self.datadir):
                    out.append(mp)
        return sorted(out, key=lambda p: -p.count("/"))

    def cgroup_dirs(self, below=None):
        """Cgroup directories below the agent's parent (or `below` inside it)
        in every mounted hierarchy, deepest first."""
        rel = self.cgroup_parent.strip("/") + (f"/{below}" if below else "")
        out = []
        for top in sorted(CGROUP_ROOT.iterdir()) if CGROUP_ROOT.is_dir() else []:
            base = top / rel
            if not base.is_dir() or top.is_symlink():
                continue
            for dirpath, dirnames, _ in os.walk(base):
                for d in dirnames:
                    out.append(pathlib.Path(dirpath) / d)
            if below:
                out.append(base)
        # cgroup2 mounted directly at /sys/fs/cgroup
        if (CGROUP_ROOT / "cgroup.controllers").exists():
            base = CGROUP_ROOT / rel
            if base.is_dir():
                for dirpath, dirnames, _ in os.walk(base):
                    out += [pathlib.Path(dirpath) / d for d in dirnames]
                if below:
                    out.append(base)
        return sorted(set(out), key=lambda p: -len(p.parts))

    def shim_pids(self):
        pids = []
        for d in glob.glob("/proc/[0-9]*"):
            try:
                cmd = pathlib.Path(d, "cmdline").read_bytes().split(b"\0")
            except OSError:
                continue
            if cmd and cmd[0].endswith(b"ecs-agent-shim") and any(str(self.datadir).encode() in a for a in cmd):
                pids.append(int(d.rsplit("/", 1)[1]))
        return pids

    def leaks(self):
        """What is left of the agent's tasks on the host: empty lists when
        nothing leaked (the agent's own cgroup parent itself may remain)."""
        return {
            "runc": self.runc_containers(),
            "mounts": self.mounts(),
            "cgroups": [str(p) for p in self.cgroup_dirs()],
            "shims": self.shim_pids(),
        }

    def assert_no_leaks(self):
        leaks = self.leaks()
        assert not any(leaks.values()), f"leaked: {json.dumps(leaks, indent=1)}\n{self.log_tail()}"

    # ---- teardown ----
    def teardown(self):
        if self.torn_down:
            return
        self.torn_down = True
        problems = []

        def attempt(fn, *args, **kw):
            try:
                fn(*args, **kw)
            except Exception as e:  # keep going: everything must go
                problems.append(f"{fn.__name__}: {e}")

        def kill(pid):
            """SIGKILL; one already gone is what we want (the agent's spare
            shim exits by itself once the agent is dead)."""
            try:
                os.kill(pid, signal.SIGKILL)
            except ProcessLookupError:
                pass

        attempt(self.kill)
        # Sanitizer builds: a report in the agent's log fails the test.
        m = re.search(r"^.*(ERROR: \w+Sanitizer|runtime error:).*$", self.log_text(), re.M)
        if m:
            problems.append(f"sanitizer report in the agent log: {m.group(0)}\n{self.log_tail(80)}")
        for cid in self.runc_containers():
            attempt(_run, self.runtime(), "--root", self.runc_root(), "kill", cid, "KILL", check=False)
        for cid in self.runc_containers():
            attempt(_run, self.runtime(), "--root", self.runc_root(), "delete", "--force", cid,
                    check=False)
        for pid in self.shim_pids():
            attempt(kill, pid)
        if self.netns:
            # Whatever still runs in the namespace was started by this host.
            r = _run("ip", "netns", "pids", self.netns, check=False)
            for pid in r.stdout.split():
                attempt(kill, int(pid))
        # Processes still in the task cgroups (containers runc lost track of).
        for cg in self.cgroup_dirs():
            procs = cg / "cgroup.procs"
            try:
                for pid in procs.read_text().split():
                    attempt(kill, int(pid))
            except OSError:
                pass
        time.sleep(0.1 if self.netns else 0)
        for mp in self.mounts():
            attempt(_run, "umount", "-l", mp, check=False)
        for cg in self.cgroup_dirs():
            for _ in range(20):
                try:
                    cg.rmdir()
                    break
                except FileNotFoundError:
                    break
                except OSError:
                    time.sleep(0.05)
        # The parent itself, in every hierarchy.
        rel = self.cgroup_parent.strip("/")
        for base in [CGROUP_ROOT / rel] + [top / rel for top in
                                          (CGROUP_ROOT.iterdir() if CGROUP_ROOT.is_dir() else [])]:
            try:
                base.rmdir()
            except OSError:
                pass
        if self.netns:
            attempt(_run, "ip", "netns", "del", self.netns, check=False)
        if self.veth:
            if _run("ip", "link", "show", self.veth, check=False).returncode == 0:
                attempt(_run, "ip", "link", "del", self.veth, check=False)
        if self._client is not None:
            attempt(self._client.close)
        if self.cp:
            attempt(self.cp.kill)
        shutil.rmtree(self.workdir, ignore_errors=True)
        if problems:
            raise AssertionError("teardown: " + "; ".join(problems))


@pytest.fixture
def agent_host():
    """A fresh host with a running, registered agent."""
    if os.geteuid() != 0:
        pytest.skip("needs root")
    with AgentHost() as host:
        host.start()
        yield host


class Images:
    """OCI image layouts built once per session with tests/tools/mkimage.py:
    `busybox` and an `ubuntu` stand-in (busybox applets plus capsh from
    libcap2-bin and coreutils' df), and any custom image via build()."""

    def __init__(self, outdir):
        self.outdir = pathlib.Path(outdir)
        self.cache = {}
        self.busybox = self.build("busybox:latest")
        args = []
        # Ubuntu's sh (dash) and coreutils' df, which prints sizes as the
        # conformance greps expect ("100M"; busybox: "100.0M"). /usr/bin comes
        # before busybox's /bin in PATH; busybox's own sh would run its
        # applets whatever PATH says.
        for tool, inside in (("/usr/bin/dash", "/usr/bin/sh"), ("/usr/bin/df", "/usr/bin/df")):
            if os.path.exists(tool):
                args += ["--add-binary", f"{tool}:{inside}"]
        capsh = shutil.which("capsh") or ("/usr/sbin/capsh" if os.path.exists("/usr/sbin/capsh") else None)
        self.has_capsh = capsh is not None
        if capsh:
            # libcap >= 2.4x's capsh --print adds a "Current IAB:" line naming
            # every dropped capability ("!cap_mknod"); the capsh of the image
            # the conformance tests were written for had none, and their
            # greps rely on that.
            extra = self.outdir.parent / (self.outdir.name + "-capsh-layer")
            (extra / "usr" / "sbin").mkdir(parents=True, exist_ok=True)
            wrapper = extra / "usr" / "sbin" / "capsh"
            wrapper.write_text("#!/bin/busybox sh\n/usr/sbin/capsh.real \"$@\" | grep -v '^Current IAB:'\n")
            wrapper.chmod(0o755)
            args += ["--add-binary", f"{capsh}:/usr/sbin/capsh.real", "--extra-layer", str(extra)]
        self.ubuntu = self.build("ubuntu:latest", *args)

    def build(self, tag, *args):
        key = (tag, args)
        if key in self.cache:
            return self.cache[key]
        if not MKIMAGE.exists():
            pytest.fail(f"{MKIMAGE} is missing")
        proc = subprocess.run([PYTHON, str(MKIMAGE), str(self.outdir), "--tag", tag, *args],
                              capture_output=True, text=True, timeout=120)
        if proc.returncode != 0:
            pytest.fail(f"mkimage.py {tag} failed: {proc.stderr}")
        ref = proc.stdout.strip().splitlines()[-1]
        assert ref.startswith("oci-layout:"), ref
        self.cache[key] = ref
        return ref


@pytest.fixture(scope="session")
def images():
    d = tempfile.mkdtemp(prefix="ecs-e2e-images.")
    try:
        yield Images(pathlib.Path(d) / "layout")
    finally:
        shutil.rmtree(d, ignore_errors=True)


def container_def(image, name="app", command=None, memory=64, **extra):
    c = {"name": name, "image": image, "memory": memory, "essential": True}
    if command is not None:
        c["command"] = command
    c.update(extra)
    return c


def taskdef(family, *containers, network_mode="none", **extra):
    td = {"family": family, "networkMode": network_mode, "containerDefinitions": list(containers)}
    td.update(extra)
    return td
