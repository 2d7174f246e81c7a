#!/usr/bin/python3
# SPDX-License-Identifier: Apache-2.0
"""Control-plane benchmark: RunTask and DescribeTasks throughput and latency
with many simulated container instances registered and long-polling.

    bench/cp_bench.py [--instances 1000] [--seconds 10] [--connections 32]

Starts ecs-controlplane (SigV4 on) on a free loopback port with a scratch
database, registers a cluster and a task definition with boto3, starts
`fake-agent simulate N` (one process, libcurl multi: every instance polls,
runs the tasks it is given and reports them RUNNING), then drives each
operation with wrk for --seconds using a request signed by botocore. Prints
one table; everything it started is stopped and removed at the end.
"""
import argparse
import json
import os
import pathlib
import shutil
import signal
import socket
import subprocess
import sys
import tempfile
import time

import boto3
from botocore.auth import SigV4Auth
from botocore.awsrequest import AWSRequest
from botocore.credentials import Credentials

HERE = pathlib.Path(__file__).resolve().parent
SOURCE = HERE.parent
BUILD = pathlib.Path(os.environ.get("ECS_BUILD_DIR", SOURCE / "build"))
REGION, AKID, SECRET = "us-east-1", "AKIDBENCH", "bench-secret-key"
JOIN_TOKEN = "bench-join-token"
TARGET_PREFIX = "AmazonEC2ContainerServiceV20141113."


def free_port():
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def rss_mib(pid):
    for line in pathlib.Path(f"/proc/{pid}/status").read_text().splitlines():
        if line.startswith("VmRSS:"):
            return int(line.split()[1]) / 1024
    return float("nan")


def signed_headers(url, target, body):
    req = AWSRequest(method="POST", url=url, data=body.encode(), headers={
        "Content-Type": "application/x-amz-json-1.1",
        "X-Amz-Target": TARGET_PREFIX + target,
    })
    SigV4Auth(Credentials(AKID, SECRET), "ecs", REGION).add_auth(req)
    return "\n".join(f"{k}: {v}" for k, v in req.headers.items()
                     if k.lower() not in ("content-type", "x-amz-target", "content-length"))


def wrk(url, target, body, seconds, connections):
    env = dict(os.environ, ECS_TARGET=target, ECS_BODY=body,
               ECS_HEADERS=signed_headers(url, target, body))
    out = subprocess.run(["wrk", "-t2", f"-c{connections}", f"-d{seconds}s", "--latency",
                          "-s", str(HERE / "ecs-api.lua"), url],
                         env=env, capture_output=True, text=True, check=True).stdout
    line = next(l for l in out.splitlines() if l.startswith("RESULT "))
    n, rate, p50, p99, bad, sock = line.split()[1:]
    return {"requests": int(n), "rate": float(rate), "p50": float(p50), "p99": float(p99),
            "errors": int(bad) + int(sock)}


def poll_wakeup_ms(ecs, agent_bin, url, samples=20):
    """Time from a RunTask reply to the parked long poll of the chosen
    instance returning with the new desired state (an upper bound: it
    includes the poller process exiting). The control plane answers the
    poll before it sends the reply, so this is mostly that exit."""
    ecs.create_cluster(clusterName="latency")
    reg = json.loads(subprocess.run(
        [str(agent_bin), "register", "--endpoint", url, "--join-token", JOIN_TOKEN,
         "--cluster", "latency", "--identity", "latency-host", "--cpu", "1048576",
         "--memory", "1048576"], capture_output=True, text=True, check=True).stdout)
    base = [str(agent_bin), "poll", "--endpoint", url, "--token", reg["token"],
            "--arn", reg["containerInstanceArn"]]
    out = []
    for _ in range(samples):
        version = json.loads(subprocess.run(base + ["--wait", "0"], capture_output=True,
                                            text=True, check=True).stdout)["version"]
        poller = subprocess.Popen(base + ["--known-version", str(version), "--wait", "20"],
                                  stdout=subprocess.PIPE, text=True)
        time.sleep(0.3)  # let it park
        ecs.run_task(cluster="latency", taskDefinition="bench")
        replied = time.monotonic()
        got, _ = poller.communicate(timeout=30)
        seen = time.monotonic()
        if json.loads(got).get("unchanged"):
            raise SystemExit("cp_bench: a parked poll timed out instead of seeing RunTask")
        out.append((seen - replied) * 1000)
    out.sort()
    return out[len(out) // 2], out[-1]


def wait_for(what, check, timeout):
    deadline = time.time() + timeout
    while time.time() < deadline:
        if check():
            return
        time.sleep(0.5)
    raise SystemExit(f"cp_bench: timed out waiting for {what}")


def main():
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--instances", type=int, default=1000)
    ap.add_argument("--seconds", type=int, default=10)
    ap.add_argument("--connections", type=int, default=32)
    ap.add_argument("--keep", action="store_true", help="keep the scratch directory (logs, db)")
    args = ap.parse_args()

    for tool in ("wrk",):
        if not shutil.which(tool):
            raise SystemExit(f"cp_bench: {tool} not found (scripts/setup-deps installs it)")
    cp_bin = BUILD / "controlplane" / "ecs-controlplane"
    agent_bin = BUILD / "tests" / "tools" / "fake-agent"
    for b in (cp_bin, agent_bin):
        if not b.exists():
            raise SystemExit(f"cp_bench: {b} is not built (make && make check TESTS=)")

    tmp = pathlib.Path(tempfile.mkdtemp(prefix="cp-bench-"))
    procs = []
    try:
        (tmp / "credentials").write_text(f"{AKID} {SECRET}\n")
        os.chmod(tmp / "credentials", 0o600)
        (tmp / "cp.conf").write_text("")
        port = free_port()
        url = f"http://127.0.0.1:{port}/"
        cp = subprocess.Popen([str(cp_bin), "--config", str(tmp / "cp.conf"),
                               "--listen", f"127.0.0.1:{port}", "--db", str(tmp / "cp.db"),
                               "--credentials", str(tmp / "credentials"),
                               "--join-token", JOIN_TOKEN, "--log-level", "warn"],
                              stderr=open(tmp / "cp.log", "w"))
        procs.append(cp)
        ecs = boto3.client("ecs", endpoint_url=url, region_name=REGION,
                           aws_access_key_id=AKID, aws_secret_access_key=SECRET)

        def up():
            try:
                ecs.list_clusters()
                return True
            except Exception:
                return False
        wait_for("the control plane", up, 10)
        rss_empty = rss_mib(cp.pid)
        ecs.create_cluster(clusterName="bench")
        ecs.register_task_definition(family="bench", containerDefinitions=[{
            "name": "app", "image": "busybox:latest", "cpu": 1, "memory": 8, "essential": True,
            "command": ["sleep", "3600"]}])

        sim = subprocess.Popen([str(agent_bin), "simulate", str(args.instances),
                                "--endpoint", url.rstrip("/"), "--join-token", JOIN_TOKEN, "--cluster", "bench",
                                "--cpu", "1048576", "--memory", "1048576", "--quiet"],
                               stdout=subprocess.DEVNULL, stderr=open(tmp / "sim.log", "w"))
        procs.append(sim)

        def registered():
            n, token = 0, None
            while True:
                kw = {"cluster": "bench", "maxResults": 100}
                if token:
                    kw["nextToken"] = token
                page = ecs.list_container_instances(**kw)
                n += len(page["containerInstanceArns"])
                token = page.get("nextToken")
                if not token:
                    return n >= args.instances
        t0 = time.time()
        wait_for(f"{args.instances} instances to register", registered, 120)
        t_register = time.time() - t0
        time.sleep(2)
        rss_idle = rss_mib(cp.pid)

        wake_p50, wake_max = poll_wakeup_ms(ecs, agent_bin, url.rstrip("/"))

        rows = []
        run_body = json.dumps({"cluster": "bench", "taskDefinition": "bench"})
        rows.append(("RunTask (count 1)", wrk(url, "RunTask", run_body, args.seconds,
                                              args.connections)))
        tasks = ecs.list_tasks(cluster="bench", maxResults=100)["taskArns"]
        one = json.dumps({"cluster": "bench", "tasks": tasks[:1]})
        rows.append(("DescribeTasks (1 task)", wrk(url, "DescribeTasks", one, args.seconds,
                                                   args.connections)))
        hundred = json.dumps({"cluster": "bench", "tasks": tasks[:100]})
        rows.append((f"DescribeTasks ({len(tasks[:100])} tasks)",
                     wrk(url, "DescribeTasks", hundred, args.seconds, args.connections)))
        rss_loaded = rss_mib(cp.pid)
        total_tasks = rows[0][1]["requests"]

        print(f"\necs-controlplane, {args.instances} simulated instances long-polling "
              f"(one fake-agent process), wrk -t2 -c{args.connections}, {args.seconds} s a row, "
              f"requests SigV4-signed, {os.cpu_count()} cores shared by all")
        print(f"{'operation':<26} {'requests':>9} {'req/s':>9} {'p50 ms':>8} {'p99 ms':>8} {'errors':>7}")
        for name, r in rows:
            print(f"{name:<26} {r['requests']:>9} {r['rate']:>9.1f} {r['p50']:>8.2f} "
                  f"{r['p99']:>8.2f} {r['errors']:>7}")
        print(f"registration of {args.instances} instances: {t_register:.1f} s")
        print(f"RunTask reply -> the instance's parked long poll answered: "
              f"p50 {wake_p50:.1f} ms, max {wake_max:.1f} ms (20 samples)")
        print(f"control plane RSS: {rss_empty:.1f} MiB empty, {rss_idle:.1f} MiB with "
              f"{args.instances} instances polling, {rss_loaded:.1f} MiB after {total_tasks} tasks")
        db = tmp / "cp.db"
        print(f"database: {db.stat().st_size / 1048576:.1f} MiB")
    finally:
        for p in reversed(procs):
            if p.poll() is None:
                p.send_signal(signal.SIGTERM)
                try:
                    p.wait(timeout=10)
                except subprocess.TimeoutExpired:
                    p.kill()
                    p.wait()
        if args.keep:
            print(f"scratch directory kept: {tmp}")
        else:
            shutil.rmtree(tmp, ignore_errors=True)


if __name__ == "__main__":
    sys.exit(main())
