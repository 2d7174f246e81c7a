# SPDX-License-Identifier: Apache-2.0
"""The agent protocol (docs/protocol.md) against the real daemon, spoken by
tests/tools/fake-agent: join and instance tokens, re-registration, the long
poll, idempotent state reports, telemetry, bad bodies, liveness, restarts,
and many simulated instances."""
import http.client
import json
import time

import pytest

from cp_fixtures import (ACCOUNT, AGENT_ARGS, JOIN_TOKEN, REGION, ControlPlane,  # noqa: F401
                         FakeAgent, agent_controlplane, ecs_agentcp, fake_agent, insert_task,
                         make_client, read_task, workdir)


def post(cp, path, body, content_type="application/x-protobuf", token=None, method="POST",
         headers=None):
    conn = http.client.HTTPConnection("127.0.0.1", cp.port, timeout=30)
    try:
        h = {"Content-Type": content_type} if content_type else {}
        if token:
            h["Authorization"] = f"Bearer {token}"
        h.update(headers or {})
        conn.request(method, path, body=body, headers=h)
        resp = conn.getresponse()
        return resp.status, resp.getheader("Content-Type"), resp.read()
    finally:
        conn.close()


@pytest.fixture
def cluster(ecs_agentcp):
    ecs_agentcp.create_cluster(clusterName="default")
    return ecs_agentcp


def test_register_join_token(agent_controlplane, fake_agent, cluster):
    reg = fake_agent.register(identity="host-1", attributes=["stack=prod", "ecs.capability.task-eni"])
    assert reg["status"] == 200
    arn = reg["containerInstanceArn"]
    assert arn.startswith(f"arn:aws:ecs:{REGION}:{ACCOUNT}:container-instance/default/")
    assert reg["clusterArn"] == f"arn:aws:ecs:{REGION}:{ACCOUNT}:cluster/default"
    assert len(reg["token"]) == 64 and reg["pollTimeoutSeconds"] == 2

    (ci,) = cluster.describe_container_instances(containerInstances=[arn])["containerInstances"]
    assert ci["agentConnected"] is True
    assert ci["ec2InstanceId"] == "host-1"
    assert ci["versionInfo"]["agentVersion"] == "0.0.0-fake"
    attrs = {a["name"]: a.get("value") for a in ci["attributes"]}
    assert attrs["stack"] == "prod" and "ecs.capability.task-eni" in attrs
    assert attrs["ecs.os-type"] == "linux"
    assert {r["name"]: r["integerValue"] for r in ci["registeredResources"][:2]} == {"CPU": 2048, "MEMORY": 4096}

    bad = fake_agent.register(join_token="wrong", identity="host-2")
    assert (bad["status"], bad["code"]) == (403, "FORBIDDEN")
    missing = fake_agent.register(cluster="nope", identity="host-3")
    assert (missing["status"], missing["code"]) == (404, "NOT_FOUND")
    assert len(cluster.list_container_instances()["containerInstanceArns"]) == 1
    # The token is never stored or logged.
    assert reg["token"] not in agent_controlplane.log_text()
    assert reg["token"].encode() not in agent_controlplane.db.read_bytes()


def test_cluster_join_tokens(workdir):
    cp = ControlPlane(workdir, extra_args=("--join-token", "common"))
    cp.config.write_text('ECS_CP_JOIN_TOKENS={"secure": "only-secure"}\n')
    cp.start()
    try:
        client = make_client(cp.endpoint)
        client.create_cluster(clusterName="secure")
        client.create_cluster(clusterName="open")
        agent = FakeAgent(cp.endpoint)
        assert agent.register(cluster="open", join_token="common")["status"] == 200
        assert agent.register(cluster="secure", join_token="common")["status"] == 403
        ok = agent.register(cluster=f"arn:aws:ecs:{REGION}:{ACCOUNT}:cluster/secure",
                            join_token="only-secure")
        assert ok["status"] == 200 and ok["clusterArn"].endswith("/secure")
        client.close()
    finally:
        cp.kill()


def test_instance_token_required(agent_controlplane, fake_agent, cluster):
    a = fake_agent.register(identity="a")
    b = fake_agent.register(identity="b")
    assert fake_agent.poll(a)["status"] == 200
    for rpc in ("poll", "state", "telemetry"):
        status, ctype, _ = post(agent_controlplane, f"/v1/agent/{rpc}", b"\x08\x01")
        assert status == 401 and ctype == "application/x-protobuf"
    forged = dict(a, token="0" * 64)
    r = fake_agent.poll(forged)
    assert (r["status"], r["code"]) == (401, "UNAUTHENTICATED")
    # A real token, but for another instance.
    stolen = dict(a, token=b["token"])
    for r in (fake_agent.poll(stolen), fake_agent.telemetry(stolen), fake_agent.report(stolen, [])):
        assert (r["status"], r["code"]) == (403, "FORBIDDEN")


def test_reregister_keeps_arn_and_rotates_token(fake_agent, cluster):
    first = fake_agent.register(identity="host-x")
    by_identity = fake_agent.register(identity="host-x")
    assert by_identity["containerInstanceArn"] == first["containerInstanceArn"]
    by_arn = fake_agent.register(identity="other-name", previous_arn=first["containerInstanceArn"],
                                 cpu=4096)
    assert by_arn["containerInstanceArn"] == first["containerInstanceArn"]
    # Only the newest token works.
    assert fake_agent.poll(first)["status"] == 401
    assert fake_agent.poll(by_identity)["status"] == 401
    assert fake_agent.poll(by_arn)["status"] == 200
    (ci,) = cluster.describe_container_instances(
        containerInstances=[first["containerInstanceArn"]])["containerInstances"]
    assert ci["registeredResources"][0]["integerValue"] == 4096
    assert len(cluster.list_container_instances()["containerInstanceArns"]) == 1

    unknown = fake_agent.register(previous_arn=first["containerInstanceArn"][:-4] + "ffff")
    assert (unknown["status"], unknown["code"]) == (404, "NOT_FOUND")
    cluster.deregister_container_instance(containerInstance=first["containerInstanceArn"])
    gone = fake_agent.register(previous_arn=first["containerInstanceArn"])
    assert (gone["status"], gone["code"]) == (410, "INSTANCE_INACTIVE")


def test_long_poll(agent_controlplane, fake_agent, cluster):
    reg = fake_agent.register(identity="poller")
    full = fake_agent.poll(reg, known_version=0)
    assert full["unchanged"] is False and full["tasks"] == [] and full["instanceStatus"] == "ACTIVE"
    version = full["version"]

    # Nothing changes: held for the server's poll timeout (2 s), not the
    # 10 s the agent offered.
    r = fake_agent.poll(reg, known_version=version, wait=10)
    assert r["unchanged"] is True and r["version"] == version
    assert 1500 <= r["elapsedMs"] < 5000
    # wait 0 answers at once.
    r = fake_agent.poll(reg, known_version=version, wait=0)
    assert r["unchanged"] is True and r["elapsedMs"] < 1000

    # A change while the poll is parked answers it at once.
    import subprocess
    proc = subprocess.Popen([str(fake_agent.binary), "poll", "--endpoint", fake_agent.endpoint,
                             "--token", reg["token"], "--arn", reg["containerInstanceArn"],
                             "--known-version", str(version), "--wait", "20"],
                            stdout=subprocess.PIPE, text=True)
    time.sleep(0.5)
    changed_at = time.monotonic()
    cluster.update_container_instances_state(containerInstances=[reg["containerInstanceArn"]],
                                             status="DRAINING")
    out, _ = proc.communicate(timeout=30)
    seen_after = time.monotonic() - changed_at
    r = json.loads(out)
    assert r["unchanged"] is False and r["instanceStatus"] == "DRAINING"
    assert r["version"] != version
    assert seen_after < 2.0, seen_after
    assert r["elapsedMs"] < 1900


def test_full_state_and_state_reports(agent_controlplane, fake_agent, cluster):
    reg = fake_agent.register(identity="worker")
    arn = reg["containerInstanceArn"]
    t1 = insert_task(agent_controlplane, arn, "a" * 32, cpu=512, memory=1024,
                     host_ports={"tcp": [8080]}, containers=("web", "sidecar"))
    t2 = insert_task(agent_controlplane, arn, "b" * 32, desired_status="STOPPED")
    ecs = make_client(agent_controlplane.endpoint)

    full = fake_agent.poll(reg)
    assert full["unchanged"] is False
    tasks = {t["taskArn"]: t for t in full["tasks"]}
    assert set(tasks) == {t1, t2}
    assert tasks[t1]["desiredStatus"] == "RUNNING"
    assert tasks[t1]["taskDefinition"]["family"] == "fake-web"
    assert [c["name"] for c in tasks[t1]["taskDefinition"]["containerDefinitions"]] == ["web", "sidecar"]
    assert tasks[t1]["family"] == "fake-web" and tasks[t1]["revision"] == 1
    assert tasks[t1]["group"] == "family:fake-web"
    assert tasks[t2]["desiredStatus"] == "STOPPED"

    now = int(time.time() * 1000)
    running = [{"taskArn": t1, "sequence": 2, "status": "RUNNING", "startedAt": now,
                "pullStartedAt": now - 50, "pullStoppedAt": now - 10, "healthStatus": "HEALTHY",
                "containers": [
                    {"name": "web", "status": "RUNNING", "runtimeId": "rt-web",
                     "imageDigest": "sha256:" + "1" * 64, "healthStatus": "HEALTHY",
                     "networkBindings": [{"bindIP": "0.0.0.0", "containerPort": 80,
                                          "hostPort": 8080, "protocol": "tcp"}]},
                    {"name": "sidecar", "status": "RUNNING"},
                    {"name": "not-in-the-definition", "status": "RUNNING"}]},
               {"taskArn": t2, "sequence": 1, "status": "STOPPED", "reason": "never started",
                "containers": [{"name": "app", "status": "STOPPED"}]},
               {"taskArn": f"arn:aws:ecs:{REGION}:{ACCOUNT}:task/default/{'c' * 32}", "sequence": 7,
                "status": "RUNNING", "containers": []}]
    r = fake_agent.report(reg, running)
    assert r["status"] == 200
    assert [(a["taskArn"], a["sequence"]) for a in r["acks"]] == [(t["taskArn"], t["sequence"]) for t in running]
    # Replaying the same batch is harmless: the same acks, the same rows.
    row_before = read_task(agent_controlplane, t1)
    assert fake_agent.report(reg, running)["acks"] == r["acks"]
    assert read_task(agent_controlplane, t1) == row_before
    row, containers = row_before
    assert (row["last_status"], row["desired_status"], row["sequence"]) == ("RUNNING", "RUNNING", 2)
    assert row["started_ms"] == now and row["health_status"] == "HEALTHY"
    web = next(c for c in containers if c["name"] == "web")
    assert (web["last_status"], web["runtime_id"], web["health_status"]) == ("RUNNING", "rt-web", "HEALTHY")
    assert json.loads(web["network_bindings"]) == [{"bindIP": "0.0.0.0", "containerPort": 80,
                                                     "hostPort": 8080, "protocol": "tcp"}]

    # An older snapshot arriving late is ignored (acked with what is held).
    stale = [{"taskArn": t1, "sequence": 1, "status": "PENDING",
              "containers": [{"name": "web", "status": "PENDING"}]}]
    assert fake_agent.report(reg, stale)["acks"] == [{"taskArn": t1, "sequence": 2}]
    assert read_task(agent_controlplane, t1)[0]["last_status"] == "RUNNING"

    (ci,) = ecs.describe_container_instances(containerInstances=[arn])["containerInstances"]
    assert ci["runningTasksCount"] == 1
    rem = {x["name"]: x for x in ci["remainingResources"]}
    assert rem["CPU"]["integerValue"] == 2048 - 512 and rem["MEMORY"]["integerValue"] == 4096 - 1024

    # The STOPPED-desired task left the list once its STOPPED was applied.
    full2 = fake_agent.poll(reg, known_version=full["version"])
    assert full2["unchanged"] is False
    assert [t["taskArn"] for t in full2["tasks"]] == [t1]

    # The task stops on its own: exit codes and reasons, resources freed.
    stopped = [{"taskArn": t1, "sequence": 3, "status": "STOPPED", "stopCode": "EssentialContainerExited",
                "reason": "Essential container in task exited", "stoppedAt": now + 1000,
                "containers": [{"name": "web", "status": "STOPPED", "exitCode": 137, "reason": "OOM"},
                               {"name": "sidecar", "status": "STOPPED", "exitCode": 0}]}]
    assert fake_agent.report(reg, stopped)["acks"] == [{"taskArn": t1, "sequence": 3}]
    row, containers = read_task(agent_controlplane, t1)
    assert (row["last_status"], row["desired_status"]) == ("STOPPED", "STOPPED")
    assert row["stop_code"] == "EssentialContainerExited"
    assert row["stopped_reason"] == "Essential container in task exited"
    assert row["stopped_ms"] == now + 1000
    assert {c["name"]: (c["exit_code"], c["reason"]) for c in containers} == {
        "web": (137, "OOM"), "sidecar": (0, None)}
    (ci,) = ecs.describe_container_instances(containerInstances=[arn])["containerInstances"]
    assert ci["runningTasksCount"] == 0
    assert {x["name"]: x for x in ci["remainingResources"]}["CPU"]["integerValue"] == 2048
    assert fake_agent.poll(reg, known_version=full2["version"])["tasks"] == []
    ecs.close()


def test_bad_bodies(agent_controlplane, fake_agent, cluster):
    cp = agent_controlplane
    reg = fake_agent.register(identity="bad-bodies")
    tok = reg["token"]
    cases = [
        ("/v1/agent/register", b"\xff\xff\xff", None, 400),
        ("/v1/agent/register", b"", None, 400),                      # no protocol version
        ("/v1/agent/register", b"\x08\x63", None, 400),              # protocol major 99
        ("/v1/agent/poll", b"\x08\x01\x1a\x05ab", tok, 400),          # truncated string
        ("/v1/agent/state", b"\x08\x01\x22\x03\x0a\x01", tok, 400),   # truncated sub-message
        ("/v1/agent/telemetry", b"garbage!" * 10, tok, 400),
    ]
    for path, body, token, want in cases:
        status, ctype, _ = post(cp, path, body, token=token)
        assert status == want, (path, body)
        assert ctype == "application/x-protobuf"
    status, _, body = post(cp, "/v1/agent/register", b"\x08\x63")
    assert b"version" in body
    assert post(cp, "/v1/agent/poll", b"\x08\x01", content_type="application/json", token=tok)[0] == 415
    assert post(cp, "/v1/agent/poll", b"\x08\x01", content_type=None, token=tok)[0] == 415
    assert post(cp, "/v1/agent/poll", b"\x08\x01", token=tok,
                headers={"Content-Encoding": "gzip"})[0] == 415
    assert post(cp, "/v1/agent/poll", b"", method="GET", token=tok)[0] == 405
    assert post(cp, "/v1/agent/nothing", b"\x08\x01")[0] == 404
    assert post(cp, "/v1/agent/register", b"\x08\x01" + b"\x00" * (70 * 1024))[0] == 413
    # A state report without sequence numbers is refused as a whole.
    r = fake_agent.report(reg, [{"taskArn": "x", "sequence": 0, "status": "RUNNING"}])
    assert (r["status"], r["code"]) == (400, "BAD_REQUEST")
    # Still serving.
    assert fake_agent.poll(reg)["status"] == 200
    assert cp.proc.poll() is None


def test_wrong_paths_answer_404(agent_controlplane, cluster):
    """A request to a path nothing serves gets a 404 whatever its body (a
    body used to make the daemon cut the connection without an answer)."""
    body = b"\x08\x01\x10\x00" + b"\x00" * 200
    for path in ("//v1/agent/register", "/v1/agent//register", "/v2/agent/register", "/x"):
        assert post(agent_controlplane, path, body)[0] == 404, path
        assert post(agent_controlplane, path, b"")[0] == 404, path


def test_endpoint_with_trailing_slash(agent_controlplane, cluster):
    """fake-agent takes "http://host:port/" as well as "http://host:port"."""
    agent = FakeAgent(agent_controlplane.endpoint + "//")
    reg = agent.register(identity="slash")
    assert reg["status"] == 200, reg
    assert agent.poll(reg)["status"] == 200
    sim = agent.simulate(2, extra=("--quiet",))
    try:
        assert len(set(sim.arns)) == 2
    finally:
        sim.stop()
    assert sim.proc.returncode == 0


def test_telemetry_health(fake_agent, cluster):
    reg = fake_agent.register(identity="telemetry")
    r = fake_agent.telemetry(reg, health="IMPAIRED", task_stats=["arn:aws:ecs:us-east-1:123456789012:task/default/x"])
    assert r["status"] == 200 and r["telemetryIntervalSeconds"] == 0
    (ci,) = cluster.describe_container_instances(containerInstances=[reg["containerInstanceArn"]],
                                                 include=["CONTAINER_INSTANCE_HEALTH"])["containerInstances"]
    hs = ci["healthStatus"]
    assert hs["overallStatus"] == "IMPAIRED"
    assert hs["details"][0]["type"] == "CONTAINER_RUNTIME" and hs["details"][0]["status"] == "IMPAIRED"
    assert fake_agent.telemetry(reg, health="OK")["status"] == 200
    (ci,) = cluster.describe_container_instances(containerInstances=[reg["containerInstanceArn"]],
                                                 include=["CONTAINER_INSTANCE_HEALTH"])["containerInstances"]
    assert ci["healthStatus"]["overallStatus"] == "OK"


def test_task_version_follows_reports(agent_controlplane, fake_agent, cluster):
    """ECS's Task.version grows with every visible change an agent reports,
    and not for duplicates or snapshots that change nothing."""
    reg = fake_agent.register(identity="versioned")
    task = insert_task(agent_controlplane, reg["containerInstanceArn"], "e" * 32,
                       containers=("web",))
    ecs = make_client(agent_controlplane.endpoint)

    def version():
        return ecs.describe_tasks(tasks=[task])["tasks"][0]["version"]

    def report(seq, status, **container):
        return fake_agent.report(reg, [{"taskArn": task, "sequence": seq, "status": status,
                                        "containers": [{"name": "web", "status": status,
                                                        **container}]}])

    assert version() == 1
    report(1, "RUNNING", runtimeId="rt-1")
    assert version() == 2
    report(1, "RUNNING", runtimeId="rt-1")  # a duplicate
    assert version() == 2
    report(2, "RUNNING", runtimeId="rt-1")  # a new sequence, nothing new
    assert version() == 2
    report(3, "PENDING", runtimeId="rt-1")  # statuses never go back: nothing visible
    assert version() == 2
    report(4, "RUNNING", runtimeId="rt-1", healthStatus="HEALTHY")  # a container's health
    assert version() == 3
    report(5, "STOPPED", exitCode=0)
    task_now = ecs.describe_tasks(tasks=[task])["tasks"][0]
    assert (task_now["lastStatus"], task_now["version"]) == ("STOPPED", 4)
    ecs.close()


def test_liveness(agent_controlplane, fake_agent, cluster):
    reg = fake_agent.register(identity="mortal")
    arn = reg["containerInstanceArn"]
    task = insert_task(agent_controlplane, arn, "d" * 32, last_status="RUNNING", cpu=100, memory=100)
    ecs = make_client(agent_controlplane.endpoint)
    fake_agent.poll(reg)  # the restart of insert_task is not the agent's silence

    def connected():
        return ecs.describe_container_instances(containerInstances=[arn])["containerInstances"][0]["agentConnected"]

    # Held polls keep an agent connected past the disconnect timeout.
    for _ in range(3):
        fake_agent.poll(reg, known_version=fake_agent.poll(reg)["version"], wait=2)
    assert connected() is True

    silent_since = time.monotonic()
    deadline = silent_since + 10
    while connected() and time.monotonic() < deadline:
        time.sleep(0.2)
    assert not connected()
    # 3 s, less the granularity of contact records (a quarter of it)
    assert time.monotonic() - silent_since >= 2.0
    assert read_task(agent_controlplane, task)[0]["last_status"] == "RUNNING"

    deadline = time.monotonic() + 10
    while read_task(agent_controlplane, task)[0]["last_status"] != "STOPPED" and time.monotonic() < deadline:
        time.sleep(0.2)
    row, containers = read_task(agent_controlplane, task)
    assert (row["last_status"], row["desired_status"]) == ("STOPPED", "STOPPED")
    assert row["stopped_reason"] == ("Task stopped because the container instance's agent was "
                                     "disconnected for too long")
    assert all(c["last_status"] == "STOPPED" for c in containers)
    assert time.monotonic() - silent_since >= 5.0
    assert ecs.describe_tasks(tasks=[task])["tasks"][0]["version"] == 2
    (ci,) = ecs.describe_container_instances(containerInstances=[arn])["containerInstances"]
    assert ci["runningTasksCount"] == 0

    # The agent comes back: connected again, and its task is no longer wanted.
    r = fake_agent.poll(reg)
    assert r["tasks"] == []
    assert connected() is True
    ecs.close()


def test_deregistered_instance(agent_controlplane, fake_agent, cluster):
    reg = fake_agent.register(identity="leaving")
    version = fake_agent.poll(reg)["version"]
    cluster.deregister_container_instance(containerInstance=reg["containerInstanceArn"])
    r = fake_agent.poll(reg, known_version=version, wait=5)
    assert r["instanceStatus"] == "DEREGISTERED" and r["unchanged"] is False
    r = fake_agent.report(reg, [])
    assert (r["status"], r["code"]) == (410, "INSTANCE_INACTIVE")
    r = fake_agent.telemetry(reg)
    assert (r["status"], r["code"]) == (410, "INSTANCE_INACTIVE")


def test_restart_keeps_instances_and_tokens(agent_controlplane, fake_agent, cluster):
    reg = fake_agent.register(identity="survivor", attributes=["stack=prod"])
    version = fake_agent.poll(reg)["version"]
    agent_controlplane.restart()
    agent = FakeAgent(agent_controlplane.endpoint)
    r = agent.poll(reg, known_version=version)
    assert r["status"] == 200 and r["unchanged"] is True
    ecs = make_client(agent_controlplane.endpoint)
    (ci,) = ecs.describe_container_instances(containerInstances=[reg["containerInstanceArn"]])["containerInstances"]
    assert {a["name"]: a.get("value") for a in ci["attributes"]}["stack"] == "prod"
    # Registering again replaces what the agent reported.
    again = agent.register(identity="survivor", attributes=["stack=dev"])
    assert again["containerInstanceArn"] == reg["containerInstanceArn"]
    (ci,) = ecs.describe_container_instances(containerInstances=[reg["containerInstanceArn"]])["containerInstances"]
    assert {a["name"]: a.get("value") for a in ci["attributes"]}["stack"] == "dev"
    ecs.close()


def test_simulated_instances(agent_controlplane, fake_agent, cluster):
    sim = fake_agent.simulate(25, extra=("--quiet",))
    try:
        assert len(set(sim.arns)) == 25
        arns = cluster.get_paginator("list_container_instances").paginate(
            filter="agentConnected == true").build_full_result()["containerInstanceArns"]
        assert sorted(arns) == sorted(sim.arns)
        # A change reaches the simulated agent's parked poll: drained, then
        # deregistered instances say so.
        victim = sim.arns[3]
        cluster.deregister_container_instance(containerInstance=victim)
        ev = sim.read_until(lambda e: e["event"] == "deregistered", timeout=5)
        assert ev["containerInstanceArn"] == victim
    finally:
        sim.stop()
