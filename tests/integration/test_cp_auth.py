# SPDX-License-Identifier: Apache-2.0
"""SigV4 authentication of the ECS API: what is refused, with which
exception and status, and --no-auth."""
import datetime
import http.client
import json

import botocore.auth
import botocore.credentials
import pytest
from botocore.awsrequest import AWSRequest
from botocore.exceptions import ClientError

from cp_fixtures import (AKID, SECRET, TARGET_PREFIX, controlplane,  # noqa: F401
                         controlplane_noauth, make_client, raw_request, workdir)


def test_signed_request_accepted(controlplane):
    r = raw_request(controlplane.endpoint, "ListClusters")
    assert r.status == 200, r.body
    assert r.json == {"clusterArns": []}
    assert r.headers["content-type"] == "application/x-amz-json-1.1"
    assert len(r.headers["x-amzn-requestid"]) == 36


def test_unsigned_request_refused(controlplane):
    r = raw_request(controlplane.endpoint, "ListClusters", sign=False)
    assert r.status == 403
    assert r.error_type == "MissingAuthenticationTokenException"


def test_wrong_secret_refused(controlplane):
    client = make_client(controlplane.endpoint, secret="not-the-secret")
    with pytest.raises(ClientError) as e:
        client.list_clusters()
    assert e.value.response["Error"]["Code"] == "InvalidSignatureException"
    assert e.value.response["ResponseMetadata"]["HTTPStatusCode"] == 400
    assert "signature we calculated does not match" in e.value.response["Error"]["Message"]


def test_unknown_access_key_refused(controlplane):
    client = make_client(controlplane.endpoint, access_key="AKIDUNKNOWN")
    with pytest.raises(ClientError) as e:
        client.create_cluster(clusterName="x")
    assert e.value.response["Error"]["Code"] == "UnrecognizedClientException"
    assert e.value.response["ResponseMetadata"]["HTTPStatusCode"] == 400


def test_tampered_body_refused(controlplane):
    # Sign one body and target, send another body under the same headers.
    req = AWSRequest(method="POST", url=controlplane.endpoint + "/", data=b'{"cluster":"a"}',
                     headers={"Content-Type": "application/x-amz-json-1.1",
                              "X-Amz-Target": TARGET_PREFIX + "DeleteCluster"})
    botocore.auth.SigV4Auth(botocore.credentials.Credentials(AKID, SECRET), "ecs",
                            "us-east-1").add_auth(req)
    conn = http.client.HTTPConnection("127.0.0.1", controlplane.port, timeout=10)
    try:
        conn.request("POST", "/", body=b'{"cluster":"b"}', headers=dict(req.headers.items()))
        resp = conn.getresponse()
        assert resp.status == 400
        assert json.loads(resp.read())["__type"] == "InvalidSignatureException"
    finally:
        conn.close()


@pytest.mark.parametrize("minutes", [-20, 20])
def test_clock_skew_refused(controlplane, minutes):
    when = datetime.datetime.utcnow() + datetime.timedelta(minutes=minutes)
    r = raw_request(controlplane.endpoint, "ListClusters", when=when)
    assert r.status == 400
    assert r.error_type == "InvalidSignatureException"
    assert "Signature expired" in r.json["message"] or "not yet current" in r.json["message"]


def test_small_clock_skew_accepted(controlplane):
    when = datetime.datetime.utcnow() - datetime.timedelta(minutes=10)
    assert raw_request(controlplane.endpoint, "ListClusters", when=when).status == 200


def test_wrong_region_or_service_refused(controlplane):
    r = raw_request(controlplane.endpoint, "ListClusters", region="eu-west-1")
    assert (r.status, r.error_type) == (400, "InvalidSignatureException")
    assert "region" in r.json["message"]
    r = raw_request(controlplane.endpoint, "ListClusters", service="sqs")
    assert (r.status, r.error_type) == (400, "InvalidSignatureException")


def test_malformed_authorization_refused(controlplane):
    r = raw_request(controlplane.endpoint, "ListClusters", sign=False,
                    headers={"Authorization": "AWS4-HMAC-SHA256 Credential=x"})
    assert (r.status, r.error_type) == (400, "IncompleteSignatureException")
    r = raw_request(controlplane.endpoint, "ListClusters", sign=False,
                    headers={"Authorization": "Basic dXNlcjpwYXNz"})
    assert (r.status, r.error_type) == (400, "IncompleteSignatureException")


def test_refusals_are_logged(controlplane):
    raw_request(controlplane.endpoint, "ListClusters", sign=False)
    assert "refused: MissingAuthenticationTokenException" in controlplane.log_text()


def test_no_auth_accepts_unsigned(controlplane_noauth):
    assert "AUTHENTICATION IS DISABLED" in controlplane_noauth.log_text()
    r = raw_request(controlplane_noauth.endpoint, "CreateCluster", '{"clusterName":"open"}',
                    sign=False)
    assert r.status == 200, r.body
    assert r.json["cluster"]["clusterName"] == "open"
    # Signed requests work too, with any key.
    client = make_client(controlplane_noauth.endpoint, access_key="ANY", secret="thing")
    assert client.list_clusters()["clusterArns"] == [
        "arn:aws:ecs:us-east-1:123456789012:cluster/open"]
    client.close()
