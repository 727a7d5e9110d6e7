"""The stock-moto shim adds only what stock moto cannot speak or report, and passes the rest on."""

from __future__ import annotations

import io
import json
import threading
import time
import urllib.error
import urllib.request
import zipfile
from collections.abc import Iterator
from datetime import datetime, timezone
from typing import Any

import boto3
import cbor2
import pytest
from werkzeug.serving import make_server

REGION = "us-west-2"
AUTH = f"AWS4-HMAC-SHA256 Credential=testing/20261206/{REGION}/monitoring/aws4_request, SignedHeaders=host, Signature=0"


@pytest.fixture(scope="module")
def endpoint() -> Iterator[str]:
    from moto.moto_server.werkzeug_app import MotoRequestHandler

    import stockshim

    server = make_server("127.0.0.1", 0, stockshim.build_app(), threaded=True, request_handler=MotoRequestHandler)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    yield f"http://127.0.0.1:{server.socket.getsockname()[1]}"
    server.shutdown()


def _client(endpoint: str, service: str) -> Any:
    return boto3.client(service, endpoint_url=endpoint, region_name=REGION,
                        aws_access_key_id="testing", aws_secret_access_key="testing")


def _cbor(endpoint: str, operation: str, payload: dict[str, Any]) -> tuple[int, dict[str, str], Any]:
    req = urllib.request.Request(f"{endpoint}/service/GraniteServiceVersion20100801/operation/{operation}",
                                 data=cbor2.dumps(payload), method="POST",
                                 headers={"Authorization": AUTH, "Content-Type": "application/cbor",
                                          "smithy-protocol": "rpc-v2-cbor"})
    try:
        with urllib.request.urlopen(req) as resp:
            return resp.status, dict(resp.headers), cbor2.loads(resp.read())
    except urllib.error.HTTPError as err:
        return err.code, dict(err.headers), cbor2.loads(err.read())


def _function(endpoint: str, name: str, snapstart: bool) -> Any:
    iam, lam = _client(endpoint, "iam"), _client(endpoint, "lambda")
    try:
        role = iam.get_role(RoleName="shim-role")["Role"]["Arn"]
    except iam.exceptions.NoSuchEntityException:
        role = iam.create_role(RoleName="shim-role", AssumeRolePolicyDocument="{}")["Role"]["Arn"]
    buf = io.BytesIO()
    with zipfile.ZipFile(buf, "w") as zf:
        zf.writestr("app.py", "def handler(e, c):\n    return 1\n")
    spec = {"FunctionName": name, "Runtime": "python3.12", "Role": role, "Handler": "app.handler",
            "Code": {"ZipFile": buf.getvalue()}}
    if snapstart:
        spec["SnapStart"] = {"ApplyOn": "PublishedVersions"}
    lam.create_function(**spec)
    for n in range(3):
        lam.update_function_configuration(FunctionName=name, Description=str(n))
        lam.publish_version(FunctionName=name)
    return lam


def test_cbor_get_metric_data_is_moto_s_answer_with_timestamps_as_cbor_times(endpoint):
    at = datetime.now(timezone.utc).replace(microsecond=0)
    _client(endpoint, "cloudwatch").put_metric_data(Namespace="AWS/Lambda", MetricData=[
        {"MetricName": "Invocations", "Dimensions": [{"Name": "FunctionName", "Value": "f"}],
         "Timestamp": at, "Value": 3.0}])
    query = {"Id": "q0", "MetricStat": {"Metric": {"Namespace": "AWS/Lambda", "MetricName": "Invocations",
             "Dimensions": [{"Name": "FunctionName", "Value": "f"}]}, "Period": 60, "Stat": "Sum"}}

    status, headers, body = _cbor(endpoint, "GetMetricData", {
        "MetricDataQueries": [query], "StartTime": datetime.fromtimestamp(time.time() - 3600, timezone.utc),
        "EndTime": datetime.fromtimestamp(time.time() + 60, timezone.utc)})

    assert status == 200 and headers["smithy-protocol"] == "rpc-v2-cbor"
    [result] = body["MetricDataResults"]
    assert (result["Id"], result["Values"], result["StatusCode"]) == ("q0", [3.0], "Complete")
    assert all(isinstance(t, datetime) for t in result["Timestamps"]), "CBOR tag 1, not a number"


def test_cbor_errors_keep_moto_s_status_code_and_message(endpoint):
    status, headers, body = _cbor(endpoint, "GetMetricData", {
        "MetricDataQueries": [{"Id": "q0"}], "StartTime": datetime.now(timezone.utc),
        "EndTime": datetime.now(timezone.utc)})

    assert status == 400
    assert headers["x-amzn-query-error"] == "ValidationError;Sender", "the code the Rust SDK reads"
    assert body == {"__type": "GraniteServiceVersion20100801#ValidationException",
                    "message": "The parameter MetricDataQueries.member.1.MetricStat is required.\n"}


def test_snapstart_is_reported_only_where_it_was_asked_for(endpoint):
    lam = _function(endpoint, "snap", snapstart=True)
    _function(endpoint, "cold", snapstart=False)

    listed = {(f["FunctionName"], f["Version"]): f["SnapStart"] for f in lam.list_functions(FunctionVersion="ALL")["Functions"]}

    assert listed[("snap", "$LATEST")] == {"ApplyOn": "PublishedVersions", "OptimizationStatus": "Off"}
    assert listed[("snap", "2")] == {"ApplyOn": "PublishedVersions", "OptimizationStatus": "On"}
    assert listed[("cold", "2")] == {"ApplyOn": "None", "OptimizationStatus": "Off"}
    assert lam.get_function(FunctionName="snap", Qualifier="1")["Configuration"]["SnapStart"]["OptimizationStatus"] == "On"


def test_each_version_has_its_own_policy_and_moto_s_own_not_found(endpoint):
    lam = _function(endpoint, "pol", snapstart=True)
    lam.add_permission(FunctionName="pol", Qualifier="2", StatementId="apigw", Action="lambda:InvokeFunction",
                       Principal="apigateway.amazonaws.com")

    statements = json.loads(lam.get_policy(FunctionName="pol", Qualifier="2")["Policy"])["Statement"]

    assert [s["Sid"] for s in statements] == ["apigw"]
    assert statements[0]["Resource"].endswith(":function:pol:2")
    with pytest.raises(lam.exceptions.ResourceNotFoundException) as exc:
        lam.get_policy(FunctionName="pol", Qualifier="3")
    assert exc.value.response["Error"]["Message"] == "The resource you requested does not exist."
    with pytest.raises(lam.exceptions.ResourceNotFoundException) as exc:
        lam.get_policy(FunctionName="pol", Qualifier="9")
    assert exc.value.response["Error"]["Message"].startswith("Function not found: "), "moto's own missing-version answer"


def test_provisioned_concurrency_and_account_settings_are_answered(endpoint):
    lam = _function(endpoint, "pc", snapstart=False)

    lam.put_provisioned_concurrency_config(FunctionName="pc", Qualifier="1", ProvisionedConcurrentExecutions=2)

    configs = lam.list_provisioned_concurrency_configs(FunctionName="pc")["ProvisionedConcurrencyConfigs"]
    assert [c["FunctionArn"].rsplit(":", 1)[-1] for c in configs] == ["1"]
    settings = lam.get_account_settings()
    assert settings["AccountLimit"]["TotalCodeSize"] == 80530636800
    assert settings["AccountUsage"]["TotalCodeSize"] > 0
    with pytest.raises(lam.exceptions.ResourceNotFoundException):
        lam.list_provisioned_concurrency_configs(FunctionName="nope")


def test_everything_else_is_stock_moto_unchanged(endpoint):
    lam = _client(endpoint, "lambda")

    with pytest.raises(lam.exceptions.ResourceNotFoundException) as exc:
        lam.get_function(FunctionName="missing", Qualifier="1")

    # moto's own body and wording (JsonRESTError), not ours.
    assert exc.value.response["Error"]["Message"].startswith("Function not found: ")
    assert "__type" in exc.value.response["Error"] or exc.value.response["Error"]["Code"] == "ResourceNotFoundException"
