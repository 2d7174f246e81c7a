# SPDX-License-Identifier: Apache-2.0
"""The agent's control-plane client (agent/cp-client.c) against the real
ecs-controlplane, run by tests/tools/cp-client-drive: registration and
re-registration with the saved ARN, desired tasks from RunTask/StopTask,
state reports reaching DescribeTasks in order (also across a control-plane
outage), re-registration on UNAUTHENTICATED, deregistration, telemetry."""
import json
import os
import signal
import socket
import subprocess
import time

import pytest

from cp_fixtures import (BUILD_DIR, ControlPlane, FakeAgent, Simulation, cli_env,  # noqa: F401
                         make_client, workdir, AWS_CLI)

JOIN_TOKEN = "drive-join-token-0001"
DRIVE = BUILD_DIR / "tests" / "tools" / "cp-client-drive"


def free_port():
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


class Drive:
    """One cp-client-drive process: its JSON events, its stdin for queueing
    state changes, its stderr in a log file."""

    def __init__(self, cp, datadir, identity="drive-host", join_token=JOIN_TOKEN, extra=()):
        if not DRIVE.exists():
            pytest.fail(f"{DRIVE} is not built: run make check")
        datadir.mkdir(exist_ok=True)
        self.log = datadir.parent / f"drive-{identity}.log"
        args = [str(DRIVE), "--url", cp.endpoint, "--datadir", str(datadir),
                "--join-token", join_token, "--identity", identity, "--poll-wait", "2",
                "--max-backoff-ms", "1000", *extra]
        with open(self.log, "ab") as log:
            self.proc = subprocess.Popen(args, stdin=subprocess.PIPE, stdout=subprocess.PIPE,
                                         stderr=log, bufsize=0)
        self.sim = Simulation(self.proc)

    @property
    def events(self):
        return self.sim.events

    def wait(self, predicate, timeout=15):
        return self.sim.read_until(predicate, timeout=timeout)

    def find(self, predicate, timeout=15):
        """Like wait(), but an event already read counts too."""
        for e in self.events:
            if predicate(e):
                return e
        return self.wait(predicate, timeout)

    def wait_event(self, name, timeout=15, **fields):
        return self.find(lambda e: e["event"] == name and all(e.get(k) == v for k, v in fields.items()),
                         timeout=timeout)

    def send(self, line):
        self.proc.stdin.write((line + "\n").encode())
        self.proc.stdin.flush()

    def queue(self, task_arn, status, container="app", exit_code=None):
        line = f"{task_arn} {status} {container}" + ("" if exit_code is None else f" {exit_code}")
        self.send(line)
        return self.wait(lambda e: e["event"] == "queued" and e["taskArn"] == task_arn
                         and e["status"] == status)

    def outbox(self):
        self.send("count")
        return self.wait(lambda e: e["event"] == "outbox")["count"]

    def stop(self):
        if self.proc.stdin and not self.proc.stdin.closed:
            self.proc.stdin.close()
        self.sim.stop()
        return self.proc.returncode


@pytest.fixture
def cp(workdir):
    # A fixed port, so that a restarted control plane is at the same URL.
    port = free_port()
    c = ControlPlane(workdir, extra_args=("--join-token", JOIN_TOKEN, "--poll-timeout", "2s",
                                          "--listen", f"127.0.0.1:{port}"))
    c.config.write_text("ECS_CP_TELEMETRY_INTERVAL=1s\n")
    c.start()
    assert c.port == port
    yield c
    c.kill()


@pytest.fixture
def ecs(cp):
    client = make_client(cp.endpoint)
    client.create_cluster(clusterName="default")
    client.register_task_definition(
        family="drive", containerDefinitions=[{"name": "app", "image": "busybox", "memory": 128}])
    yield client
    client.close()


@pytest.fixture
def drives(workdir):
    started = []

    def start(cp, name="state", **kw):
        d = Drive(cp, workdir / name, **kw)
        started.append(d)
        return d
    yield start
    for d in started:
        if d.proc.poll() is None:
            d.stop()
    # A clean exit on SIGTERM (under ASan: no leaks, no UB reports).
    for d in started:
        assert d.proc.returncode == 0, d.log.read_text()[-4000:]


def aws(cp, workdir, *args):
    proc = subprocess.run([AWS_CLI, "--no-cli-pager", "--output", "json", "--endpoint-url",
                           cp.endpoint, *args], capture_output=True, text=True, timeout=60,
                          env=cli_env(workdir))
    assert proc.returncode == 0, proc.stderr
    return json.loads(proc.stdout) if proc.stdout.strip() else None


def desired_with(arn, status):
    return lambda e: e["event"] == "desired" and any(
        t["taskArn"] == arn and t["desiredStatus"] == status for t in e["tasks"])


def wait_for(fn, timeout=15, what="condition"):
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        value = fn()
        if value:
            return value
        time.sleep(0.1)
    raise AssertionError(f"timed out waiting for {what}")


def describe(ecs, arn):
    return ecs.describe_tasks(tasks=[arn])["tasks"][0]


def test_register_and_restart_keeps_arn(cp, ecs, drives, workdir):
    d = drives(cp, identity="first-name")
    arn = d.wait_event("registered")["containerInstanceArn"]
    assert arn.startswith("arn:aws:ecs:us-east-1:123456789012:container-instance/default/")
    assert d.wait_event("connection")["connected"] is True
    first = d.wait_event("desired")
    assert first["tasks"] == [] and first["instanceStatus"] == "ACTIVE"
    (ci,) = ecs.describe_container_instances(containerInstances=[arn])["containerInstances"]
    assert ci["agentConnected"] is True and ci["ec2InstanceId"] == "first-name"
    res = {r["name"]: r.get("integerValue") for r in ci["registeredResources"]}
    assert res["CPU"] == 2048 and res["MEMORY"] == 4096
    assert d.stop() == 0

    # A restart under another identity: only the saved ARN can keep it.
    again = drives(cp, identity="second-name")
    assert again.wait_event("registered")["containerInstanceArn"] == arn
    assert ecs.list_container_instances()["containerInstanceArns"] == [arn]
    # The saved poll version is kept: no full state is replayed at once.
    again.wait_event("connection", connected=True)
    time.sleep(1)
    assert again.outbox() == 0
    assert not [e for e in again.events if e["event"] == "desired"]


def test_desired_tasks_follow_run_and_stop(cp, ecs, drives, workdir):
    d = drives(cp)
    d.wait_event("registered")
    version0 = d.wait_event("desired")["version"]

    run = aws(cp, workdir, "ecs", "run-task", "--task-definition", "drive")
    [task] = run["tasks"]
    arn = task["taskArn"]
    ev = d.wait(desired_with(arn, "RUNNING"), timeout=10)
    assert ev["version"] != version0 and ev["tasks"][0]["family"] == "drive"

    aws(cp, workdir, "ecs", "stop-task", "--task", arn, "--reason", "test over")
    ev2 = d.wait(desired_with(arn, "STOPPED"), timeout=10)
    assert ev2["version"] != ev["version"]

    # Reporting it STOPPED takes it off the desired list.
    d.queue(arn, "STOPPED", exit_code=0)
    d.wait(lambda e: e["event"] == "desired" and e["tasks"] == [], timeout=10)
    t = describe(ecs, arn)
    assert t["lastStatus"] == "STOPPED" and t["stoppedReason"] == "test over"


def test_state_changes_reach_describe_tasks_in_order(cp, ecs, drives, workdir):
    d = drives(cp)
    d.wait_event("registered")
    arns = [t["taskArn"] for t in ecs.run_task(taskDefinition="drive", count=2)["tasks"]]
    for a in arns:
        d.find(desired_with(a, "RUNNING"), timeout=10)

    first, second = arns
    d.queue(first, "PENDING")
    d.queue(first, "RUNNING")
    wait_for(lambda: describe(ecs, first)["lastStatus"] == "RUNNING", what="first RUNNING")
    assert describe(ecs, first)["containers"][0]["lastStatus"] == "RUNNING"
    # Queued back to back: the newest snapshot of each task wins.
    d.queue(second, "RUNNING")
    d.queue(first, "STOPPED", exit_code=3)
    d.queue(second, "STOPPED", exit_code=4)
    for a, code in ((first, 3), (second, 4)):
        wait_for(lambda: describe(ecs, a)["lastStatus"] == "STOPPED", what=f"{a} STOPPED")
        assert describe(ecs, a)["containers"][0]["exitCode"] == code
    wait_for(lambda: d.outbox() == 0, what="an empty outbox")


def test_changes_queued_while_down_are_delivered(cp, ecs, drives, workdir):
    d = drives(cp)
    d.wait_event("registered")
    arn = ecs.run_task(taskDefinition="drive")["tasks"][0]["taskArn"]
    d.wait(desired_with(arn, "RUNNING"), timeout=10)
    ecs.close()

    cp.stop()
    d.wait(lambda e: e["event"] == "connection" and e["connected"] is False, timeout=10)
    d.queue(arn, "RUNNING")
    d.queue(arn, "STOPPED", exit_code=7)
    time.sleep(1.5)  # a few retries against the closed port
    assert d.outbox() == 2

    cp.start()
    d.wait(lambda e: e["event"] == "connection" and e["connected"] is True, timeout=10)
    client = make_client(cp.endpoint)
    try:
        wait_for(lambda: describe(client, arn)["lastStatus"] == "STOPPED", what="STOPPED")
        t = describe(client, arn)
        assert t["containers"][0]["exitCode"] == 7
        wait_for(lambda: d.outbox() == 0, what="an empty outbox")
    finally:
        client.close()


def test_unauthenticated_reregisters(cp, ecs, drives, workdir):
    d = drives(cp, identity="shared-host")
    arn = d.wait_event("registered")["containerInstanceArn"]
    d.wait_event("desired")
    # Another registration of the same host rotates the instance token: the
    # driver's next poll gets 401 UNAUTHENTICATED and it registers again.
    other = FakeAgent(cp.endpoint).register(join_token=JOIN_TOKEN, identity="shared-host")
    assert other["containerInstanceArn"] == arn
    d.wait(lambda e: e["event"] == "registered" and len(
        [x for x in d.events if x["event"] == "registered"]) == 2, timeout=15)
    # The new token works: desired state still flows, and so do reports.
    task = ecs.run_task(taskDefinition="drive")["tasks"][0]["taskArn"]
    d.wait(desired_with(task, "RUNNING"), timeout=10)
    d.queue(task, "RUNNING")
    wait_for(lambda: describe(ecs, task)["lastStatus"] == "RUNNING", what="RUNNING")


def test_deregistered(cp, ecs, drives, workdir):
    d = drives(cp)
    arn = d.wait_event("registered")["containerInstanceArn"]
    d.wait_event("desired")
    aws(cp, workdir, "ecs", "deregister-container-instance", "--container-instance", arn)
    d.wait_event("deregistered", timeout=10)
    d.wait_event("connection", connected=False, timeout=5)
    assert d.stop() == 0

    # A restart registers with the dead ARN and learns it is gone.
    again = drives(cp)
    again.wait_event("deregistered", timeout=10)
    assert not [e for e in again.events if e["event"] == "registered"]


def test_telemetry_reaches_instance_health(cp, ecs, drives, workdir):
    d = drives(cp)
    arn = d.wait_event("registered")["containerInstanceArn"]

    def health():
        (ci,) = ecs.describe_container_instances(
            containerInstances=[arn], include=["CONTAINER_INSTANCE_HEALTH"])["containerInstances"]
        return ci.get("healthStatus", {}).get("overallStatus") == "OK"
    wait_for(health, timeout=10, what="instance health OK")


def test_wrong_join_token_retries_and_says_why_once(cp, ecs, drives, workdir):
    d = drives(cp, join_token="wrong-token")
    ev = d.wait_event("connection")
    assert ev["connected"] is False and "FORBIDDEN" in ev["detail"]
    time.sleep(3)  # several attempts at the 1 s maximum backoff
    assert d.proc.poll() is None
    assert d.stop() == 0
    lines = [l for l in d.log.read_text().splitlines() if "Registering with the control plane" in l]
    assert len(lines) == 1, lines
    assert "wrong-token" not in d.log.read_text()
    assert ecs.list_container_instances()["containerInstanceArns"] == []


def test_register_waits_for_the_controlplane(cp, ecs, drives, workdir):
    cp.stop()
    d = drives(cp)
    ev = d.wait_event("connection")
    assert ev["connected"] is False
    time.sleep(2.5)  # attempts keep failing, at most 1 s apart
    assert not [e for e in d.events if e["event"] == "registered"]
    cp.start()
    arn = d.wait_event("registered", timeout=10)["containerInstanceArn"]
    client = make_client(cp.endpoint)
    try:
        assert client.list_container_instances()["containerInstanceArns"] == [arn]
    finally:
        client.close()
    assert d.stop() == 0
    # Said once, not once per attempt.
    lines = [l for l in d.log.read_text().splitlines() if "Registering with the control plane" in l]
    assert len(lines) == 1, lines
