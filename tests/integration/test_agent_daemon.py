# SPDX-License-Identifier: Apache-2.0
"""The ecs-agent daemon: command line, configuration checks, the data
directory lock, and what it registers with the control plane (resources,
attributes, the instance ARN kept across restarts)."""
import os
import re
import subprocess

import pytest

from agent_fixtures import AGENT, AgentHost, needs_root
from conftest import SOURCE_DIR


def agent(*args, env=None, timeout=30):
    clean = {k: v for k, v in os.environ.items() if not k.startswith("ECS_")}
    clean.update(env or {})
    return subprocess.run([str(AGENT), *args], capture_output=True, text=True, timeout=timeout, env=clean)


def config_keys():
    """Every key the agent knows, from its key table."""
    src = (SOURCE_DIR / "agent" / "agent-config.c").read_text()
    keys = re.findall(r'\.name = "(ECS_[A-Z0-9_]+)"', src)
    assert len(keys) > 15, keys
    return keys


def test_version():
    r = agent("--version")
    assert r.returncode == 0, r.stderr
    assert re.fullmatch(r"ecs-agent \d+\.\d+\.\d+\S*\n", r.stdout), r.stdout


def test_check_config_prints_every_key_with_its_origin(tmp_path):
    conf = tmp_path / "agent.conf"
    conf.write_text("# test\nECS_CLUSTER=c1\nECS_CONTROLPLANE_URL=http://127.0.0.1:9\n"
                    f"ECS_DATADIR={tmp_path}/data\n")
    r = agent("--check-config", "--config", str(conf), env={"ECS_LOGLEVEL": "debug"})
    assert r.returncode == 0, r.stderr
    lines = {}
    for line in r.stdout.splitlines():
        m = re.match(r"(ECS_[A-Z0-9_]+)=(.*?)\s+# (.*)$", line)
        if m:
            lines[m.group(1)] = (m.group(2), m.group(3))
    assert set(config_keys()) <= set(lines), set(config_keys()) - set(lines)
    assert lines["ECS_CLUSTER"] == ("c1", f"{conf}:2")
    assert lines["ECS_CONTROLPLANE_URL"] == ("http://127.0.0.1:9", f"{conf}:3")
    assert lines["ECS_LOGLEVEL"] == ("debug", "environment")
    assert lines["ECS_CONTAINER_STOP_TIMEOUT"] == ("30s", "default")
    assert not (tmp_path / "data").exists(), "--check-config must not create the data directory"


def test_check_config_names_file_and_line_of_an_invalid_value(tmp_path):
    conf = tmp_path / "agent.conf"
    conf.write_text("ECS_CLUSTER=c1\n\nECS_CONTAINER_STOP_TIMEOUT=30x\nECS_CONTROLPLANE_URL=http://x:1\n")
    r = agent("--check-config", "--config", str(conf))
    assert r.returncode != 0
    assert f"{conf}:3" in r.stderr and "ECS_CONTAINER_STOP_TIMEOUT" in r.stderr, r.stderr


def test_check_config_fails_without_control_plane_url(tmp_path):
    conf = tmp_path / "agent.conf"
    conf.write_text(f"ECS_CLUSTER=c1\nECS_DATADIR={tmp_path}/data\n")
    r = agent("--check-config", "--config", str(conf))
    assert r.returncode != 0
    assert "ECS_CONTROLPLANE_URL" in r.stdout + r.stderr


def test_missing_explicit_config_file_fails(tmp_path):
    r = agent("--check-config", "--config", str(tmp_path / "nope.conf"))
    assert r.returncode != 0
    assert "nope.conf" in r.stderr


RESERVED_PORTS = [22, 2375, 2376, 51678, 51679, 7777]
RESERVED_MEMORY = 256


@pytest.fixture(scope="module")
def host():
    if os.geteuid() != 0:
        pytest.skip("needs root: network namespaces, mounts, cgroups and runc")
    config = {
        "ECS_RESERVED_MEMORY": str(RESERVED_MEMORY),
        "ECS_RESERVED_PORTS": ",".join(map(str, RESERVED_PORTS)),
        "ECS_RESERVED_PORTS_UDP": "[5353]",
        "ECS_INSTANCE_ATTRIBUTES": '{"stack":"e2e","team":"h7"}',
    }
    with AgentHost(config=config) as h:
        h.start()
        yield h


@needs_root
def test_second_agent_on_the_same_datadir_is_refused(host):
    r = agent("--config", str(host.config_path), timeout=30)
    assert r.returncode != 0
    assert "another ecs-agent" in r.stderr and str(host.datadir) in r.stderr, r.stderr
    assert host.running()


def resource(ci, name):
    for r in ci["registeredResources"]:
        if r["name"] == name:
            return r
    raise AssertionError(f"no {name} in {ci['registeredResources']}")


@needs_root
def test_registration_reports_resources(host):
    ci = host.describe_instance()
    assert resource(ci, "CPU")["integerValue"] == os.sysconf("SC_NPROCESSORS_ONLN") * 1024
    with open("/proc/meminfo") as f:
        total = next(int(line.split()[1]) for line in f if line.startswith("MemTotal:")) // 1024
    assert resource(ci, "MEMORY")["integerValue"] == total - RESERVED_MEMORY
    assert sorted(map(int, resource(ci, "PORTS")["stringSetValue"])) == sorted(RESERVED_PORTS)
    assert resource(ci, "PORTS_UDP")["stringSetValue"] == ["5353"]
    assert ci["status"] == "ACTIVE" and ci["agentConnected"] is True
    if "ec2InstanceId" in ci:
        assert ci["ec2InstanceId"] == host.identity


@needs_root
def test_registration_advertises_capabilities_and_attributes(host):
    ci = host.describe_instance()
    attrs = {a["name"]: a.get("value") for a in ci["attributes"]}
    for name in ("com.amazonaws.ecs.capability.logging-driver.json-file",
                 "com.amazonaws.ecs.capability.logging-driver.journald",
                 "com.amazonaws.ecs.capability.logging-driver.none",
                 "com.amazonaws.ecs.capability.privileged-container",
                 "ecs.capability.task-cpu-mem-limit"):
        assert name in attrs, sorted(attrs)
    assert attrs["ecs.os-type"] == "linux"
    assert attrs["ecs.cpu-architecture"] in ("x86_64", "arm64"), attrs["ecs.cpu-architecture"]
    assert attrs["stack"] == "e2e" and attrs["team"] == "h7"
    # Not implemented yet, so not advertised.
    assert "ecs.capability.task-eni" not in attrs
    assert not any("container-health-check" in a for a in attrs)


@needs_root
@pytest.mark.parametrize("how", ["stop", "kill"])
def test_restart_keeps_the_instance_arn(host, how):
    arn = host.instance_arn
    if how == "stop":
        assert host.stop() == 0
    else:
        host.kill()
    host.start()
    assert host.instance_arn == arn
    assert host.instance_arns() == [arn]
    assert host.describe_instance()["agentConnected"] is True
