#!/usr/bin/python3
# SPDX-License-Identifier: Apache-2.0
"""Agent benchmark: start latency and start rate against raw runtimes, and
the memory cost of the agent and its shims.

    bench/agent_bench.py [--runs 20] [--rate-tasks 50] [--rss-tasks 100]
                         [--no-podman] [--keep]

Needs root and a build (ECS_BUILD_DIR, default build/). Sets up one host as
the integration tests do: a network namespace joined by a veth pair, an
ecs-controlplane (SigV4 on) on the root-side address, and ecs-agent inside
the namespace (nsenter --net, ECS_LOGLEVEL=info). The image is the busybox
of tests/tools/mkimage.py, cached by the agent before anything is timed;
the raw runtimes run an unpacked copy of it with a `runc spec` config.

1. Start latency, one container (`sleep`, networkMode none, 8 MiB), the
   variants interleaved round by round so that load on the machine hits
   them alike: the agent (RunTask sent, i.e. the request leaving boto3
   after it was built and signed, -> the shim's `started` record, whose
   started_ms the shim takes right after `runc run --detach` returned; ->
   the task's startedAt in describe-tasks, ECS's time of its move to
   RUNNING, read afterwards; and -> describe-tasks polled every 5 ms shows
   RUNNING), `runc run -d`, `crun run -d` and
   `podman run -d` (command sent -> returned). Nothing else runs meanwhile:
   each container is stopped, and each task stopped and cleaned up, before
   the next start.
2. Start rate: --rate-tasks tasks at once (RunTask --count 10 calls) until
   all have started, against a plain loop of `runc run -d`.
3. Agent VmRSS and PSS idle, with --rss-tasks running tasks, and idle again.
4. Shim VmRSS and PSS per container over those tasks.

Prints one table per figure and a summary with the targets of issue 4.
Everything it made is removed at the end, also after a failure or Ctrl-C
(--keep keeps the scratch directory with the logs).
"""
import argparse
import ctypes
import json
import math
import os
import pathlib
import re
import shutil
import signal
import statistics
import sys
import tempfile
import time

from agent_bench_env import (BUILD, MEMORY_MIB, MKIMAGE, PR_SET_CHILD_SUBREAPER, Cleanup,
                             Podman, RawRuntime, log, mem_kib, mounts_below, pct, reap_orphans,
                             remove_cgroups, run, unpack_image)
from agent_bench_host import Host


# ---------------------------------------------------------------- the figures

def figure_latency(host, runtimes, podman, runs):
    """Round-robin over the variants, rotating who goes first."""
    res = {"agent started": [], "agent describe": [], "RunTask reply": [], "boto3": [],
           "agent startedAt": [],
           "agent started (call)": [],
           "admitted": [], "shim.pid": [], "container.pid": [], "ctr running": [],
           "task running": []}
    for rt in runtimes:
        res[rt.name] = []
    res["podman"] = []
    variants = ["agent"] + [rt.name for rt in runtimes if not rt.unavailable]
    if not podman.unavailable:
        variants.append("podman")
    by_name = {rt.name: rt for rt in runtimes}
    for r in range(runs):
        order = variants[r % len(variants):] + variants[:r % len(variants)]
        for v in order:
            if v == "agent":
                t_call = time.time()
                arn = host.run_tasks(1)[0]
                t_reply = time.time()
                # From the moment the request went out: boto3's own work
                # before that (building and signing it) is the client's.
                t_sent = host.runtask_sent
                # The shim timestamps `started`: polling its record slowly costs no
                # accuracy and takes less CPU from the runtime being measured. When
                # describe-tasks RUNNING is timed it must be polled often, which
                # costs CPU: so each round times one of the two, in turns.
                if r % 2 == 0:
                    started = host.wait_started([arn], 0.025)[arn]
                    res["agent started"].append(started - t_sent * 1000)
                    res["agent started (call)"].append(started - t_call * 1000)
                    res["boto3"].append((t_sent - t_call) * 1000)
                    # What ECS calls the task's move to RUNNING, read once
                    # it is there (no fast polling during the start).
                    res["agent startedAt"].append(host.started_at(arn) - t_sent * 1000)
                else:
                    seen = host.wait_status([arn], "RUNNING", 0.005)
                    res["agent describe"].append((seen - t_sent) * 1000)
                    host.wait_started([arn], 0.025)
                if r % 2 == 0:  # the breakdown of the rounds that time `started`
                    res["RunTask reply"].append((t_reply - t_sent) * 1000)
                    marks = host.log_times(arn)
                    marks.update(host.file_times(arn))
                    for k in ("admitted", "shim.pid", "container.pid", "ctr running",
                              "task running"):
                        if k in marks:
                            res[k].append(marks[k] - t_sent * 1000)
                host.stop_tasks([arn])
            elif v == "podman":
                cid, took = podman.start_one()
                res["podman"].append(took * 1000)
                podman.stop(cid)
            else:
                rt = by_name[v]
                cid, b = rt.bundle()
                res[v].append(rt.start(cid, b) * 1000)
                rt.stop(cid)
            reap_orphans({p.pid for p in host.procs})
        log(f"latency round {r + 1}/{runs} done")
    return res


def figure_rate(host, runc, n):
    t0 = time.time()
    arns = host.run_tasks(n)
    t_sent = time.time()
    # The shims timestamp `started` themselves, so reading their records
    # every 0.1 s loses no accuracy and costs next to nothing. describe-tasks
    # only afterwards: boto3 calls every 0.1 s during the starts took a
    # tenth of a core from the starts being measured (the runc loop below
    # has no such observer). The RUNNING figure is thus an upper bound.
    started = host.wait_started(arns, 0.1, timeout=300)
    seen = host.wait_status(arns, "RUNNING", 0.02, timeout=300)
    agent_s = (max(started.values()) - t0 * 1000) / 1000
    agent_desc_s = seen - t0
    marks = [host.file_times(a) for a in arns]
    last = {k: (max(m[k] for m in marks) - t0 * 1000) / 1000
            for k in ("shim.pid",) if all(k in m for m in marks)}
    host.stop_tasks(arns, timeout=300)
    ids = [runc.bundle() for _ in range(n)]
    t1 = time.perf_counter()
    for cid, b in ids:
        runc.start(cid, b)
    runc_s = time.perf_counter() - t1
    for cid, _ in ids:
        runc.stop(cid)
    reap_orphans({p.pid for p in host.procs})
    return {"agent": agent_s, "agent describe": agent_desc_s, "runtask": t_sent - t0,
            "runc": runc_s, "last shim": last.get("shim.pid")}


def figure_memory(host, n):
    arns = host.run_tasks(n)
    host.wait_started(arns, 0.05, timeout=600)
    host.wait_status(arns, "RUNNING", 0.2, timeout=600)
    time.sleep(3)  # let reports and the poll settle
    agent = mem_kib(host.agent.pid)
    shims = [mem_kib(p) for p in host.shim_pids()]
    host.stop_tasks(arns, timeout=600)
    return agent, shims


def on_sigterm(signum, frame):
    raise KeyboardInterrupt  # one path to the cleanup for Ctrl-C and kill


def main():
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--runs", type=int, default=20, help="start latency samples per variant")
    ap.add_argument("--rate-tasks", type=int, default=50)
    ap.add_argument("--rss-tasks", type=int, default=100)
    ap.add_argument("--no-podman", action="store_true")
    ap.add_argument("--keep", action="store_true", help="keep the scratch directory (logs)")
    ap.add_argument("--log-level", default="info",
                    help="the agent's ECS_LOGLEVEL (debug to profile; info is what is measured)")
    args = ap.parse_args()

    if os.geteuid() != 0:
        raise SystemExit("agent_bench: needs root (netns, mounts, cgroups, runc)")
    for b in ("agent/ecs-agent", "agent/ecs-agent-shim", "controlplane/ecs-controlplane"):
        if not (BUILD / b).exists():
            raise SystemExit(f"agent_bench: {BUILD / b} is not built (set ECS_BUILD_DIR)")
    if not shutil.which("runc"):
        raise SystemExit("agent_bench: runc not found")
    mem_total = int(re.search(r"MemTotal:\s+(\d+)", pathlib.Path("/proc/meminfo").read_text())
                    .group(1)) // 1024
    reserved = 256
    if mem_total - reserved < args.rss_tasks * MEMORY_MIB * 1.2:
        raise SystemExit(f"agent_bench: {mem_total} MiB is too little for {args.rss_tasks} "
                         f"tasks of {MEMORY_MIB} MiB")

    libc = ctypes.CDLL(None, use_errno=True)
    if libc.prctl(PR_SET_CHILD_SUBREAPER, 1, 0, 0, 0) != 0:
        raise SystemExit("agent_bench: prctl(PR_SET_CHILD_SUBREAPER) failed")
    signal.signal(signal.SIGTERM, on_sigterm)

    work = pathlib.Path(tempfile.mkdtemp(prefix="agent-bench-"))
    cleanup = Cleanup()
    load_before = os.getloadavg()
    try:
        log(f"scratch directory {work}")
        ref = run(sys.executable, MKIMAGE, work / "img", "--tag", "busybox:latest").stdout.strip()
        rootfs = work / "rootfs"
        unpack_image(work / "img", "busybox:latest", rootfs)
        tmpl_dir = work / "spec"
        tmpl_dir.mkdir()
        run("runc", "spec", "--bundle", tmpl_dir)
        template = json.loads((tmpl_dir / "config.json").read_text())
        raw_parent = f"/ecs-bench-raw-{os.getpid() % 100000}"
        cleanup.push("raw cgroups", lambda: remove_cgroups(raw_parent))

        runtimes = [RawRuntime(n, n, work, template, rootfs, raw_parent, cleanup)
                    for n in ("runc", "crun")]
        for rt in runtimes:
            rt.unavailable = rt.probe()
            if rt.unavailable:
                log(f"{rt.name}: n/a: {rt.unavailable}")
        if runtimes[0].unavailable:
            raise RuntimeError(f"runc does not run here: {runtimes[0].unavailable}")
        podman = Podman(work, f"oci:{work / 'img'}:busybox:latest",
                        f"/ecs-bench-podman-{os.getpid() % 100000}", cleanup)
        cleanup.push("podman cgroups", lambda: remove_cgroups(podman.cgroup_parent))
        podman.unavailable = "--no-podman" if args.no_podman else podman.probe()
        if podman.unavailable:
            log(f"podman: n/a: {podman.unavailable}")

        host = Host(work, cleanup, reserved, args.log_level)
        host.register_taskdef(ref)
        log("agent registered; warming up (image unpack into the agent's store)")
        warm = host.run_tasks(1)
        host.wait_started(warm, 0.01)
        host.wait_status(warm, "RUNNING", 0.05)
        host.stop_tasks(warm)
        time.sleep(2)
        idle_before = mem_kib(host.agent.pid)
        spares = host.spare_pids()
        spare = mem_kib(spares[0]) if spares else None

        log(f"figure 1: start latency, {args.runs} rounds")
        lat = figure_latency(host, runtimes, podman, args.runs)
        log(f"figure 2: start rate, {args.rate_tasks} tasks")
        rate = figure_rate(host, runtimes[0], args.rate_tasks)
        log(f"figures 3 and 4: memory with {args.rss_tasks} tasks")
        agent_loaded, shims = figure_memory(host, args.rss_tasks)
        time.sleep(2)
        idle_after = mem_kib(host.agent.pid)
        load_after = os.getloadavg()

        # ---- tables ----
        print(f"\necs-agent benchmark, {os.cpu_count()} cores, load average "
              f"{load_before[0]:.1f} before / {load_after[0]:.1f} after; runc "
              f"{run('runc', '--version').stdout.split()[2]}, one-container task "
              f"(busybox sleep, networkMode none, {MEMORY_MIB} MiB), image cached")

        print(f"\n1. start latency, ms over {args.runs} interleaved runs each (the agent's two"
              f" rows take turns)")
        print(f"{'variant':<44} {'median':>8} {'p90':>8} {'min':>8}")
        rows = [("ecs-agent: RunTask sent -> shim 'started'", lat["agent started"]),
                ("  same from the boto3 call (+ its own work)", lat["agent started (call)"]),
                ("ecs-agent: RunTask sent -> its startedAt", lat["agent startedAt"]),
                ("ecs-agent: RunTask sent -> describe RUNNING", lat["agent describe"]),
                ("runc run -d", lat["runc"]), ("crun run -d", lat["crun"]),
                ("podman run -d (runc, conmon)", lat["podman"])]
        reasons = {"crun run -d": runtimes[1].unavailable,
                   "podman run -d (runc, conmon)": podman.unavailable}
        for name, vals in rows:
            if vals:
                print(f"{name:<44} {statistics.median(vals):8.1f} {pct(vals, 90):8.1f} "
                      f"{min(vals):8.1f}")
            else:
                print(f"{name:<44} {'n/a':>8}   ({reasons.get(name) or 'not measured'})")
        print("   where the agent's time goes (median ms after RunTask was sent, in the rounds"
              " that time `started`;\n   file times have the kernel's coarse clock, a few ms):")
        for k, label in (("boto3", "(boto3 building and signing, before it)"),
                         ("RunTask reply", "RunTask reply received"),
                         ("admitted", "agent log: task admitted"),
                         ("shim.pid", "shim: started (shim.pid written)"),
                         ("container.pid", "runtime create: container.pid written"),
                         ("agent started", "shim: runtime start returned"),
                         ("ctr running", "agent log: container running"),
                         ("task running", "agent log: task running"),
                         ):
            if lat[k]:
                print(f"     {label:<42} {statistics.median(lat[k]):8.1f}")

        n = args.rate_tasks
        print(f"\n2. start rate, {n} tasks at once (RunTask count<=10 x{math.ceil(n / 10)}) "
              f"vs a loop of {n} `runc run -d`")
        print(f"{'variant':<44} {'seconds':>8} {'starts/s':>9}")
        print(f"{'ecs-agent: first RunTask -> all started':<44} {rate['agent']:8.2f} "
              f"{n / rate['agent']:9.1f}")
        print(f"{'ecs-agent: first RunTask -> all RUNNING':<44} {rate['agent describe']:8.2f} "
              f"{n / rate['agent describe']:9.1f}")
        print(f"{'runc run -d loop':<44} {rate['runc']:8.2f} {n / rate['runc']:9.1f}")
        print(f"   (the {math.ceil(n / 10)} RunTask calls themselves took {rate['runtask']:.2f} s;"
              f" the last shim was handed its container after {rate['last shim']:.2f} s)")

        print("\n3. ecs-agent memory, KiB (VmRSS = anonymous + file-backed, the latter"
              " mostly shared libraries)")
        print(f"{'state':<44} {'VmRSS':>8} {'PSS':>8} {'RssAnon':>8} {'RssFile':>8}")
        for label, m in (("idle (registered, one task came and went)", idle_before),
                         (f"{args.rss_tasks} tasks running", agent_loaded),
                         ("idle again after all tasks were cleaned up", idle_after)):
            print(f"{label:<44} {m[0]:8d} {m[1]:8d} {m[2]:8d} {m[3]:8d}")
        if spare:
            print(f"{'its spare shim, idle (one per agent)':<44} "
                  + " ".join(f"{v:8d}" for v in spare))
        else:
            print("(no spare shim was found)")

        print(f"\n4. ecs-agent-shim memory per container, KiB, over {len(shims)} shims")
        print(f"{'':<44} {'VmRSS':>8} {'PSS':>8} {'RssAnon':>8} {'RssFile':>8}")
        for label, f in (("median", statistics.median), ("mean", statistics.mean),
                         ("max", max)):
            print(f"{label:<44} " + " ".join(f"{f([m[i] for m in shims]):8.0f}"
                                             for i in range(4)))
        print(f"{'sum over all shims':<44} {sum(m[0] for m in shims):8d} "
              f"{sum(m[1] for m in shims):8d}")
        if podman.conmon:
            print(f"{'for comparison: conmon (podman), one':<44} "
                  + " ".join(f"{v:8d}" for v in podman.conmon))
        rss = [m[0] for m in shims]

        print("\nsummary against the targets of issue 4")
        print(f"{'figure':<36} {'measured':>14} {'target':>12} {'met':>4}")
        runc_med = statistics.median(lat["runc"])
        agent_med = statistics.median(lat["agent started"])
        call_med = statistics.median(lat["agent started (call)"])
        desc_med = statistics.median(lat["agent describe"])
        ratio = n / rate["agent"] / (n / rate["runc"])
        summary = [
            ("start latency / runc run (started)", f"{agent_med / runc_med:.2f}x", "<= 1.2x",
             agent_med / runc_med <= 1.2),
            ("  same, from the boto3 call", f"{call_med / runc_med:.2f}x", "(<= 1.2x)",
             call_med / runc_med <= 1.2),
            ("  same, to describe RUNNING", f"{desc_med / runc_med:.2f}x", "(<= 1.2x)",
             desc_med / runc_med <= 1.2),
            ("start rate / runc run -d loop", f"{ratio:.2f}x", ">= 0.9x", ratio >= 0.9),
            (f"agent RSS, {args.rss_tasks} tasks", f"{agent_loaded[0] / 1024:.2f} MiB",
             "< 8 MiB", agent_loaded[0] < 8 * 1024),
            ("shim RSS (median)", f"{statistics.median(rss) / 1024:.2f} MiB", "< 0.5 MiB",
             statistics.median(rss) < 512),
        ]
        for name, val, target, ok in summary:
            print(f"{name:<36} {val:>14} {target:>12} {'yes' if ok else 'NO':>4}")
        return 0
    except KeyboardInterrupt:
        log("interrupted; cleaning up")
        return 130
    finally:
        signal.signal(signal.SIGINT, signal.SIG_IGN)
        signal.signal(signal.SIGTERM, signal.SIG_IGN)
        cleanup.run()
        reap_orphans(set())
        if args.keep:
            log(f"scratch directory kept: {work}")
        else:
            for mp in mounts_below(work):
                run("umount", "-l", mp, check=False)
            shutil.rmtree(work, ignore_errors=True)


if __name__ == "__main__":
    sys.exit(main())
