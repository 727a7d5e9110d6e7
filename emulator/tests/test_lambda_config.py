"""Patches 1, 2 and 13: SnapStart reporting, per-version State / LastModified."""

from __future__ import annotations

import re

import pytest
from conftest import fn_arn

AWS_TS = re.compile(r"^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{3}\+0000$")
ON = {"ApplyOn": "PublishedVersions", "OptimizationStatus": "On"}
OFF = {"ApplyOn": "PublishedVersions", "OptimizationStatus": "Off"}
NONE = {"ApplyOn": "None", "OptimizationStatus": "Off"}


def test_snapstart_latest_off_published_on(lam, make_function):
    make_function("orders", versions=1)
    assert lam.get_function_configuration(FunctionName="orders")["SnapStart"] == OFF
    assert lam.get_function_configuration(FunctionName="orders", Qualifier="1")["SnapStart"] == ON
    assert lam.get_function(FunctionName="orders", Qualifier="1")["Configuration"]["SnapStart"] == ON
    listed = {f["Version"]: f["SnapStart"] for f in lam.list_functions(FunctionVersion="ALL")["Functions"]}
    assert listed == {"$LATEST": OFF, "1": ON}
    assert lam.list_functions()["Functions"][0]["SnapStart"] == OFF


def test_without_snapstart_and_enabled_later(lam, make_function):
    make_function("plain", snapstart=False, versions=1)
    assert lam.get_function_configuration(FunctionName="plain", Qualifier="1")["SnapStart"] == NONE
    lam.update_function_configuration(FunctionName="plain", SnapStart={"ApplyOn": "PublishedVersions"})
    v2 = lam.publish_version(FunctionName="plain")
    assert v2["Version"] == "2" and v2["SnapStart"] == ON
    # The earlier version keeps the setting it was published with.
    assert lam.get_function_configuration(FunctionName="plain", Qualifier="1")["SnapStart"] == NONE
    lam.update_function_configuration(FunctionName="plain", SnapStart={"ApplyOn": "None"})
    assert lam.get_function_configuration(FunctionName="plain")["SnapStart"] == NONE
    assert lam.get_function_configuration(FunctionName="plain", Qualifier="2")["SnapStart"] == ON


def test_default_state_and_last_modified_format(lam, make_function):
    make_function("f", versions=1)
    cfg = lam.get_function_configuration(FunctionName=fn_arn("f", "1"))
    assert cfg["State"] == "Active"
    assert "StateReasonCode" not in cfg
    assert AWS_TS.match(cfg["LastModified"]), cfg["LastModified"]


def test_control_sets_version_state_and_last_modified(emulator, lam, make_function):
    make_function("f", versions=2)
    out = emulator.control("POST", "/_emulator/lambda/version", {
        "function_name": "f", "version": "1", "state": "Failed",
        "state_reason_code": "FunctionError", "last_modified": "2024-01-02T03:04:05Z"})
    assert out["LastModified"] == "2024-01-02T03:04:05.000+0000"
    cfg = lam.get_function_configuration(FunctionName="f", Qualifier="1")
    assert (cfg["State"], cfg["StateReasonCode"]) == ("Failed", "FunctionError")
    assert cfg["LastModified"] == "2024-01-02T03:04:05.000+0000"
    other = lam.get_function_configuration(FunctionName="f", Qualifier="2")
    assert other["State"] == "Active" and other["LastModified"] != cfg["LastModified"]

    emulator.control("POST", "/_emulator/lambda/version", {
        "function_name": "f", "version": "1", "state": "Inactive", "state_reason_code": "Idle",
        "last_modified": "2025-06-30T23:59:58.123+02:00"})
    cfg = lam.get_function_configuration(FunctionName="f", Qualifier="1")
    assert (cfg["State"], cfg["StateReasonCode"]) == ("Inactive", "Idle")
    assert cfg["LastModified"] == "2025-06-30T21:59:58.123+0000"


def test_control_version_errors(emulator, make_function):
    make_function("f", versions=1)
    status, _ = emulator.call("POST", "/_emulator/lambda/version", {"function_name": "f", "version": "9"})
    assert status == 404
    status, _ = emulator.call("POST", "/_emulator/lambda/version", {"function_name": "nope", "version": "1"})
    assert status == 404


@pytest.mark.parametrize("op", ["list_functions", "list_versions_by_function"])
def test_list_items_omit_state(lam, make_function, op):
    make_function("f", versions=1)
    items = (lam.list_functions(FunctionVersion="ALL")["Functions"] if op == "list_functions"
             else lam.list_versions_by_function(FunctionName="f")["Versions"])
    assert len(items) == 2
    for item in items:
        assert "State" not in item and "StateReasonCode" not in item
        assert AWS_TS.match(item["LastModified"])
