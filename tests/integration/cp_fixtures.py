# SPDX-License-Identifier: Apache-2.0
"""Fixtures for the ecs-controlplane tests: a real daemon on a free loopback
port with a temporary database and credentials file, the real aws CLI and
boto3 pointed at it, and a raw SigV4-signed request helper for what the SDKs
refuse to send (wrong types, bad signatures, skewed clocks).

Test modules import the fixtures they use:
    from cp_fixtures import controlplane, aws, ecs  # noqa: F401
"""
import datetime
import http.client
import json
import os
import pathlib
import re
import shutil
import signal
import subprocess
import tempfile
import time
from unittest import mock

import boto3
import botocore.auth
import botocore.config
import botocore.credentials
import pytest
from botocore.awsrequest import AWSRequest

SOURCE_DIR = pathlib.Path(os.environ.get("ECS_SOURCE_DIR", pathlib.Path(__file__).resolve().parents[2]))
BUILD_DIR = pathlib.Path(os.environ.get("ECS_BUILD_DIR", SOURCE_DIR / "build"))

REGION = "us-east-1"
ACCOUNT = "123456789012"
AKID = "AKIDCPTEST0001"
SECRET = "cp-test-secret/0001+abcdefghijklmnop"
TARGET_PREFIX = "AmazonEC2ContainerServiceV20141113."
AWS_CLI = "/usr/bin/aws"


def cluster_arn(name, region=REGION, account=ACCOUNT):
    return f"arn:aws:ecs:{region}:{account}:cluster/{name}"


class ControlPlane:
    """One ecs-controlplane process. Its state lives in `workdir`, so stop()
    followed by start() is a restart that keeps the database."""

    def __init__(self, workdir, no_auth=False, extra_args=()):
        self.workdir = pathlib.Path(workdir)
        self.binary = BUILD_DIR / "controlplane" / "ecs-controlplane"
        self.db = self.workdir / "state.db"
        self.credentials = self.workdir / "credentials"
        self.config = self.workdir / "controlplane.conf"
        self.log = self.workdir / "controlplane.log"
        self.no_auth = no_auth
        self.extra_args = list(extra_args)
        self.preexec_fn = None  # run in the child before exec (e.g. to lower limits)
        self.proc = None
        self.port = None
        self.credentials.write_text(f"# test keys\n{AKID} {SECRET}\n")
        self.credentials.chmod(0o600)
        self.config.write_text("")

    @property
    def endpoint(self):
        return f"http://127.0.0.1:{self.port}"

    def start(self, timeout=10):
        if not self.binary.exists():
            pytest.fail(f"{self.binary} is not built: run scripts/test")
        args = [str(self.binary), "--config", str(self.config), "--listen", "127.0.0.1:0",
                "--db", str(self.db), "--region", REGION, "--account-id", ACCOUNT]
        args += ["--no-auth"] if self.no_auth else ["--credentials", str(self.credentials)]
        args += self.extra_args
        self.log.write_text("")
        log = open(self.log, "ab")
        # The environment must not reconfigure the daemon behind the test's back.
        env = {k: v for k, v in os.environ.items() if not k.startswith("ECS_CP_")}
        self.proc = subprocess.Popen(args, stdout=log, stderr=log, stdin=subprocess.DEVNULL, env=env,
                                     preexec_fn=self.preexec_fn)
        log.close()
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            m = re.search(r"Listening on http://127\.0\.0\.1:(\d+)", self.log.read_text())
            if m:
                self.port = int(m.group(1))
                return self
            if self.proc.poll() is not None:
                pytest.fail(f"ecs-controlplane exited with {self.proc.returncode}:\n{self.log.read_text()}")
            time.sleep(0.02)
        self.kill()
        pytest.fail(f"ecs-controlplane did not start:\n{self.log.read_text()}")

    def stop(self, timeout=10):
        """SIGTERM and wait; returns the exit status."""
        if not self.proc:
            return None
        self.proc.send_signal(signal.SIGTERM)
        try:
            rc = self.proc.wait(timeout=timeout)
        except subprocess.TimeoutExpired:
            self.kill()
            pytest.fail("ecs-controlplane did not stop on SIGTERM")
        self.proc = None
        return rc

    def kill(self):
        if self.proc and self.proc.poll() is None:
            self.proc.kill()
            self.proc.wait()
        self.proc = None

    def restart(self):
        self.stop()
        return self.start()

    def log_text(self):
        return self.log.read_text()


@pytest.fixture
def workdir():
    d = tempfile.mkdtemp(prefix="ecs-cp-test.")
    yield pathlib.Path(d)
    shutil.rmtree(d, ignore_errors=True)


@pytest.fixture
def controlplane(workdir):
    cp = ControlPlane(workdir).start()
    yield cp
    cp.kill()


@pytest.fixture
def controlplane_noauth(workdir):
    cp = ControlPlane(workdir, no_auth=True).start()
    yield cp
    cp.kill()


def cli_env(workdir, access_key=AKID, secret=SECRET, region=REGION):
    """An environment in which nothing from the machine's AWS setup leaks in."""
    env = {k: v for k, v in os.environ.items() if not k.startswith("AWS_")}
    empty = pathlib.Path(workdir) / "aws-empty"
    empty.write_text("")
    env.update({
        "AWS_ACCESS_KEY_ID": access_key,
        "AWS_SECRET_ACCESS_KEY": secret,
        "AWS_DEFAULT_REGION": region,
        "AWS_CONFIG_FILE": str(empty),
        "AWS_SHARED_CREDENTIALS_FILE": str(empty),
        "AWS_MAX_ATTEMPTS": "1",
        "AWS_RETRY_MODE": "standard",
        "AWS_PAGER": "",
    })
    return env


class CliResult:
    def __init__(self, proc):
        self.rc = proc.returncode
        self.stdout = proc.stdout
        self.stderr = proc.stderr

    @property
    def json(self):
        return json.loads(self.stdout)


@pytest.fixture
def aws(controlplane, workdir):
    """aws("ecs", "list-clusters", ...) -> CliResult, against the daemon."""
    def run(*args, access_key=AKID, secret=SECRET, timeout=60):
        cmd = [AWS_CLI, "--no-cli-pager", "--output", "json",
               "--endpoint-url", controlplane.endpoint, *args]
        proc = subprocess.run(cmd, capture_output=True, text=True, timeout=timeout,
                              env=cli_env(workdir, access_key, secret))
        return CliResult(proc)
    return run


def make_client(endpoint, access_key=AKID, secret=SECRET, region=REGION):
    return boto3.client(
        "ecs", endpoint_url=endpoint, region_name=region,
        aws_access_key_id=access_key, aws_secret_access_key=secret,
        config=botocore.config.Config(retries={"total_max_attempts": 1}))


@pytest.fixture
def ecs(controlplane):
    client = make_client(controlplane.endpoint)
    yield client
    client.close()


class RawReply:
    def __init__(self, status, headers, body):
        self.status = status
        self.headers = headers
        self.body = body

    @property
    def json(self):
        return json.loads(self.body)

    @property
    def error_type(self):
        return self.json.get("__type")


def raw_request(endpoint, operation=None, body=b"{}", *, sign=True, access_key=AKID, secret=SECRET,
                region=REGION, service="ecs", when=None, headers=None, method="POST", path="/",
                target=None):
    """Send one request exactly as given, signed with botocore's SigV4Auth
    (unless sign=False). `when` (a naive UTC datetime) fakes the signing clock."""
    if isinstance(body, str):
        body = body.encode()
    hdrs = {"Content-Type": "application/x-amz-json-1.1"}
    if target is not None:
        hdrs["X-Amz-Target"] = target
    elif operation is not None:
        hdrs["X-Amz-Target"] = TARGET_PREFIX + operation
    hdrs.update(headers or {})
    hdrs = {k: v for k, v in hdrs.items() if v is not None}
    url = endpoint + path
    if sign:
        req = AWSRequest(method=method, url=url, data=body, headers=hdrs)
        creds = botocore.credentials.Credentials(access_key, secret)
        signer = botocore.auth.SigV4Auth(creds, service, region)
        if when is None:
            signer.add_auth(req)
        else:
            with mock.patch("botocore.auth.datetime") as dt:
                dt.datetime.utcnow.return_value = when
                dt.datetime.side_effect = datetime.datetime
                signer.add_auth(req)
        hdrs = dict(req.headers.items())
    host, port = endpoint.split("//", 1)[1].split(":")
    conn = http.client.HTTPConnection(host, int(port), timeout=30)
    try:
        conn.request(method, path, body=body, headers=hdrs)
        resp = conn.getresponse()
        return RawReply(resp.status, {k.lower(): v for k, v in resp.getheaders()}, resp.read())
    finally:
        conn.close()


# ---- the agent protocol: a daemon that admits agents, and the test agent ----
#
#     from cp_fixtures import agent_controlplane, fake_agent, ecs_agentcp  # noqa: F401
#
# agent_controlplane is a daemon with the join token JOIN_TOKEN and short
# liveness settings (polls held 2 s, agents disconnected after 3 s of
# silence, their tasks stopped after 6 s). fake_agent drives
# tests/tools/fake-agent against it: register/poll/report/telemetry return
# the decoded reply as a dict, simulate() runs many polling instances.

JOIN_TOKEN = "join-secret-0001"
AGENT_ARGS = ("--join-token", JOIN_TOKEN, "--poll-timeout", "2s",
              "--agent-disconnect-timeout", "3s", "--agent-lost-timeout", "6s")


class Simulation:
    """A running `fake-agent simulate N`: its process and the events read so
    far (dicts). Stop it with stop() (SIGTERM, by PID)."""

    def __init__(self, proc):
        self.proc = proc
        self.events = []
        self._pending = b""

    def _next_line(self, deadline):
        """One line of output, or None at the deadline or end of output. The
        pipe is read unbuffered: select() cannot see lines that a buffered
        reader has already taken in, and the agent writes several at once."""
        import select
        while b"\n" not in self._pending:
            left = deadline - time.monotonic()
            if left <= 0:
                return None
            ready, _, _ = select.select([self.proc.stdout], [], [], min(left, 0.1))
            if not ready:
                continue
            chunk = os.read(self.proc.stdout.fileno(), 65536)
            if not chunk:
                return None
            self._pending += chunk
        line, self._pending = self._pending.split(b"\n", 1)
        return line

    def read_until(self, predicate, timeout=15):
        """Read events until predicate(event) holds; returns that event."""
        deadline = time.monotonic() + timeout
        while (line := self._next_line(deadline)) is not None:
            ev = json.loads(line)
            self.events.append(ev)
            if predicate(ev):
                return ev
        raise AssertionError(f"simulated agents: no such event within {timeout}s; got {self.events[-5:]}")

    @property
    def arns(self):
        return [e["containerInstanceArn"] for e in self.events if e["event"] == "registered"]

    def stop(self):
        if self.proc.poll() is None:
            self.proc.send_signal(signal.SIGTERM)
            try:
                self.proc.wait(timeout=10)
            except subprocess.TimeoutExpired:
                self.proc.kill()
                self.proc.wait()
        self.proc.stdout.close()


class FakeAgent:
    """tests/tools/fake-agent against one daemon: an endpoint URL, or a
    ControlPlane (followed across restarts, which change its port)."""

    def __init__(self, target):
        self.target = target
        self.binary = BUILD_DIR / "tests" / "tools" / "fake-agent"
        if not self.binary.exists():
            pytest.fail(f"{self.binary} is not built: run make check")

    @property
    def endpoint(self):
        return self.target if isinstance(self.target, str) else self.target.endpoint

    def run(self, command, *args, timeout=60):
        proc = subprocess.run([str(self.binary), command, "--endpoint", self.endpoint, *args],
                              capture_output=True, text=True, timeout=timeout)
        if proc.returncode != 0:
            raise AssertionError(f"fake-agent {command} failed: {proc.stderr}")
        return json.loads(proc.stdout)

    def register(self, join_token=JOIN_TOKEN, cluster=None, identity=None, previous_arn=None,
                 cpu=2048, memory=4096, ports=None, attributes=(), tags=()):
        args = ["--join-token", join_token, "--cpu", str(cpu), "--memory", str(memory)]
        for flag, value in (("--cluster", cluster), ("--identity", identity),
                            ("--previous-arn", previous_arn), ("--ports", ports)):
            if value is not None:
                args += [flag, value]
        for a in attributes:
            args += ["--attribute", a]
        for t in tags:
            args += ["--tag", t]
        return self.run("register", *args)

    def poll(self, reg, known_version=0, wait=0):
        return self.run("poll", "--token", reg["token"], "--arn", reg["containerInstanceArn"],
                        "--known-version", str(known_version), "--wait", str(wait))

    def report(self, reg, changes):
        return self.run("report", "--token", reg["token"], "--arn", reg["containerInstanceArn"],
                        "--changes", json.dumps(changes))

    def telemetry(self, reg, health="OK", task_stats=()):
        args = ["--token", reg["token"], "--arn", reg["containerInstanceArn"], "--health", health]
        for t in task_stats:
            args += ["--task-stats", t]
        return self.run("telemetry", *args)

    def simulate(self, n, cluster=None, join_token=JOIN_TOKEN, wait=2, extra=()):
        """Start n simulated instances and wait until all are registered."""
        args = [str(self.binary), "simulate", str(n), "--endpoint", self.endpoint,
                "--join-token", join_token, "--wait", str(wait), *extra]
        if cluster:
            args += ["--cluster", cluster]
        proc = subprocess.Popen(args, stdout=subprocess.PIPE, stderr=subprocess.DEVNULL, bufsize=0)
        sim = Simulation(proc)
        try:
            sim.read_until(lambda e: e["event"] == "ready", timeout=30 + n / 20)
        except BaseException:
            sim.stop()
            raise
        return sim


@pytest.fixture
def agent_controlplane(workdir):
    cp = ControlPlane(workdir, extra_args=AGENT_ARGS).start()
    yield cp
    cp.kill()


@pytest.fixture
def fake_agent(agent_controlplane):
    return FakeAgent(agent_controlplane)


@pytest.fixture
def ecs_agentcp(agent_controlplane):
    """boto3 against agent_controlplane."""
    client = make_client(agent_controlplane.endpoint)
    yield client
    client.close()


def insert_task(cp, instance_arn, task_id, last_status="PENDING", desired_status="RUNNING",
                cpu=256, memory=512, host_ports=None, containers=("app",), family="fake-web"):
    """Place a task on an instance by writing the database while the daemon
    is stopped (for tests that must not depend on RunTask), then start it
    again. Bumps the instance's desired_version as RunTask does. Returns the
    task ARN."""
    import sqlite3
    cp.stop()
    db = sqlite3.connect(str(cp.db))
    try:
        cur = db.cursor()
        cluster_id, instance_id, cluster_name = cur.execute(
            "SELECT i.cluster_id, i.id, c.name FROM container_instances i"
            " JOIN clusters c ON c.id = i.cluster_id WHERE i.arn = ?", (instance_arn,)).fetchone()
        td_arn = f"arn:aws:ecs:{REGION}:{ACCOUNT}:task-definition/{family}:1"
        row = cur.execute("SELECT id FROM task_definitions WHERE arn = ?", (td_arn,)).fetchone()
        if row:
            td_id = row[0]
        else:
            body = json.dumps({"taskDefinitionArn": td_arn, "family": family, "revision": 1,
                               "status": "ACTIVE",
                               "containerDefinitions": [{"name": n, "image": "busybox", "memory": 64}
                                                        for n in containers]})
            cur.execute("INSERT INTO task_definitions (family, revision, arn, status, body, registered_ms)"
                        " VALUES (?, 1, ?, 'ACTIVE', ?, 1)", (family, td_arn, body))
            td_id = cur.lastrowid
        arn = f"arn:aws:ecs:{REGION}:{ACCOUNT}:task/{cluster_name}/{task_id}"
        now = int(time.time() * 1000)
        cur.execute("INSERT INTO tasks (arn, cluster_id, instance_id, taskdef_id, group_name, last_status,"
                    " desired_status, cpu, memory, host_ports, created_ms, updated_ms)"
                    " VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
                    (arn, cluster_id, instance_id, td_id, f"family:{family}", last_status, desired_status,
                     cpu, memory, json.dumps(host_ports) if host_ports is not None else None, now, now))
        task_row = cur.lastrowid
        for n in containers:
            cur.execute("INSERT INTO task_containers (task_id, name, arn, image, last_status)"
                        " VALUES (?, ?, ?, 'busybox', ?)",
                        (task_row, n, f"arn:aws:ecs:{REGION}:{ACCOUNT}:container/{cluster_name}/{task_id}/{n}",
                         last_status))
        cur.execute("UPDATE container_instances SET desired_version = desired_version + 1 WHERE id = ?",
                    (instance_id,))
        db.commit()
    finally:
        db.close()
    cp.start()
    return arn


def read_task(cp, task_arn):
    """The tasks row and its containers, read from the database (WAL lets a
    reader in while the daemon runs)."""
    import sqlite3
    db = sqlite3.connect(f"file:{cp.db}?mode=ro", uri=True)
    db.row_factory = sqlite3.Row
    try:
        task = db.execute("SELECT * FROM tasks WHERE arn = ?", (task_arn,)).fetchone()
        containers = db.execute("SELECT * FROM task_containers WHERE task_id = ? ORDER BY name",
                                (task["id"],)).fetchall()
        return dict(task), [dict(c) for c in containers]
    finally:
        db.close()
