# SPDX-License-Identifier: Apache-2.0
"""Tasks whose images come from a registry, end to end: aws CLI ->
ecs-controlplane -> ecs-agent -> ecs-agent-image (pull) -> shim -> runc.

The registry is Debian's docker-registry with a config of the test's own,
listening on the root side of the agent host's veth pair (a network the test
made), so both the test (to push) and the agent in its namespace reach it."""
import json
import subprocess
import time
import uuid

import pytest

from agent_fixtures import AGENT, AgentHost, container_def, images, needs_root, taskdef  # noqa: F401
from registry_fixtures import Registry, layout_of, missing_tools

pytestmark = [needs_root, pytest.mark.skipif(bool(missing_tools()),
                                             reason=f"missing: {missing_tools()}")]

SLEEP = ["sh", "-c", "echo from-registry; exec sleep 300"]


def family(name):
    return f"reg-{name}-{uuid.uuid4().hex[:6]}"


@pytest.fixture(scope="module")
def site(images):
    """One agent host and one plain-HTTP registry on its veth."""
    with AgentHost(config={"ECS_IMAGE_PULL_BEHAVIOR": "default",
                           "ECS_ENGINE_TASK_CLEANUP_WAIT_DURATION": "1s",
                           "ECS_IMAGE_CLEANUP_INTERVAL": "2s",
                           "ECS_IMAGE_MINIMUM_CLEANUP_AGE": "0s"}) as host:
        reg = Registry(addr=host.root_addr)
        try:
            reg.start()
            host.extra_config["ECS_INSECURE_REGISTRIES"] = reg.host
            host.start()
            yield host, reg
        finally:
            reg.stop()


def test_task_runs_from_a_registry_image_and_reports_its_digest(site, images):
    host, reg = site
    digest = reg.push_ref(images.busybox, "team/busybox:1.0")
    image = f"{reg.host}/team/busybox:1.0"
    arn = host.run_task(taskdef(family("run"), container_def(image, command=SLEEP)))
    task = host.wait_status(arn, "RUNNING", timeout=60)
    c = host.container(task, "app")
    assert c["image"] == image
    assert c.get("imageDigest") == digest, c
    assert any("from-registry" in line for line in wait_lines(host, arn, "from-registry"))
    host.stop_task(arn)
    host.wait_status(arn, "STOPPED", timeout=20)


def wait_lines(host, arn, text, timeout=15):
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        try:
            lines = host.log_lines(arn, "app")
            if any(text in line for line in lines):
                return lines
        except (AssertionError, FileNotFoundError, json.JSONDecodeError):
            pass
        time.sleep(0.1)
    raise AssertionError(f"'{text}' not logged\n{host.log_tail()}")


def test_a_missing_tag_fails_the_task_with_the_registrys_message(site):
    host, reg = site
    image = f"{reg.host}/team/busybox:no-such-tag"
    arn = host.run_task(taskdef(family("missing"), container_def(image, command=SLEEP)))
    task = host.wait_status(arn, "STOPPED", timeout=60)
    reason = host.container(task, "app").get("reason", "")
    assert reason.startswith("CannotPullContainerError"), task
    assert "manifest unknown" in reason.lower(), reason
    assert task["stopCode"] == "TaskFailedToStart", task


def test_an_invalid_reference_fails_with_a_named_reason(site):
    host, _ = site
    arn = host.run_task(taskdef(family("invalid"), container_def("Upper/Case:1", command=SLEEP)))
    task = host.wait_status(arn, "STOPPED", timeout=30)
    reason = host.container(task, "app").get("reason", "")
    assert reason.startswith("CannotPullContainerError"), task


def test_tasks_sharing_an_image_start_together(site, images):
    """Several tasks asking for one image at once: one pull serves them."""
    host, reg = site
    reg.push_ref(images.build("shared:1", "--env", "SHARED=1"), "team/shared:1")
    image = f"{reg.host}/team/shared:1"
    td = taskdef(family("shared"), container_def(image, command=SLEEP))
    host.register(td)
    r = host.ecs("run-task", "--cluster", host.cluster, "--task-definition", td["family"],
                 "--count", "3")
    arns = [t["taskArn"] for t in r["tasks"]]
    assert len(arns) == 3
    for arn in arns:
        host.wait_status(arn, "RUNNING", timeout=60)
    pulls = host.log_text().count(f"Pulled {image}")
    assert pulls <= 1, host.log_tail()
    for arn in arns:
        host.stop_task(arn)
    for arn in arns:
        host.wait_status(arn, "STOPPED", timeout=20)


def image_cli(host, *args):
    return subprocess.run([str(AGENT), "image", "--config", str(host.config_path), *args],
                          capture_output=True, text=True, timeout=60)


def test_unused_images_are_collected_and_used_ones_kept(site, images):
    host, reg = site
    reg.push_ref(images.build("gc-old:1", "--env", "GC=old"), "gc/old:1")
    reg.push_ref(images.build("gc-kept:1", "--env", "GC=kept"), "gc/kept:1")
    old, kept = f"{reg.host}/gc/old:1", f"{reg.host}/gc/kept:1"
    a = host.run_task(taskdef(family("gc-old"), container_def(old, command=["true"])))
    host.wait_status(a, "STOPPED", timeout=60)
    b = host.run_task(taskdef(family("gc-kept"), container_def(kept, command=SLEEP)))
    host.wait_status(b, "RUNNING", timeout=60)

    def names():
        r = image_cli(host, "ls", "--json")
        assert r.returncode == 0, r.stderr
        return {i["name"] for i in json.loads(r.stdout)}

    deadline = time.monotonic() + 30
    while time.monotonic() < deadline and f"{reg.host}/gc/old:1" in names():
        time.sleep(0.5)
    left = names()
    assert f"{reg.host}/gc/old:1" not in left, host.log_tail()
    assert f"{reg.host}/gc/kept:1" in left
    # In use: the operator cannot remove it either.
    r = image_cli(host, "rm", kept)
    assert r.returncode != 0 and "use" in (r.stderr + r.stdout).lower(), r
    host.stop_task(b)
    host.wait_status(b, "STOPPED", timeout=20)


def test_pull_behaviour_once_uses_the_stored_image_when_the_registry_is_down(images):
    with AgentHost(config={"ECS_IMAGE_PULL_BEHAVIOR": "once"}) as host:
        reg = Registry(addr=host.root_addr)
        try:
            reg.start()
            reg.push_ref(images.busybox, "once/busybox:1")
            host.extra_config["ECS_INSECURE_REGISTRIES"] = reg.host
            host.start()
            image = f"{reg.host}/once/busybox:1"
            a = host.run_task(taskdef(family("once-a"), container_def(image, command=["true"])))
            host.wait_status(a, "STOPPED", timeout=60)
        finally:
            reg.stop()
        b = host.run_task(taskdef(family("once-b"), container_def(image, command=["sh", "-c", "exit 7"])))
        task = host.wait_status(b, "STOPPED", timeout=60)
        assert host.container(task, "app").get("exitCode") == 7, task


def test_pull_behaviour_always_fails_when_the_registry_is_down(images):
    with AgentHost(config={"ECS_IMAGE_PULL_BEHAVIOR": "always",
                           "ECS_IMAGE_PULL_TIMEOUT": "20s"}) as host:
        reg = Registry(addr=host.root_addr)
        try:
            reg.start()
            reg.push_ref(images.busybox, "always/busybox:1")
            host.extra_config["ECS_INSECURE_REGISTRIES"] = reg.host
            host.start()
            image = f"{reg.host}/always/busybox:1"
            a = host.run_task(taskdef(family("always-a"), container_def(image, command=["true"])))
            host.wait_status(a, "STOPPED", timeout=60)
        finally:
            reg.stop()
        b = host.run_task(taskdef(family("always-b"), container_def(image, command=["true"])))
        task = host.wait_status(b, "STOPPED", timeout=90)
        assert host.container(task, "app").get("reason", "").startswith("CannotPullContainerError"), task


def test_basic_auth_over_tls_with_engine_credentials(images):
    with AgentHost() as host:
        reg = Registry(addr=host.root_addr, tls=True, auth="htpasswd")
        try:
            reg.start()
            reg.push_ref(images.busybox, "private/busybox:1")
            host.extra_config.update({
                "ECS_REGISTRY_CA_FILE": str(reg.ca_file),
                "ECS_ENGINE_AUTH_TYPE": "docker",
                "ECS_ENGINE_AUTH_DATA": json.dumps(
                    {f"https://{reg.host}": {"username": reg.username, "password": reg.password,
                                             "email": "t@example.com"}}),
            })
            host.start()
            check = subprocess.run([str(AGENT), "--check-config", "--config", str(host.config_path)],
                                   capture_output=True, text=True, timeout=30)
            assert reg.password not in check.stdout + check.stderr
            image = f"{reg.host}/private/busybox:1"
            arn = host.run_task(taskdef(family("auth"), container_def(image, command=["sh", "-c", "exit 5"])))
            task = host.wait_status(arn, "STOPPED", timeout=60)
            assert host.container(task, "app").get("exitCode") == 5, task
        finally:
            reg.stop()


def test_image_load_makes_a_task_runnable_without_a_registry(images, tmp_path):
    with AgentHost(config={"ECS_IMAGE_PULL_BEHAVIOR": "prefer-cached"}) as host:
        host.start()
        d, tag = layout_of(images.build("airgap:1", "--env", "AIRGAP=1"))
        archive = tmp_path / "airgap.tar"
        subprocess.run(["skopeo", "--insecure-policy", "copy", "-q", f"oci:{d}:{tag}",
                        f"oci-archive:{archive}:registry.example.com/airgap:1"],
                       check=True, capture_output=True, timeout=120)
        r = image_cli(host, "load", str(archive))
        assert r.returncode == 0, r.stderr
        r = image_cli(host, "ls")
        assert "registry.example.com/airgap:1" in r.stdout, r.stdout
        arn = host.run_task(taskdef(family("airgap"), container_def(
            "registry.example.com/airgap:1", command=["sh", "-c", 'test "$AIRGAP" = 1 && exit 9'])))
        task = host.wait_status(arn, "STOPPED", timeout=60)
        assert host.container(task, "app").get("exitCode") == 9, task
