"""Patch 7: DeleteFunction on versions referenced by aliases, missing versions."""

from __future__ import annotations

import pytest
from conftest import fn_arn


@pytest.fixture
def scenario(seed):
    seed({"functions": [{"name": "f", "versions": 5, "aliases": [
        {"name": "live", "version": "4", "weights": {"2": 0.2}},
        {"name": "beta", "version": "4"}]}]})


def _versions(lam):
    return [v["Version"] for v in lam.list_versions_by_function(FunctionName="f")["Versions"]]


def test_delete_version_referenced_by_alias_conflicts(lam, scenario):
    for qualifier in ("4", "2"):
        with pytest.raises(lam.exceptions.ResourceConflictException) as exc:
            lam.delete_function(FunctionName="f", Qualifier=qualifier)
        assert exc.value.response["ResponseMetadata"]["HTTPStatusCode"] == 409
    with pytest.raises(lam.exceptions.ResourceConflictException) as exc:
        lam.delete_function(FunctionName="f", Qualifier="4")
    assert exc.value.response["Error"]["Message"] == (
        "Unable to delete version because the following aliases reference it: [beta, live]")
    with pytest.raises(lam.exceptions.ResourceConflictException) as exc:
        lam.delete_function(FunctionName=fn_arn("f", "2"))
    assert "[live]" in exc.value.response["Error"]["Message"]
    assert _versions(lam) == ["$LATEST", "1", "2", "3", "4", "5"]


def test_delete_unreferenced_version_only(lam, scenario):
    lam.delete_function(FunctionName="f", Qualifier="3")
    assert _versions(lam) == ["$LATEST", "1", "2", "4", "5"]
    lam.delete_function(FunctionName=fn_arn("f", "1"))
    assert _versions(lam) == ["$LATEST", "2", "4", "5"]
    assert [a["Name"] for a in lam.list_aliases(FunctionName="f")["Aliases"]] == ["beta", "live"]
    with pytest.raises(lam.exceptions.ResourceNotFoundException):
        lam.get_function_configuration(FunctionName="f", Qualifier="3")


def test_delete_missing_version_is_204_and_missing_function_404(lam, scenario):
    # AWS: a missing version of an existing function answers 204 as a deletion does (LocalStack
    # test_delete_on_nonexisting_version, validated 2025-11-25; floci-io/floci PR #2824); a
    # missing function is 404 naming the unqualified ARN (FIDELITY.md, DeleteFunction).
    answer = lam.delete_function(FunctionName="f", Qualifier="42")
    assert answer["ResponseMetadata"]["HTTPStatusCode"] == 204
    lam.delete_function(FunctionName="f", Qualifier="5")
    assert lam.delete_function(FunctionName="f", Qualifier="5")["ResponseMetadata"]["HTTPStatusCode"] == 204
    assert _versions(lam) == ["$LATEST", "1", "2", "3", "4"]
    with pytest.raises(lam.exceptions.ResourceNotFoundException) as exc:
        lam.delete_function(FunctionName="nope", Qualifier="1")
    assert exc.value.response["ResponseMetadata"]["HTTPStatusCode"] == 404
    assert exc.value.response["Error"]["Message"] == f"Function not found: {fn_arn('nope')}"


def test_version_numbers_are_never_reused(lam, scenario):
    lam.delete_function(FunctionName="f", Qualifier="3")
    lam.delete_function(FunctionName="f", Qualifier="5")
    lam.update_function_configuration(FunctionName="f", Description="changed")
    assert lam.publish_version(FunctionName="f")["Version"] == "6"
    assert _versions(lam) == ["$LATEST", "1", "2", "4", "6"]
    lam.delete_function(FunctionName="f", Qualifier="6")
    lam.update_function_configuration(FunctionName="f", Description="changed again")
    assert lam.publish_version(FunctionName="f")["Version"] == "7"
    assert lam.get_function(FunctionName="f", Qualifier="7")["Configuration"]["FunctionArn"] == fn_arn("f", "7")


def test_delete_whole_function(lam, scenario):
    lam.delete_function(FunctionName="f")
    assert lam.list_functions()["Functions"] == []


def test_provisioned_concurrency_reads(lam, scenario):
    assert lam.list_provisioned_concurrency_configs(FunctionName="f")["ProvisionedConcurrencyConfigs"] == []
    with pytest.raises(lam.exceptions.ProvisionedConcurrencyConfigNotFoundException):
        lam.get_provisioned_concurrency_config(FunctionName="f", Qualifier="live")
