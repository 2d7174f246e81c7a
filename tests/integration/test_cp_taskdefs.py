# SPDX-License-Identifier: Apache-2.0
"""Task-definition operations through the real aws CLI and boto3: register
(with the reference agent's conformance task definitions), revisions,
describe in every form, lists and pagination, families, deregistration,
tags, bad input, and a restart that keeps everything."""
import json

import pytest
from botocore.exceptions import ClientError

from conftest import CONFORMANCE_DIR
from cp_fixtures import (ACCOUNT, REGION, aws, controlplane, ecs, make_client,  # noqa: F401
                         raw_request, workdir)
from test_conformance_taskdefs import REJECTED, assert_subset, substitute

TASKDEF_DIR = CONFORMANCE_DIR / "taskdefinitions"


def td_arn(family_rev):
    return f"arn:aws:ecs:{REGION}:{ACCOUNT}:task-definition/{family_rev}"


def error_of(excinfo):
    err = excinfo.value.response
    return err["Error"]["Code"], err["ResponseMetadata"]["HTTPStatusCode"], err["Error"]["Message"]


def conformance(name):
    return json.loads(substitute((TASKDEF_DIR / name).read_text()))


def simple(family, **extra):
    td = {"family": family,
          "containerDefinitions": [{"name": "app", "image": "busybox:latest", "memory": 64}]}
    td.update(extra)
    return td


def attribute_names(td):
    return [a["name"] for a in td["requiresAttributes"]]


# file -> attributes its registration must require (a subset check: the
# rules are in docs/controlplane.md)
CONFORMANCE_CASES = {
    "awslogs.json": ["com.amazonaws.ecs.capability.logging-driver.awslogs",
                     "com.amazonaws.ecs.capability.docker-remote-api.1.18",
                     "com.amazonaws.ecs.capability.docker-remote-api.1.19"],
    "container-health.json": ["ecs.capability.container-health-check"],
    "container-ordering-healthy.json": ["ecs.capability.container-ordering",
                                        "ecs.capability.container-health-check"],
    "privileged.json": ["com.amazonaws.ecs.capability.privileged-container"],
    "secrets-environment-variables.json": ["ecs.capability.secrets.ssm.environment-variables"],
    "taskmetadata-validator-awsvpc.json": ["ecs.capability.task-eni",
                                           "ecs.capability.container-health-check",
                                           "com.amazonaws.ecs.capability.logging-driver.awslogs"],
    "task-efs-vol-read.json": ["ecs.capability.efs",
                               "com.amazonaws.ecs.capability.docker-remote-api.1.21"],
    "iam-roles.json": ["com.amazonaws.ecs.capability.task-iam-role"],
    "simple-exit.json": [],
}


@pytest.mark.parametrize("name", sorted(CONFORMANCE_CASES))
def test_cli_register_conformance(aws, workdir, name):
    doc = conformance(name)
    path = workdir / name
    path.write_text(json.dumps(doc))
    r = aws("ecs", "register-task-definition", "--cli-input-json", f"file://{path}")
    assert r.rc == 0, r.stderr
    td = r.json["taskDefinition"]
    assert td["taskDefinitionArn"] == td_arn(f"{doc['family']}:1")
    assert td["family"] == doc["family"]
    assert td["revision"] == 1
    assert td["status"] == "ACTIVE"
    assert td["registeredBy"] == f"arn:aws:iam::{ACCOUNT}:root"
    assert td["registeredAt"]  # the CLI prints timestamps as ISO 8601 text
    assert "deregisteredAt" not in td
    # Everything the user wrote comes back as written.
    assert_subset(doc, td)
    names = attribute_names(td)
    assert len(names) == len(set(names))
    for want in CONFORMANCE_CASES[name]:
        assert want in names, (want, names)
    awsvpc = doc.get("networkMode") == "awsvpc"
    assert td["compatibilities"] == (["EC2"] if awsvpc else ["EXTERNAL", "EC2"])
    for c in td["containerDefinitions"]:
        assert "cpu" in c and "essential" in c
        for member in ("portMappings", "environment", "mountPoints", "volumesFrom"):
            assert isinstance(c[member], list)

    # Describe returns the same document.
    r = aws("ecs", "describe-task-definition", "--task-definition", doc["family"])
    assert r.rc == 0, r.stderr
    assert r.json["taskDefinition"] == td


def test_defaults_filled_in(ecs):
    td = ecs.register_task_definition(
        family="defaults", networkMode="awsvpc", cpu="256", memory="512",
        containerDefinitions=[{"name": "web", "image": "nginx",
                               "portMappings": [{"containerPort": 80}],
                               "healthCheck": {"command": ["CMD", "true"]}}])["taskDefinition"]
    assert td["compatibilities"] == ["EC2", "FARGATE"]
    assert td["networkMode"] == "awsvpc"
    assert td["volumes"] == [] and td["placementConstraints"] == []
    c = td["containerDefinitions"][0]
    assert c["cpu"] == 0 and c["essential"] is True
    assert c["portMappings"] == [{"containerPort": 80, "hostPort": 80, "protocol": "tcp"}]
    assert c["environment"] == [] and c["mountPoints"] == [] and c["volumesFrom"] == []
    assert c["healthCheck"] == {"command": ["CMD", "true"], "interval": 30, "timeout": 5,
                                "retries": 3}
    assert "ecs.capability.task-eni" in attribute_names(td)

    td = ecs.register_task_definition(
        family="bridge", volumes=[{"name": "scratch"}],
        containerDefinitions=[{"name": "web", "image": "nginx", "memory": 64,
                               "portMappings": [{"containerPort": 80}]}])["taskDefinition"]
    assert "networkMode" not in td
    assert td["volumes"] == [{"name": "scratch", "host": {}}]
    assert td["containerDefinitions"][0]["portMappings"] == [
        {"containerPort": 80, "hostPort": 0, "protocol": "tcp"}]


def test_revisions_describe_deregister(ecs, aws):
    for rev in (1, 2, 3):
        td = ecs.register_task_definition(**simple("rev"))["taskDefinition"]
        assert td["revision"] == rev

    for ref in ("rev", "rev:3", td_arn("rev:3")):
        r = aws("ecs", "describe-task-definition", "--task-definition", ref)
        assert r.rc == 0, r.stderr
        assert r.json["taskDefinition"]["revision"] == 3
    assert ecs.describe_task_definition(taskDefinition="rev:1")["taskDefinition"]["revision"] == 1

    r = aws("ecs", "deregister-task-definition", "--task-definition", "rev:3")
    assert r.rc == 0, r.stderr
    td = r.json["taskDefinition"]
    assert td["status"] == "INACTIVE"
    assert td["deregisteredAt"]

    # The family now means the newest ACTIVE revision; the INACTIVE one is
    # still there by number.
    assert ecs.describe_task_definition(taskDefinition="rev")["taskDefinition"]["revision"] == 2
    td = ecs.describe_task_definition(taskDefinition="rev:3")["taskDefinition"]
    assert td["status"] == "INACTIVE"

    # Deregistering again returns it unchanged.
    again = ecs.deregister_task_definition(taskDefinition=td_arn("rev:3"))["taskDefinition"]
    assert again["status"] == "INACTIVE"
    assert again["deregisteredAt"] == td["deregisteredAt"]

    # Revision numbers are never reused.
    assert ecs.register_task_definition(**simple("rev"))["taskDefinition"]["revision"] == 4

    # A bare family is refused: a revision must be named.
    with pytest.raises(ClientError) as e:
        ecs.deregister_task_definition(taskDefinition="rev")
    assert error_of(e)[:2] == ("ClientException", 400)
    with pytest.raises(ClientError) as e:
        ecs.deregister_task_definition(taskDefinition="rev:77")
    assert error_of(e)[:2] == ("ClientException", 400)

    for ref in ("nope", "rev:99", "arn:aws:ecs:eu-west-1:123456789012:task-definition/rev:1"):
        with pytest.raises(ClientError) as e:
            ecs.describe_task_definition(taskDefinition=ref)
        assert error_of(e) == ("ClientException", 400, "Unable to describe task definition.")
    r = aws("ecs", "describe-task-definition", "--task-definition", "nope")
    assert r.rc != 0 and "ClientException" in r.stderr
    assert "Unable to describe task definition." in r.stderr


def test_list_task_definitions(ecs, aws):
    for fam in ("web", "api", "web", "web-2", "api", "web"):
        ecs.register_task_definition(**simple(fam))
    ecs.deregister_task_definition(taskDefinition="web:2")

    asc = [td_arn(x) for x in ("api:1", "api:2", "web:1", "web:3", "web-2:1")]
    r = aws("ecs", "list-task-definitions")
    assert r.rc == 0, r.stderr
    assert r.json["taskDefinitionArns"] == asc
    r = aws("ecs", "list-task-definitions", "--sort", "DESC")
    assert r.json["taskDefinitionArns"] == list(reversed(asc))
    # familyPrefix is the whole family name, as in ECS.
    r = aws("ecs", "list-task-definitions", "--family-prefix", "web")
    assert r.json["taskDefinitionArns"] == [td_arn("web:1"), td_arn("web:3")]
    r = aws("ecs", "list-task-definitions", "--status", "INACTIVE")
    assert r.json["taskDefinitionArns"] == [td_arn("web:2")]

    # The CLI follows nextToken itself.
    r = aws("ecs", "list-task-definitions", "--page-size", "2")
    assert r.rc == 0, r.stderr
    assert r.json["taskDefinitionArns"] == asc
    r = aws("ecs", "list-task-definitions", "--page-size", "2", "--sort", "DESC")
    assert r.json["taskDefinitionArns"] == list(reversed(asc))

    pages = list(ecs.get_paginator("list_task_definitions").paginate(
        PaginationConfig={"PageSize": 2}))
    assert [len(p["taskDefinitionArns"]) for p in pages] == [2, 2, 1]
    assert sum((p["taskDefinitionArns"] for p in pages), []) == asc

    with pytest.raises(ClientError) as e:
        ecs.list_task_definitions(status="GONE")
    assert error_of(e)[:2] == ("InvalidParameterException", 400)
    with pytest.raises(ClientError) as e:
        ecs.list_task_definitions(maxResults=101)
    assert error_of(e)[:2] == ("InvalidParameterException", 400)
    with pytest.raises(ClientError) as e:
        ecs.list_task_definitions(nextToken="not-a-token")
    assert error_of(e)[:2] == ("InvalidParameterException", 400)


def test_list_families(ecs, aws):
    for fam in ("hpcc", "hpcc-c4-8xlarge", "node-js-app", "web-timer"):
        ecs.register_task_definition(**simple(fam))
    ecs.deregister_task_definition(taskDefinition="web-timer:1")

    everything = ["hpcc", "hpcc-c4-8xlarge", "node-js-app", "web-timer"]
    r = aws("ecs", "list-task-definition-families")
    assert r.rc == 0, r.stderr
    assert r.json["families"] == everything
    r = aws("ecs", "list-task-definition-families", "--status", "ALL")
    assert r.json["families"] == everything
    r = aws("ecs", "list-task-definition-families", "--status", "ACTIVE")
    assert r.json["families"] == ["hpcc", "hpcc-c4-8xlarge", "node-js-app"]
    r = aws("ecs", "list-task-definition-families", "--status", "INACTIVE")
    assert r.json["families"] == ["web-timer"]
    r = aws("ecs", "list-task-definition-families", "--family-prefix", "hpcc")
    assert r.json["families"] == ["hpcc", "hpcc-c4-8xlarge"]

    r = aws("ecs", "list-task-definition-families", "--page-size", "1")
    assert r.json["families"] == everything
    pages = list(ecs.get_paginator("list_task_definition_families").paginate(
        PaginationConfig={"PageSize": 3}))
    assert [p["families"] for p in pages] == [everything[:3], everything[3:]]
    with pytest.raises(ClientError) as e:
        ecs.list_task_definition_families(status="DELETED")
    assert error_of(e)[:2] == ("InvalidParameterException", 400)


def test_tags(ecs, aws):
    r = ecs.register_task_definition(**simple("tagged"),
                                     tags=[{"key": "team", "value": "blue"}])
    assert r["tags"] == [{"key": "team", "value": "blue"}]
    arn = r["taskDefinition"]["taskDefinitionArn"]
    assert "tags" not in r["taskDefinition"]

    assert "tags" not in ecs.describe_task_definition(taskDefinition="tagged")
    d = ecs.describe_task_definition(taskDefinition="tagged", include=["TAGS"])
    assert d["tags"] == [{"key": "team", "value": "blue"}]

    r = aws("ecs", "tag-resource", "--resource-arn", arn, "--tags", "key=env,value=prod")
    assert r.rc == 0, r.stderr
    r = aws("ecs", "list-tags-for-resource", "--resource-arn", arn)
    assert r.json["tags"] == [{"key": "team", "value": "blue"}, {"key": "env", "value": "prod"}]
    ecs.untag_resource(resourceArn=arn, tagKeys=["team"])
    assert ecs.list_tags_for_resource(resourceArn=arn)["tags"] == [{"key": "env", "value": "prod"}]

    # Each revision has its own tags.
    arn2 = ecs.register_task_definition(**simple("tagged"))["taskDefinition"]["taskDefinitionArn"]
    assert ecs.list_tags_for_resource(resourceArn=arn2)["tags"] == []
    with pytest.raises(ClientError) as e:
        ecs.list_tags_for_resource(resourceArn=td_arn("tagged:9"))
    assert error_of(e)[:2] == ("ClientException", 400)

    with pytest.raises(ClientError) as e:
        ecs.register_task_definition(**simple("tagged"), tags=[{"key": "aws:x", "value": "y"}])
    assert error_of(e)[:2] == ("InvalidParameterException", 400)


def test_invalid_definitions(ecs, aws, workdir, controlplane):
    bad = simple("bad")
    bad["containerDefinitions"][0]["portMappings"] = [{"containerPort": 80, "hostPort": 70000}]
    bad["containerDefinitions"].append({"name": "app", "image": "x", "memory": 64})
    path = workdir / "bad.json"
    path.write_text(json.dumps(bad))
    r = aws("ecs", "register-task-definition", "--cli-input-json", f"file://{path}")
    assert r.rc != 0
    assert "ClientException" in r.stderr
    assert "containerDefinitions[0].portMappings[0].hostPort" in r.stderr
    assert "containerDefinitions[1].name" in r.stderr

    with pytest.raises(ClientError) as e:
        ecs.register_task_definition(family="bad name", containerDefinitions=[
            {"name": "a", "image": "x", "memory": 64}])
    code, status, message = error_of(e)
    assert (code, status) == ("ClientException", 400)
    assert message.startswith("family: ")

    # Files the CLI itself refuses (unknown members) get the same named
    # reason from the server.
    for name, reason in sorted(REJECTED.items()):
        reply = raw_request(controlplane.endpoint, "RegisterTaskDefinition",
                            json.dumps(conformance(name)))
        assert reply.status == 400
        assert reply.error_type == "ClientException"
        assert reason in reply.json["message"]

    # Wrong JSON types: what the SDKs would refuse to send.
    for body in ('{"family": 5, "containerDefinitions": []}',
                 '{"family": "x", "containerDefinitions": [{"name": "a", "image": "i", "memory": "64"}]}',
                 '{"family": "x", "containerDefinitions": {}}',
                 '{"family": "x", "containerDefinitions": [], "tags": "t"}'):
        reply = raw_request(controlplane.endpoint, "RegisterTaskDefinition", body)
        assert (reply.status, reply.error_type) == (400, "SerializationException"), reply.body
    for op, body in (("DescribeTaskDefinition", '{"taskDefinition": 1}'),
                     ("DeregisterTaskDefinition", '{"taskDefinition": ["x:1"]}'),
                     ("ListTaskDefinitions", '{"maxResults": "5"}'),
                     ("ListTaskDefinitionFamilies", '{"familyPrefix": 3}')):
        reply = raw_request(controlplane.endpoint, op, body)
        assert (reply.status, reply.error_type) == (400, "SerializationException"), reply.body
    reply = raw_request(controlplane.endpoint, "DescribeTaskDefinition", "{}")
    assert (reply.status, reply.error_type) == (400, "InvalidParameterException")

    # Nothing was registered by any of it.
    assert ecs.list_task_definition_families()["families"] == []


def test_restart_keeps_everything(controlplane, ecs):
    ecs.register_task_definition(**simple("keep"), tags=[{"key": "k", "value": "v"}])
    ecs.register_task_definition(**simple("keep"))
    before = ecs.deregister_task_definition(taskDefinition="keep:2")["taskDefinition"]

    controlplane.restart()
    client = make_client(controlplane.endpoint)
    try:
        assert client.describe_task_definition(taskDefinition="keep:2")["taskDefinition"] == before
        d = client.describe_task_definition(taskDefinition="keep", include=["TAGS"])
        assert d["taskDefinition"]["revision"] == 1
        assert d["tags"] == [{"key": "k", "value": "v"}]
        assert client.list_task_definitions(status="INACTIVE")["taskDefinitionArns"] == [
            td_arn("keep:2")]
        assert client.register_task_definition(**simple("keep"))["taskDefinition"]["revision"] == 3
    finally:
        client.close()
