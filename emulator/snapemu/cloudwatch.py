"""CloudWatch: exact-dimension GetMetricData and the Smithy RPC v2 CBOR front end.

The Rust SDK (aws-sdk-cloudwatch >= 1.100) speaks only Smithy RPC v2 CBOR:
``POST /service/GraniteServiceVersion20100801/operation/<Op>`` with a CBOR
body. moto has no CBOR support, so this module decodes those requests, runs
them against moto's cloudwatch backend (the same datapoints boto3's awsJson /
query PutMetricData writes) and encodes the answer in CBOR.

It also owns the GetMetricData engine used for *every* protocol (it replaces
moto's ``CloudWatchBackend.get_metric_data`` for MetricStat queries): AWS
semantics are an exact match on namespace, metric name and the full dimension
set, period buckets from StartTime, newest first by default. moto's version
matched dimension subsets when none were given, ignored the namespace when
some were, and rescanned all datapoints for every period.
"""

from __future__ import annotations

import math
from collections import defaultdict
from datetime import datetime, timezone
from typing import Any

import cbor2
from moto.cloudwatch.models import (
    CloudWatchBackend,
    MetricAggregatedDatum,
    MetricDatum,
    cloudwatch_backends,
)

from .errors import Response, error_response

MAX_QUERIES = 500
_orig_get_metric_data = CloudWatchBackend.get_metric_data


class CloudWatchError(Exception):
    def __init__(self, code: str, message: str, status: int = 400) -> None:
        super().__init__(message)
        self.code, self.message, self.status = code, message, status


def epoch(value: Any) -> float:
    """Datetime (naive = UTC, as moto stores them), number or ISO string -> epoch seconds."""
    if isinstance(value, datetime):
        if value.tzinfo is None:
            value = value.replace(tzinfo=timezone.utc)
        return value.timestamp()
    if isinstance(value, (int, float)):
        return float(value)
    if isinstance(value, str):
        from .lambda_patches import parse_iso

        return parse_iso(value).timestamp()
    raise CloudWatchError("ValidationError", f"Invalid timestamp: {value!r}")


def naive_utc(ts: float) -> datetime:
    return datetime.fromtimestamp(ts, tz=timezone.utc).replace(tzinfo=None)


def _dims_key(dims: Any) -> frozenset[tuple[str, str]]:
    if isinstance(dims, dict):
        return frozenset((str(k), str(v)) for k, v in dims.items())
    out = set()
    for d in dims or ():
        if isinstance(d, dict):
            out.add((str(d["Name"]), str(d.get("Value"))))
        else:  # moto Dimension object
            out.add((str(d.name), str(d.value)))
    return frozenset(out)


def _stat(values: list[Any], stat: str) -> float | None:
    sums = counts = 0.0
    mins: list[float] = []
    maxs: list[float] = []
    for md in values:
        if isinstance(md, MetricAggregatedDatum):
            sums += md.sum
            counts += md.sample_count
            mins.append(md.min)
            maxs.append(md.max)
        else:
            sums += md.value
            counts += 1
            mins.append(md.value)
            maxs.append(md.value)
    if stat == "Sum":
        return sums
    if stat == "SampleCount":
        return counts
    if stat == "Average":
        return sums / counts if counts else None
    if stat == "Maximum":
        return max(maxs) if maxs else None
    if stat == "Minimum":
        return min(mins) if mins else None
    raise CloudWatchError("InvalidParameterValue", f"Unsupported statistic: {stat}")


def metric_data(backend: CloudWatchBackend, queries: list[dict[str, Any]], start: Any, end: Any,
                scan_by: str | None = None) -> list[dict[str, Any]]:
    """GetMetricData over moto's stored datapoints. Returns moto's result shape
    (id/label/values/timestamps/status_code) with epoch-float timestamps."""
    if len(queries) > MAX_QUERIES:
        raise CloudWatchError(
            "ValidationError",
            f"The collection MetricDataQueries must not have a size greater than {MAX_QUERIES}.",
        )
    start_ts, end_ts = epoch(start), epoch(end)
    if start_ts >= end_ts:
        raise CloudWatchError("ValidationError", "The parameter EndTime must be greater than StartTime.")
    descending = (scan_by or "TimestampDescending") != "TimestampAscending"

    # One pass over the store, indexed by exact identity, serves all queries.
    index: dict[tuple[str, str, frozenset[tuple[str, str]]], list[Any]] = defaultdict(list)
    for md in backend.metric_data:
        ts = epoch(md.timestamp)
        if start_ts <= ts < end_ts:
            index[(md.namespace, md.name, _dims_key(md.dimensions))].append((ts, md))

    results = []
    for query in queries:
        stat_spec = query.get("MetricStat")
        if not stat_spec:
            raise CloudWatchError("ValidationError", "Only MetricStat queries are supported by the emulator.")
        metric = stat_spec["Metric"]
        period = int(stat_spec.get("Period") or query.get("Period") or 60)
        if period <= 0:
            raise CloudWatchError("ValidationError", "Period must be positive.")
        stat = stat_spec["Stat"]
        unit = stat_spec.get("Unit")
        key = (metric.get("Namespace"), metric.get("MetricName"), _dims_key(metric.get("Dimensions")))
        buckets: dict[int, list[Any]] = defaultdict(list)
        for ts, md in index.get(key, ()):
            if unit and md.unit != unit:
                continue
            buckets[math.floor((ts - start_ts) / period)].append(md)
        points = []
        for bucket, members in buckets.items():
            value = _stat(members, stat)
            if value is not None:
                points.append((start_ts + bucket * period, float(value)))
        points.sort(reverse=descending)
        if query.get("ReturnData", True) is False:
            continue
        results.append({
            "id": query["Id"],
            "label": query.get("Label") or metric.get("MetricName"),
            "timestamps": [p[0] for p in points],
            "values": [p[1] for p in points],
            "status_code": "Complete",
        })
    return results


def _patched_get_metric_data(self: CloudWatchBackend, queries: list[dict[str, Any]], start_time: datetime,
                             end_time: datetime, scan_by: str = "TimestampAscending") -> list[dict[str, Any]]:
    if not queries or any("MetricStat" not in q for q in queries):
        return _orig_get_metric_data(self, queries, start_time, end_time, scan_by)
    try:
        results = metric_data(self, queries, start_time, end_time, scan_by)
    except CloudWatchError as err:
        from moto.cloudwatch.exceptions import ValidationError

        raise ValidationError(err.message) from err
    for r in results:  # moto's serialisers want datetimes
        r["timestamps"] = [naive_utc(t) for t in r["timestamps"]]
    return results


def put_metric_data(backend: CloudWatchBackend, namespace: str, data: list[dict[str, Any]]) -> None:
    """Store datapoints directly (no validation: seeding may use any age)."""
    for item in data:
        ts = item.get("Timestamp")
        when = naive_utc(epoch(ts)) if ts is not None else None
        dims = [{"Name": d["Name"], "Value": d["Value"]} for d in item.get("Dimensions") or []]
        name = item["MetricName"]
        unit = item.get("Unit")
        if item.get("StatisticValues"):
            s = item["StatisticValues"]
            backend.metric_data.append(MetricAggregatedDatum(
                namespace, name, float(s["Minimum"]), float(s["Maximum"]), float(s["SampleCount"]),
                float(s["Sum"]), dims, when, unit))
        elif item.get("Values"):
            counts = item.get("Counts") or [1] * len(item["Values"])
            for value, count in zip(item["Values"], counts):
                for _ in range(int(count)):
                    backend.metric_data.append(MetricDatum(namespace, name, float(value), dims, when, unit))
        else:
            backend.metric_data.append(MetricDatum(namespace, name, float(item.get("Value", 0)), dims, when, unit))


# ---------------------------------------------------------------- CBOR front end

def _ts_tag(ts: float) -> cbor2.CBORTag:
    return cbor2.CBORTag(1, float(ts))


def _cbor_ok(payload: dict[str, Any]) -> Response:
    headers = [("smithy-protocol", "rpc-v2-cbor"), ("Content-Type", "application/cbor")]
    return 200, headers, cbor2.dumps(payload)


def _get_metric_data(backend: CloudWatchBackend, req: dict[str, Any]) -> dict[str, Any]:
    queries = req.get("MetricDataQueries") or []
    if "StartTime" not in req or "EndTime" not in req:
        raise CloudWatchError("ValidationError", "StartTime and EndTime are required.")
    results = metric_data(backend, queries, req["StartTime"], req["EndTime"], req.get("ScanBy"))
    return {
        "MetricDataResults": [
            {
                "Id": r["id"],
                "Label": r["label"],
                "Timestamps": [_ts_tag(t) for t in r["timestamps"]],
                "Values": r["values"],
                "StatusCode": r["status_code"],
            }
            for r in results
        ],
        "Messages": [],
    }


def _list_metrics(backend: CloudWatchBackend, req: dict[str, Any]) -> dict[str, Any]:
    want_dims = req.get("Dimensions") or []
    seen: dict[tuple[str, str, frozenset[tuple[str, str]]], dict[str, Any]] = {}
    for md in backend.metric_data:
        if req.get("Namespace") and md.namespace != req["Namespace"]:
            continue
        if req.get("MetricName") and md.name != req["MetricName"]:
            continue
        dims = _dims_key(md.dimensions)
        names = {n for n, _ in dims}
        if any(d["Name"] not in names or ("Value" in d and (d["Name"], d["Value"]) not in dims)
               for d in want_dims):
            continue
        key = (md.namespace, md.name, dims)
        seen.setdefault(key, {
            "Namespace": md.namespace,
            "MetricName": md.name,
            "Dimensions": [{"Name": n, "Value": v} for n, v in sorted(dims)],
        })
    return {"Metrics": list(seen.values())}


def handle_cbor(operation: str, body: bytes, region: str, account_id: str) -> Response:
    """Serve one RPC v2 CBOR CloudWatch request against moto's backend."""
    try:
        try:
            req = cbor2.loads(body) if body else {}
        except Exception as exc:  # cbor2 raises several decode error types
            raise CloudWatchError("SerializationException", f"Invalid CBOR body: {exc}") from exc
        if not isinstance(req, dict):
            raise CloudWatchError("SerializationException", "CBOR body must be a map")
        backend = cloudwatch_backends[account_id][region]
        if operation == "GetMetricData":
            return _cbor_ok(_get_metric_data(backend, req))
        if operation == "PutMetricData":
            put_metric_data(backend, req.get("Namespace") or "", req.get("MetricData") or [])
            return _cbor_ok({})
        if operation == "ListMetrics":
            return _cbor_ok(_list_metrics(backend, req))
        raise CloudWatchError("UnknownOperationException",
                              f"Operation {operation} is not supported by the emulator's CBOR front end.")
    except CloudWatchError as err:
        return error_response("cbor", "cloudwatch", err.status, err.code, err.message)
    except Exception as exc:  # keep the wire format even for our own bugs
        return error_response("cbor", "cloudwatch", 500, "InternalServiceError", f"{type(exc).__name__}: {exc}")


def install() -> None:
    CloudWatchBackend.get_metric_data = _patched_get_metric_data
