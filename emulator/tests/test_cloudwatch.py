"""Patch 8: CloudWatch Smithy RPC v2 CBOR front end and exact-dimension GetMetricData."""

from __future__ import annotations

import struct
import urllib.error
import urllib.request
from datetime import datetime, timezone

import cbor2
import pytest
from conftest import REGION

T0 = datetime(2026, 11, 20, 10, 0, tzinfo=timezone.utc)


def ts(hour: int, minute: int = 0) -> float:
    return T0.replace(hour=hour, minute=minute).timestamp()


def cbor_call(endpoint: str, op: str, payload: dict, region: str = REGION):
    req = urllib.request.Request(
        f"{endpoint}/service/GraniteServiceVersion20100801/operation/{op}",
        data=cbor2.dumps(payload), method="POST",
        headers={
            "smithy-protocol": "rpc-v2-cbor", "Content-Type": "application/cbor",
            "Accept": "application/cbor", "x-amzn-query-mode": "true",
            "Authorization": f"AWS4-HMAC-SHA256 Credential=testing/20261120/{region}/monitoring/aws4_request, "
                             "SignedHeaders=host, Signature=00",
        })
    try:
        with urllib.request.urlopen(req, timeout=30) as resp:
            return resp.status, resp.headers, cbor2.loads(resp.read())
    except urllib.error.HTTPError as err:
        return err.code, err.headers, cbor2.loads(err.read())


def query(qid: str, dims: dict, stat: str = "Sum", period: int = 3600, name: str = "Invocations") -> dict:
    return {"Id": qid, "MetricStat": {
        "Metric": {"Namespace": "AWS/Lambda", "MetricName": name,
                   "Dimensions": [{"Name": k, "Value": v} for k, v in dims.items()]},
        "Period": period, "Stat": stat}}


def window(*queries: dict) -> dict:
    return {"MetricDataQueries": list(queries), "StartTime": cbor2.CBORTag(1, ts(0)),
            "EndTime": cbor2.CBORTag(1, ts(23, 59) + 60.0)}


@pytest.fixture
def metrics(seed):
    seed({"metrics": [
        {"namespace": "AWS/Lambda", "metric_name": "Invocations",
         "dimensions": {"FunctionName": "orders", "Resource": "orders:3"},
         "timestamps": ["2026-11-20T10:00:00Z", "2026-11-20T10:30:00Z", "2026-11-20T12:15:00Z"],
         "values": [5, 2, 1]},
        {"namespace": "AWS/Lambda", "metric_name": "Invocations", "dimensions": {"FunctionName": "orders"},
         "timestamps": ["2026-11-20T10:00:00Z"], "values": [100]},
        {"namespace": "AWS/Lambda", "metric_name": "Invocations",
         "dimensions": {"FunctionName": "orders", "Resource": "orders:live", "ExecutedVersion": "2"},
         "timestamps": ["2026-11-20T09:00:00Z"], "values": [7]},
        {"namespace": "Other", "metric_name": "Invocations",
         "dimensions": {"FunctionName": "orders", "Resource": "orders:3"},
         "timestamps": ["2026-11-20T10:00:00Z"], "values": [1000]},
    ]})


def test_get_metric_data_exact_dimensions(emulator, metrics):
    status, headers, out = cbor_call(emulator.endpoint, "GetMetricData", window(
        query("full", {"Resource": "orders:3", "FunctionName": "orders"}),
        query("resourceonly", {"Resource": "orders:3"}),
        query("fnonly", {"FunctionName": "orders"}),
        query("alias", {"FunctionName": "orders", "Resource": "orders:live", "ExecutedVersion": "2"}),
        query("max", {"FunctionName": "orders", "Resource": "orders:3"}, stat="Maximum"),
        query("count", {"FunctionName": "orders", "Resource": "orders:3"}, stat="SampleCount", period=86400),
    ))
    assert status == 200
    assert headers["smithy-protocol"] == "rpc-v2-cbor"
    assert headers["Content-Type"] == "application/cbor"
    results = {r["Id"]: r for r in out["MetricDataResults"]}
    full = results["full"]
    assert full["StatusCode"] == "Complete" and full["Label"]
    assert [t.timestamp() for t in full["Timestamps"]] == [ts(12), ts(10)]  # newest first
    assert full["Values"] == [1.0, 7.0] and all(isinstance(v, float) for v in full["Values"])
    assert results["resourceonly"]["Values"] == [] and results["resourceonly"]["Timestamps"] == []
    assert results["fnonly"]["Values"] == [100.0]
    assert results["alias"]["Values"] == [7.0]
    assert results["max"]["Values"] == [1.0, 5.0]
    assert results["count"]["Values"] == [3.0]


def test_get_metric_data_raw_wire_encoding(emulator, metrics):
    """The Rust SDK needs tag-1 timestamps and float64 values on the wire."""
    req = urllib.request.Request(
        f"{emulator.endpoint}/service/GraniteServiceVersion20100801/operation/GetMetricData",
        data=cbor2.dumps(window(query("q", {"FunctionName": "orders"}))), method="POST",
        headers={"smithy-protocol": "rpc-v2-cbor", "Content-Type": "application/cbor",
                 "Authorization": f"AWS4-HMAC-SHA256 Credential=k/20261120/{REGION}/monitoring/aws4_request"})
    with urllib.request.urlopen(req) as resp:
        raw = resp.read()
    assert b"\xc1\xfb" + struct.pack(">d", ts(10)) in raw  # tag 1, float64 epoch seconds
    assert b"\xfb" + struct.pack(">d", 100.0) in raw  # value as float64


def test_more_than_500_queries_is_validation_error(emulator, metrics):
    queries = [query(f"q{i}", {"FunctionName": "orders"}) for i in range(501)]
    status, headers, out = cbor_call(emulator.endpoint, "GetMetricData", window(*queries))
    assert status == 400
    assert out["__type"].endswith("#ValidationError") and "500" in out["message"]
    assert headers["x-amzn-query-error"] == "ValidationError;Sender"
    status, _, out = cbor_call(emulator.endpoint, "GetMetricData", window(*queries[:500]))
    assert status == 200 and len(out["MetricDataResults"]) == 500


def test_cbor_put_and_list_metrics(emulator):
    status, _, _ = cbor_call(emulator.endpoint, "PutMetricData", {"Namespace": "App", "MetricData": [
        {"MetricName": "Hits", "Dimensions": [{"Name": "Page", "Value": "home"}],
         "Timestamp": cbor2.CBORTag(1, ts(11, 5)), "Value": 3.0},
        {"MetricName": "Hits", "Dimensions": [{"Name": "Page", "Value": "home"}],
         "Timestamp": cbor2.CBORTag(1, ts(11, 6)), "Values": [1.0, 2.0], "Counts": [1.0, 2.0]}]})
    assert status == 200
    _, _, out = cbor_call(emulator.endpoint, "GetMetricData", window(
        {"Id": "h", "MetricStat": {"Metric": {"Namespace": "App", "MetricName": "Hits",
                                              "Dimensions": [{"Name": "Page", "Value": "home"}]},
                                   "Period": 300, "Stat": "Sum"}}))
    assert out["MetricDataResults"][0]["Values"] == [8.0]
    _, _, listed = cbor_call(emulator.endpoint, "ListMetrics", {"Namespace": "App"})
    assert listed["Metrics"] == [{"Namespace": "App", "MetricName": "Hits",
                                  "Dimensions": [{"Name": "Page", "Value": "home"}]}]


def test_boto3_put_then_cbor_and_boto3_read(emulator):
    cw = emulator.client("cloudwatch")
    cw.put_metric_data(Namespace="AWS/Lambda", MetricData=[{
        "MetricName": "Invocations", "Value": 4.0, "Timestamp": T0.replace(hour=15),
        "Dimensions": [{"Name": "FunctionName", "Value": "f"}, {"Name": "Resource", "Value": "f:1"}]}])
    _, _, out = cbor_call(emulator.endpoint, "GetMetricData",
                          window(query("q", {"FunctionName": "f", "Resource": "f:1"})))
    assert out["MetricDataResults"][0]["Values"] == [4.0]
    resp = cw.get_metric_data(
        MetricDataQueries=[query("q", {"Resource": "f:1", "FunctionName": "f"}),
                           query("sub", {"Resource": "f:1"})],
        StartTime=T0.replace(hour=0), EndTime=T0.replace(hour=23))
    by_id = {r["Id"]: r for r in resp["MetricDataResults"]}
    assert by_id["q"]["Values"] == [4.0] and by_id["sub"]["Values"] == []


def test_cbor_region_isolation(emulator, metrics):
    _, _, out = cbor_call(emulator.endpoint, "GetMetricData", window(query("q", {"FunctionName": "orders"})),
                          region="eu-west-1")
    assert out["MetricDataResults"][0]["Values"] == []


def test_cbor_throttling_fault(emulator, metrics):
    emulator.control("POST", "/_emulator/faults", {
        "service": "cloudwatch", "operation": "GetMetricData", "status": 400,
        "code": "Throttling", "message": "Rate exceeded", "count": 2})
    for _ in range(2):
        status, headers, out = cbor_call(emulator.endpoint, "GetMetricData", window(query("q", {"FunctionName": "orders"})))
        assert status == 400
        assert out == {"__type": "com.amazonaws.cloudwatch#Throttling", "message": "Rate exceeded"}
        assert headers["x-amzn-query-error"] == "Throttling;Sender"
        assert headers["smithy-protocol"] == "rpc-v2-cbor"
    status, _, _ = cbor_call(emulator.endpoint, "GetMetricData", window(query("q", {"FunctionName": "orders"})))
    assert status == 200
    log = emulator.control("GET", "/_emulator/requests?service=cloudwatch")
    assert [(e["operation"], e["status"], e.get("fault", False)) for e in log] == [
        ("GetMetricData", 400, True), ("GetMetricData", 400, True), ("GetMetricData", 200, False)]


def test_boto3_throttling_fault(emulator):
    emulator.control("POST", "/_emulator/faults", {
        "service": "cloudwatch", "operation": "GetMetricData", "status": 400,
        "code": "Throttling", "message": "Rate exceeded", "count": 1})
    cw = emulator.client("cloudwatch")
    with pytest.raises(cw.exceptions.ClientError) as exc:
        cw.get_metric_data(MetricDataQueries=[query("q", {"FunctionName": "x"})],
                           StartTime=T0, EndTime=T0.replace(hour=12))
    assert exc.value.response["Error"]["Code"] == "Throttling"


def test_cbor_gzip_put_metric_data(emulator):
    """The Rust SDK gzips big PutMetricData bodies (Content-Encoding: gzip)."""
    import gzip

    payload = {"Namespace": "Z", "MetricData": [
        {"MetricName": "M", "Timestamp": cbor2.CBORTag(1, ts(10)), "Value": 2.0}] * 3}
    req = urllib.request.Request(
        f"{emulator.endpoint}/service/GraniteServiceVersion20100801/operation/PutMetricData",
        data=gzip.compress(cbor2.dumps(payload)), method="POST",
        headers={"smithy-protocol": "rpc-v2-cbor", "Content-Type": "application/cbor",
                 "Content-Encoding": "gzip",
                 "Authorization": f"AWS4-HMAC-SHA256 Credential=k/20261120/{REGION}/monitoring/aws4_request"})
    with urllib.request.urlopen(req) as resp:
        assert resp.status == 200
    _, _, out = cbor_call(emulator.endpoint, "GetMetricData", window(
        {"Id": "z", "MetricStat": {"Metric": {"Namespace": "Z", "MetricName": "M"}, "Period": 60, "Stat": "Sum"}}))
    assert out["MetricDataResults"][0]["Values"] == [6.0]
