"""Patches 3-6 and 14: paging, filters, event source mappings, fast seeding."""

from __future__ import annotations


import pytest
from conftest import REGION, fn_arn

QUEUE = f"arn:aws:sqs:{REGION}:123456789012:q1"


def _bench(functions: int = 200, versions: int = 10) -> dict:
    return {"functions": [
        {"name": f"fn-{i:03d}", "snapstart": True,
         "versions": [{"last_modified": "2026-01-01T00:00:00Z"}] * versions,
         "aliases": [{"name": "live", "version": str(versions)}]}
        for i in range(functions)]}


def test_bench_seed_and_list_all_pages(lam, seed):
    result = seed(_bench())
    assert result["functions"] == 200 and result["versions"] == 2000

    pages, items, marker = 0, [], None
    while True:
        page = lam.list_functions(FunctionVersion="ALL", **({"Marker": marker} if marker else {}))
        pages += 1
        assert len(page["Functions"]) <= 50
        items += page["Functions"]
        marker = page.get("NextMarker")
        if not marker:
            break
    assert pages == 44 and len(items) == 2200
    keys = [(f["FunctionName"], -1 if f["Version"] == "$LATEST" else int(f["Version"])) for f in items]
    assert keys == sorted(keys) and len(set(keys)) == 2200
    assert items[0]["FunctionArn"] == fn_arn("fn-000", "$LATEST")
    assert items[1]["FunctionArn"] == fn_arn("fn-000", "1")
    assert items[1]["LastModified"] == "2026-01-01T00:00:00.000+0000"
    # Default (no FunctionVersion): $LATEST only, unqualified ARNs.
    latest = lam.get_paginator("list_functions").paginate().build_full_result()["Functions"]
    assert len(latest) == 200 and latest[0]["FunctionArn"] == fn_arn("fn-000")


def test_list_functions_max_items_and_marker(lam, seed):
    seed(_bench(functions=3, versions=2))
    page = lam.list_functions(MaxItems=2)
    assert [f["FunctionName"] for f in page["Functions"]] == ["fn-000", "fn-001"]
    rest = lam.list_functions(MaxItems=2, Marker=page["NextMarker"])
    assert [f["FunctionName"] for f in rest["Functions"]] == ["fn-002"]
    assert "NextMarker" not in rest
    assert len(lam.list_functions(MaxItems=500)["Functions"]) == 3  # capped at 50, fits


def test_list_versions_by_function_paging(lam, seed):
    seed(_bench(functions=1, versions=12))
    versions = []
    marker = None
    while True:
        page = lam.list_versions_by_function(FunctionName=fn_arn("fn-000"), MaxItems=5,
                                             **({"Marker": marker} if marker else {}))
        versions += [v["Version"] for v in page["Versions"]]
        marker = page.get("NextMarker")
        if not marker:
            break
    assert versions == ["$LATEST"] + [str(i) for i in range(1, 13)]
    with pytest.raises(lam.exceptions.ResourceNotFoundException):
        lam.list_versions_by_function(FunctionName="missing")


def test_list_aliases_filter_paging_and_weights(lam, seed):
    seed({"functions": [{"name": "f", "versions": 3, "aliases": [
        {"name": "a-live", "version": "3", "weights": {"2": 0.1}},
        {"name": "b-beta", "version": "2"},
        {"name": "c-old", "version": "1"},
        {"name": "d-also3", "version": "3"}]}]})
    three = lam.list_aliases(FunctionName="f", FunctionVersion="3")["Aliases"]
    assert [a["Name"] for a in three] == ["a-live", "d-also3"]
    assert three[0]["RoutingConfig"]["AdditionalVersionWeights"] == {"2": 0.1}
    assert "RoutingConfig" not in three[1]
    # FunctionVersion matches the primary version only (weights do not count).
    assert [a["Name"] for a in lam.list_aliases(FunctionName="f", FunctionVersion="2")["Aliases"]] == ["b-beta"]
    page = lam.list_aliases(FunctionName=fn_arn("f"), MaxItems=3)
    assert len(page["Aliases"]) == 3 and page["NextMarker"]
    rest = lam.list_aliases(FunctionName="f", MaxItems=3, Marker=page["NextMarker"])
    assert [a["Name"] for a in rest["Aliases"]] == ["d-also3"] and "NextMarker" not in rest


def test_event_source_mappings_qualified_and_filtered(lam, seed, emulator):
    seed({"functions": [{"name": "f", "versions": 3, "aliases": [{"name": "live", "version": "3"}]},
                        {"name": "g", "versions": 1}]})
    created = {
        "f:3": lam.create_event_source_mapping(FunctionName="f:3", EventSourceArn=QUEUE),
        "f:live": lam.create_event_source_mapping(FunctionName="f:live", EventSourceArn=QUEUE),
        "arn": lam.create_event_source_mapping(FunctionName=fn_arn("f"), EventSourceArn=QUEUE),
        "qarn": lam.create_event_source_mapping(FunctionName=fn_arn("f", "2"), EventSourceArn=QUEUE),
        "g": lam.create_event_source_mapping(FunctionName="g", EventSourceArn=QUEUE),
    }
    assert created["f:3"]["FunctionArn"] == fn_arn("f", "3")
    assert created["f:live"]["FunctionArn"] == fn_arn("f", "live")
    assert created["arn"]["FunctionArn"] == fn_arn("f")
    assert created["qarn"]["FunctionArn"] == fn_arn("f", "2")

    all_esms = lam.list_event_source_mappings()["EventSourceMappings"]
    assert len(all_esms) == 5

    def listed(name):
        return sorted(e["FunctionArn"] for e in lam.list_event_source_mappings(FunctionName=name)["EventSourceMappings"])

    assert listed("f:3") == [fn_arn("f", "3")]
    assert listed(fn_arn("f", "3")) == [fn_arn("f", "3")]
    assert listed(fn_arn("f", "live")) == [fn_arn("f", "live")]
    assert listed("f") == [fn_arn("f")]
    assert listed(fn_arn("f")) == [fn_arn("f")]
    with pytest.raises(lam.exceptions.ResourceNotFoundException):
        lam.create_event_source_mapping(FunctionName="f:9", EventSourceArn=QUEUE)


def test_event_source_mappings_paging(lam, seed):
    seed({"functions": [{"name": "f", "versions": 1, "event_source_mappings": [
        {"target": "f:1", "event_source_arn": f"{QUEUE}-{i}"} for i in range(120)]}]})
    first = lam.list_event_source_mappings()
    assert len(first["EventSourceMappings"]) == 100 and first["NextMarker"]
    second = lam.list_event_source_mappings(Marker=first["NextMarker"])
    assert len(second["EventSourceMappings"]) == 20 and "NextMarker" not in second
    uuids = {e["UUID"] for e in first["EventSourceMappings"] + second["EventSourceMappings"]}
    assert len(uuids) == 120
    small = lam.list_event_source_mappings(FunctionName="f:1", MaxItems=7)
    assert len(small["EventSourceMappings"]) == 7


def test_esm_with_real_moto_queue(emulator, lam, make_function):
    sqs = emulator.client("sqs")
    url = sqs.create_queue(QueueName="real-q")["QueueUrl"]
    arn = sqs.get_queue_attributes(QueueUrl=url, AttributeNames=["QueueArn"])["Attributes"]["QueueArn"]
    make_function("f", versions=1)
    esm = lam.create_event_source_mapping(FunctionName="f:1", EventSourceArn=arn)
    assert esm["FunctionArn"] == fn_arn("f", "1") and esm["EventSourceArn"] == arn


def test_concurrent_listing(emulator, seed):
    """The Rust scanner pages in parallel; every request is served consistently."""
    from concurrent.futures import ThreadPoolExecutor

    seed(_bench(functions=20, versions=5))

    def walk(_: int) -> int:
        client = emulator.client("lambda")
        total, marker = 0, None
        while True:
            page = client.list_functions(FunctionVersion="ALL", MaxItems=7,
                                         **({"Marker": marker} if marker else {}))
            total += len(page["Functions"])
            marker = page.get("NextMarker")
            if not marker:
                return total

    with ThreadPoolExecutor(8) as pool:
        assert list(pool.map(walk, range(8))) == [120] * 8
