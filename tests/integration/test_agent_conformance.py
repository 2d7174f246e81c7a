# SPDX-License-Identifier: Apache-2.0
"""The reference ECS agent's functional simpletests that need no bridge
networking, run end to end through the aws CLI, the control plane, the real
agent and a real registry.

Each case loads its task definition unchanged from the conformance corpus
except for three documented substitutions:
  - images: the test serves them from Debian's docker-registry on the agent
    host's veth (a network the test made) and rewrites the registry part of
    each name to it: 127.0.0.1:51670/busybox:latest and busybox:latest are
    the session's busybox image, */ubuntu:latest the "ubuntu" stand-in
    (busybox applets plus capsh and coreutils' df), amazon/testnnp:make a
    stand-in whose command checks NoNewPrivs (the original image is not
    public), and the *:parallel-pull-fts images busybox-based stand-ins that
    share their base layer and run until stopped;
  - networkMode "none": the files leave it unset, which ECS reads as bridge,
    and bridge networking comes in a later issue. Mode none still gives every
    container its own network namespace with a loopback only, which is what
    disable-networking and sysctl (net.ipv4.conf.default.*) look at;
  - fields the aws CLI refuses as unknown parameters (portBindings, a Docker
    API leftover in security-opt-nonewprivileges) are dropped.
Every container's exit code is compared with the case's ExitCodes; a
"Daemon" case (parallel-pull) passes when its Count tasks all run."""
import concurrent.futures
import json
import re

import pytest

from agent_fixtures import AgentHost, images, needs_root  # noqa: F401
from conftest import CONFORMANCE_DIR
from registry_fixtures import Registry, missing_tools

pytestmark = [needs_root, pytest.mark.skipif(bool(missing_tools()),
                                             reason=f"missing: {missing_tools()}")]

CASES = [
    "simple-exit", "working-dir", "user-nobody", "readonly-rootfs", "ulimit-nofiles", "init-process",
    "disable-networking", "shmsize", "tmpfs", "hostname", "privileged", "add-drop-capabilities",
    "extra-hosts", "dns-servers", "dns-search-domains", "security-opt-nonewprivileges", "sysctl",
    "interactive-tty", "devices", "datavolume", "task-local-vol",
]
DAEMON_CASES = ["parallel-pull"]
PARALLEL_PULL_IMAGES = ["busybox", "ubuntu", "consul", "debian", "httpd", "redis", "registry",
                        "nginx"]
CORPUS_REGISTRY = "127.0.0.1:51670/"


# Cases that cannot pass yet, with the reason; strict, so a fix is noticed.
XFAIL = {
    "interactive-tty": "interactive/pseudoTerminal are not implemented yet: the agent refuses "
                       "the task with a reason naming the member (agent/engine/features.c)",
}

# Host paths that do not exist on a test machine, and what stands in.
DEVICE_SUBSTITUTES = {"/dev/xvda": "/dev/loop-control"}


def duration_seconds(text):
    m = re.fullmatch(r"(\d+)([smh])", text)
    assert m, text
    return int(m.group(1)) * {"s": 1, "m": 60, "h": 3600}[m.group(2)]


class Served:
    """The registry the cases pull from, loaded with the stand-in images."""

    def __init__(self, reg, images):
        self.reg = reg
        pushes = {"busybox:latest": images.busybox, "library/busybox:latest": images.busybox,
                  "ubuntu:latest": images.ubuntu,
                  "amazon/testnnp:make": images.build("testnnp:make", "--cmd", json.dumps(
                      ["sh", "-c",
                       'grep -q "^NoNewPrivs:[[:space:]]*1$" /proc/self/status && exit 42 || exit 1']))}
        for name in PARALLEL_PULL_IMAGES:
            pushes[f"{name}:parallel-pull-fts"] = images.build(
                f"{name}:parallel-pull-fts", "--env", f"STAND_IN={name}",
                "--cmd", json.dumps(["sleep", "3600"]))
        for repo_tag, ref in pushes.items():
            reg.push_ref(ref, repo_tag)

    def image_for(self, ref):
        if ref.startswith(CORPUS_REGISTRY):
            return self.reg.host + "/" + ref[len(CORPUS_REGISTRY):]
        if "/" not in ref:
            return f"{self.reg.host}/library/{ref}"
        if ref == "amazon/testnnp:make":
            return f"{self.reg.host}/{ref}"
        raise AssertionError(f"no stand-in for image {ref}")


@pytest.fixture(scope="module")
def site(images):
    with AgentHost() as h:
        reg = Registry(addr=h.root_addr)
        try:
            reg.start()
            served = Served(reg, images)
            h.extra_config["ECS_INSECURE_REGISTRIES"] = reg.host
            h.start()
            yield h, served
        finally:
            reg.stop()


@pytest.fixture(scope="module")
def host(site):
    return site[0]


def load_case(name, served):
    case = json.loads((CONFORMANCE_DIR / "simpletests" / f"{name}.json").read_text())
    td = json.loads((CONFORMANCE_DIR / "taskdefinitions" / f"{case['TaskDefinition']}.json").read_text())
    td["networkMode"] = "none"
    for c in td["containerDefinitions"]:
        c["image"] = served.image_for(c["image"])
        c.pop("portBindings", None)
        for dev in c.get("linuxParameters", {}).get("devices", []):
            dev["hostPath"] = DEVICE_SUBSTITUTES.get(dev["hostPath"], dev["hostPath"])
    return case, td


@pytest.fixture(scope="module")
def launched(site):
    """Every case registered and started at once (the aws CLI costs a Python
    start-up per call): name -> (case, task ARN or the exception)."""
    host, served = site

    def launch(name):
        case, td = load_case(name, served)
        try:
            return name, (case, host.run_task(td))
        except Exception as e:  # reported by that case's test
            return name, (case, e)
    with concurrent.futures.ThreadPoolExecutor(max_workers=6) as pool:
        return dict(pool.map(launch, CASES))


@pytest.mark.parametrize("name", [
    pytest.param(n, marks=pytest.mark.xfail(reason=XFAIL[n], strict=True)) if n in XFAIL else n
    for n in CASES])
def test_simpletest(host, launched, name):
    case, arn = launched[name]
    if isinstance(arn, Exception):
        raise arn
    task = host.wait_status(arn, "STOPPED", timeout=duration_seconds(case["Timeout"]))
    got = {c["name"]: c.get("exitCode") for c in task["containers"]}
    want = case["ExitCodes"]
    if any(got.get(k) != v for k, v in want.items()):
        logs = {c: host.log_lines(arn, c) for c in want}
        raise AssertionError(f"{case['Name']}: exit codes {got}, expected {want}; "
                             f"reason {task.get('stoppedReason')!r}; logs {logs}")


@pytest.mark.parametrize("name", DAEMON_CASES)
def test_daemon_simpletest(site, name):
    """Count tasks of the definition all reach RUNNING (for parallel-pull:
    eight images pulled at once, three of them by two containers), then stop."""
    host, served = site
    case, td = load_case(name, served)
    arns = [host.run_task(td) for _ in range(case.get("Count", 1))]
    try:
        for arn in arns:
            task = host.wait_status(arn, "RUNNING", timeout=duration_seconds(case["Timeout"]))
            for c in task["containers"]:
                assert c.get("imageDigest", "").startswith("sha256:"), c
    finally:
        for arn in arns:
            host.stop_task(arn)
    for arn in arns:
        host.wait_status(arn, "STOPPED", timeout=60)
