# SPDX-License-Identifier: Apache-2.0
"""Tasks and placement through the real aws CLI and boto3: RunTask,
StartTask, StopTask, DescribeTasks, ListTasks and the tasks-running /
tasks-stopped waiters, with container instances played by the fake agent
(tests/tools/fake-agent) speaking the agent protocol."""
import datetime
import json
import subprocess
import threading
import time

import botocore.exceptions
import pytest

from cp_fixtures import (BUILD_DIR, ControlPlane, aws, cluster_arn, ecs,  # noqa: F401
                         workdir)

JOIN_TOKEN = "cp-tasks-join-token-0001"
FAKE_AGENT = BUILD_DIR / "tests" / "tools" / "fake-agent"


@pytest.fixture
def controlplane(workdir):
    """The daemon, with a join token so that agents can register. (The aws
    and ecs fixtures of cp_fixtures use this one.)"""
    cp = ControlPlane(workdir)
    cp.config.write_text(f"ECS_CP_JOIN_TOKEN={JOIN_TOKEN}\n")
    cp.start()
    yield cp
    cp.kill()


class Agent:
    """One container instance, driven through fake-agent commands."""

    def __init__(self, endpoint, cluster="default", identity="host", cpu=2048, memory=4096,
                 ports=None, attributes=()):
        if not FAKE_AGENT.exists():
            pytest.fail(f"{FAKE_AGENT} is not built")
        self.endpoint = endpoint
        self.sequence = {}
        args = ["register", "--join-token", JOIN_TOKEN, "--cluster", cluster,
                "--identity", identity, "--cpu", str(cpu), "--memory", str(memory)]
        if ports:
            args += ["--ports", ports]
        for a in attributes:
            args += ["--attribute", a]
        reply = self._run(*args)
        assert reply["status"] == 200, reply
        self.arn = reply["containerInstanceArn"]
        self.token = reply["token"]
        self.id = self.arn.rsplit("/", 1)[1]

    def _run(self, *args):
        proc = subprocess.run([str(FAKE_AGENT), args[0], "--endpoint", self.endpoint, *args[1:]],
                              capture_output=True, text=True, timeout=60)
        assert proc.returncode == 0, proc.stderr
        return json.loads(proc.stdout.splitlines()[-1])

    def poll(self):
        reply = self._run("poll", "--token", self.token, "--arn", self.arn, "--wait", "0")
        assert reply["status"] == 200, reply
        return reply

    def report(self, task_arn, status, containers=(), **extra):
        """Send a full snapshot of one task; containers are dicts in the
        fake agent's JSON form."""
        seq = self.sequence.get(task_arn, 0) + 1
        self.sequence[task_arn] = seq
        change = {"taskArn": task_arn, "sequence": seq, "status": status,
                  "containers": list(containers), **extra}
        reply = self._run("report", "--token", self.token, "--arn", self.arn,
                          "--changes", json.dumps([change]))
        assert reply["status"] == 200, reply
        return reply


def now_ms():
    return int(time.time() * 1000)


def iso_seconds(text):
    return datetime.datetime.fromisoformat(text).timestamp()


def register_td(ecs, family, memory=256, cpu=0, host_port=None, network_mode=None):
    mapping = []
    if host_port is not None:
        mapping = [{"containerPort": 80, "hostPort": host_port}]
    kw = {}
    if network_mode:
        kw["networkMode"] = network_mode
    ecs.register_task_definition(
        family=family,
        containerDefinitions=[{"name": "app", "image": "busybox", "memory": memory, "cpu": cpu,
                               "portMappings": mapping}],
        **kw)


def reasons(resp):
    return sorted(f["reason"] for f in resp["failures"])


def instances_of(resp):
    return [t["containerInstanceArn"] for t in resp["tasks"]]


@pytest.fixture
def cluster(ecs):
    ecs.create_cluster()
    return "default"


def test_cli_run_describe_stop(aws, ecs, controlplane, cluster):
    agent = Agent(controlplane.endpoint, identity="h1",
                  attributes=["ecs.availability-zone=us-east-1b", "ecs.cpu-architecture=x86_64"])
    r = aws("ecs", "register-task-definition", "--family", "web", "--container-definitions",
            json.dumps([{"name": "app", "image": "nginx", "memory": 300, "cpu": 128,
                         "portMappings": [{"containerPort": 80, "hostPort": 8080}]}]))
    assert r.rc == 0, r.stderr

    r = aws("ecs", "run-task", "--task-definition", "web", "--started-by", "ci-7",
            "--tags", "key=team,value=blue")
    assert r.rc == 0, r.stderr
    assert r.json["failures"] == []
    [task] = r.json["tasks"]
    arn = task["taskArn"]
    assert arn.startswith("arn:aws:ecs:us-east-1:123456789012:task/default/")
    assert len(arn.rsplit("/", 1)[1]) == 32
    assert task["clusterArn"] == cluster_arn("default")
    assert task["taskDefinitionArn"] == "arn:aws:ecs:us-east-1:123456789012:task-definition/web:1"
    assert task["containerInstanceArn"] == agent.arn
    assert task["lastStatus"] == "PENDING"
    assert task["desiredStatus"] == "RUNNING"
    assert task["launchType"] == "EC2"
    assert task["group"] == "family:web"
    assert task["startedBy"] == "ci-7"
    assert task["cpu"] == "128" and task["memory"] == "300"
    assert task["version"] == 1
    assert task["availabilityZone"] == "us-east-1b"
    assert task["attributes"] == [{"name": "ecs.cpu-architecture", "value": "x86_64"}]
    assert task["tags"] == [{"key": "team", "value": "blue"}]
    assert task["overrides"] == {"containerOverrides": [{"name": "app"}],
                                 "inferenceAcceleratorOverrides": []}
    [ct] = task["containers"]
    assert ct["name"] == "app" and ct["image"] == "nginx" and ct["lastStatus"] == "PENDING"
    assert ct["taskArn"] == arn and ct["cpu"] == "128" and ct["memory"] == "300"
    # The CLI renders the epoch seconds it received as ISO 8601.
    assert abs(iso_seconds(task["createdAt"]) - time.time()) < 60

    # The agent gets it at its next poll, with the definition and overrides.
    state = agent.poll()
    assert [t["taskArn"] for t in state["tasks"]] == [arn]
    assert state["tasks"][0]["desiredStatus"] == "RUNNING"

    # It runs; the agent's report shows in describe-tasks.
    started = now_ms()
    agent.report(arn, "RUNNING", startedAt=started, pullStartedAt=started - 500,
                 pullStoppedAt=started - 100,
                 containers=[{"name": "app", "status": "RUNNING", "runtimeId": "rt-1",
                              "imageDigest": "sha256:" + "a" * 64,
                              "networkBindings": [{"bindIP": "0.0.0.0", "containerPort": 80,
                                                   "hostPort": 8080, "protocol": "tcp"}]}])
    r = aws("ecs", "describe-tasks", "--tasks", arn.rsplit("/", 1)[1], "--include", "TAGS")
    assert r.rc == 0, r.stderr
    [task] = r.json["tasks"]
    assert task["lastStatus"] == "RUNNING"
    assert task["connectivity"] == "CONNECTED"
    assert iso_seconds(task["startedAt"]) == pytest.approx(started / 1000, abs=0.01)
    assert task["tags"] == [{"key": "team", "value": "blue"}]
    [ct] = task["containers"]
    assert ct["runtimeId"] == "rt-1"
    assert ct["networkBindings"] == [{"bindIP": "0.0.0.0", "containerPort": 80,
                                      "hostPort": 8080, "protocol": "tcp"}]

    r = aws("ecs", "describe-clusters")
    assert r.json["clusters"][0]["runningTasksCount"] == 1
    assert r.json["clusters"][0]["registeredContainerInstancesCount"] == 1

    # StopTask: desired STOPPED with the reason and UserInitiated.
    r = aws("ecs", "stop-task", "--task", arn, "--reason", "maintenance window")
    assert r.rc == 0, r.stderr
    task = r.json["task"]
    assert task["desiredStatus"] == "STOPPED"
    assert task["lastStatus"] == "RUNNING"
    assert task["stopCode"] == "UserInitiated"
    assert task["stoppedReason"] == "maintenance window"
    assert "stoppingAt" in task
    state = agent.poll()
    assert state["tasks"][0]["desiredStatus"] == "STOPPED"
    assert state["tasks"][0]["stopReason"] == "maintenance window"

    # The agent stops it; exit code and reason are visible.
    stopped = now_ms()
    agent.report(arn, "STOPPED", stoppedAt=stopped, executionStoppedAt=stopped,
                 containers=[{"name": "app", "status": "STOPPED", "exitCode": 137,
                              "reason": "killed by SIGKILL"}])
    task = ecs.describe_tasks(tasks=[arn])["tasks"][0]
    assert task["lastStatus"] == "STOPPED"
    assert task["stopCode"] == "UserInitiated"
    assert task["stoppedReason"] == "maintenance window"
    assert task["containers"][0]["exitCode"] == 137
    assert task["containers"][0]["reason"] == "killed by SIGKILL"
    assert task["stoppedAt"].timestamp() == pytest.approx(stopped / 1000, abs=0.01)

    # Stopping it again changes nothing.
    again = ecs.stop_task(task=arn, reason="again")["task"]
    assert again["stoppedReason"] == "maintenance window"
    assert again["version"] == task["version"]


def test_spread_binpack_and_distinct(ecs, controlplane, cluster):
    a = Agent(controlplane.endpoint, identity="a", memory=2048)
    b = Agent(controlplane.endpoint, identity="b", memory=1024)
    register_td(ecs, "small", memory=256)

    # spread by instance: two each.
    resp = ecs.run_task(taskDefinition="small", count=4, group="spread",
                        placementStrategy=[{"type": "spread", "field": "instanceId"}])
    assert resp["failures"] == []
    assert sorted(instances_of(resp)) == sorted([a.arn, a.arn, b.arn, b.arn])

    # distinctInstance in a fresh group: one per instance, then failures.
    resp = ecs.run_task(taskDefinition="small", count=3, group="solo",
                        placementConstraints=[{"type": "distinctInstance"}])
    assert sorted(instances_of(resp)) == sorted([a.arn, b.arn])
    assert reasons(resp) == ["DistinctInstance placement constraint unsatisfied."] * 2
    assert sorted(f["arn"] for f in resp["failures"]) == sorted([a.arn, b.arn])

    # binpack memory: the fuller instance (b: 256 MiB left) until it is full.
    resp = ecs.run_task(taskDefinition="small", count=3,
                        placementStrategy=[{"type": "binpack", "field": "memory"}])
    assert instances_of(resp) == [b.arn, a.arn, a.arn]

    # random (the default) only ever picks an instance that fits.
    resp = ecs.run_task(taskDefinition="small", count=2,
                        placementStrategy=[{"type": "random"}])
    assert instances_of(resp) == [a.arn, a.arn]


def test_member_of_and_attributes(ecs, controlplane, cluster):
    blue = Agent(controlplane.endpoint, identity="blue", attributes=["color=blue"])
    Agent(controlplane.endpoint, identity="red", attributes=["color=red"])
    register_td(ecs, "small")
    resp = ecs.run_task(taskDefinition="small", count=2, placementConstraints=[
        {"type": "memberOf", "expression": "attribute:color == blue"}])
    assert instances_of(resp) == [blue.arn, blue.arn]

    resp = ecs.run_task(taskDefinition="small", placementConstraints=[
        {"type": "memberOf", "expression": "attribute:color in [green, yellow]"}])
    assert resp["tasks"] == []
    assert reasons(resp) == ["MemberOf placement constraint unsatisfied."] * 2

    # PutAttributes takes effect for the next placement.
    ecs.put_attributes(attributes=[{"name": "color", "value": "green",
                                    "targetType": "container-instance", "targetId": blue.arn}])
    resp = ecs.run_task(taskDefinition="small", placementConstraints=[
        {"type": "memberOf", "expression": "attribute:color == green"}])
    assert instances_of(resp) == [blue.arn]

    with pytest.raises(botocore.exceptions.ClientError) as e:
        ecs.run_task(taskDefinition="small", placementConstraints=[
            {"type": "memberOf", "expression": "attribute:color =="}])
    assert e.value.response["Error"]["Code"] == "InvalidParameterException"


def test_memory_failure_and_release(aws, ecs, controlplane, cluster):
    agent = Agent(controlplane.endpoint, identity="one", cpu=1024, memory=1024)
    register_td(ecs, "big", memory=768)
    first = ecs.run_task(taskDefinition="big")["tasks"][0]["taskArn"]

    r = aws("ecs", "run-task", "--task-definition", "big")
    assert r.rc == 0, r.stderr
    assert r.json["tasks"] == []
    assert r.json["failures"] == [{"arn": agent.arn, "reason": "RESOURCE:MEMORY"}]

    # Desired STOPPED is not enough: the task holds its memory until the
    # agent reports it STOPPED.
    ecs.stop_task(task=first)
    assert ecs.run_task(taskDefinition="big")["tasks"] == []
    agent.report(first, "STOPPED", stoppedAt=now_ms(),
                 containers=[{"name": "app", "status": "STOPPED", "exitCode": 0}])
    resp = ecs.run_task(taskDefinition="big")
    assert instances_of(resp) == [agent.arn]
    assert resp["failures"] == []


def test_ports(ecs, controlplane, cluster):
    agent = Agent(controlplane.endpoint, identity="ports", ports="22,9000")
    register_td(ecs, "p8080", host_port=8080)
    register_td(ecs, "p9000", host_port=9000)
    register_td(ecs, "dynamic", host_port=0)

    resp = ecs.run_task(taskDefinition="p8080", count=2)
    assert instances_of(resp) == [agent.arn]
    assert resp["failures"] == [{"arn": agent.arn, "reason": "RESOURCE:PORTS"}]
    # A port the agent registered as reserved is never free.
    resp = ecs.run_task(taskDefinition="p9000")
    assert reasons(resp) == ["RESOURCE:PORTS"]
    # Dynamic host ports reserve nothing.
    assert len(ecs.run_task(taskDefinition="dynamic", count=3)["tasks"]) == 3


def test_draining_instance_excluded(aws, ecs, controlplane, cluster):
    a = Agent(controlplane.endpoint, identity="a")
    b = Agent(controlplane.endpoint, identity="b")
    register_td(ecs, "small")
    r = aws("ecs", "update-container-instances-state", "--container-instances", b.arn,
            "--status", "DRAINING")
    assert r.rc == 0, r.stderr
    resp = ecs.run_task(taskDefinition="small", count=4,
                        placementStrategy=[{"type": "spread", "field": "host"}])
    assert instances_of(resp) == [a.arn] * 4

    resp = ecs.start_task(taskDefinition="small", containerInstances=[b.id, a.id])
    assert instances_of(resp) == [a.arn]
    assert resp["failures"] == [{"arn": b.arn, "reason": "DRAINING"}]

    ecs.update_container_instances_state(containerInstances=[a.arn], status="DRAINING")
    with pytest.raises(botocore.exceptions.ClientError) as e:
        ecs.run_task(taskDefinition="small")
    assert e.value.response["Error"]["Code"] == "InvalidParameterException"
    assert e.value.response["Error"]["Message"] == "No Container Instances were found in your cluster."


def test_start_task_cli(aws, ecs, controlplane, cluster):
    a = Agent(controlplane.endpoint, identity="a")
    register_td(ecs, "small")
    missing = "arn:aws:ecs:us-east-1:123456789012:container-instance/default/" + "0" * 32
    r = aws("ecs", "start-task", "--task-definition", "small:1", "--container-instances",
            a.id, missing, "--started-by", "manual")
    assert r.rc == 0, r.stderr
    assert instances_of(r.json) == [a.arn]
    assert r.json["tasks"][0]["startedBy"] == "manual"
    assert r.json["failures"] == [{"arn": missing, "reason": "MISSING"}]


def report_later(agent, arn, status, delay=1.0):
    def go():
        time.sleep(delay)
        agent.report(arn, status, containers=[
            {"name": "app", "status": status, **({"exitCode": 0} if status == "STOPPED" else {})}])
    t = threading.Thread(target=go)
    t.start()
    return t


def test_waiters(aws, ecs, controlplane, cluster):
    agent = Agent(controlplane.endpoint, identity="w")
    register_td(ecs, "small")
    arn = ecs.run_task(taskDefinition="small")["tasks"][0]["taskArn"]

    # The CLI waiter polls DescribeTasks every 6 s until every task is RUNNING.
    t = report_later(agent, arn, "RUNNING")
    start = time.monotonic()
    r = aws("ecs", "wait", "tasks-running", "--tasks", arn, timeout=120)
    t.join()
    assert r.rc == 0, r.stderr
    assert time.monotonic() - start < 30

    ecs.stop_task(task=arn, reason="waiter test")
    t = report_later(agent, arn, "STOPPED")
    r = aws("ecs", "wait", "tasks-stopped", "--tasks", arn, timeout=120)
    t.join()
    assert r.rc == 0, r.stderr

    # tasks-running gives up at once on a stopped or missing task.
    r = aws("ecs", "wait", "tasks-running", "--tasks", arn, timeout=60)
    assert r.rc != 0 and "STOPPED" in r.stderr
    with pytest.raises(botocore.exceptions.WaiterError):
        ecs.get_waiter("tasks_running").wait(
            tasks=["f" * 32], WaiterConfig={"Delay": 1, "MaxAttempts": 3})

    # boto3's waiter on a fresh task.
    arn2 = ecs.run_task(taskDefinition="small")["tasks"][0]["taskArn"]
    t = report_later(agent, arn2, "RUNNING", delay=0.5)
    ecs.get_waiter("tasks_running").wait(tasks=[arn2], WaiterConfig={"Delay": 1, "MaxAttempts": 20})
    t.join()


def test_list_filters_and_pages(aws, ecs, controlplane, cluster):
    a = Agent(controlplane.endpoint, identity="a")
    b = Agent(controlplane.endpoint, identity="b")
    register_td(ecs, "alpha")
    register_td(ecs, "beta")
    alpha = [t["taskArn"] for t in ecs.run_task(taskDefinition="alpha", count=5,
                                                startedBy="batch-1")["tasks"]]
    beta = [t["taskArn"] for t in ecs.run_task(taskDefinition="beta", count=2)["tasks"]]
    placed = {t["taskArn"]: t["containerInstanceArn"]
              for t in ecs.describe_tasks(tasks=alpha + beta)["tasks"]}

    assert sorted(ecs.list_tasks()["taskArns"]) == sorted(alpha + beta)
    assert sorted(ecs.list_tasks(family="alpha")["taskArns"]) == sorted(alpha)
    assert sorted(ecs.list_tasks(startedBy="batch-1")["taskArns"]) == sorted(alpha)
    on_a = ecs.list_tasks(containerInstance=a.id)["taskArns"]
    assert sorted(on_a) == sorted(k for k, v in placed.items() if v == a.arn)
    on_b = ecs.list_tasks(containerInstance=b.arn)["taskArns"]
    assert sorted(on_a + on_b) == sorted(alpha + beta)
    assert ecs.list_tasks(launchType="EC2")["taskArns"] != []
    assert ecs.list_tasks(desiredStatus="STOPPED")["taskArns"] == []
    ecs.stop_task(task=beta[0])
    assert ecs.list_tasks(desiredStatus="STOPPED")["taskArns"] == [beta[0]]
    assert beta[0] not in ecs.list_tasks()["taskArns"]

    # Pages: boto3's paginator and the CLI both follow nextToken.
    pages = list(ecs.get_paginator("list_tasks").paginate(PaginationConfig={"PageSize": 2}))
    assert len(pages) == 3
    assert sorted(sum((p["taskArns"] for p in pages), [])) == sorted(alpha + beta[1:])
    r = aws("ecs", "list-tasks", "--page-size", "2")
    assert r.rc == 0, r.stderr
    assert sorted(r.json["taskArns"]) == sorted(alpha + beta[1:])
    r = aws("ecs", "list-tasks", "--max-items", "3")
    assert len(r.json["taskArns"]) == 3 and "NextToken" in r.json

    with pytest.raises(botocore.exceptions.ClientError) as e:
        ecs.list_tasks(serviceName="web")
    assert e.value.response["Error"]["Code"] == "ServiceNotFoundException"


def test_errors(aws, ecs, controlplane, cluster):
    def code(fn, **kw):
        with pytest.raises(botocore.exceptions.ClientError) as e:
            fn(**kw)
        err = e.value.response
        assert err["ResponseMetadata"]["HTTPStatusCode"] == 400
        return err["Error"]["Code"], err["Error"]["Message"]

    register_td(ecs, "small")
    # No instance at all in the cluster.
    assert code(ecs.run_task, taskDefinition="small") == (
        "InvalidParameterException", "No Container Instances were found in your cluster.")
    Agent(controlplane.endpoint, identity="x")
    assert code(ecs.run_task, taskDefinition="nope") == (
        "InvalidParameterException", "TaskDefinition not found.")
    ecs.deregister_task_definition(taskDefinition="small:1")
    assert code(ecs.run_task, taskDefinition="small:1") == (
        "InvalidParameterException", "TaskDefinition is inactive")
    register_td(ecs, "small")
    assert code(ecs.run_task, taskDefinition="small", launchType="FARGATE")[0] == \
        "InvalidParameterException"
    assert code(ecs.run_task, taskDefinition="small", count=11)[0] == "InvalidParameterException"
    assert code(ecs.run_task, taskDefinition="small", cluster="ghost")[0] == \
        "ClusterNotFoundException"
    assert code(ecs.run_task, taskDefinition="small", overrides={
        "containerOverrides": [{"name": "other"}]})[0] == "InvalidParameterException"
    assert code(ecs.run_task, taskDefinition="small",
                placementStrategy=[{"type": "binpack", "field": "ports"}])[0] == \
        "InvalidParameterException"
    assert code(ecs.stop_task, task="0123456789abcdef0123456789abcdef") == (
        "InvalidParameterException", "The referenced task was not found.")
    assert code(ecs.describe_tasks, tasks=[])[0] == "InvalidParameterException"
    resp = ecs.describe_tasks(tasks=["0123456789abcdef0123456789abcdef"])
    assert resp["tasks"] == []
    assert resp["failures"] == [{
        "arn": "arn:aws:ecs:us-east-1:123456789012:task/default/0123456789abcdef0123456789abcdef",
        "reason": "MISSING"}]

    # The CLI shows the same errors.
    r = aws("ecs", "stop-task", "--task", "0123456789abcdef0123456789abcdef")
    assert r.rc != 0 and "InvalidParameterException" in r.stderr


def test_overrides(ecs, controlplane, cluster):
    Agent(controlplane.endpoint, identity="o")
    register_td(ecs, "small", memory=256)
    resp = ecs.run_task(taskDefinition="small", overrides={
        "containerOverrides": [{"name": "app", "command": ["sleep", "5"], "memory": 512,
                                "environment": [{"name": "MODE", "value": "fast"}]}],
        "cpu": "0.5 vcpu"})
    task = resp["tasks"][0]
    assert task["memory"] == "512"
    assert task["cpu"] == "512"
    ov = task["overrides"]
    assert ov["cpu"] == "0.5 vcpu"
    assert ov["containerOverrides"] == [{"name": "app", "command": ["sleep", "5"],
                                         "environment": [{"name": "MODE", "value": "fast"}],
                                         "memory": 512}]
    assert task["containers"][0]["memory"] == "512"


def test_restart_keeps_tasks(ecs, controlplane, cluster):
    agent = Agent(controlplane.endpoint, identity="r")
    register_td(ecs, "small")
    arns = [t["taskArn"] for t in ecs.run_task(taskDefinition="small", count=2)["tasks"]]
    agent.report(arns[0], "RUNNING", containers=[{"name": "app", "status": "RUNNING"}])
    ecs.stop_task(task=arns[1], reason="before restart")
    before = ecs.describe_tasks(tasks=arns, include=["TAGS"])["tasks"]

    controlplane.restart()
    from cp_fixtures import make_client
    client = make_client(controlplane.endpoint)
    after = client.describe_tasks(tasks=arns, include=["TAGS"])["tasks"]
    assert after == before
    assert client.list_tasks()["taskArns"] == [arns[0]]
    assert client.list_tasks(desiredStatus="STOPPED")["taskArns"] == [arns[1]]
    # The reservations are still there: the cluster counts both as live.
    cl = client.describe_clusters()["clusters"][0]
    assert cl["runningTasksCount"] == 1 and cl["pendingTasksCount"] == 1
    client.close()
