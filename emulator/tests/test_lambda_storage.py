"""CodeSize per version, GetAccountSettings, GetFunction's Configuration, Lambda@Edge replicas."""

from __future__ import annotations

import base64
import re

import pytest
from conftest import fn_arn

from snapemu.seeding import ZIP_B64

TINY = len(base64.b64decode(ZIP_B64))
AWS_TS = re.compile(r"^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{3}\+0000$")


@pytest.fixture
def sized(seed):
    seed({"functions": [
        {"name": "big", "snapstart": True, "latest": {"code_size": 1000},
         "versions": [{"code_size": 5000}, {"code_size": 7000, "state": "Inactive",
                                            "state_reason_code": "Idle"}]},
        {"name": "small", "versions": 1},
    ]})


def test_code_size_everywhere(lam, sized):
    assert lam.get_function_configuration(FunctionName="big", Qualifier="1")["CodeSize"] == 5000
    assert lam.get_function(FunctionName="big", Qualifier="2")["Configuration"]["CodeSize"] == 7000
    assert lam.get_function(FunctionName="big")["Configuration"]["CodeSize"] == 1000
    assert [v["CodeSize"] for v in lam.list_versions_by_function(FunctionName="big")["Versions"]] == [
        1000, 5000, 7000]
    listed = {(f["FunctionName"], f["Version"]): f["CodeSize"]
              for f in lam.list_functions(FunctionVersion="ALL")["Functions"]}
    assert listed == {("big", "$LATEST"): 1000, ("big", "1"): 5000, ("big", "2"): 7000,
                      ("small", "$LATEST"): TINY, ("small", "1"): TINY}
    assert TINY > 0


def test_account_settings(emulator, lam, sized):
    settings = lam.get_account_settings()
    assert settings["AccountLimit"] == {
        "TotalCodeSize": 80530636800, "CodeSizeUnzipped": 262144000, "CodeSizeZipped": 52428800,
        "ConcurrentExecutions": 1000, "UnreservedConcurrentExecutions": 1000}
    assert settings["AccountUsage"] == {"TotalCodeSize": 1000 + 5000 + 7000 + 2 * TINY, "FunctionCount": 2}
    lam.delete_function(FunctionName="big", Qualifier="2")
    lam.put_function_concurrency(FunctionName="small", ReservedConcurrentExecutions=100)
    settings = lam.get_account_settings()
    assert settings["AccountUsage"]["TotalCodeSize"] == 6000 + 2 * TINY
    assert settings["AccountLimit"]["UnreservedConcurrentExecutions"] == 900
    # Per region: another region is empty.
    other = emulator.client("lambda", region="eu-west-1").get_account_settings()
    assert other["AccountUsage"] == {"TotalCodeSize": 0, "FunctionCount": 0}


def test_account_limit_from_seed_and_control_code_size(emulator, lam, seed):
    seed({"account_settings": {"total_code_size": 20000}, "functions": [{"name": "f", "versions": 1}]})
    assert lam.get_account_settings()["AccountLimit"]["TotalCodeSize"] == 20000
    out = emulator.control("POST", "/_emulator/lambda/version",
                           {"function_name": "f", "version": "1", "code_size": 12345})
    assert out["CodeSize"] == 12345
    assert lam.get_account_settings()["AccountUsage"]["TotalCodeSize"] == 12345 + TINY


def test_get_function_configuration_matches_get_function_configuration(emulator, lam, sized):
    emulator.control("POST", "/_emulator/lambda/version", {
        "function_name": "big", "version": "1", "state": "Failed", "state_reason_code": "FunctionError",
        "last_modified": "2024-01-02T03:04:05Z"})
    for qualifier in ("1", "2", "$LATEST"):
        full = lam.get_function(FunctionName="big", Qualifier=qualifier)["Configuration"]
        config = lam.get_function_configuration(FunctionName="big", Qualifier=qualifier)
        for key in ("State", "StateReasonCode", "LastUpdateStatus", "SnapStart", "CodeSize", "LastModified",
                    "Version", "FunctionArn"):
            assert full.get(key) == config.get(key), (qualifier, key)
        assert AWS_TS.match(full["LastModified"])
    cfg = lam.get_function(FunctionName=fn_arn("big", "1"))["Configuration"]
    assert (cfg["State"], cfg["StateReasonCode"], cfg["LastModified"]) == (
        "Failed", "FunctionError", "2024-01-02T03:04:05.000+0000")
    assert cfg["SnapStart"] == {"ApplyOn": "PublishedVersions", "OptimizationStatus": "On"}
    assert cfg["LastUpdateStatus"] == "Successful"
    assert lam.get_function(FunctionName="big", Qualifier="2")["Configuration"]["StateReasonCode"] == "Idle"


# ---------------------------------------------------------------- Lambda@Edge

EDGE = "arn:aws:lambda:us-east-1:123456789012:function:edge-fn"


def test_replicated_version_cannot_be_deleted(emulator, seed):
    seed({"region": "us-east-1", "functions": [
        {"name": "edge-fn", "versions": [{"replicated": True}, {}, {}]}]})
    lam = emulator.client("lambda", region="us-east-1")
    with pytest.raises(lam.exceptions.InvalidParameterValueException) as exc:
        lam.delete_function(FunctionName="edge-fn", Qualifier="1")
    assert exc.value.response["ResponseMetadata"]["HTTPStatusCode"] == 400
    assert exc.value.response["Error"]["Message"] == (
        f"Lambda was unable to delete {EDGE}:1 because it is a replicated function. "
        "Please see our documentation for Deleting Lambda@Edge Functions and Replicas.")
    with pytest.raises(lam.exceptions.InvalidParameterValueException):
        lam.delete_function(FunctionName="edge-fn")  # nor the function while a replica exists
    lam.delete_function(FunctionName="edge-fn", Qualifier="2")

    out = emulator.control("POST", "/_emulator/lambda/version", {
        "function_name": "edge-fn", "version": "3", "replicated": True, "region": "us-east-1"})
    assert out["Replicated"] is True
    with pytest.raises(lam.exceptions.InvalidParameterValueException):
        lam.delete_function(FunctionName=f"{EDGE}:3")
    emulator.control("POST", "/_emulator/lambda/version",
                     {"function_name": "edge-fn", "version": "1", "replicated": False})
    emulator.control("POST", "/_emulator/lambda/version",
                     {"function_name": "edge-fn", "version": "3", "replicated": False})
    lam.delete_function(FunctionName="edge-fn")
    status, body = emulator.call("POST", "/_emulator/seed", {
        "functions": [{"name": "x", "latest": {"replicated": True}}]})
    assert status == 400
