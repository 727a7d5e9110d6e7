"""Resource-based policies per qualifier: AddPermission, GetPolicy, RemovePermission."""

from __future__ import annotations

import json

import pytest
from conftest import fn_arn

APIGW_ARN = "arn:aws:execute-api:us-west-2:123456789012:abc123/*/GET/orders"


@pytest.fixture
def fn(seed):
    seed({"functions": [{"name": "f", "versions": 4, "aliases": [{"name": "live", "version": "4"}],
                         "permissions": [{"qualifier": "3", "principal": "apigateway.amazonaws.com",
                                          "source_arn": APIGW_ARN, "statement_id": "apigw"}]}]})


def _statements(lam, **kwargs):
    answer = lam.get_policy(FunctionName="f", **kwargs)
    assert answer["RevisionId"]
    return json.loads(answer["Policy"])["Statement"]


def test_seeded_permission_is_on_its_version_only(lam, fn):
    assert _statements(lam, Qualifier="3") == [{
        "Sid": "apigw", "Effect": "Allow", "Principal": {"Service": "apigateway.amazonaws.com"},
        "Action": "lambda:InvokeFunction", "Resource": fn_arn("f", "3"),
        "Condition": {"ArnLike": {"AWS:SourceArn": APIGW_ARN}}}]
    for kwargs in ({"Qualifier": "2"}, {"Qualifier": "live"}, {}):
        with pytest.raises(lam.exceptions.ResourceNotFoundException) as exc:
            lam.get_policy(FunctionName="f", **kwargs)
        assert exc.value.response["Error"]["Message"] == "The resource you requested does not exist."
        assert exc.value.response["ResponseMetadata"]["HTTPStatusCode"] == 404


def test_add_permission_per_qualifier(lam, fn):
    out = lam.add_permission(FunctionName="f", StatementId="s3", Action="lambda:InvokeFunction",
                             Principal="s3.amazonaws.com", Qualifier="2")
    assert json.loads(out["Statement"])["Resource"] == fn_arn("f", "2")
    lam.add_permission(FunctionName="f", StatementId="events", Action="lambda:InvokeFunction",
                       Principal="events.amazonaws.com")
    lam.add_permission(FunctionName=fn_arn("f", "live"), StatementId="sns", Action="lambda:InvokeFunction",
                       Principal="sns.amazonaws.com")
    assert [s["Sid"] for s in _statements(lam, Qualifier="2")] == ["s3"]
    assert [(s["Sid"], s["Resource"]) for s in _statements(lam)] == [("events", fn_arn("f"))]
    assert [s["Resource"] for s in _statements(lam, Qualifier="live")] == [fn_arn("f", "live")]
    assert [s["Sid"] for s in _statements(lam, Qualifier="3")] == ["apigw"]
    with pytest.raises(lam.exceptions.ResourceConflictException):
        lam.add_permission(FunctionName="f", StatementId="s3", Action="lambda:InvokeFunction",
                           Principal="s3.amazonaws.com", Qualifier="2")
    with pytest.raises(lam.exceptions.ResourceNotFoundException):
        lam.add_permission(FunctionName="f", StatementId="x", Action="lambda:InvokeFunction",
                           Principal="s3.amazonaws.com", Qualifier="9")


def test_remove_permission_and_delete_version(lam, fn):
    lam.add_permission(FunctionName="f", StatementId="s3", Action="lambda:InvokeFunction",
                       Principal="s3.amazonaws.com", Qualifier="3")
    lam.remove_permission(FunctionName="f", StatementId="apigw", Qualifier="3")
    assert [s["Sid"] for s in _statements(lam, Qualifier="3")] == ["s3"]
    with pytest.raises(lam.exceptions.ResourceNotFoundException):
        lam.remove_permission(FunctionName="f", StatementId="apigw", Qualifier="3")
    lam.remove_permission(FunctionName="f", StatementId="s3", Qualifier="3")
    with pytest.raises(lam.exceptions.ResourceNotFoundException) as exc:
        lam.remove_permission(FunctionName="f", StatementId="s3", Qualifier="3")
    # AWS's wording once the qualifier has no policy at all (LocalStack's recordings).
    assert exc.value.response["Error"]["Message"] == "No policy is associated with the given resource."
    lam.delete_function(FunctionName="f", Qualifier="3")
    # A missing version of an existing function reads exactly like "no policy" on AWS.
    with pytest.raises(lam.exceptions.ResourceNotFoundException) as exc:
        lam.get_policy(FunctionName="f", Qualifier="3")
    assert exc.value.response["Error"]["Message"] == "The resource you requested does not exist."
    # A missing function: "Function not found: <unqualified arn>" (AWS's wording until 2024).
    with pytest.raises(lam.exceptions.ResourceNotFoundException) as exc:
        lam.get_policy(FunctionName="nope", Qualifier="3")
    assert exc.value.response["Error"]["Message"] == f"Function not found: {fn_arn('nope')}"


def test_get_policy_is_classified(emulator, lam, fn):
    emulator.control("DELETE", "/_emulator/requests")
    lam.get_policy(FunctionName="f", Qualifier="3")
    [entry] = emulator.control("GET", "/_emulator/requests")
    assert (entry["operation"], entry["function_name"], entry["qualifier"]) == ("GetPolicy", "f", "3")
