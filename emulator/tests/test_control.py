"""Patches 9-12 and 15: fault injection, request log, SNS capture, reset, seed.py."""

from __future__ import annotations

import json
import time
import urllib.error
import urllib.request

import pytest
import seed as seed_cli
from conftest import ACCOUNT, REGION, fn_arn


def raw_lambda(endpoint: str, path: str) -> tuple[int, dict, dict]:
    req = urllib.request.Request(endpoint + path, headers={
        "Authorization": f"AWS4-HMAC-SHA256 Credential=k/20261120/{REGION}/lambda/aws4_request"})
    try:
        with urllib.request.urlopen(req) as resp:
            return resp.status, dict(resp.headers), json.load(resp)
    except urllib.error.HTTPError as err:
        return err.code, dict(err.headers), json.load(err)


def test_lambda_fault_wire_format_match_and_count(emulator, lam, make_function):
    make_function("fn-a", versions=1)
    make_function("fn-b", versions=1)
    emulator.control("POST", "/_emulator/faults", {
        "service": "lambda", "operation": "ListAliases", "status": 429,
        "code": "TooManyRequestsException", "message": "Rate exceeded", "count": 2,
        "match": {"FunctionName": "fn-a"}})
    assert [f["count"] for f in emulator.control("GET", "/_emulator/faults")] == [2]

    status, headers, body = raw_lambda(emulator.endpoint, "/2015-03-31/functions/fn-a/aliases")
    assert status == 429
    assert headers["x-amzn-errortype"] == "TooManyRequestsException"
    # AWS's 429 body on record (fyoorer/ShadowClone#25, #46): no retryAfterSeconds member.
    assert body == {"Reason": "CallerRateLimitExceeded", "Type": "User", "message": "Rate exceeded"}
    # Other functions are not affected; an ARN of the matching function is.
    assert lam.list_aliases(FunctionName="fn-b")["Aliases"] == []
    with pytest.raises(lam.exceptions.TooManyRequestsException):
        lam.list_aliases(FunctionName=fn_arn("fn-a"))
    assert emulator.control("GET", "/_emulator/faults") == []
    assert lam.list_aliases(FunctionName="fn-a")["Aliases"] == []


def test_fault_until_cleared_and_qualifier_match(emulator, lam, make_function):
    make_function("f", versions=2)
    emulator.control("POST", "/_emulator/faults", {
        "service": "lambda", "operation": "GetFunctionConfiguration", "status": 500,
        "code": "ServiceException", "message": "boom", "count": -1,
        "match": {"FunctionName": "f", "Qualifier": "2"}})
    for _ in range(3):
        with pytest.raises(lam.exceptions.ServiceException):
            lam.get_function_configuration(FunctionName="f", Qualifier="2")
    with pytest.raises(lam.exceptions.ServiceException):
        lam.get_function_configuration(FunctionName=fn_arn("f", "2"))
    assert lam.get_function_configuration(FunctionName="f", Qualifier="1")["Version"] == "1"
    emulator.control("DELETE", "/_emulator/faults")
    assert lam.get_function_configuration(FunctionName="f", Qualifier="2")["Version"] == "2"


def test_fault_validation(emulator):
    status, _ = emulator.call("POST", "/_emulator/faults", {"service": "s3", "status": 500})
    assert status == 400
    status, _ = emulator.call("POST", "/_emulator/faults", {"service": "lambda", "count": 0})
    assert status == 400
    for bad in ({"status": 200}, {"status": True}, {"count": "two"}, {"match": ["FunctionName"]}):
        status, body = emulator.call("POST", "/_emulator/faults", {"service": "lambda", **bad})
        assert status == 400, (bad, body)
    assert emulator.control("GET", "/_emulator/faults") == []


@pytest.mark.parametrize("service, operation, suggestion", [
    ("lambda", "ListAlias", "ListAliases"),
    ("lambda", "DeleteFunctions", "DeleteFunction"),
    ("lambda", "listaliases", "ListAliases"),
    ("lambda", "Publish", "PublishVersion"),  # an SNS operation
    ("lambda", "GetMetricData", None),  # a CloudWatch one
    ("cloudwatch", "GetMetricsData", "GetMetricData"),
    ("sns", "Publsh", "Publish"),
    ("sns", "", None),
])
def test_fault_unknown_operation_is_refused(emulator, lam, service, operation, suggestion):
    status, body = emulator.call("POST", "/_emulator/faults", {
        "service": service, "operation": operation, "status": 500, "count": -1})
    assert status == 400, body
    assert repr(operation) in body["error"] and body["suggestion"] == suggestion
    if suggestion:
        assert f"did you mean {suggestion!r}" in body["error"]
    else:  # no close name: the error lists them all
        assert ("ListAliases" if service == "lambda" else "Publish") in body["error"]
    assert ("ListAliases" in body["valid"]) == (service == "lambda")
    assert emulator.control("GET", "/_emulator/faults") == []
    lam.list_functions()  # nothing was injected


def test_fault_known_operations_are_accepted(emulator):
    for service, operation in [("lambda", "ListProvisionedConcurrencyConfigs"), ("lambda", "ListTags"),
                               ("cloudwatch", "GetMetricStatistics"), ("cloudwatch", "ListMetrics"),
                               ("sns", "ListTopics"), ("sns", "Subscribe"), ("sns", "*")]:
        emulator.control("POST", "/_emulator/faults", {"service": service, "operation": operation})
    listed = emulator.control("GET", "/_emulator/faults")
    assert [f["operation"] for f in listed][-1] is None  # "*" is stored as "every operation"
    assert len(listed) == 7 and all(f["fired"] == 0 for f in listed)


def test_fault_unknown_key_is_refused(emulator, lam, make_function):
    make_function("f")
    status, body = emulator.call("POST", "/_emulator/faults", {
        "service": "lambda", "operaton": "ListAliases", "status": 500, "count": -1})
    assert status == 400, body
    assert body["suggestion"] == "operation" and "'operaton'" in body["error"]
    assert "operation" in body["valid"]
    assert emulator.control("GET", "/_emulator/faults") == []
    lam.list_functions()
    lam.get_function_configuration(FunctionName="f")


def test_fired_fault_is_in_the_request_log_with_its_id(emulator, lam, make_function):
    make_function("f")
    emulator.control("DELETE", "/_emulator/requests")
    fault = emulator.control("POST", "/_emulator/faults", {
        "service": "lambda", "operation": "ListAliases", "status": 500, "code": "ServiceException"})
    assert fault == {"id": fault["id"], "service": "lambda", "operation": "ListAliases", "status": 500,
                     "code": "ServiceException", "message": "Injected fault", "count": 1, "match": {},
                     "fired": 0}
    lam.list_functions()
    with pytest.raises(lam.exceptions.ServiceException):
        lam.list_aliases(FunctionName="f")
    log = emulator.control("GET", "/_emulator/requests")
    assert [{k: v for k, v in e.items() if k not in ("ts", "received")} for e in log] == [
        {"service": "lambda", "operation": "ListFunctions", "status": 200, "region": REGION,
         "account_id": ACCOUNT, "access_key": "testing", "throttled": False, "fault": False},
        {"service": "lambda", "operation": "ListAliases", "status": 500, "function_name": "f",
         "region": REGION, "account_id": ACCOUNT, "access_key": "testing", "throttled": False,
         "fault": True, "fault_id": fault["id"], "code": "ServiceException"},
    ]
    assert emulator.control("GET", f"/_emulator/requests?fault_id={fault['id']}") == [log[1]]
    assert emulator.control("GET", "/_emulator/requests?fault=true") == [log[1]]
    assert emulator.control("GET", "/_emulator/requests?fault=false") == [log[0]]
    status, body = emulator.call("GET", "/_emulator/requests?operaton=ListAliases")
    assert status == 400 and body["suggestion"] == "operation"


def test_fault_with_count_two_fires_exactly_twice(emulator, lam, make_function):
    make_function("f")
    emulator.control("DELETE", "/_emulator/requests")
    fault = emulator.control("POST", "/_emulator/faults", {
        "service": "lambda", "operation": "GetFunctionConfiguration", "status": 429,
        "code": "TooManyRequestsException", "count": 2})
    with pytest.raises(lam.exceptions.TooManyRequestsException):
        lam.get_function_configuration(FunctionName="f")
    [listed] = emulator.control("GET", "/_emulator/faults")
    assert (listed["id"], listed["count"], listed["fired"]) == (fault["id"], 1, 1)
    with pytest.raises(lam.exceptions.TooManyRequestsException):
        lam.get_function_configuration(FunctionName="f")
    assert emulator.control("GET", "/_emulator/faults") == []
    assert lam.get_function_configuration(FunctionName="f")["FunctionName"] == "f"
    log = emulator.control("GET", "/_emulator/requests?operation=GetFunctionConfiguration")
    assert [(e["status"], e["fault"], e.get("fault_id"), e.get("code")) for e in log] == [
        (429, True, fault["id"], "TooManyRequestsException"),
        (429, True, fault["id"], "TooManyRequestsException"),
        (200, False, None, None),
    ]


def test_request_log(emulator, lam, make_function):
    make_function("f", versions=1)
    emulator.control("DELETE", "/_emulator/requests")
    lam.list_functions(FunctionVersion="ALL")
    lam.get_function_configuration(FunctionName="f", Qualifier="1")
    lam.list_aliases(FunctionName="f")
    lam.list_event_source_mappings(FunctionName="f")
    lam.list_versions_by_function(FunctionName="f")
    with pytest.raises(lam.exceptions.ResourceNotFoundException):
        lam.delete_function(FunctionName=fn_arn("gone", "9"))
    before = time.time()
    emulator.client("cloudwatch").put_metric_data(Namespace="N", MetricData=[{"MetricName": "M", "Value": 1.0}])
    log = emulator.control("GET", "/_emulator/requests")
    assert [(e["service"], e["operation"], e["status"]) for e in log] == [
        ("lambda", "ListFunctions", 200),
        ("lambda", "GetFunctionConfiguration", 200),
        ("lambda", "ListAliases", 200),
        ("lambda", "ListEventSourceMappings", 200),
        ("lambda", "ListVersionsByFunction", 200),
        ("lambda", "DeleteFunction", 404),
        ("cloudwatch", "PutMetricData", 200),
    ]
    assert log[1]["function_name"] == "f" and log[1]["qualifier"] == "1"
    assert log[5]["function_name"] == "gone" and log[5]["qualifier"] == "9"
    assert "function_name" not in log[0]
    assert log[-1]["ts"] >= before
    only = emulator.control("GET", "/_emulator/requests?operation=ListAliases")
    assert len(only) == 1
    emulator.control("DELETE", "/_emulator/requests")
    assert emulator.control("GET", "/_emulator/requests") == []


def test_sns_messages_and_query_fault(emulator):
    sns = emulator.client("sns")
    arn = sns.create_topic(Name="reports")["TopicArn"]
    sns.publish(TopicArn=arn, Subject="Cleaner report", Message="3 versions deleted")
    sns.publish(TopicArn=arn, Message="second")
    messages = emulator.control("GET", "/_emulator/sns/messages")
    assert [(m["topic_arn"], m["subject"], m["message"]) for m in messages] == [
        (arn, "Cleaner report", "3 versions deleted"), (arn, None, "second")]
    assert all(isinstance(m["ts"], float) for m in messages)

    emulator.control("POST", "/_emulator/faults", {"service": "sns", "operation": "Publish", "status": 400,
                                                   "code": "Throttling", "message": "slow down"})
    with pytest.raises(sns.exceptions.ClientError) as exc:
        sns.publish(TopicArn=arn, Message="third")
    assert exc.value.response["Error"]["Code"] == "Throttling"
    assert len(emulator.control("GET", "/_emulator/sns/messages")) == 2
    log = emulator.control("GET", "/_emulator/requests?service=sns")
    assert [e["operation"] for e in log] == ["CreateTopic", "Publish", "Publish", "Publish"]


def test_reset_wipes_everything(emulator, lam, seed):
    seed(seed_cli.demo_scenario(region=REGION))
    emulator.control("POST", "/_emulator/faults", {"service": "lambda", "count": -1, "status": 500})
    emulator.control("POST", "/_emulator/reset")
    assert emulator.control("GET", "/_emulator/faults") == []
    assert lam.list_functions()["Functions"] == []
    assert emulator.control("GET", "/_emulator/requests")[-1]["operation"] == "ListFunctions"
    assert emulator.control("GET", "/_emulator/sns/messages") == []


def test_seed_cli_demo_scenario(emulator, lam):
    result = seed_cli.post_scenario(emulator.endpoint, seed_cli.demo_scenario(region=REGION))
    assert result["functions"] == 9 and result["versions"] == 44
    failed = lam.get_function_configuration(FunctionName="image-resizer", Qualifier="1")
    assert failed["State"] == "Failed" and failed["StateReasonCode"] == "FunctionError"
    assert lam.get_function_configuration(FunctionName="report-builder", Qualifier="1")["SnapStart"]["ApplyOn"] == "None"
    assert lam.list_aliases(FunctionName="orders-api", FunctionVersion="2")["Aliases"][0]["Name"] == "live"
    esms = lam.list_event_source_mappings()["EventSourceMappings"]
    assert [e["FunctionArn"] for e in esms] == [fn_arn("queue-worker", "1")]
    names = {f["FunctionName"] for f in lam.list_functions()["Functions"]}
    assert len(names) == 9


def test_seed_cli_bench_scenario_speed(emulator, lam):
    started = time.perf_counter()
    result = seed_cli.post_scenario(emulator.endpoint, seed_cli.bench_scenario(region=REGION))
    print(f"bench scenario seeded in {time.perf_counter() - started:.2f} s")  # a figure, not a gate
    assert result == {**result, "functions": 200, "versions": 2000}
    cfg = lam.get_function_configuration(FunctionName="bench-fn-007", Qualifier="10")
    assert cfg["SnapStart"]["OptimizationStatus"] == "On"
    aliases = lam.list_aliases(FunctionName="bench-fn-007")["Aliases"]
    assert [(a["Name"], a["FunctionVersion"]) for a in aliases] == [("live", "10")]


def test_bad_scenario_is_400(emulator):
    status, body = emulator.call("POST", "/_emulator/seed", {"functions": [{"versions": 1}]})
    assert status == 400 and "name" in body["error"]
