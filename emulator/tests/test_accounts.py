"""Multiple accounts through sts:AssumeRole, ExternalId, regions that are not enabled."""

from __future__ import annotations

import json
import urllib.error
import urllib.request

import pytest
from botocore.exceptions import ClientError
from conftest import ACCOUNT, REGION, fn_arn

OTHER = "111111111111"
ROLE = f"arn:aws:iam::{OTHER}:role/snapstart-cleaner"


def test_caller_identity_default_and_assumed(emulator):
    assert emulator.client("sts").get_caller_identity()["Account"] == ACCOUNT
    creds = emulator.assume(OTHER)
    identity = emulator.client("sts", credentials=creds).get_caller_identity()
    assert identity["Account"] == OTHER
    assert identity["Arn"] == f"arn:aws:sts::{OTHER}:assumed-role/snapstart-cleaner/cleaner"


def test_assumed_credentials_act_on_the_other_account(emulator, lam, seed):
    seed({"functions": [{"name": "home", "versions": 1}]})
    out = seed({"account_id": OTHER, "functions": [{"name": "away", "snapstart": True, "versions": 2}]})
    assert out["account_id"] == OTHER
    other = emulator.client("lambda", credentials=emulator.assume(OTHER))
    assert [f["FunctionName"] for f in lam.list_functions()["Functions"]] == ["home"]
    assert [f["FunctionName"] for f in other.list_functions()["Functions"]] == ["away"]
    cfg = other.get_function_configuration(FunctionName="away", Qualifier="2")
    assert cfg["FunctionArn"] == fn_arn("away", "2", account=OTHER)
    assert cfg["SnapStart"]["OptimizationStatus"] == "On"
    with pytest.raises(lam.exceptions.ResourceNotFoundException):
        lam.get_function_configuration(FunctionName="away")
    # Deletion acts on the other account only.
    other.delete_function(FunctionName="away", Qualifier="1")
    assert [v["Version"] for v in other.list_versions_by_function(FunctionName="away")["Versions"]] == [
        "$LATEST", "2"]


def test_control_version_and_request_log_per_account(emulator, seed):
    seed({"account_id": OTHER, "functions": [{"name": "f", "versions": 1}]})
    creds = emulator.assume(OTHER)
    other = emulator.client("lambda", credentials=creds)
    status, _ = emulator.call("POST", "/_emulator/lambda/version", {"function_name": "f", "version": "1"})
    assert status == 404  # not in the default account
    out = emulator.control("POST", "/_emulator/lambda/version", {
        "function_name": "f", "version": "1", "account_id": OTHER, "state": "Inactive",
        "state_reason_code": "Idle"})
    assert out["FunctionArn"] == fn_arn("f", "1", account=OTHER)
    assert other.get_function_configuration(FunctionName="f", Qualifier="1")["State"] == "Inactive"

    emulator.control("DELETE", "/_emulator/requests")
    other.list_functions()
    emulator.client("lambda").list_functions()
    log = emulator.control("GET", "/_emulator/requests")
    assert [(e["account_id"], e["access_key"]) for e in log] == [
        (OTHER, creds["AccessKeyId"]), (ACCOUNT, "testing")]
    assert emulator.control("GET", f"/_emulator/requests?account_id={OTHER}") == [log[0]]
    assert emulator.control("GET", "/_emulator/requests?access_key=testing") == [log[1]]


def test_fault_can_target_one_account(emulator, seed):
    seed({"functions": [{"name": "f"}]})
    seed({"account_id": OTHER, "functions": [{"name": "f"}]})
    emulator.control("POST", "/_emulator/faults", {
        "service": "lambda", "operation": "ListAliases", "count": -1, "match": {"AccountId": OTHER}})
    other = emulator.client("lambda", credentials=emulator.assume(OTHER))
    with pytest.raises(other.exceptions.ServiceException):
        other.list_aliases(FunctionName="f")
    assert emulator.client("lambda").list_aliases(FunctionName="f")["Aliases"] == []


def test_cloudwatch_and_sns_per_account(emulator, seed):
    seed({"account_id": OTHER, "sns_topics": ["t"],
          "metrics": [{"metric_name": "Invocations", "dimensions": {"FunctionName": "f"},
                       "timestamps": ["2026-01-01T00:00:00Z"], "values": [1]}]})
    creds = emulator.assume(OTHER)
    assert emulator.client("sns", credentials=creds).list_topics()["Topics"] == [
        {"TopicArn": f"arn:aws:sns:{REGION}:{OTHER}:t"}]
    assert emulator.client("sns").list_topics()["Topics"] == []
    assert len(emulator.client("cloudwatch", credentials=creds).list_metrics()["Metrics"]) == 1
    assert emulator.client("cloudwatch").list_metrics()["Metrics"] == []


def test_external_id_required_by_a_seeded_role(emulator, seed):
    seed({"roles": [{"arn": ROLE, "external_id": "cleaner-ext"}]})
    sts = emulator.client("sts")
    for external_id in (None, "wrong-id"):
        with pytest.raises(ClientError) as exc:
            emulator.assume(OTHER, external_id)
        err = exc.value.response
        assert err["Error"]["Code"] == "AccessDenied"
        assert err["ResponseMetadata"]["HTTPStatusCode"] == 403
        assert ROLE in err["Error"]["Message"]
    creds = emulator.assume(OTHER, "cleaner-ext")
    assert emulator.client("sts", credentials=creds).get_caller_identity()["Account"] == OTHER
    # Roles not listed accept any AssumeRole.
    sts.assume_role(RoleArn="arn:aws:iam::222222222222:role/other", RoleSessionName="s1")
    emulator.control("POST", "/_emulator/reset")
    assert emulator.assume(OTHER)["AccessKeyId"]


def test_bad_account_id_in_scenario(emulator):
    status, body = emulator.call("POST", "/_emulator/seed", {"account_id": "12345"})
    assert status == 400 and "account_id" in body["error"]


# ---------------------------------------------------------------- disabled regions

def _raw(emulator, path: str, region: str) -> tuple[int, dict, dict]:
    req = urllib.request.Request(emulator.endpoint + path, headers={
        "Authorization": f"AWS4-HMAC-SHA256 Credential=k/20261120/{region}/lambda/aws4_request"})
    try:
        with urllib.request.urlopen(req) as resp:
            return resp.status, dict(resp.headers), json.load(resp)
    except urllib.error.HTTPError as err:
        return err.code, dict(err.headers), json.load(err)


def test_disabled_region_refuses_lambda_cloudwatch_tagging_and_sts(emulator, seed):
    seed({"region": "ap-east-1", "functions": [{"name": "f"}]})
    assert emulator.control("POST", "/_emulator/regions", {"disabled": ["ap-east-1"]}) == {
        "disabled": ["ap-east-1"]}
    assert emulator.control("GET", "/_emulator/regions") == {"disabled": ["ap-east-1"]}
    lam = emulator.client("lambda", region="ap-east-1")
    with pytest.raises(ClientError) as exc:
        lam.list_functions()
    err = exc.value.response
    assert err["Error"]["Code"] == "UnrecognizedClientException"
    assert err["Error"]["Message"] == "The security token included in the request is invalid."
    assert err["ResponseMetadata"]["HTTPStatusCode"] == 403
    status, headers, _ = _raw(emulator, "/2015-03-31/functions/f/configuration", "ap-east-1")
    assert status == 403 and headers["x-amzn-errortype"] == "UnrecognizedClientException"
    with pytest.raises(ClientError) as exc:
        emulator.client("resourcegroupstaggingapi", region="ap-east-1").get_resources()
    assert exc.value.response["Error"]["Code"] == "UnrecognizedClientException"
    with pytest.raises(ClientError) as exc:
        emulator.client("cloudwatch", region="ap-east-1").list_metrics()
    assert exc.value.response["Error"]["Code"] == "InvalidClientTokenId"
    assert exc.value.response["ResponseMetadata"]["HTTPStatusCode"] == 403
    assert exc.value.response["Error"]["Message"] == "The security token included in the request is invalid"
    with pytest.raises(ClientError) as exc:
        emulator.client("sts", region="ap-east-1").get_caller_identity()
    assert exc.value.response["Error"]["Code"] == "InvalidClientTokenId"
    assert exc.value.response["ResponseMetadata"]["HTTPStatusCode"] == 403
    # Other regions keep working; the refusals are logged.
    assert emulator.client("lambda").list_functions()["Functions"] == []
    assert emulator.client("sts", region="us-west-2").get_caller_identity()["Account"] == ACCOUNT
    refused = emulator.control("GET", "/_emulator/requests?region=ap-east-1&service=lambda")
    assert [e["status"] for e in refused] == [403, 403]

    emulator.control("POST", "/_emulator/regions", {"disabled": []})
    assert [f["FunctionName"] for f in lam.list_functions()["Functions"]] == ["f"]


def test_disabled_region_from_seed_and_reset(emulator, seed):
    seed({"disabled_regions": ["me-south-1"]})
    with pytest.raises(ClientError):
        emulator.client("lambda", region="me-south-1").list_functions()
    emulator.control("POST", "/_emulator/reset")
    assert emulator.control("GET", "/_emulator/regions") == {"disabled": []}
    assert emulator.client("lambda", region="me-south-1").list_functions()["Functions"] == []
    status, body = emulator.call("POST", "/_emulator/regions", {"disabled": "me-south-1"})
    assert status == 400


def test_seed_cli_account_and_bench_size(emulator):
    import seed as seed_cli

    assert seed_cli.main(["--endpoint", emulator.endpoint, "--scenario", "bench", "--functions", "3",
                          "--versions", "2", "--account-id", OTHER]) == 0
    other = emulator.client("lambda", credentials=emulator.assume(OTHER))
    listed = other.list_functions(FunctionVersion="ALL")["Functions"]
    assert len(listed) == 3 * 3
    assert emulator.client("lambda").list_functions()["Functions"] == []
