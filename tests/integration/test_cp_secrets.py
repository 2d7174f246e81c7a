# SPDX-License-Identifier: Apache-2.0
"""The control plane's minimal Secrets Manager API, driven by the real aws
CLI (secretsmanager create-secret, get-secret-value, put-secret-value,
list-secrets, describe-secret, delete-secret), its SigV4 service scope, and
persistence across a restart."""
import json
import re

from cp_fixtures import (ACCOUNT, REGION, aws, controlplane, raw_request,  # noqa: F401
                         workdir)

SM = "secretsmanager"
CREDS = json.dumps({"username": "alice", "password": "pw-1"})


def ok(r):
    assert r.rc == 0, r.stderr
    return r.json if r.stdout.strip() else {}


def error_code(r):
    assert r.rc != 0, r.stdout
    m = re.search(r"\((\w+)\)", r.stderr)
    return m.group(1) if m else r.stderr


def test_create_get_put_list_delete(aws):
    created = ok(aws(SM, "create-secret", "--name", "team/registry", "--secret-string", CREDS,
                     "--description", "pull creds"))
    arn = created["ARN"]
    assert re.fullmatch(rf"arn:aws:secretsmanager:{REGION}:{ACCOUNT}:secret:team/registry-"
                        r"[A-Za-z0-9]{6}", arn), arn
    assert created["Name"] == "team/registry"
    assert created["VersionId"]

    for ref in (arn, "team/registry", arn[:-7]):
        got = ok(aws(SM, "get-secret-value", "--secret-id", ref))
        assert got["ARN"] == arn
        assert json.loads(got["SecretString"]) == {"username": "alice", "password": "pw-1"}
        assert got["VersionStages"] == ["AWSCURRENT"]
        assert got["VersionId"] == created["VersionId"]

    put = ok(aws(SM, "put-secret-value", "--secret-id", arn, "--secret-string", "v2"))
    assert put["VersionId"] != created["VersionId"]
    assert ok(aws(SM, "get-secret-value", "--secret-id", arn))["SecretString"] == "v2"

    desc = ok(aws(SM, "describe-secret", "--secret-id", arn))
    assert desc["Description"] == "pull creds"
    assert "SecretString" not in desc

    ok(aws(SM, "create-secret", "--name", "other", "--secret-string", "x"))
    names = [s["Name"] for s in ok(aws(SM, "list-secrets"))["SecretList"]]
    assert names == ["other", "team/registry"]
    # The CLI pages through a small page size by itself.
    paged = ok(aws(SM, "list-secrets", "--page-size", "1"))
    assert [s["Name"] for s in paged["SecretList"]] == names

    deleted = ok(aws(SM, "delete-secret", "--secret-id", arn, "--force-delete-without-recovery"))
    assert deleted["ARN"] == arn and "DeletionDate" in deleted
    assert error_code(aws(SM, "get-secret-value", "--secret-id", arn)) == \
        "ResourceNotFoundException"
    assert [s["Name"] for s in ok(aws(SM, "list-secrets"))["SecretList"]] == ["other"]


def test_errors_have_secrets_manager_names(aws):
    ok(aws(SM, "create-secret", "--name", "dup", "--secret-string", "x"))
    assert error_code(aws(SM, "create-secret", "--name", "dup", "--secret-string", "y")) == \
        "ResourceExistsException"
    assert error_code(aws(SM, "get-secret-value", "--secret-id", "nope")) == \
        "ResourceNotFoundException"
    assert error_code(aws(SM, "create-secret", "--name", "bad name!", "--secret-string", "x")) \
        == "InvalidParameterException"
    assert error_code(aws(SM, "delete-secret", "--secret-id", "dup", "--recovery-window-in-days",
                          "7", "--force-delete-without-recovery")) == "InvalidParameterException"
    # Scheduled for deletion: unusable until restored
    ok(aws(SM, "delete-secret", "--secret-id", "dup", "--recovery-window-in-days", "7"))
    assert error_code(aws(SM, "get-secret-value", "--secret-id", "dup")) == \
        "InvalidRequestException"
    assert error_code(aws(SM, "create-secret", "--name", "dup", "--secret-string", "y")) == \
        "InvalidRequestException"
    listed = ok(aws(SM, "list-secrets", "--include-planned-deletion"))["SecretList"]
    assert [s["Name"] for s in listed] == ["dup"] and "DeletedDate" in listed[0]
    ok(aws(SM, "restore-secret", "--secret-id", "dup"))
    assert ok(aws(SM, "get-secret-value", "--secret-id", "dup"))["SecretString"] == "x"


def test_signature_scope_must_match_the_target(controlplane):
    target = "secretsmanager.ListSecrets"
    r = raw_request(controlplane.endpoint, target=target, service="secretsmanager")
    assert r.status == 200, r.body
    assert r.json == {"SecretList": []}
    # An ECS-scoped signature does not open Secrets Manager, nor the reverse.
    r = raw_request(controlplane.endpoint, target=target, service="ecs")
    assert r.status == 400 and r.error_type == "InvalidSignatureException", r.body
    assert "secretsmanager" in r.json["message"]
    r = raw_request(controlplane.endpoint, "ListClusters", service="secretsmanager")
    assert r.status == 400 and r.error_type == "InvalidSignatureException", r.body
    r = raw_request(controlplane.endpoint, target="secretsmanager.NoSuchThing",
                    service="secretsmanager")
    assert r.status == 400 and r.error_type == "UnknownOperationException"
    r = raw_request(controlplane.endpoint, target=target, sign=False)
    assert r.status == 403


def test_secrets_survive_a_restart(controlplane, aws):
    arn = ok(aws(SM, "create-secret", "--name", "durable", "--secret-string", CREDS))["ARN"]
    controlplane.restart()
    assert ok(aws(SM, "get-secret-value", "--secret-id", arn))["SecretString"] == CREDS
