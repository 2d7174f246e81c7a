# SPDX-License-Identifier: Apache-2.0
"""agent_bench.py's simulated host: a network namespace joined by a veth
pair, ecs-controlplane on the root side, ecs-agent inside, and the task
operations the figures time."""
import os
import pathlib
import re
import signal
import socket
import subprocess
import time
from datetime import datetime, timezone

import boto3
import botocore.config

from agent_bench_env import (AKID, BUILD, CLUSTER, COMMAND, CONTAINER, JOIN_TOKEN, MEMORY_MIB,
                             REGION, SECRET, cmdline, mounts_below, parent, reap_orphans,
                             remove_cgroups, run)


# ---------------------------------------------------------------- the agent host

class Host:
    """netns + veth, control plane on the root side, agent inside."""

    def __init__(self, work, cleanup, reserved_mib, log_level):
        self.work = work
        self.cleanup = cleanup
        self.datadir = work / "data"
        self.datadir.mkdir()
        self.tag = f"{os.getpid() % 100000}"
        self.cgroup_parent = f"/ecs-bench-{self.tag}"
        self.agent = None
        self.cp = None
        self.procs = []
        self._network()
        self._controlplane()
        self._agent(reserved_mib, log_level)

    def _network(self):
        used = run("ip", "-o", "-4", "addr", "show").stdout
        sub = next((n for n in range(1, 255) if f" 10.250.{n}." not in used), None)
        if sub is None:
            raise RuntimeError("no free 10.250.N.0/30 subnet")
        self.netns = f"ecsbench-{self.tag}"
        self.veth, peer = f"vebench{self.tag}"[:15], f"vpbench{self.tag}"[:15]
        self.root_addr, ns_addr = f"10.250.{sub}.1", f"10.250.{sub}.2"
        run("ip", "netns", "add", self.netns)
        self.cleanup.push("netns", lambda: run("ip", "netns", "del", self.netns, check=False))
        run("ip", "link", "add", self.veth, "type", "veth", "peer", "name", peer)
        self.cleanup.push("veth", lambda: run("ip", "link", "del", self.veth, check=False))
        run("ip", "link", "set", peer, "netns", self.netns)
        run("ip", "addr", "add", f"{self.root_addr}/30", "dev", self.veth)
        run("ip", "link", "set", self.veth, "up")
        run("ip", "-n", self.netns, "addr", "add", f"{ns_addr}/30", "dev", peer)
        run("ip", "-n", self.netns, "link", "set", peer, "up")
        run("ip", "-n", self.netns, "link", "set", "lo", "up")

    def _stop(self, proc, sig=signal.SIGTERM):
        if proc.poll() is None:
            proc.send_signal(sig)
            try:
                proc.wait(timeout=15)
            except subprocess.TimeoutExpired:
                proc.kill()
                proc.wait()

    def _controlplane(self):
        cp_bin = BUILD / "controlplane" / "ecs-controlplane"
        (self.work / "credentials").write_text(f"{AKID} {SECRET}\n")
        os.chmod(self.work / "credentials", 0o600)
        (self.work / "cp.conf").write_text("")
        with socket.socket() as s:
            s.bind((self.root_addr, 0))
            port = s.getsockname()[1]
        self.url = f"http://{self.root_addr}:{port}"
        env = {k: v for k, v in os.environ.items() if not k.startswith("ECS_CP_")}
        self.cp = subprocess.Popen(
            [str(cp_bin), "--config", str(self.work / "cp.conf"), "--listen",
             f"{self.root_addr}:{port}", "--db", str(self.work / "cp.db"), "--credentials",
             str(self.work / "credentials"), "--join-token", JOIN_TOKEN, "--log-level", "warn"],
            stdin=subprocess.DEVNULL, stdout=subprocess.DEVNULL,
            stderr=open(self.work / "cp.log", "w"), env=env)
        self.procs.append(self.cp)
        self.cleanup.push("control plane", lambda: self._stop(self.cp))
        self.ecs = boto3.client("ecs", endpoint_url=self.url, region_name=REGION,
                                aws_access_key_id=AKID, aws_secret_access_key=SECRET,
                                config=botocore.config.Config(retries={"total_max_attempts": 1}))
        # When a RunTask request leaves boto3 (built, signed, about to be
        # written to the socket): the start of the system's work.
        self.runtask_sent = None
        self.ecs.meta.events.register("before-send.ecs.RunTask", self._mark_runtask_sent)
        deadline = time.monotonic() + 10
        while True:
            try:
                self.ecs.create_cluster(clusterName=CLUSTER)
                break
            except Exception:
                if time.monotonic() > deadline or self.cp.poll() is not None:
                    raise RuntimeError("the control plane did not start: "
                                       + (self.work / "cp.log").read_text()[-2000:])
                time.sleep(0.05)

    def _agent(self, reserved_mib, log_level):
        conf = {
            "ECS_CLUSTER": CLUSTER,
            "ECS_DATADIR": str(self.datadir),
            "ECS_CONTROLPLANE_URL": self.url,
            "ECS_JOIN_TOKEN": JOIN_TOKEN,
            "ECS_CGROUP_PARENT": self.cgroup_parent,
            "ECS_INSTANCE_IDENTITY": f"agent-bench-{self.tag}",
            "ECS_LOGLEVEL": log_level,
            "ECS_RESERVED_MEMORY": str(reserved_mib),
            # sleep as PID 1 ignores SIGTERM: do not wait 30 s for the KILL
            "ECS_CONTAINER_STOP_TIMEOUT": "1s",
            # stopped tasks are removed before the next start is timed
            "ECS_ENGINE_TASK_CLEANUP_WAIT_DURATION": "1s",
            "ECS_RECONNECT_MAX_BACKOFF": "1s",
        }
        self.config = self.work / "ecs-agent.conf"
        self.config.write_text("".join(f"{k}={v}\n" for k, v in conf.items()))
        self.log = self.work / "agent.log"
        env = {k: v for k, v in os.environ.items() if not k.startswith("ECS_")}
        self.agent = subprocess.Popen(
            ["nsenter", f"--net=/run/netns/{self.netns}", str(BUILD / "agent" / "ecs-agent"),
             "--config", str(self.config)],
            stdin=subprocess.DEVNULL, stdout=subprocess.DEVNULL,
            stderr=open(self.log, "w"), env=env)
        self.procs.append(self.agent)
        self.cleanup.push("agent and its containers", self._agent_teardown)
        deadline = time.monotonic() + 30
        while "Registered as arn:" not in self.log_text():
            if self.agent.poll() is not None or time.monotonic() > deadline:
                raise RuntimeError(f"the agent did not register:\n{self.log_tail()}")
            time.sleep(0.05)

    def _agent_teardown(self):
        self._stop(self.agent, signal.SIGKILL)
        # Shims first, and the runtime commands they run (their argv names
        # the data directory): a `create` still under way would otherwise
        # make a container after the delete pass below.
        needle = str(self.datadir).encode()
        for _ in range(2):
            for d in pathlib.Path("/proc").iterdir():
                if d.name.isdigit() and int(d.name) != os.getpid():
                    if any(needle in a for a in cmdline(d.name)):
                        try:
                            os.kill(int(d.name), signal.SIGKILL)
                        except ProcessLookupError:
                            pass
            time.sleep(0.2)
        rroot = self.datadir / "runtime" / "runc"
        if rroot.exists():
            for cid in run("runc", "--root", rroot, "list", "-q", check=False).stdout.split():
                run("runc", "--root", rroot, "delete", "-f", cid, check=False)
        remove_cgroups(self.cgroup_parent)
        reap_orphans({p.pid for p in self.procs if p.poll() is None})
        for mp in mounts_below(self.datadir):
            run("umount", "-l", mp, check=False)

    def log_text(self):
        return self.log.read_text(errors="replace")

    def log_tail(self, n=40):
        return "\n".join(self.log_text().splitlines()[-n:])

    def check_alive(self):
        if self.agent.poll() is not None:
            raise RuntimeError(f"the agent exited ({self.agent.returncode}):\n{self.log_tail()}")

    def _mark_runtask_sent(self, **kwargs):
        self.runtask_sent = time.time()
        # None: botocore goes on and sends the request itself

    # ---- tasks ----
    def register_taskdef(self, image):
        self.ecs.register_task_definition(
            family="agent-bench", networkMode="none",
            containerDefinitions=[{"name": CONTAINER, "image": image, "memory": MEMORY_MIB,
                                   "essential": True, "command": COMMAND}])

    def run_tasks(self, count):
        arns = []
        while len(arns) < count:
            n = min(10, count - len(arns))
            reply = self.ecs.run_task(cluster=CLUSTER, taskDefinition="agent-bench", count=n)
            if reply.get("failures"):
                raise RuntimeError(f"RunTask failures: {reply['failures']}")
            arns += [t["taskArn"] for t in reply["tasks"]]
        return arns

    def cdir(self, arn):
        return self.datadir / "tasks" / arn.rsplit("/", 1)[1] / CONTAINER

    def started_ms(self, arn):
        """The shim's started_ms, None while there is no record yet."""
        d = self.cdir(arn)
        try:
            text = (d / "started").read_text()
        except FileNotFoundError:
            if (d / "exit").exists():
                raise RuntimeError(f"task {arn} exited instead of starting: "
                                   f"{(d / 'exit').read_text()}\n{self.log_tail()}")
            return None
        return int(re.search(r"^started_ms=(\d+)$", text, re.M).group(1))

    def wait_started(self, arns, interval, timeout=120):
        """{arn: started_ms} once every task's shim has written `started`."""
        got = {}
        deadline = time.monotonic() + timeout
        while len(got) < len(arns):
            for a in arns:
                if a not in got:
                    ms = self.started_ms(a)
                    if ms is not None:
                        got[a] = ms
            if len(got) == len(arns):
                break
            if time.monotonic() > deadline:
                raise RuntimeError(f"{len(arns) - len(got)} task(s) did not start\n"
                                   f"{self.log_tail()}")
            self.check_alive()
            time.sleep(interval)
        return got

    def wait_status(self, arns, status, interval, timeout=120):
        """time.time() at which describe-tasks first showed every task in
        `status`."""
        deadline = time.monotonic() + timeout
        while True:
            done = True
            for i in range(0, len(arns), 100):
                for t in self.ecs.describe_tasks(cluster=CLUSTER,
                                                 tasks=arns[i:i + 100])["tasks"]:
                    if t["lastStatus"] != status:
                        if t["lastStatus"] == "STOPPED":
                            raise RuntimeError(f"task {t['taskArn']} stopped: "
                                               f"{t.get('stoppedReason')}\n{self.log_tail()}")
                        done = False
            if done:
                return time.time()
            if time.monotonic() > deadline:
                raise RuntimeError(f"tasks not {status} after {timeout} s\n{self.log_tail()}")
            self.check_alive()
            time.sleep(interval)

    def started_at(self, arn):
        """describe-tasks' startedAt (realtime ms): when the task moved to
        RUNNING, as the agent reported it. Polled slowly: call it after the
        start was timed."""
        self.wait_status([arn], "RUNNING", 0.05)
        task = self.ecs.describe_tasks(cluster=CLUSTER, tasks=[arn])["tasks"][0]
        return task["startedAt"].timestamp() * 1000

    def stop_tasks(self, arns, timeout=120):
        """Stop, wait for STOPPED and for the agent's cleanup (task
        directories gone), so that the next measurement starts quiet."""
        for a in arns:
            self.ecs.stop_task(cluster=CLUSTER, task=a, reason="agent_bench")
        self.wait_status(arns, "STOPPED", 0.1, timeout)
        deadline = time.monotonic() + timeout
        while any(self.cdir(a).parent.exists() for a in arns):
            if time.monotonic() > deadline:
                raise RuntimeError(f"stopped tasks were not cleaned up\n{self.log_tail()}")
            time.sleep(0.05)

    def shim_pids(self):
        out = []
        for d in pathlib.Path("/proc").iterdir():
            if d.name.isdigit():
                argv = cmdline(d.name)
                if (argv and argv[0].endswith(b"ecs-agent-shim")
                        and any(str(self.datadir).encode() in a for a in argv)):
                    out.append(int(d.name))
        return out

    def spare_pids(self):
        """The agent's spare shims: its children run as `ecs-agent-shim --spare`."""
        out = []
        for d in pathlib.Path("/proc").iterdir():
            if d.name.isdigit():
                argv = cmdline(d.name)
                if (argv and argv[0].endswith(b"ecs-agent-shim") and argv[1:2] == [b"--spare"]
                        and parent(d.name) == self.agent.pid):
                    out.append(int(d.name))
        return out

    def file_times(self, arn):
        """Realtime ms at which the shim wrote its pid (the agent had
        prepared and spawned it) and the runtime wrote the container's pid
        (`create` was ending)."""
        out = {}
        for name in ("shim.pid", "container.pid"):
            try:
                out[name] = (self.cdir(arn) / name).stat().st_mtime_ns / 1e6
            except FileNotFoundError:
                pass
        return out

    def log_times(self, arn):
        """Realtime ms of the agent's info lines about one task."""
        tid = arn.rsplit("/", 1)[1]
        marks = {}
        pat = re.compile(r"^(\S+)Z \S+ .*Task \S*" + tid
                         + r"\S*(?: container \S+)?: (admitted|running)")
        for line in self.log_text().splitlines():
            m = pat.match(line)
            if m and m.group(2) not in marks:
                ts = datetime.strptime(m.group(1), "%Y-%m-%dT%H:%M:%S.%f")
                key = "admitted" if m.group(2) == "admitted" else (
                    "ctr running" if " container " in line else "task running")
                if key not in marks:
                    marks[key] = ts.replace(tzinfo=timezone.utc).timestamp() * 1000
        return marks
