# SPDX-License-Identifier: Apache-2.0
"""The reference ECS agent's functional simpletests that need neither a
registry nor bridge networking, run end to end through the aws CLI, the
control plane and the real agent.

Each case loads its task definition unchanged from the conformance corpus
except for three documented substitutions:
  - images: 127.0.0.1:51670/busybox:latest and busybox:latest become the
    session's busybox image, */ubuntu:latest the "ubuntu" stand-in (busybox
    applets plus capsh and coreutils' df), amazon/testnnp:make a stand-in
    whose command checks NoNewPrivs (the original image is not public);
  - networkMode "none": the files leave it unset, which ECS reads as bridge,
    and bridge networking comes in a later issue. Mode none still gives every
    container its own network namespace with a loopback only, which is what
    disable-networking and sysctl (net.ipv4.conf.default.*) look at;
  - fields the aws CLI refuses as unknown parameters (portBindings, a Docker
    API leftover in security-opt-nonewprivileges) are dropped.
Every container's exit code is compared with the case's ExitCodes."""
import concurrent.futures
import json
import re

import pytest

from agent_fixtures import AgentHost, images, needs_root  # noqa: F401
from conftest import CONFORMANCE_DIR

pytestmark = needs_root

CASES = [
    "simple-exit", "working-dir", "user-nobody", "readonly-rootfs", "ulimit-nofiles", "init-process",
    "disable-networking", "shmsize", "tmpfs", "hostname", "privileged", "add-drop-capabilities",
    "extra-hosts", "dns-servers", "dns-search-domains", "security-opt-nonewprivileges", "sysctl",
    "interactive-tty", "devices", "datavolume", "task-local-vol",
]


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


@pytest.fixture(scope="module")
def host():
    with AgentHost() as h:
        h.start()
        yield h


def image_for(ref, images):
    name = ref.rsplit("/", 1)[-1]
    if name.startswith("busybox:"):
        return images.busybox
    if name.startswith("ubuntu:"):
        return images.ubuntu
    if ref == "amazon/testnnp:make":
        # The original image runs a program that checks it cannot gain privileges.
        return images.build("testnnp:make", "--cmd", json.dumps(
            ["sh", "-c", 'grep -q "^NoNewPrivs:[[:space:]]*1$" /proc/self/status && exit 42 || exit 1']))
    raise AssertionError(f"no stand-in for image {ref}")


def load_case(name, images):
    case = json.loads((CONFORMANCE_DIR / "simpletests" / f"{name}.json").read_text())
    td = json.loads((CONFORMANCE_DIR / "taskdefinitions" / f"{case['TaskDefinition']}.json").read_text())
    td["networkMode"] = "none"
    for c in td["containerDefinitions"]:
        c["image"] = image_for(c["image"], images)
        c.pop("portBindings", None)
        for dev in c.get("linuxParameters", {}).get("devices", []):
            dev["hostPath"] = DEVICE_SUBSTITUTES.get(dev["hostPath"], dev["hostPath"])
    return case, td


@pytest.fixture(scope="module")
def launched(host, images):
    """Every case registered and started at once (the aws CLI costs a Python
    start-up per call): name -> (case, task ARN or the exception)."""
    def launch(name):
        case, td = load_case(name, images)
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
