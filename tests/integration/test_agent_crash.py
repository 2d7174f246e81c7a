# SPDX-License-Identifier: Apache-2.0
"""Crash safety (issue 4): the agent is killed with SIGKILL at random points
while tasks start and stop, at least 20 times. After each restart every task
converges to the right status, containers that exited while the agent was
down report their real exit codes, the shims outlive every kill, and in the
end no mount, cgroup, process or runc container is left behind.

The outcome is deterministic, the timing random: every task's final status
and exit codes follow from its command alone, and the test only stops a task
or lets a container exit once the container really runs (its shim wrote
`started`), so where a kill lands changes nothing a user can see. The seed
is printed; ECS_CRASH_SEED=N replays a run's choices, ECS_CRASH_ITERATIONS
changes the number of kills (default 24), ECS_CRASH_KEEP=DIR keeps the agent
log and the test's journal of actions there.
"""
import json
import os
import random
import time
import uuid

import pytest

from agent_crash_util import (ContainerFiles, agent_recorded_exit, kill_agent, process_is_shim,
                              start_agent, wait_log_since, wait_until)
from agent_fixtures import AgentHost, images, needs_root, task_id  # noqa: F401

pytestmark = needs_root

ITERATIONS = int(os.environ.get("ECS_CRASH_ITERATIONS", "24"))
MIN_KILLS = 20
STOP_TIMEOUT = 1   # stopTimeout of every long-running container (seconds)
MEMORY = 16        # MiB per container: dozens of tasks fit on any test host

TRAP = "trap 'exit 143' TERM; echo trapped; while :; do sleep 0.1; done"


def wait_cmd(code):
    """Runs until the test creates /tmp/go in its root filesystem."""
    return ["sh", "-c", f"echo ready; while [ ! -e /tmp/go ]; do sleep 0.1; done; exit {code}"]


class Ctr:
    """One container of a workload task and what it must end with.
    `code`: the exit code its command exits with by itself; `stop`: the
    exit code when the agent stops it (137: ignores SIGTERM as PID 1, so
    SIGKILL after the stop timeout; 143: its TERM trap exits 143);
    `release`: it exits only when the test releases it."""

    def __init__(self, name, command, essential=True, code=None, stop=None, release=False,
                 ready_log=None):
        self.name = name
        self.command = command
        self.essential = essential
        self.code = code
        self.stop = stop
        self.release = release
        self.ready_log = ready_log
        self.released = False

    def definition(self, image):
        d = {"name": self.name, "image": image, "memory": MEMORY, "essential": self.essential,
             "command": self.command}
        if self.stop is not None:
            d["stopTimeout"] = STOP_TIMEOUT
        return d


class WTask:
    """A task of the workload."""

    def __init__(self, kind, containers, arn=None):
        self.kind = kind
        self.ctrs = containers
        self.arn = arn
        self.stopped_by_test = False
        self.ghost = kind == "ghost"

    @property
    def id(self):
        return task_id(self.arn)

    def files(self, host, c):
        return ContainerFiles(host, self.arn, c.name)

    def ends_stopped(self):
        if self.ghost or self.stopped_by_test:
            return True
        return any(c.essential and c.code is not None and (not c.release or c.released)
                   for c in self.ctrs)

    def expected(self):
        """(task lastStatus, stopCode or None, {container: (lastStatus, exitCode)})."""
        if self.ghost:
            return "STOPPED", None, {c.name: ("STOPPED", None) for c in self.ctrs}
        stopped = self.ends_stopped()
        out = {}
        for c in self.ctrs:
            if c.code is not None and (not c.release or c.released):
                out[c.name] = ("STOPPED", c.code)
            elif stopped:
                out[c.name] = ("STOPPED", c.stop)
            else:
                out[c.name] = ("RUNNING", None)
        stop_code = None
        if stopped:
            stop_code = "UserInitiated" if self.stopped_by_test else "EssentialContainerExited"
        return ("STOPPED" if stopped else "RUNNING"), stop_code, out

    def mismatches(self, described):
        status, stop_code, ctrs = self.expected()
        got = {c["name"]: (c.get("lastStatus"), c.get("exitCode")) for c in described["containers"]}
        problems = []
        if described["lastStatus"] != status:
            problems.append(f"lastStatus {described['lastStatus']}, want {status}")
        if stop_code and described["lastStatus"] == "STOPPED" and described.get("stopCode") != stop_code:
            problems.append(f"stopCode {described.get('stopCode')}, want {stop_code}")
        for name, want in ctrs.items():
            if got.get(name) != want:
                problems.append(f"container {name} (lastStatus, exitCode) {got.get(name)}, want {want}")
        return problems

    def stoppable(self, host):
        """Every container runs and is in the state its expected exit code
        assumes (TERM trap installed, side container already exited)."""
        if self.ghost or self.stopped_by_test or self.ends_stopped():
            return False
        if self.kind not in ("long", "trap", "multi_side"):
            return False
        for c in self.ctrs:
            f = self.files(host, c)
            if c.code is not None:
                if f.exit() is None:
                    return False
            elif f.started() is None or (c.ready_log and not f.log_has(c.ready_log)):
                return False
        return True

    def releasable(self, host):
        return (not self.ghost and any(c.release and not c.released for c in self.ctrs)
                and all(self.files(host, c).started() is not None for c in self.ctrs))


class Workload:
    def __init__(self, host, image, rng, journal):
        self.host = host
        self.image = image
        self.rng = rng
        self.journal = journal
        self.tasks = []
        self.codes = list(range(2, 126))
        rng.shuffle(self.codes)
        self.shims = {}   # (arn, container) -> (shim pid, container pid)

    def note(self, text):
        self.journal.append(text)

    # ---- creating tasks ----
    def make(self, kind):
        rng = self.rng

        def sleep_exit(code):
            return ["sh", "-c", f"sleep 0.{rng.randint(1, 9)}; exit {code}"]
        if kind == "long":
            return [Ctr("app", ["sleep", "3600"], stop=137)]
        if kind == "trap":
            return [Ctr("app", ["sh", "-c", TRAP], stop=143, ready_log="trapped")]
        if kind == "exit":
            code = self.codes.pop()
            return [Ctr("app", sleep_exit(code), code=code)]
        if kind == "waiter":
            code = self.codes.pop()
            return [Ctr("app", wait_cmd(code), code=code, release=True)]
        if kind == "multi_side":
            code = self.codes.pop()
            return [Ctr("main", ["sleep", "3600"], stop=137),
                    Ctr("side", sleep_exit(code), essential=False, code=code)]
        if kind == "multi_ess":
            code = self.codes.pop()
            return [Ctr("ess", wait_cmd(code), code=code, release=True),
                    Ctr("other", ["sleep", "3600"], essential=False, stop=137)]
        if kind == "ghost":
            return [Ctr("app", ["sleep", "3600"], stop=137)]
        raise AssertionError(kind)

    def run(self, kind):
        ctrs = self.make(kind)
        family = f"crash-{kind}-{uuid.uuid4().hex[:6]}"
        client = self.host.client
        td = client.register_task_definition(
            family=family, networkMode="none",
            containerDefinitions=[c.definition(self.image) for c in ctrs])["taskDefinition"]
        td_arn = td["taskDefinitionArn"]
        reply = client.run_task(cluster=self.host.cluster, taskDefinition=td_arn)
        assert not reply.get("failures") and len(reply["tasks"]) == 1, reply
        t = WTask(kind, ctrs, reply["tasks"][0]["taskArn"])
        self.tasks.append(t)
        self.note(f"run {kind} {t.id} " + " ".join(
            f"{c.name}:{c.code if c.code is not None else c.stop}" for c in ctrs))
        return t

    def stop(self, t, why):
        self.host.client.stop_task(cluster=self.host.cluster, task=t.arn, reason=f"crash test: {why}")
        t.stopped_by_test = True
        self.note(f"stop {t.kind} {t.id} ({why})")

    def release(self, t, wait_exit=False):
        for c in t.ctrs:
            if c.release and not c.released:
                t.files(self.host, c).release()
                c.released = True
                self.note(f"release {t.kind} {t.id}/{c.name}")
                if wait_exit:
                    ok = wait_until(lambda: t.files(self.host, c).exit(), 5)
                    assert ok, f"{t.id}/{c.name} did not exit after its release"

    def pick(self, pred):
        cands = [t for t in self.tasks if pred(t)]
        return self.rng.choice(cands) if cands else None

    def wanted_running(self):
        return sum(1 for t in self.tasks if not t.ends_stopped())

    # ---- shims ----
    def record_shims(self):
        """Remember the shim and container pid of every running container."""
        for t in self.tasks:
            for c in t.ctrs:
                f = t.files(self.host, c)
                started, shim = f.started(), f.shim_pid()
                key = (t.arn, c.name)
                if started and shim and key not in self.shims:
                    self.shims[key] = (shim, int(started["pid"]))

    def check_shims(self, when):
        """Every shim seen is still the same process until its container
        exits; containers that must still run have a live shim."""
        problems = []
        by_arn = {t.arn: t for t in self.tasks}
        for (arn, name), (shim, cpid) in self.shims.items():
            t = by_arn[arn]
            c = next(c for c in t.ctrs if c.name == name)
            f = t.files(self.host, c)
            if not f.dir.exists():
                continue  # cleaned up after its task stopped
            if f.shim_pid() not in (None, shim):
                problems.append(f"{t.id}/{name}: shim.pid changed {shim} -> {f.shim_pid()}")
            started = f.started()
            if started and int(started["pid"]) != cpid:
                problems.append(f"{t.id}/{name}: container pid changed {cpid} -> {started['pid']}")
            alive = process_is_shim(shim, f.dir)
            if not alive and f.exit() is None and not agent_recorded_exit(self.host, arn, name):
                # (A kill during cleanup may leave the directory without its
                # records; the agent had the exit by then.)
                problems.append(f"{t.id}/{name}: shim {shim} is gone and recorded no exit")
            must_run = (not t.ends_stopped() and c.code is None) or (c.release and not c.released)
            if must_run and (not alive or f.exit() is not None):
                problems.append(f"{t.id}/{name}: must still run, but shim alive={alive} "
                                f"exit={f.exit()}")
        assert not problems, f"{when}: " + "; ".join(problems)

    # ---- convergence ----
    def describe_all(self):
        out = {}
        arns = [t.arn for t in self.tasks]
        for i in range(0, len(arns), 100):
            reply = self.host.client.describe_tasks(cluster=self.host.cluster, tasks=arns[i:i + 100])
            assert not reply.get("failures"), reply["failures"]
            out.update({d["taskArn"]: d for d in reply["tasks"]})
        return out

    def mismatches(self):
        described = self.describe_all()
        out = {}
        for t in self.tasks:
            p = t.mismatches(described[t.arn])
            if p:
                out[f"{t.kind} {t.id}"] = p
        return out

    def converge(self, timeout):
        last = {}

        def done():
            nonlocal last
            last = self.mismatches()
            return not last
        if not wait_until(done, timeout, interval=0.3):
            return last
        return {}


# Agent log lines a kill may be aimed at (a few ms after them).
TRIGGERS = ["admitted", "libcgroup: chmod", "running (pid", "stopping:", "exited (code", "stopped (",
            "Sent state report", "Recovered"]
KINDS = ["long", "trap", "exit", "waiter", "multi_side", "multi_ess"]
WEIGHTS = [3, 2, 3, 2, 2, 2]


def test_agent_survives_sigkill_at_random_points(images):
    seed = int(os.environ.get("ECS_CRASH_SEED", random.SystemRandom().randrange(1 << 32)))
    print(f"crash test seed: {seed} (ECS_CRASH_SEED={seed} replays it), {ITERATIONS} iterations")
    rng = random.Random(seed)
    journal = [f"seed {seed}"]
    config = {
        "ECS_ENGINE_TASK_CLEANUP_WAIT_DURATION": "3s",
        "ECS_CONTAINER_STOP_TIMEOUT": "2s",
        "ECS_POLL_WAIT": "2s",
        "ECS_RECONNECT_MAX_BACKOFF": "1s",
    }
    with AgentHost(config=config) as host:
        try:
            run_workload(host, images.busybox, rng, journal)
        except BaseException:
            print("\n".join(journal))
            print(host.log_tail(120))
            raise
        finally:
            if os.environ.get("ECS_CRASH_KEEP"):
                keep = os.environ["ECS_CRASH_KEEP"]
                os.makedirs(keep, exist_ok=True)
                with open(os.path.join(keep, "agent.log"), "w") as f:
                    f.write(host.log_text())
                with open(os.path.join(keep, "journal"), "w") as f:
                    f.write("\n".join(journal) + "\n")


def run_workload(host, image, rng, journal):
    w = Workload(host, image, rng, journal)
    t0 = time.monotonic()
    start_agent(host)
    kills = 0
    for i in range(ITERATIONS):
        w.note(f"-- iteration {i}")
        offset = host.log.stat().st_size
        # While the agent runs: new tasks, maybe a release, maybe a stop.
        for _ in range(rng.randint(1, 2)):
            if w.wanted_running() >= 10:
                t = w.pick(lambda t: t.stoppable(host))
                if t:
                    w.stop(t, "too many running")
                break
            w.run(rng.choices(KINDS, WEIGHTS)[0])
        if rng.random() < 0.3:
            t = w.pick(lambda t: t.releasable(host))
            if t:
                w.release(t)
        if rng.random() < 0.35:
            t = w.pick(lambda t: t.stoppable(host))
            if t:
                w.stop(t, "just before a kill")
        if rng.random() < 0.35:
            # Aim at a step: a few ms after the agent logs it.
            trigger = rng.choice(TRIGGERS)
            seen = wait_log_since(host, offset, trigger, 1.5)
            delay = rng.uniform(0, 0.03)
            time.sleep(delay)
            when = f"{delay * 1000:.0f}ms after '{trigger}'" if seen else f"1.5s ('{trigger}' not seen)"
        else:
            delay = rng.uniform(0, 1.5)
            time.sleep(delay)
            when = f"{delay:.2f}s"
        w.record_shims()
        kill_agent(host)
        kills += 1
        w.note(f"kill {kills} after {when}")

        # While the agent is down.
        if rng.random() < 0.3:
            t = w.pick(lambda t: t.stoppable(host))
            if t:
                w.stop(t, "while the agent is down")
        if rng.random() < 0.35:
            t = w.pick(lambda t: t.releasable(host))
            if t:
                w.release(t, wait_exit=True)  # exits while the agent is down
        if rng.random() < 0.15:
            t = w.run("ghost")
            w.stop(t, "ghost: run and stopped while the agent is down")
        if rng.random() < 0.3:
            down = rng.uniform(0, 1.5)
            w.note(f"down for {down:.2f}s more")
            time.sleep(down)
        w.check_shims(f"iteration {i}, agent down")

        wait = rng.random() < 0.8
        start_agent(host, wait=wait)
        w.note(f"restart{'' if wait else ' (not waiting for registration)'}")
        w.check_shims(f"iteration {i}, after restart")

    assert kills >= min(MIN_KILLS, ITERATIONS)  # fewer only when asked for (debugging)
    start_agent_wait_current(host)

    # Release whatever still waits, once it runs.
    for t in w.tasks:
        if any(c.release and not c.released for c in t.ctrs):
            assert wait_until(lambda: t.releasable(host), 30), \
                f"{t.kind} {t.id} never started:\n{json.dumps(w.describe_all()[t.arn], default=str)}"
            w.release(t)
    problems = w.converge(60)
    assert not problems, f"not converged after {kills} kills: {json.dumps(problems, indent=1)}"
    w.record_shims()
    w.check_shims("converged")
    lost = [line for line in host.log_text().splitlines() if "ContainerLost" in line]
    assert not lost, "ContainerLost although no shim was killed:\n" + "\n".join(lost)

    # Stop everything still running and expect their stop exit codes.
    for t in w.tasks:
        if not t.ends_stopped():
            w.stop(t, "end of the test")
    problems = w.converge(30)
    assert not problems, f"not stopped: {json.dumps(problems, indent=1)}"

    def clean():
        leaks = host.leaks()
        leaks["task dirs"] = sorted(p.name for p in (host.datadir / "tasks").iterdir())
        return leaks if not any(leaks.values()) else None
    if not wait_until(clean, 30, interval=0.3):
        leaks = host.leaks()
        leaks["task dirs"] = sorted(p.name for p in (host.datadir / "tasks").iterdir())
        raise AssertionError(f"leaked after cleanup: {json.dumps(leaks, indent=1)}")
    print(f"{kills} kills, {len(w.tasks)} tasks, {time.monotonic() - t0:.1f}s")


def start_agent_wait_current(host):
    """The agent of the last restart has registered (it may have been
    started without waiting)."""
    text_at = host.log_text().rfind("==== agent start ====")
    deadline = time.monotonic() + 20
    while time.monotonic() < deadline:
        assert host.running(), host.log_tail()
        if "Registered as arn:" in host.log_text()[text_at:]:
            return
        time.sleep(0.05)
    raise AssertionError(f"the agent did not register\n{host.log_tail()}")
