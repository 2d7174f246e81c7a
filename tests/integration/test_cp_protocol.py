# SPDX-License-Identifier: Apache-2.0
"""The awsJson1_1 transport: bad bodies, targets, types and sizes get the
right exception and status, and never take the daemon down."""
import json
import subprocess

import pytest

from cp_fixtures import (ControlPlane, controlplane, raw_request, workdir)  # noqa: F401


@pytest.mark.parametrize("body", [b"{", b"not json", b"[]", b"\"str\"", b"{\"a\":1}{",
                                  b"{\"clusterName\":\"\xff\xfe\"}"])
def test_malformed_json(controlplane, body):
    r = raw_request(controlplane.endpoint, "CreateCluster", body)
    assert (r.status, r.error_type) == (400, "SerializationException"), r.body
    assert r.json["message"]


@pytest.mark.parametrize("operation,body", [
    ("CreateCluster", {"clusterName": 12}),
    ("CreateCluster", {"tags": {"key": "a"}}),
    ("CreateCluster", {"tags": [{"key": 1, "value": "x"}]}),
    ("DescribeClusters", {"clusters": "default"}),
    ("DescribeClusters", {"clusters": [None]}),
    ("ListClusters", {"maxResults": "10"}),
    ("ListClusters", {"maxResults": 1.5}),
    ("DeleteCluster", {"cluster": ["a"]}),
    ("TagResource", {"resourceArn": 5, "tags": []}),
    ("UntagResource", {"resourceArn": "arn:aws:ecs:us-east-1:123456789012:cluster/x",
                       "tagKeys": "a"}),
])
def test_wrong_types(controlplane, operation, body):
    r = raw_request(controlplane.endpoint, operation, json.dumps(body))
    assert (r.status, r.error_type) == (400, "SerializationException"), r.body


@pytest.mark.parametrize("operation,body", [
    ("DeleteCluster", {}),
    ("TagResource", {"resourceArn": "arn:aws:ecs:us-east-1:123456789012:cluster/x"}),
    ("ListTagsForResource", {}),
    ("ListClusters", {"maxResults": 1000}),
    ("DescribeClusters", {"clusters": ["c"] * 101}),
])
def test_invalid_parameters(controlplane, operation, body):
    r = raw_request(controlplane.endpoint, operation, json.dumps(body))
    assert (r.status, r.error_type) == (400, "InvalidParameterException"), r.body


@pytest.mark.parametrize("target", ["AmazonEC2ContainerServiceV20141113.LaunchRockets",
                                    "AmazonEC2ContainerServiceV20141113.",
                                    "DynamoDB_20120810.ListTables", ""])
def test_unknown_target(controlplane, target):
    r = raw_request(controlplane.endpoint, body=b"{}", target=target)
    assert (r.status, r.error_type) == (400, "UnknownOperationException"), r.body


def test_missing_target_and_wrong_content_type(controlplane):
    r = raw_request(controlplane.endpoint, body=b"{}")
    assert (r.status, r.error_type) == (400, "UnknownOperationException")
    r = raw_request(controlplane.endpoint, "ListClusters", headers={"Content-Type": "text/plain"})
    assert (r.status, r.error_type) == (400, "UnknownOperationException")
    r = raw_request(controlplane.endpoint, "ListClusters",
                    headers={"Content-Type": "application/json; charset=utf-8"})
    assert r.status == 200


def test_other_paths_and_methods(controlplane):
    r = raw_request(controlplane.endpoint, "ListClusters", path="/nope")
    assert (r.status, r.error_type) == (404, "UnknownOperationException")
    r = raw_request(controlplane.endpoint, "ListClusters", method="GET", body=b"")
    assert (r.status, r.error_type) == (405, "UnknownOperationException")


def test_oversized_body(controlplane):
    big = json.dumps({"clusterName": "x", "padding": "a" * (1024 * 1024)})
    r = raw_request(controlplane.endpoint, "CreateCluster", big)
    assert (r.status, r.error_type) == (413, "RequestEntityTooLargeException"), r.body
    # Just under the limit is an ordinary request.
    ok = json.dumps({"clusterName": "y", "padding": "a" * (1024 * 1024 - 100)})
    assert raw_request(controlplane.endpoint, "CreateCluster", ok).status == 200
    # The daemon is still serving.
    assert raw_request(controlplane.endpoint, "ListClusters").status == 200


def test_bad_flags_and_config(workdir):
    cp = ControlPlane(workdir)
    for args, text in [(["--bogus"], "unknown"), (["--account-id", "12"], "12 digits"),
                       (["--listen", "nowhere"], "port")]:
        proc = subprocess.run([str(cp.binary), "--config", str(cp.config), *args],
                              capture_output=True, text=True, timeout=10)
        assert proc.returncode == 2, proc.stderr
        assert text in proc.stderr
    cp.config.write_text("ECS_CP_LISTEN=127.0.0.1:0\nECS_CP_MAX_REQUEST_BODY=bananas\n")
    proc = subprocess.run([str(cp.binary), "--config", str(cp.config), "--no-auth",
                           "--db", str(cp.db)], capture_output=True, text=True, timeout=10)
    assert proc.returncode == 2
    assert "ECS_CP_MAX_REQUEST_BODY" in proc.stderr
    # Without --no-auth a credentials file is required.
    proc = subprocess.run([str(cp.binary), "--config", str(cp.config.with_name("none.conf")),
                           "--listen", "127.0.0.1:0", "--db", str(cp.db),
                           "--credentials", str(workdir / "missing")],
                          capture_output=True, text=True, timeout=10)
    assert proc.returncode != 0
    assert "credentials" in proc.stderr.lower() or "none.conf" in proc.stderr


def test_config_file_sets_limits(workdir):
    cp = ControlPlane(workdir)
    cp.config.write_text("ECS_CP_MAX_REQUEST_BODY=2k\nECS_CP_REGION=eu-west-1\n")
    cp.start()
    try:
        # The flag --region us-east-1 from the fixture wins over the file.
        r = raw_request(cp.endpoint, "CreateCluster", json.dumps({"clusterName": "a" * 10}))
        assert r.status == 200
        assert r.json["cluster"]["clusterArn"].startswith("arn:aws:ecs:us-east-1:")
        r = raw_request(cp.endpoint, "CreateCluster",
                        json.dumps({"clusterName": "b", "pad": "x" * 3000}))
        assert (r.status, r.error_type) == (413, "RequestEntityTooLargeException")
    finally:
        cp.kill()


def test_second_daemon_on_same_port_fails(controlplane, workdir):
    """Two daemons must never share a port (SO_REUSEPORT would split the
    requests between them): the second one fails at once, saying why."""
    other = workdir / "other"
    other.mkdir()
    (other / "c.conf").write_text("")
    proc = subprocess.run([str(controlplane.binary), "--config", str(other / "c.conf"), "--no-auth",
                           "--listen", f"127.0.0.1:{controlplane.port}", "--db", str(other / "db")],
                          capture_output=True, text=True, timeout=10)
    assert proc.returncode != 0, proc.stderr
    assert f"cannot listen on 127.0.0.1:{controlplane.port}" in proc.stderr
    assert "in use" in proc.stderr
    # The first daemon alone answers: a cluster created through it is listed
    # on every one of a few fresh connections.
    raw_request(controlplane.endpoint, "CreateCluster", json.dumps({"clusterName": "first"}))
    for _ in range(8):
        r = raw_request(controlplane.endpoint, "ListClusters")
        assert r.status == 200
        assert any(a.endswith("/first") for a in r.json["clusterArns"])


def test_fd_limit_raised_for_many_connections(workdir):
    """The daemon raises its soft descriptor limit to the hard one, and
    accepts more idle connections than the usual 1024 (each agent's parked
    poll is one) while still answering new requests."""
    import resource
    import socket
    soft, hard = resource.getrlimit(resource.RLIMIT_NOFILE)
    want = 1100
    if hard != resource.RLIM_INFINITY and hard < want + 200:
        pytest.skip(f"hard descriptor limit {hard} is too low for this test")
    # This process needs the descriptors too.
    resource.setrlimit(resource.RLIMIT_NOFILE, (max(soft, min(hard, want + 200)), hard))
    cp = ControlPlane(workdir, no_auth=True)
    cp.preexec_fn = lambda: resource.setrlimit(resource.RLIMIT_NOFILE, (256, hard))
    cp.start()
    socks = []
    try:
        assert "File descriptor limit: " in cp.log_text()
        assert "(raised from 256)" in cp.log_text()
        limits = open(f"/proc/{cp.proc.pid}/limits").read()
        line = next(x for x in limits.splitlines() if x.startswith("Max open files"))
        assert line.split()[3] == line.split()[4], line
        for _ in range(want):
            s = socket.create_connection(("127.0.0.1", cp.port), timeout=10)
            s.sendall(b"POST / HTTP/1.1\r\nHost: x\r\n")  # a request begun, never finished
            socks.append(s)
        r = raw_request(cp.endpoint, "ListClusters", sign=False)
        assert r.status == 200
    finally:
        for s in socks:
            s.close()
        cp.kill()
        resource.setrlimit(resource.RLIMIT_NOFILE, (soft, hard))
