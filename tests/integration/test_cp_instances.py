# SPDX-License-Identifier: Apache-2.0
"""Container instances and attributes through the ECS API: the aws CLI and
boto3 against the real daemon (RegisterContainerInstance as the ECS agent
calls it, Describe/List/UpdateState/Deregister, Put/List/DeleteAttributes)."""
import datetime
import json

import botocore.exceptions
import pytest

from cp_fixtures import (ACCOUNT, REGION, ControlPlane, aws, controlplane, ecs,  # noqa: F401
                         insert_task, make_client, raw_request, read_task, workdir)

RESOURCES = [
    {"name": "CPU", "type": "INTEGER", "integerValue": 2048},
    {"name": "MEMORY", "type": "INTEGER", "integerValue": 3768},
    {"name": "PORTS", "type": "STRINGSET", "stringSetValue": ["22", "2375", "51678"]},
    {"name": "PORTS_UDP", "type": "STRINGSET", "stringSetValue": []},
]


def identity_doc(instance_id, itype="t3.medium", az="us-east-1b"):
    return json.dumps({"instanceId": instance_id, "instanceType": itype, "availabilityZone": az,
                       "imageId": "ami-0123", "region": REGION})


def register(ecs, instance_id="i-0001", cluster="default", attributes=(), **kw):
    return ecs.register_container_instance(
        cluster=cluster, instanceIdentityDocument=identity_doc(instance_id, **kw),
        instanceIdentityDocumentSignature="sig", totalResources=RESOURCES,
        versionInfo={"agentVersion": "1.80.0", "agentHash": "abc", "dockerVersion": "runc 1.1"},
        attributes=list(attributes))["containerInstance"]


def error_of(excinfo):
    return excinfo.value.response["Error"]["Code"], excinfo.value.response["Error"]["Message"]


def test_register_with_cli_and_describe(aws, ecs):
    assert aws("ecs", "create-cluster").rc == 0
    r = aws("ecs", "register-container-instance",
            "--instance-identity-document", identity_doc("i-0abc"),
            "--total-resources", json.dumps(RESOURCES),
            "--version-info", "agentVersion=1.80.0,agentHash=abc,dockerVersion=runc",
            "--attributes", "name=stack,value=prod", "name=com.amazonaws.ecs.capability.privileged-container",
            "--tags", "key=team,value=infra")
    assert r.rc == 0, r.stderr
    ci = r.json["containerInstance"]
    arn = ci["containerInstanceArn"]
    assert arn.startswith(f"arn:aws:ecs:{REGION}:{ACCOUNT}:container-instance/default/")
    assert len(arn.rsplit("/", 1)[1]) == 32
    assert ci["ec2InstanceId"] == "i-0abc"
    assert ci["status"] == "ACTIVE"
    assert ci["agentConnected"] is False
    assert ci["versionInfo"] == {"agentVersion": "1.80.0", "agentHash": "abc", "dockerVersion": "runc"}
    assert ci["registeredResources"][0] == {"name": "CPU", "type": "INTEGER", "doubleValue": 0.0,
                                            "longValue": 0, "integerValue": 2048}
    assert ci["remainingResources"] == ci["registeredResources"]
    attrs = {a["name"]: a.get("value") for a in ci["attributes"]}
    assert attrs["stack"] == "prod"
    assert attrs["com.amazonaws.ecs.capability.privileged-container"] is None
    assert attrs["ecs.os-type"] == "linux"
    assert attrs["ecs.instance-type"] == "t3.medium"
    assert attrs["ecs.availability-zone"] == "us-east-1b"
    assert attrs["ecs.ami-id"] == "ami-0123"
    assert "agentUpdateStatus" not in ci

    # boto3 parses the reply (timestamps become datetimes).
    d = ecs.describe_container_instances(containerInstances=[arn, "0" * 32], include=["TAGS"])
    (got,) = d["containerInstances"]
    assert isinstance(got["registeredAt"], datetime.datetime)
    assert abs(got["registeredAt"].timestamp() - datetime.datetime.now().timestamp()) < 60
    assert got["tags"] == [{"key": "team", "value": "infra"}]
    assert got["runningTasksCount"] == 0 and got["pendingTasksCount"] == 0
    assert d["failures"] == [{"arn": f"arn:aws:ecs:{REGION}:{ACCOUNT}:container-instance/default/{'0' * 32}",
                              "reason": "MISSING"}]
    # By id, too; health only when asked for.
    d = ecs.describe_container_instances(containerInstances=[arn.rsplit("/", 1)[1]],
                                         include=["CONTAINER_INSTANCE_HEALTH"])
    assert d["containerInstances"][0]["healthStatus"]["overallStatus"] == "INSUFFICIENT_DATA"
    assert "tags" not in d["containerInstances"][0]
    # Tags work through the tagging API.
    ecs.tag_resource(resourceArn=arn, tags=[{"key": "env", "value": "ci"}])
    assert {t["key"] for t in ecs.list_tags_for_resource(resourceArn=arn)["tags"]} == {"team", "env"}


def test_reregister_keeps_arn(ecs):
    ecs.create_cluster(clusterName="default")
    first = register(ecs, "i-1")
    again = register(ecs, "i-1")  # same EC2 instance: same container instance
    assert again["containerInstanceArn"] == first["containerInstanceArn"]
    bigger = [dict(r) for r in RESOURCES]
    bigger[0]["integerValue"] = 4096
    r = ecs.register_container_instance(containerInstanceArn=first["containerInstanceArn"],
                                        totalResources=bigger)["containerInstance"]
    assert r["containerInstanceArn"] == first["containerInstanceArn"]
    assert r["registeredResources"][0]["integerValue"] == 4096
    assert r["version"] > first["version"]
    other = register(ecs, "i-2")
    assert other["containerInstanceArn"] != first["containerInstanceArn"]
    with pytest.raises(botocore.exceptions.ClientError) as e:
        ecs.register_container_instance(containerInstanceArn="f" * 32, totalResources=RESOURCES)
    assert error_of(e)[0] == "InvalidParameterException"


def test_register_validation(ecs, controlplane):
    ecs.create_cluster(clusterName="default")
    bad = [
        {"totalResources": [{"name": "CPU", "type": "LONG", "longValue": 5}]},
        {"totalResources": [{"name": "CPU", "type": "NUMBER", "integerValue": 5}]},
        {"totalResources": [{"name": "PORTS", "type": "STRINGSET", "stringSetValue": ["http"]}]},
        {"attributes": [{"name": "bad name"}]},
        {"attributes": [{"name": "a", "value": " leading"}]},
        {"platformDevices": [{"id": "gpu0", "type": "TPU"}]},
    ]
    for body in bad:
        r = raw_request(controlplane.endpoint, "RegisterContainerInstance", json.dumps(body))
        assert (r.status, r.error_type) == (400, "InvalidParameterException"), (body, r.body)
    r = raw_request(controlplane.endpoint, "RegisterContainerInstance",
                    json.dumps({"totalResources": {"name": "CPU"}}))
    assert (r.status, r.error_type) == (400, "SerializationException")
    with pytest.raises(botocore.exceptions.ClientError) as e:
        ecs.register_container_instance(cluster="nope", totalResources=RESOURCES)
    assert error_of(e)[0] == "ClusterNotFoundException"


def test_list_filters_status_and_pages(ecs, aws):
    ecs.create_cluster(clusterName="default")
    arns = []
    for i in range(7):
        ci = register(ecs, f"i-{i:04d}", itype="t3.micro" if i % 2 else "m5.large",
                      az="us-east-1a" if i < 3 else "us-east-1c",
                      attributes=[{"name": "stack", "value": "prod" if i < 5 else "dev"}])
        arns.append(ci["containerInstanceArn"])

    def listed(**kw):
        pages = ecs.get_paginator("list_container_instances").paginate(
            PaginationConfig={"PageSize": 2}, **kw)
        return [a for p in pages for a in p["containerInstanceArns"]]

    assert sorted(listed()) == sorted(arns)
    assert len(listed(filter="attribute:ecs.instance-type == t3.micro")) == 3
    assert len(listed(filter="attribute:ecs.instance-type =~ m5.*")) == 4
    assert len(listed(filter="attribute:stack == prod and attribute:ecs.availability-zone in [us-east-1a]")) == 3
    assert len(listed(filter="attribute:stack == dev or ec2InstanceId == i-0000")) == 3
    assert len(listed(filter="not attribute:stack exists")) == 0
    assert len(listed(filter="agentConnected == false and runningTasksCount == 0")) == 7
    assert len(listed(filter="registeredAt > 2018-06-18")) == 7

    r = aws("ecs", "list-container-instances", "--filter", "attribute:stack == prod")
    assert r.rc == 0 and len(r.json["containerInstanceArns"]) == 5

    for bad, part in [("task:group == service:web", "task:group"),
                      ("attribute:stack is prod", "operator"),
                      ("attribute:stack == prod and", "end of the expression"),
                      ("color == red", "color")]:
        with pytest.raises(botocore.exceptions.ClientError) as e:
            ecs.list_container_instances(filter=bad)
        code, msg = error_of(e)
        assert code == "InvalidParameterException" and part in msg, msg

    ecs.update_container_instances_state(containerInstances=arns[:2], status="DRAINING")
    assert sorted(listed(status="DRAINING")) == sorted(arns[:2])
    assert len(listed(status="ACTIVE")) == 5
    assert listed(status="REGISTERING") == []
    r = aws("ecs", "list-container-instances", "--status", "INACTIVE")
    assert r.rc != 0 and "InvalidParameterException" in r.stderr
    with pytest.raises(botocore.exceptions.ClientError) as e:
        ecs.list_container_instances(nextToken="garbage")
    assert error_of(e)[0] == "InvalidParameterException"


def test_update_state(ecs):
    ecs.create_cluster(clusterName="default")
    arn = register(ecs)["containerInstanceArn"]
    r = ecs.update_container_instances_state(containerInstances=[arn, "f" * 32], status="DRAINING")
    assert [c["status"] for c in r["containerInstances"]] == ["DRAINING"]
    assert r["failures"][0]["reason"] == "MISSING"
    r = ecs.update_container_instances_state(containerInstances=[arn], status="ACTIVE")
    assert r["containerInstances"][0]["status"] == "ACTIVE"
    for status in ("DEREGISTERING", "REGISTRATION_FAILED", "INACTIVE"):
        with pytest.raises(botocore.exceptions.ClientError) as e:
            ecs.update_container_instances_state(containerInstances=[arn], status=status)
        assert error_of(e)[0] == "InvalidParameterException"


def test_deregister_force_rules(ecs, controlplane):
    ecs.create_cluster(clusterName="default")
    idle = register(ecs, "i-idle")["containerInstanceArn"]
    busy = register(ecs, "i-busy")["containerInstanceArn"]
    task = insert_task(controlplane, busy, "0123456789abcdef0123456789abcdef", last_status="RUNNING",
                       cpu=512, memory=1024, host_ports={"tcp": [8080]})
    ecs = make_client(controlplane.endpoint)  # the restart moved the port
    d = ecs.describe_container_instances(containerInstances=[busy])["containerInstances"][0]
    assert d["runningTasksCount"] == 1
    remaining = {r["name"]: r for r in d["remainingResources"]}
    assert remaining["CPU"]["integerValue"] == 2048 - 512
    assert remaining["MEMORY"]["integerValue"] == 3768 - 1024
    assert "8080" in remaining["PORTS"]["stringSetValue"]

    with pytest.raises(botocore.exceptions.ClientError) as e:
        ecs.delete_cluster(cluster="default")
    assert error_of(e)[0] == "ClusterContainsContainerInstancesException"
    r = ecs.deregister_container_instance(containerInstance=idle)["containerInstance"]
    assert r["status"] == "INACTIVE"
    with pytest.raises(botocore.exceptions.ClientError) as e:
        ecs.deregister_container_instance(containerInstance=busy)
    assert error_of(e) == ("InvalidParameterException", "Found running tasks on the instance.")
    r = ecs.deregister_container_instance(containerInstance=busy, force=True)["containerInstance"]
    assert r["status"] == "INACTIVE" and r["runningTasksCount"] == 0
    row, containers = read_task(controlplane, task)
    assert (row["last_status"], row["desired_status"]) == ("STOPPED", "STOPPED")
    assert row["stopped_reason"] == "Container instance deregistered"
    assert [c["last_status"] for c in containers] == ["STOPPED"]

    # INACTIVE instances are still described, no longer listed, and
    # deregistering again is harmless.
    assert ecs.describe_container_instances(containerInstances=[busy])["containerInstances"][0]["status"] == "INACTIVE"
    assert ecs.list_container_instances()["containerInstanceArns"] == []
    assert ecs.deregister_container_instance(containerInstance=busy)["containerInstance"]["status"] == "INACTIVE"
    with pytest.raises(botocore.exceptions.ClientError) as e:
        ecs.deregister_container_instance(containerInstance="f" * 32)
    assert error_of(e)[0] == "InvalidParameterException"
    assert ecs.delete_cluster(cluster="default")["cluster"]["status"] == "INACTIVE"


def test_attributes(ecs, aws):
    ecs.create_cluster(clusterName="default")
    a = register(ecs, "i-a")["containerInstanceArn"]
    b = register(ecs, "i-b")["containerInstanceArn"]
    r = aws("ecs", "put-attributes", "--attributes",
            f"name=stack,value=prod,targetId={a}", f"name=gpu,targetType=container-instance,targetId={b.rsplit('/', 1)[1]}")
    assert r.rc == 0, r.stderr
    assert r.json["attributes"][1] == {"name": "gpu", "targetType": "container-instance", "targetId": b}

    listed = ecs.list_attributes(targetType="container-instance", attributeName="stack")["attributes"]
    assert listed == [{"name": "stack", "value": "prod", "targetType": "container-instance", "targetId": a}]
    listed = ecs.list_attributes(targetType="container-instance", attributeName="stack",
                                 attributeValue="dev")["attributes"]
    assert listed == []
    pages = ecs.get_paginator("list_attributes").paginate(targetType="container-instance",
                                                         PaginationConfig={"PageSize": 3})
    every = [x for p in pages for x in p["attributes"]]
    assert len(every) == len({(x["targetId"], x["name"]) for x in every})
    assert {"stack", "gpu", "ecs.os-type", "ecs.instance-type"} <= {x["name"] for x in every}

    # The filter language sees attributes set later.
    assert ecs.list_container_instances(filter="attribute:gpu exists")["containerInstanceArns"] == [b]

    ecs.delete_attributes(attributes=[{"name": "gpu", "targetId": b}])
    assert ecs.list_container_instances(filter="attribute:gpu exists")["containerInstanceArns"] == []

    # Re-registration replaces what the agent reported, keeps what users set.
    register(ecs, "i-a", attributes=[{"name": "agent-fact", "value": "1"}])
    names = {x["name"] for x in ecs.describe_container_instances(containerInstances=[a])
             ["containerInstances"][0]["attributes"]}
    assert "stack" in names and "agent-fact" in names

    many = [{"name": f"k{i}", "value": "v", "targetId": a} for i in range(10)]
    with pytest.raises(botocore.exceptions.ClientError) as e:
        ecs.put_attributes(attributes=many)  # with "stack": 11 custom attributes
    assert error_of(e)[0] == "AttributeLimitExceededException"
    with pytest.raises(botocore.exceptions.ClientError) as e:
        ecs.put_attributes(attributes=many + [{"name": "x", "targetId": a}])
    assert error_of(e)[0] == "InvalidParameterException"
    with pytest.raises(botocore.exceptions.ClientError) as e:
        ecs.put_attributes(attributes=[{"name": "x", "targetId": "f" * 32}])
    assert error_of(e)[0] == "TargetNotFoundException"
    with pytest.raises(botocore.exceptions.ClientError) as e:
        ecs.put_attributes(attributes=[{"name": "x"}])
    assert error_of(e)[0] == "InvalidParameterException"
    with pytest.raises(botocore.exceptions.ClientError) as e:
        ecs.put_attributes(attributes=[{"name": "x", "value": "a" * 129, "targetId": a}])
    assert error_of(e)[0] == "InvalidParameterException"
    with pytest.raises(botocore.exceptions.ClientError) as e:
        ecs.list_attributes(targetType="container-instance", attributeValue="prod")
    assert error_of(e)[0] == "InvalidParameterException"


@pytest.mark.parametrize("operation,body", [
    ("DescribeContainerInstances", {"containerInstances": "abc"}),
    ("ListContainerInstances", {"filter": 5}),
    ("UpdateContainerInstancesState", {"containerInstances": [1], "status": "ACTIVE"}),
    ("PutAttributes", {"attributes": {"name": "x"}}),
    ("DeregisterContainerInstance", {"containerInstance": "x", "force": "yes"}),
    ("RegisterContainerInstance", {"attributes": [{"name": 5}]}),
])
def test_wrong_types(controlplane, operation, body):
    raw_request(controlplane.endpoint, "CreateCluster", "{}")
    r = raw_request(controlplane.endpoint, operation, json.dumps(body))
    assert (r.status, r.error_type) == (400, "SerializationException"), r.body


@pytest.mark.parametrize("operation,body", [
    ("DescribeContainerInstances", {"containerInstances": []}),
    ("DescribeContainerInstances", {"containerInstances": ["a"] * 101}),
    ("DescribeContainerInstances", {"containerInstances": ["a"], "include": ["NOPE"]}),
    ("UpdateContainerInstancesState", {"containerInstances": ["a"]}),
    ("DeregisterContainerInstance", {}),
    ("ListAttributes", {"targetType": "task"}),
    ("ListContainerInstances", {"maxResults": 101}),
    ("PutAttributes", {"attributes": []}),
])
def test_invalid_parameters(controlplane, operation, body):
    raw_request(controlplane.endpoint, "CreateCluster", "{}")
    r = raw_request(controlplane.endpoint, operation, json.dumps(body))
    assert (r.status, r.error_type) == (400, "InvalidParameterException"), r.body


def test_unknown_cluster(ecs):
    for call in (lambda: ecs.list_container_instances(cluster="nope"),
                 lambda: ecs.describe_container_instances(cluster="nope", containerInstances=["a"]),
                 lambda: ecs.list_attributes(cluster="nope", targetType="container-instance")):
        with pytest.raises(botocore.exceptions.ClientError) as e:
            call()
        assert error_of(e)[0] == "ClusterNotFoundException"


def test_restart_keeps_instances(workdir):
    cp = ControlPlane(workdir).start()
    try:
        client = make_client(cp.endpoint)
        client.create_cluster(clusterName="default")
        arn = register(client, "i-keep", attributes=[{"name": "stack", "value": "prod"}])["containerInstanceArn"]
        client.put_attributes(attributes=[{"name": "role", "value": "db", "targetId": arn}])
        client.close()
        cp.restart()
        client = make_client(cp.endpoint)
        (ci,) = client.describe_container_instances(containerInstances=[arn])["containerInstances"]
        names = {a["name"]: a.get("value") for a in ci["attributes"]}
        assert names["stack"] == "prod" and names["role"] == "db"
        client.close()
    finally:
        cp.kill()
