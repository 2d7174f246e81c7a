# SPDX-License-Identifier: Apache-2.0
"""Cluster operations and tags through the real aws CLI and boto3."""
import pytest
from botocore.exceptions import ClientError

from cp_fixtures import (aws, cluster_arn, controlplane, ecs, make_client,  # noqa: F401
                         workdir)


def error_of(excinfo):
    err = excinfo.value.response
    return err["Error"]["Code"], err["ResponseMetadata"]["HTTPStatusCode"]


def test_cli_create_describe_list_delete(aws):
    r = aws("ecs", "create-cluster", "--cluster-name", "web",
            "--tags", "key=team,value=blue", "--settings", "name=containerInsights,value=enabled")
    assert r.rc == 0, r.stderr
    cluster = r.json["cluster"]
    assert cluster["clusterArn"] == cluster_arn("web")
    assert cluster["clusterName"] == "web"
    assert cluster["status"] == "ACTIVE"
    assert cluster["registeredContainerInstancesCount"] == 0
    assert cluster["runningTasksCount"] == 0
    assert cluster["pendingTasksCount"] == 0
    assert cluster["activeServicesCount"] == 0
    assert cluster["tags"] == [{"key": "team", "value": "blue"}]
    assert cluster["settings"] == [{"name": "containerInsights", "value": "enabled"}]

    r = aws("ecs", "describe-clusters", "--clusters", "web", "ghost", "--include", "TAGS")
    assert r.rc == 0, r.stderr
    assert [c["clusterName"] for c in r.json["clusters"]] == ["web"]
    assert r.json["clusters"][0]["tags"] == [{"key": "team", "value": "blue"}]
    assert "settings" not in r.json["clusters"][0]
    assert r.json["failures"] == [{"arn": cluster_arn("ghost"), "reason": "MISSING"}]

    r = aws("ecs", "list-clusters")
    assert r.rc == 0, r.stderr
    assert r.json["clusterArns"] == [cluster_arn("web")]

    r = aws("ecs", "delete-cluster", "--cluster", "web")
    assert r.rc == 0, r.stderr
    assert r.json["cluster"]["status"] == "INACTIVE"
    assert aws("ecs", "list-clusters").json["clusterArns"] == []

    r = aws("ecs", "delete-cluster", "--cluster", "web")
    assert r.rc != 0
    assert "ClusterNotFoundException" in r.stderr


def test_cli_default_cluster(aws):
    r = aws("ecs", "create-cluster")
    assert r.rc == 0, r.stderr
    assert r.json["cluster"]["clusterName"] == "default"
    r = aws("ecs", "describe-clusters")
    assert r.json["clusters"][0]["clusterArn"] == cluster_arn("default")
    assert r.json["failures"] == []


def test_cli_pagination(aws):
    names = [f"p{i:02d}" for i in range(7)]
    for n in names:
        assert aws("ecs", "create-cluster", "--cluster-name", n).rc == 0
    # The CLI follows nextToken itself with --page-size.
    r = aws("ecs", "list-clusters", "--page-size", "2")
    assert r.rc == 0, r.stderr
    assert r.json["clusterArns"] == [cluster_arn(n) for n in names]
    r = aws("ecs", "list-clusters", "--max-items", "3")
    assert len(r.json["clusterArns"]) == 3 and "NextToken" in r.json


def test_boto3_pagination_and_limits(ecs):
    names = sorted(f"b{i}" for i in range(12))
    for n in names:
        ecs.create_cluster(clusterName=n)
    seen, token, pages = [], None, 0
    while True:
        kw = {"maxResults": 5}
        if token:
            kw["nextToken"] = token
        page = ecs.list_clusters(**kw)
        seen += page["clusterArns"]
        pages += 1
        token = page.get("nextToken")
        if not token:
            break
    assert seen == [cluster_arn(n) for n in names]
    assert pages == 3
    paginator = ecs.get_paginator("list_clusters")
    assert sum(len(p["clusterArns"]) for p in paginator.paginate(PaginationConfig={"PageSize": 4})) == 12

    for bad in (0, 101):
        with pytest.raises(ClientError) as e:
            ecs.list_clusters(maxResults=bad)
        assert error_of(e) == ("InvalidParameterException", 400)
    with pytest.raises(ClientError) as e:
        ecs.list_clusters(nextToken="not-a-token")
    assert error_of(e) == ("InvalidParameterException", 400)


def test_boto3_create_is_idempotent_and_describe_by_arn(ecs):
    first = ecs.create_cluster(clusterName="same", tags=[{"key": "a", "value": "1"}])["cluster"]
    again = ecs.create_cluster(clusterName="same")["cluster"]
    assert again["clusterArn"] == first["clusterArn"]
    assert again["tags"] == [{"key": "a", "value": "1"}]
    out = ecs.describe_clusters(clusters=[first["clusterArn"],
                                          "arn:aws:ecs:eu-west-1:123456789012:cluster/same"],
                                include=["SETTINGS", "STATISTICS"])
    assert out["clusters"][0]["settings"] == [{"name": "containerInsights", "value": "disabled"}]
    stats = {s["name"]: s["value"] for s in out["clusters"][0]["statistics"]}
    assert stats["runningEC2TasksCount"] == "0"
    assert out["failures"] == [{"arn": "arn:aws:ecs:eu-west-1:123456789012:cluster/same",
                                "reason": "MISSING"}]


def test_boto3_errors(ecs):
    with pytest.raises(ecs.exceptions.ClusterNotFoundException) as e:
        ecs.delete_cluster(cluster="nope")
    assert error_of(e) == ("ClusterNotFoundException", 400)
    with pytest.raises(ecs.exceptions.InvalidParameterException):
        ecs.create_cluster(clusterName="bad name!")
    with pytest.raises(ecs.exceptions.InvalidParameterException):
        ecs.create_cluster(clusterName="x", settings=[{"name": "containerInsights", "value": "maybe"}])
    with pytest.raises(ecs.exceptions.InvalidParameterException):
        ecs.describe_clusters(include=["EVERYTHING"])
    with pytest.raises(ecs.exceptions.InvalidParameterException):
        ecs.create_cluster(clusterName="cp", capacityProviders=["FARGATE"])


def test_tags(ecs, aws):
    arn = ecs.create_cluster(clusterName="tagged")["cluster"]["clusterArn"]
    ecs.tag_resource(resourceArn=arn, tags=[{"key": "a", "value": "1"}, {"key": "b", "value": "2"}])
    ecs.tag_resource(resourceArn=arn, tags=[{"key": "a", "value": "3"}])
    assert ecs.list_tags_for_resource(resourceArn=arn)["tags"] == [
        {"key": "a", "value": "3"}, {"key": "b", "value": "2"}]
    r = aws("ecs", "untag-resource", "--resource-arn", arn, "--tag-keys", "b")
    assert r.rc == 0, r.stderr
    r = aws("ecs", "list-tags-for-resource", "--resource-arn", arn)
    assert r.json["tags"] == [{"key": "a", "value": "3"}]

    with pytest.raises(ecs.exceptions.ClusterNotFoundException):
        ecs.list_tags_for_resource(resourceArn=cluster_arn("missing"))
    with pytest.raises(ecs.exceptions.InvalidParameterException):
        ecs.list_tags_for_resource(resourceArn="arn:aws:ecs:us-east-1:123456789012:gadget/x")
    with pytest.raises(ecs.exceptions.InvalidParameterException):
        ecs.tag_resource(resourceArn=arn, tags=[{"key": "aws:reserved", "value": "x"}])
    with pytest.raises(ecs.exceptions.InvalidParameterException):
        ecs.tag_resource(resourceArn=arn, tags=[{"key": f"k{i}", "value": "v"} for i in range(50)])


def test_restart_keeps_clusters_and_tags(controlplane, ecs):
    ecs.create_cluster(clusterName="durable", tags=[{"key": "keep", "value": "me"}],
                       settings=[{"name": "containerInsights", "value": "enabled"}])
    ecs.create_cluster(clusterName="deleted")
    ecs.delete_cluster(cluster="deleted")
    assert controlplane.stop() == 0
    assert "Stopped" in controlplane.log_text()
    controlplane.start()

    client = make_client(controlplane.endpoint)
    out = client.describe_clusters(clusters=["durable", "deleted"], include=["TAGS", "SETTINGS"])
    by_name = {c["clusterName"]: c for c in out["clusters"]}
    assert by_name["durable"]["status"] == "ACTIVE"
    assert by_name["durable"]["tags"] == [{"key": "keep", "value": "me"}]
    assert by_name["durable"]["settings"] == [{"name": "containerInsights", "value": "enabled"}]
    assert by_name["deleted"]["status"] == "INACTIVE"
    assert client.list_clusters()["clusterArns"] == [cluster_arn("durable")]
    client.close()


def test_kill_9_loses_nothing_acknowledged(controlplane, ecs):
    ecs.create_cluster(clusterName="acked")
    controlplane.kill()  # SIGKILL: no clean shutdown
    controlplane.start()
    client = make_client(controlplane.endpoint)
    assert client.list_clusters()["clusterArns"] == [cluster_arn("acked")]
    client.close()
