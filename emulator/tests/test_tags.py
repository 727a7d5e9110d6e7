"""Function tags: seeding, ListTags, Resource Groups Tagging API GetResources (JSON and CBOR)."""

from __future__ import annotations

import urllib.request

import cbor2
import pytest
from botocore.exceptions import ClientError
from conftest import REGION, fn_arn

PROTECT = {"snapstart-cleaner:protect": "true"}


@pytest.fixture
def tagged(seed):
    seed({"functions": [
        {"name": f"fn-{i:02d}", "versions": 1, "tags": PROTECT if i % 2 == 0 else {"team": "x"}}
        for i in range(7)
    ] + [{"name": "untagged"}]})


def test_list_tags(lam, tagged):
    assert lam.list_tags(Resource=fn_arn("fn-00"))["Tags"] == PROTECT
    assert lam.list_tags(Resource=fn_arn("fn-01"))["Tags"] == {"team": "x"}
    assert lam.list_tags(Resource=fn_arn("untagged"))["Tags"] == {}
    lam.tag_resource(Resource=fn_arn("untagged"), Tags={"a": "b"})
    assert lam.list_tags(Resource=fn_arn("untagged"))["Tags"] == {"a": "b"}
    assert lam.get_function(FunctionName="fn-00")["Tags"] == PROTECT
    with pytest.raises(lam.exceptions.ResourceNotFoundException):
        lam.list_tags(Resource=fn_arn("missing"))


def test_get_resources_filters_and_pages(emulator, tagged):
    tagging = emulator.client("resourcegroupstaggingapi")
    seen, token, pages = [], "", 0
    while True:
        page = tagging.get_resources(ResourceTypeFilters=["lambda:function"], ResourcesPerPage=2,
                                     TagFilters=[{"Key": "snapstart-cleaner:protect", "Values": ["true"]}],
                                     PaginationToken=token)
        pages += 1
        seen += page["ResourceTagMappingList"]
        token = page.get("PaginationToken", "")
        if not token:
            break
    assert pages == 2
    assert sorted(r["ResourceARN"] for r in seen) == [fn_arn(f"fn-{i:02d}") for i in (0, 2, 4, 6)]
    assert all(r["Tags"] == [{"Key": "snapstart-cleaner:protect", "Value": "true"}] for r in seen)
    everything = tagging.get_resources(ResourceTypeFilters=["lambda:function"])["ResourceTagMappingList"]
    assert len(everything) == 7  # untagged functions are not listed
    # Another region has its own functions.
    other = emulator.client("resourcegroupstaggingapi", region="eu-west-1")
    assert other.get_resources(ResourceTypeFilters=["lambda:function"])["ResourceTagMappingList"] == []


def test_get_resources_over_cbor(emulator, tagged):
    body = cbor2.dumps({"ResourceTypeFilters": ["lambda:function"],
                        "TagFilters": [{"Key": "snapstart-cleaner:protect"}]})
    req = urllib.request.Request(
        emulator.endpoint + "/service/ResourceGroupsTaggingAPI_20170126/operation/GetResources",
        data=body, method="POST", headers={
            "smithy-protocol": "rpc-v2-cbor", "Content-Type": "application/cbor",
            "Authorization": f"AWS4-HMAC-SHA256 Credential=k/20261120/{REGION}/tagging/aws4_request"})
    with urllib.request.urlopen(req) as resp:
        assert resp.headers["smithy-protocol"] == "rpc-v2-cbor"
        answer = cbor2.loads(resp.read())
    assert len(answer["ResourceTagMappingList"]) == 4
    log = emulator.control("GET", "/_emulator/requests?service=tagging")
    assert [(e["operation"], e["status"]) for e in log] == [("GetResources", 200)]


def test_classifier_names_tag_operations_for_faults(emulator, lam, tagged):
    emulator.control("POST", "/_emulator/faults", {"service": "lambda", "operation": "ListTags",
                                                   "match": {"FunctionName": "fn-00"}})
    emulator.control("POST", "/_emulator/faults", {"service": "tagging", "operation": "GetResources",
                                                   "status": 400, "code": "ThrottlingException"})
    emulator.control("DELETE", "/_emulator/requests")
    with pytest.raises(lam.exceptions.ServiceException):
        lam.list_tags(Resource=fn_arn("fn-00"))
    tagging = emulator.client("resourcegroupstaggingapi")
    with pytest.raises(ClientError) as exc:
        tagging.get_resources()
    assert exc.value.response["Error"]["Code"] == "ThrottlingException"
    log = emulator.control("GET", "/_emulator/requests")
    assert [(e["service"], e["operation"], e.get("function_name"), e["fault"]) for e in log] == [
        ("lambda", "ListTags", "fn-00", True), ("tagging", "GetResources", None, True)]
