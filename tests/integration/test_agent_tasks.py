# SPDX-License-Identifier: Apache-2.0
"""The agent runs ECS tasks end to end: aws CLI -> ecs-controlplane ->
ecs-agent -> shim -> runc, and back to describe-tasks.

Every task definition uses networkMode "none" or "host": bridge networking
is a later issue (one test checks that it is refused clearly)."""
import json
import os
import pathlib
import re
import time
import uuid

import pytest

from agent_fixtures import AgentHost, container_def, images, needs_root, taskdef, task_id  # noqa: F401
from cp_fixtures import insert_task

pytestmark = needs_root

SLEEP = ["sh", "-c", "echo started; exec sleep 300"]


@pytest.fixture(scope="module")
def host():
    with AgentHost() as h:
        h.start()
        yield h


def family(name):
    return f"e2e-{name}-{uuid.uuid4().hex[:6]}"


def wait_for(pred, timeout=15, what="condition", host=None):
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        v = pred()
        if v:
            return v
        time.sleep(0.1)
    raise AssertionError(f"timed out waiting for {what}" + (f"\n{host.log_tail()}" if host else ""))


def wait_log(host, arn, name, text, timeout=15):
    def seen():
        try:
            return any(text in line for line in host.log_lines(arn, name))
        except (AssertionError, FileNotFoundError, json.JSONDecodeError):
            return False
    wait_for(seen, timeout, f"'{text}' in the log of {name}", host)


def runc_state(host, runtime_id):
    r = host.in_netns("runc", "--root", str(host.runc_root()), "state", runtime_id)
    assert r.returncode == 0, r.stderr
    return json.loads(r.stdout)


def test_task_runs_with_a_real_process_and_logs(host, images):
    cmd = ["sh", "-c", "echo out-line; echo err-line >&2; exec sleep 300"]
    arn = host.run_task(taskdef(family("run"), container_def(images.busybox, command=cmd)))
    task = host.wait_status(arn, "RUNNING")
    c = host.container(task, "app")
    assert c["lastStatus"] == "RUNNING"
    assert c.get("runtimeId"), c
    state = runc_state(host, c["runtimeId"])
    assert state["status"] == "running"
    cmdline = open(f"/proc/{state['pid']}/cmdline", "rb").read().split(b"\0")
    assert cmdline[0] == b"sleep", cmdline

    wait_log(host, arn, "app", "err-line")
    entries = host.logs(arn, "app")
    by_text = {e["log"]: e for e in entries}
    assert by_text["out-line\n"]["stream"] == "stdout"
    assert by_text["err-line\n"]["stream"] == "stderr"
    assert all(e["time"].endswith("Z") for e in entries), entries

    host.stop_task(arn)
    task = host.wait_status(arn, "STOPPED", timeout=20)
    assert task["stopCode"] == "UserInitiated"


def test_exit_code_and_reason_reach_describe_tasks(host, images):
    arn = host.run_task(taskdef(family("exit"), container_def(images.busybox, name="worker",
                                                              command=["sh", "-c", "exit 42"])))
    task = host.wait_status(arn, "STOPPED")
    assert host.container(task, "worker")["exitCode"] == 42
    assert task["stopCode"] == "EssentialContainerExited"
    assert "worker" in task.get("stoppedReason", ""), task


def test_stop_task_kills_after_stop_timeout(host, images):
    """A container that ignores SIGTERM is SIGKILLed after its stopTimeout."""
    cmd = ["sh", "-c", "trap '' TERM; echo trapped; while :; do sleep 0.2; done"]
    arn = host.run_task(taskdef(family("kill"), container_def(images.busybox, command=cmd, stopTimeout=3)))
    host.wait_status(arn, "RUNNING")
    wait_log(host, arn, "app", "trapped")
    t0 = time.monotonic()
    host.stop_task(arn)
    task = host.wait_status(arn, "STOPPED", timeout=20)
    elapsed = time.monotonic() - t0
    assert host.container(task, "app")["exitCode"] == 137
    assert 2.5 <= elapsed < 10, elapsed


def test_stop_task_default_timeout_from_config(host, images):
    """Without stopTimeout, ECS_CONTAINER_STOP_TIMEOUT (2s here) applies."""
    cmd = ["sh", "-c", "trap '' TERM; echo trapped; while :; do sleep 0.2; done"]
    arn = host.run_task(taskdef(family("killdef"), container_def(images.busybox, command=cmd)))
    host.wait_status(arn, "RUNNING")
    wait_log(host, arn, "app", "trapped")
    t0 = time.monotonic()
    host.stop_task(arn)
    task = host.wait_status(arn, "STOPPED", timeout=20)
    elapsed = time.monotonic() - t0
    assert host.container(task, "app")["exitCode"] == 137
    assert 1.5 <= elapsed < 12, elapsed


def test_stop_task_sends_sigterm_first(host, images):
    """A container that exits on SIGTERM ends long before its stopTimeout.
    The shell is PID 1 and so gets no default action for TERM: its handler
    exits with 143, what a TERM death reports (128 + 15)."""
    cmd = ["sh", "-c", "trap 'echo got-term; exit 143' TERM; echo trapped; while :; do sleep 0.2; done"]
    arn = host.run_task(taskdef(family("term"), container_def(images.busybox, command=cmd, stopTimeout=30)))
    host.wait_status(arn, "RUNNING")
    wait_log(host, arn, "app", "trapped")
    t0 = time.monotonic()
    host.stop_task(arn)
    task = host.wait_status(arn, "STOPPED", timeout=20)
    assert time.monotonic() - t0 < 10
    assert host.container(task, "app")["exitCode"] == 143
    assert "got-term" in host.log_lines(arn, "app")


def test_stop_task_sigterm_death_is_143_with_init(host, images):
    """With initProcessEnabled the init forwards SIGTERM to the command,
    which dies of it: 128 + 15."""
    arn = host.run_task(taskdef(family("term-init"), container_def(
        images.busybox, command=["sleep", "300"], stopTimeout=30,
        linuxParameters={"initProcessEnabled": True})))
    host.wait_status(arn, "RUNNING")
    t0 = time.monotonic()
    host.stop_task(arn)
    task = host.wait_status(arn, "STOPPED", timeout=20)
    assert time.monotonic() - t0 < 10
    assert host.container(task, "app")["exitCode"] == 143


def test_nonessential_exit_keeps_task_running(host, images):
    arn = host.run_task(taskdef(family("nonessential"),
                                container_def(images.busybox, name="main", command=SLEEP),
                                container_def(images.busybox, name="side", essential=False,
                                              command=["sh", "-c", "sleep 0.5; exit 3"])))
    host.wait_status(arn, "RUNNING")

    def side_stopped():
        t = host.describe(arn)
        return t if host.container(t, "side")["lastStatus"] == "STOPPED" else None
    task = wait_for(side_stopped, 15, "the side container to stop", host)
    side = host.container(task, "side")
    assert side.get("exitCode") == 3, (side, host.log_tail())
    time.sleep(1.5)
    task = host.describe(arn)
    assert task["lastStatus"] == "RUNNING", task
    assert host.container(task, "main")["lastStatus"] == "RUNNING"
    host.stop_task(arn)
    host.wait_status(arn, "STOPPED", timeout=20)


def host_memory_mib():
    with open("/proc/meminfo") as f:
        for line in f:
            if line.startswith("MemTotal:"):
                return int(line.split()[1]) // 1024
    raise AssertionError("no MemTotal")


def test_task_larger_than_the_host_is_refused_by_placement(host, images):
    huge = host_memory_mib() * 4
    reply = host.run_task_raw(taskdef(family("huge"), container_def(images.busybox, memory=huge,
                                                                    command=["true"])))
    assert not reply.get("tasks"), reply
    assert any("RESOURCE:MEMORY" in f.get("reason", "") for f in reply["failures"]), reply


def test_task_larger_than_the_host_is_refused_by_the_agent(host, images):
    """Placement bypassed (the task is written into the control plane's
    database): the agent's own accounting refuses it."""
    huge = host_memory_mib() * 4
    fam = family("huge-agent")
    host.register(taskdef(fam, container_def(images.busybox, memory=huge, command=["true"])))
    arn = insert_task(host.cp, host.instance_arn, uuid.uuid4().hex, family=fam, memory=huge,
                      cpu=0, containers=("app",))
    task = host.wait_status(arn, "STOPPED", timeout=30)
    assert "RESOURCE:MEMORY" in task.get("stoppedReason", ""), task
    assert host.container(task, "app").get("exitCode") is None


def test_host_port_conflict(host, images):
    port = 20000 + os.getpid() % 20000
    td = taskdef(family("port"), container_def(images.busybox, command=SLEEP,
                                               portMappings=[{"containerPort": port, "hostPort": port}]),
                 network_mode="host")
    first = host.run_task(td)
    host.wait_status(first, "RUNNING")
    reply = host.run_task_raw(td)
    if reply.get("failures"):
        # The control plane knows the port is taken and does not place it.
        assert any("PORTS" in f.get("reason", "") for f in reply["failures"]), reply
    else:
        task = host.wait_status(reply["tasks"][0]["taskArn"], "STOPPED")
        assert "PORTS" in task.get("stoppedReason", ""), task

    # The agent's own check, with placement bypassed.
    fam = td["family"]
    arn = insert_task(host.cp, host.instance_arn, uuid.uuid4().hex, family=fam, containers=("app",),
                      cpu=0, memory=64)
    task = host.wait_status(arn, "STOPPED", timeout=30)
    assert f"{port}" in task.get("stoppedReason", "") and "PORTS" in task["stoppedReason"], task
    assert host.describe(first)["lastStatus"] == "RUNNING"
    host.stop_task(first)
    host.wait_status(first, "STOPPED", timeout=20)


def test_bridge_mode_is_refused_clearly(host, images):
    reply = host.run_task_raw(taskdef(family("bridge"), container_def(images.busybox, command=["true"]),
                                      network_mode="bridge"))
    if reply.get("failures"):
        reasons = " ".join(f.get("reason", "") for f in reply["failures"])
        assert "bridge" in reasons or "ATTRIBUTE" in reasons, reply
        return
    task = host.wait_status(reply["tasks"][0]["taskArn"], "STOPPED")
    assert "bridge" in task.get("stoppedReason", ""), task


def test_image_config_merged_as_docker_does(host, images):
    image = images.build("cfg:1", "--entrypoint", '["/bin/sh","-c"]', "--cmd", '["echo image-cmd"]',
                         "--env", "FOO=img", "--env", "BAR=img", "--workdir", "/home/app",
                         "--user", "app")
    ne = {"essential": False}
    arn = host.run_task(taskdef(
        family("imgcfg"),
        # command replaces Cmd, keeps Entrypoint; environment overrides Env; WorkingDir, User by name.
        container_def(image, name="a", command=['echo "$FOO $BAR $BAZ $(pwd) $(id -u) $(id -un)"'],
                      environment=[{"name": "BAR", "value": "td"}, {"name": "BAZ", "value": "td"}], **ne),
        # Entrypoint + Cmd as they are.
        container_def(image, name="b", **ne),
        # entryPoint replaces Entrypoint and drops the image's Cmd.
        container_def(image, name="c", entryPoint=["/bin/echo", "ep"], **ne),
        # user and workingDirectory from the definition win.
        container_def(image, name="d", user="nobody", workingDirectory="/tmp",
                      command=['echo "$(id -u):$(id -g) $(pwd)"'], **ne),
        container_def(image, name="e", user="app:wheel", command=['echo "$(id -u):$(id -g)"'], **ne),
        container_def(images.busybox, name="keeper", command=["sleep", "3"])))
    task = host.wait_status(arn, "STOPPED", timeout=30)
    for c in task["containers"]:
        assert c.get("exitCode") == 0, task
    assert host.log_lines(arn, "a") == ["img td td /home/app 1000 app"]
    assert host.log_lines(arn, "b") == ["image-cmd"]
    assert host.log_lines(arn, "c") == ["ep"]
    assert host.log_lines(arn, "d") == ["65534:65534 /tmp"]
    assert host.log_lines(arn, "e") == ["1000:10"]


def test_overrides_command_and_environment(host, images):
    td = taskdef(family("overrides"), container_def(
        images.busybox, command=["sh", "-c", 'echo "td $X"'],
        environment=[{"name": "X", "value": "td"}, {"name": "Z", "value": "kept"}]))
    overrides = {"containerOverrides": [{
        "name": "app", "command": ["sh", "-c", 'echo "over $X $Y $Z"'],
        "environment": [{"name": "X", "value": "ov"}, {"name": "Y", "value": "new"}]}]}
    arn = host.run_task(td, overrides=overrides)
    task = host.wait_status(arn, "STOPPED")
    assert host.container(task, "app")["exitCode"] == 0
    assert host.log_lines(arn, "app") == ["over ov new kept"]


def test_journald_log_driver_runs(host, images):
    arn = host.run_task(taskdef(family("log-journald"), container_def(
        images.busybox, command=["sh", "-c", "echo hello; exit 5"],
        logConfiguration={"logDriver": "journald", "options": {}})))
    task = host.wait_status(arn, "STOPPED")
    assert host.container(task, "app")["exitCode"] == 5, task
    assert not list(host.container_dir(arn, "app").glob("*-json.log"))


def test_none_log_driver(host, images):
    """ECS's API has no "none" log driver (LogDriver enum), so the shared
    task-definition parser refuses it by name; the shim's `none` serves
    ECS_AVAILABLE_LOGGING_DRIVERS-only setups."""
    r = host.aws("ecs", "register-task-definition", "--cli-input-json", json.dumps(taskdef(
        family("log-none"), container_def(images.busybox, command=["true"],
                                          logConfiguration={"logDriver": "none"}))))
    assert r.rc != 0 and "logDriver" in r.stderr, r.stderr


def test_cleanup_after_wait_duration(images):
    with AgentHost(config={"ECS_ENGINE_TASK_CLEANUP_WAIT_DURATION": "2s"}) as h:
        h.start()
        arn = h.run_task(taskdef(family("cleanup"), container_def(images.busybox, command=["sh", "-c", "exit 0"])))
        task = h.wait_status(arn, "STOPPED")
        assert h.container(task, "app")["exitCode"] == 0
        tid = task_id(arn)
        wait_for(lambda: not h.task_dir(arn).exists(), 20, "the task directory to go", h)
        assert not [m for m in h.mounts() if tid in m]
        assert not h.cgroup_dirs(below=tid)
        assert not h.runc_containers()
        h.assert_no_leaks()


@pytest.mark.parametrize("how", ["stop", "kill"])
def test_exit_while_agent_down_is_reported_after_restart(images, how):
    with AgentHost() as h:
        h.start()
        arn = h.run_task(taskdef(family("down"), container_def(
            images.busybox, command=["sh", "-c", "echo up; sleep 2; exit 7"])))
        h.wait_status(arn, "RUNNING")
        if how == "stop":
            assert h.stop() == 0
        else:
            h.kill()
        # The shim outlives the agent and records the exit.
        exit_file = h.container_dir(arn, "app") / "exit"
        wait_for(exit_file.exists, 15, f"{exit_file}")
        assert h.describe(arn)["lastStatus"] == "RUNNING"
        h.start()
        task = h.wait_status(arn, "STOPPED", timeout=30)
        assert h.container(task, "app")["exitCode"] == 7, task
        assert task["stopCode"] == "EssentialContainerExited"
        assert h.log_lines(arn, "app") == ["up"]
        assert not h.shim_pids()
        assert not h.runc_containers()


def spare_shims(agent_pid):
    """The agent's spare shims: its children started as `ecs-agent-shim --spare`."""
    out = []
    for d in pathlib.Path("/proc").iterdir():
        if not d.name.isdigit():
            continue
        try:
            cmd = (d / "cmdline").read_bytes().split(b"\0")
            ppid = int(re.search(r"^PPid:\s+(\d+)", (d / "status").read_text(), re.M).group(1))
        except (OSError, AttributeError):
            continue
        if ppid == agent_pid and cmd[0].endswith(b"ecs-agent-shim") and cmd[1:2] == [b"--spare"]:
            out.append(int(d.name))
    return out


def gone(pid):
    """No such process, or only a zombie left for its new parent to reap."""
    try:
        status = pathlib.Path(f"/proc/{pid}/status").read_text()
    except FileNotFoundError:
        return True
    return re.search(r"^State:\s+Z", status, re.M) is not None


def test_a_spare_shim_takes_the_next_container(images):
    with AgentHost() as h:
        h.start()
        agent = h.proc.pid
        spare = wait_for(lambda: spare_shims(agent), 10, "a spare shim", h)
        assert len(spare) == 1
        arn = h.run_task(taskdef(family("spare"), container_def(images.busybox, command=SLEEP)))
        h.wait_status(arn, "RUNNING")
        cdir = h.container_dir(arn, "app")
        shim = int((cdir / "shim.pid").read_text())
        assert shim == spare[0]
        # It shows its container's command line, as an exec'd shim does.
        assert shim in h.shim_pids()
        cmd = (pathlib.Path(f"/proc/{shim}/cmdline")).read_bytes().split(b"\0")
        assert cmd[cmd.index(b"--state-dir") + 1] == str(cdir).encode()
        # Another spare once the start is over; the agent's death lets it go.
        new = wait_for(lambda: [p for p in spare_shims(agent) if p != shim], 10, "a new spare", h)
        assert len(new) == 1
        h.kill()
        wait_for(lambda: gone(new[0]), 10, "the spare to exit with its agent", h)
        assert not gone(shim)
        h.start()
        # The restarted agent adopts the container the spare runs.
        h.stop_task(arn)
        h.wait_status(arn, "STOPPED", timeout=40)
        wait_for(lambda: gone(shim), 10, "the shim to exit with its container", h)
