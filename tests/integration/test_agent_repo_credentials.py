# SPDX-License-Identifier: Apache-2.0
"""Per-task repositoryCredentials, end to end: a secret created with
`aws secretsmanager create-secret` on the control plane, a task definition
whose container names it, and the agent pulling from a registry with
htpasswd basic auth over TLS (and no engine credentials) with it. Wrong and
missing secrets stop the task with a reason naming the problem; the
password reaches neither the agent's disk nor DescribeTasks."""
import json
import os
import uuid

import pytest

from agent_fixtures import AgentHost, container_def, images, needs_root, taskdef  # noqa: F401
from registry_fixtures import Registry, missing_tools

pytestmark = [needs_root, pytest.mark.skipif(bool(missing_tools()),
                                             reason=f"missing: {missing_tools()}")]


def family(name):
    return f"repocreds-{name}-{uuid.uuid4().hex[:6]}"


@pytest.fixture(scope="module")
def site(images):
    with AgentHost(config={"ECS_ENGINE_TASK_CLEANUP_WAIT_DURATION": "1s"}) as host:
        reg = Registry(addr=host.root_addr, tls=True, auth="htpasswd")
        try:
            reg.start()
            for repo in ("private/good:1", "private/wrong:1", "private/missing:1",
                         "private/anon:1", "private/restart:1", "private/after:1"):
                reg.push_ref(images.busybox, repo)
            # TLS trust only: no ECS_ENGINE_AUTH_* at all.
            host.extra_config["ECS_REGISTRY_CA_FILE"] = str(reg.ca_file)
            host.start()
            yield host, reg
        finally:
            reg.stop()


def secret(host, name, value):
    r = host.aws("secretsmanager", "create-secret", "--name", name, "--secret-string", value)
    assert r.rc == 0, r.stderr
    return r.json["ARN"]


def creds(reg, password=None):
    return json.dumps({"username": reg.username, "password": password or reg.password})


def with_creds(image, arn, command):
    return container_def(image, command=command,
                         repositoryCredentials={"credentialsParameter": arn})


def reason_of(host, arn):
    task = host.wait_status(arn, "STOPPED", timeout=60)
    return task, host.container(task, "app").get("reason", "")


def test_the_capability_is_advertised(site):
    host, _ = site
    attrs = {a["name"] for a in host.describe_instance().get("attributes", [])}
    assert "ecs.capability.private-registry-authentication.secretsmanager" in attrs


def test_a_task_pulls_with_its_repository_credentials(site):
    host, reg = site
    arn = secret(host, f"reg/{uuid.uuid4().hex[:8]}", creds(reg))
    image = f"{reg.host}/private/good:1"
    task_arn = host.run_task(taskdef(family("good"), with_creds(
        image, arn, ["sh", "-c", "exit 5"])))
    task, _ = reason_of(host, task_arn)
    assert host.container(task, "app").get("exitCode") == 5, (task, host.log_tail())
    # The secret travels on the agent channel only.
    described = json.dumps(host.describe(task_arn), default=str)
    assert reg.password not in described


def test_without_credentials_the_registry_refuses(site):
    host, reg = site
    task_arn = host.run_task(taskdef(family("anon"), container_def(
        f"{reg.host}/private/anon:1", command=["true"])))
    task, reason = reason_of(host, task_arn)
    assert reason.startswith("CannotPullContainerError"), task
    assert "unauthorized" in reason.lower(), reason


def test_a_wrong_password_fails_the_pull_as_unauthorized(site):
    host, reg = site
    arn = secret(host, f"reg/{uuid.uuid4().hex[:8]}", creds(reg, password="not-the-password"))
    task_arn = host.run_task(taskdef(family("wrong"), with_creds(
        f"{reg.host}/private/wrong:1", arn, ["true"])))
    task, reason = reason_of(host, task_arn)
    assert reason.startswith("CannotPullContainerError"), task
    assert "unauthorized" in reason.lower(), reason
    assert task["stopCode"] == "TaskFailedToStart", task


@pytest.mark.parametrize("case", ["missing", "not-json", "no-password"])
def test_an_unusable_secret_fails_the_task_naming_it(site, case):
    host, reg = site
    if case == "missing":
        param = f"arn:aws:secretsmanager:us-east-1:123456789012:secret:gone-{uuid.uuid4().hex[:6]}"
        expect = "can't find the specified secret"
    elif case == "not-json":
        param = secret(host, f"reg/{uuid.uuid4().hex[:8]}", "just-a-password")
        expect = "not a JSON object"
    else:
        param = secret(host, f"reg/{uuid.uuid4().hex[:8]}", json.dumps({"username": "u"}))
        expect = "no password"
    task_arn = host.run_task(taskdef(family(case), with_creds(
        f"{reg.host}/private/missing:1", param, ["true"])))
    task, reason = reason_of(host, task_arn)
    assert reason.startswith("CannotPullContainerError"), task
    assert f"repository credentials {param}" in reason, reason
    assert expect in reason, reason


def test_credentials_are_not_kept_on_disk_and_come_back_after_a_restart(site):
    host, reg = site
    arn = secret(host, f"reg/{uuid.uuid4().hex[:8]}", creds(reg))
    image = f"{reg.host}/private/restart:1"
    task_arn = host.run_task(taskdef(family("restart"), with_creds(
        image, arn, ["sh", "-c", "exec sleep 300"])))
    host.wait_status(task_arn, "RUNNING", timeout=60)
    host.restart()
    host.wait_status(task_arn, "RUNNING", timeout=30)
    # The restarted agent gets credentials from its polls: a second task
    # with an image never pulled before (no cached copy to fall back on) runs.
    second = host.run_task(taskdef(family("restart2"), with_creds(
        f"{reg.host}/private/after:1", arn, ["sh", "-c", "exit 3"])))
    task, _ = reason_of(host, second)
    assert host.container(task, "app").get("exitCode") == 3, (task, host.log_tail())
    host.stop_task(task_arn)
    host.wait_status(task_arn, "STOPPED", timeout=30)
    secret_bytes = reg.password.encode()
    for root, _, files in os.walk(host.datadir):
        for f in files:
            path = os.path.join(root, f)
            if os.path.islink(path) or not os.path.isfile(path):
                continue
            with open(path, "rb") as fh:
                assert secret_bytes not in fh.read(), f"password found in {path}"
    assert reg.password not in host.log_text()
