# SPDX-License-Identifier: Apache-2.0
"""ECS_RUNTIME=crun: the same tasks run under crun instead of runc.

crun 1.8 refuses to run on a hybrid cgroup host whose unified (v2) mount
still holds a controller ("cgroups in hybrid mode not supported, drop all
controllers from cgroupv2"); Debian's hybrid layout leaves hugetlb there.
When that is the case, this module moves hugetlb to a v1 hierarchy of its
own for the duration of the tests, as an operator of such a host would, and
puts it back afterwards (empty hierarchy unmounted, hugetlb listed in the
unified cgroup.controllers again). Hosts where crun runs as is are left
untouched."""
import json
import os
import pathlib
import shutil
import subprocess
import tempfile
import time
import uuid

import pytest

from agent_fixtures import AgentHost, container_def, images, needs_root, taskdef  # noqa: F401

pytestmark = [needs_root,
              pytest.mark.skipif(not shutil.which("crun"), reason="crun is not installed")]

UNIFIED = pathlib.Path("/sys/fs/cgroup/unified")
HUGETLB = pathlib.Path("/sys/fs/cgroup/hugetlb")


def _crun_runs():
    """Whether crun can run a trivial container here, and its complaint."""
    with tempfile.TemporaryDirectory(prefix="ecs-crun-probe.") as d:
        d = pathlib.Path(d)
        (d / "rootfs" / "bin").mkdir(parents=True)
        shutil.copy("/bin/busybox", d / "rootfs" / "bin" / "busybox")
        subprocess.run(["crun", "spec"], cwd=d, check=True, capture_output=True)
        spec = json.loads((d / "config.json").read_text())
        spec["process"]["args"] = ["/bin/busybox", "true"]
        spec["process"]["terminal"] = False
        spec["linux"]["cgroupsPath"] = f"/ecs-crun-probe-{os.getpid()}"
        (d / "config.json").write_text(json.dumps(spec))
        name = f"probe-{os.getpid()}"
        r = subprocess.run(["crun", "--root", d / "state", "run", name], cwd=d,
                           capture_output=True, text=True, timeout=30)
        subprocess.run(["crun", "--root", d / "state", "delete", "-f", name], capture_output=True)
        return r.returncode == 0, r.stderr.strip()


def _unified_controllers():
    try:
        return (UNIFIED / "cgroup.controllers").read_text().split()
    except OSError:
        return []


def _empty_hierarchy(root):
    for d in sorted((p for p in root.rglob("*") if p.is_dir()), key=lambda p: -len(p.parts)):
        try:
            d.rmdir()
        except OSError:
            pass


def _restore_hugetlb():
    """Unmount the hugetlb hierarchy and wait until the kernel hands the
    controller back to v2; a hierarchy that still has child cgroups lingers
    after umount, so empty it first, remounting to reach it if needed."""
    for _ in range(20):
        if not os.path.ismount(HUGETLB):
            if "hugetlb" in _unified_controllers():
                break
            HUGETLB.mkdir(exist_ok=True)
            subprocess.run(["mount", "-t", "cgroup", "-o", "hugetlb", "cgroup", str(HUGETLB)],
                           check=False)
        _empty_hierarchy(HUGETLB)
        subprocess.run(["umount", str(HUGETLB)], check=False)
        time.sleep(0.5)
    if HUGETLB.exists() and not os.path.ismount(HUGETLB):
        HUGETLB.rmdir()
    assert "hugetlb" in _unified_controllers(), "hugetlb did not return to the unified hierarchy"


@pytest.fixture(scope="module")
def crun_host_ready():
    ok, why = _crun_runs()
    moved = False
    if not ok:
        if "hybrid" not in why or _unified_controllers() != ["hugetlb"] or HUGETLB.exists():
            pytest.skip(f"crun cannot run here: {why}")
        HUGETLB.mkdir()
        subprocess.run(["mount", "-t", "cgroup", "-o", "hugetlb", "cgroup", str(HUGETLB)],
                       check=True)
        moved = True
        ok, why = _crun_runs()
        if not ok:
            _restore_hugetlb()
            pytest.skip(f"crun cannot run here even with hugetlb on v1: {why}")
    try:
        yield
    finally:
        if moved:
            _restore_hugetlb()


@pytest.fixture(scope="module")
def host(crun_host_ready):
    with AgentHost(config={"ECS_RUNTIME": "crun", "ECS_CONTAINER_STOP_TIMEOUT": "1s"}) as h:
        h.start()
        yield h


def test_crun_runs_tasks_like_runc(host, images):
    """Exit codes, logs and stop semantics are the runtime's business only
    as far as the OCI verbs go: the agent behaves the same under crun."""
    fam = f"crun-{uuid.uuid4().hex[:6]}"
    exit_task = host.run_task(taskdef(fam + "-exit", container_def(
        images.busybox, command=["sh", "-c", "echo from crun; exit 42"])))
    t = host.wait_status(exit_task, "STOPPED", timeout=60)
    c = t["containers"][0]
    assert c["exitCode"] == 42, t
    assert t["stopCode"] == "EssentialContainerExited"
    assert any("from crun" in line for line in host.log_lines(exit_task, "app"))

    run_task = host.run_task(taskdef(fam + "-run", container_def(
        images.busybox, command=["sh", "-c", "trap 'exit 7' TERM; while :; do sleep 1; done"])))
    host.wait_status(run_task, "RUNNING", timeout=60)
    ids = host.runc_containers()
    assert any(i.startswith("ecs-") for i in ids), ids
    assert (host.datadir / "runtime" / "crun").is_dir()
    host.stop_task(run_task)
    t = host.wait_status(run_task, "STOPPED", timeout=60)
    assert t["containers"][0]["exitCode"] == 7, t


def test_crun_cleanup_leaves_nothing(host, images):
    """After the cleanup wait nothing of a crun task is left."""
    host.stop()
    host.extra_config["ECS_ENGINE_TASK_CLEANUP_WAIT_DURATION"] = "1s"
    host.start()
    deadline = time.monotonic() + 30
    while time.monotonic() < deadline and any(host.leaks().values()):
        time.sleep(0.5)
    host.assert_no_leaks()
