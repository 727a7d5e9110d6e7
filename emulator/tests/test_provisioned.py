"""Provisioned concurrency: Put/Get/List/Delete, seeding, paging, deletion with its version."""

from __future__ import annotations

import pytest
from conftest import fn_arn


@pytest.fixture
def fn(seed):
    seed({"functions": [{"name": "f", "versions": 12, "aliases": [{"name": "live", "version": "12"}],
                         "provisioned_concurrency": [{"qualifier": "4", "count": 2}]}]})


def test_seeded_config(lam, fn):
    cfg = lam.get_provisioned_concurrency_config(FunctionName="f", Qualifier="4")
    assert (cfg["RequestedProvisionedConcurrentExecutions"], cfg["AllocatedProvisionedConcurrentExecutions"],
            cfg["AvailableProvisionedConcurrentExecutions"], cfg["Status"]) == (2, 2, 2, "READY")
    assert cfg["LastModified"].endswith("+0000")
    with pytest.raises(lam.exceptions.ProvisionedConcurrencyConfigNotFoundException) as exc:
        lam.get_provisioned_concurrency_config(FunctionName="f", Qualifier="3")
    assert exc.value.response["ResponseMetadata"]["HTTPStatusCode"] == 404


def test_put_list_delete(lam, fn):
    put = lam.put_provisioned_concurrency_config(FunctionName="f", Qualifier="live",
                                                 ProvisionedConcurrentExecutions=5)
    assert put["Status"] == "IN_PROGRESS" and put["RequestedProvisionedConcurrentExecutions"] == 5
    for q in ("10", "2"):
        lam.put_provisioned_concurrency_config(FunctionName="f", Qualifier=q, ProvisionedConcurrentExecutions=1)
    listed, marker = [], None
    while True:
        page = lam.list_provisioned_concurrency_configs(FunctionName="f", MaxItems=3,
                                                        **({"Marker": marker} if marker else {}))
        listed += page["ProvisionedConcurrencyConfigs"]
        marker = page.get("NextMarker")
        if not marker:
            break
    assert [c["FunctionArn"] for c in listed] == [fn_arn("f", q) for q in ("2", "4", "10", "live")]
    assert listed[-1]["RequestedProvisionedConcurrentExecutions"] == 5
    lam.delete_provisioned_concurrency_config(FunctionName="f", Qualifier="live")
    with pytest.raises(lam.exceptions.ProvisionedConcurrencyConfigNotFoundException):
        lam.get_provisioned_concurrency_config(FunctionName="f", Qualifier="live")
    with pytest.raises(lam.exceptions.ResourceNotFoundException):
        lam.delete_provisioned_concurrency_config(FunctionName="f", Qualifier="live")


def test_invalid_targets(lam, fn):
    with pytest.raises(lam.exceptions.InvalidParameterValueException):
        lam.put_provisioned_concurrency_config(FunctionName="f", Qualifier="$LATEST",
                                               ProvisionedConcurrentExecutions=1)
    with pytest.raises(lam.exceptions.ResourceNotFoundException):
        lam.put_provisioned_concurrency_config(FunctionName="f", Qualifier="99",
                                               ProvisionedConcurrentExecutions=1)
    with pytest.raises(lam.exceptions.ResourceNotFoundException):
        lam.list_provisioned_concurrency_configs(FunctionName="missing")


def test_deleting_the_version_deletes_its_config(lam, fn):
    lam.delete_function(FunctionName="f", Qualifier="4")
    assert lam.list_provisioned_concurrency_configs(FunctionName="f")["ProvisionedConcurrencyConfigs"] == []
    lam.put_provisioned_concurrency_config(FunctionName="f", Qualifier="live", ProvisionedConcurrentExecutions=1)
    lam.delete_alias(FunctionName="f", Name="live")
    assert lam.list_provisioned_concurrency_configs(FunctionName="f")["ProvisionedConcurrencyConfigs"] == []


def test_operations_are_classified(emulator, lam, fn):
    emulator.control("DELETE", "/_emulator/requests")
    lam.list_provisioned_concurrency_configs(FunctionName="f")
    lam.get_provisioned_concurrency_config(FunctionName="f", Qualifier="4")
    lam.put_provisioned_concurrency_config(FunctionName="f", Qualifier="5", ProvisionedConcurrentExecutions=1)
    lam.delete_provisioned_concurrency_config(FunctionName="f", Qualifier="5")
    assert [(e["operation"], e["status"]) for e in emulator.control("GET", "/_emulator/requests")] == [
        ("ListProvisionedConcurrencyConfigs", 200), ("GetProvisionedConcurrencyConfig", 200),
        ("PutProvisionedConcurrencyConfig", 202), ("DeleteProvisionedConcurrencyConfig", 204)]
