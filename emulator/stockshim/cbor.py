"""Smithy RPC v2 CBOR in front of stock moto's awsJson, for CloudWatch (aws-sdk-cloudwatch >= 1.100
speaks only CBOR; the tagging SDK speaks awsJson 1.1, which moto serves itself).

``POST /service/<ServiceId>/operation/<Operation>`` with a CBOR body becomes ``POST /`` with
``X-Amz-Target: <ServiceId>.<Operation>`` and the same content as JSON; moto's JSON answer goes
back as CBOR. Timestamps are the only values whose encoding differs between the two protocols
(epoch numbers in JSON, CBOR tag 1 in RPC v2): botocore's service model says which members are
timestamps. Errors keep moto's status, ``__type``, message and ``x-amzn-query-error`` header.
"""

from __future__ import annotations

import gzip
import io
import json
import re
from datetime import datetime, timezone
from functools import lru_cache
from typing import Any, Callable

import botocore.session
import cbor2

PATH = re.compile(r"^/service/(?P<service>[^/]+)/operation/(?P<operation>[^/]+)/?$")

# The awsJson version each service's model names (botocore: metadata.jsonVersion).
SERVICES = {"GraniteServiceVersion20100801": ("cloudwatch", "application/x-amz-json-1.0")}

Response = tuple[int, list[tuple[str, str]], bytes]


@lru_cache(maxsize=None)
def _model(service: str) -> Any:
    return botocore.session.get_session().get_service_model(service)


def _to_json(value: Any) -> Any:
    """CBOR-decoded request -> JSON-able: datetimes (tag 1) become epoch seconds."""
    if isinstance(value, datetime):
        return (value if value.tzinfo else value.replace(tzinfo=timezone.utc)).timestamp()
    if isinstance(value, dict):
        return {k: _to_json(v) for k, v in value.items()}
    if isinstance(value, list):
        return [_to_json(v) for v in value]
    if isinstance(value, bytes):
        raise ValueError("blob members are not translated")
    return value


def _timestamp(value: Any) -> datetime:
    if isinstance(value, (int, float)):
        return datetime.fromtimestamp(value, tz=timezone.utc)
    parsed = datetime.fromisoformat(str(value).replace("Z", "+00:00"))
    return parsed if parsed.tzinfo else parsed.replace(tzinfo=timezone.utc)


def _to_cbor(shape: Any, value: Any) -> Any:
    """moto's JSON answer -> CBOR-ready values, timestamps as datetimes (tag 1) per the model."""
    if shape is None or value is None:
        return value
    kind = shape.type_name
    if kind == "timestamp":
        return _timestamp(value)
    if kind == "structure" and isinstance(value, dict):
        return {k: _to_cbor(shape.members.get(k), v) for k, v in value.items()}
    if kind == "list" and isinstance(value, list):
        return [_to_cbor(shape.member, v) for v in value]
    if kind == "map" and isinstance(value, dict):
        return {k: _to_cbor(shape.value, v) for k, v in value.items()}
    return value


def _cbor_response(status: int, payload: dict[str, Any], extra: list[tuple[str, str]]) -> Response:
    body = cbor2.dumps(payload, datetime_as_timestamp=True, timezone=timezone.utc)
    headers = [("Content-Type", "application/cbor"), ("smithy-protocol", "rpc-v2-cbor"), *extra]
    return status, headers, body


def handle(environ: dict[str, Any], body: bytes, moto: Callable[..., Any]) -> Response | None:
    """Answers a CBOR request through moto's awsJson, or None when it is not one."""
    match = PATH.match(environ.get("PATH_INFO", ""))
    if match is None or match["service"] not in SERVICES:
        return None
    service, content_type = SERVICES[match["service"]]
    operation = match["operation"]
    if "gzip" in environ.get("HTTP_CONTENT_ENCODING", ""):
        body = gzip.decompress(body)  # the Rust SDK compresses large PutMetricData bodies
    request = json.dumps(_to_json(cbor2.loads(body) if body else {})).encode()
    forwarded = dict(environ)
    forwarded.pop("HTTP_CONTENT_ENCODING", None)
    forwarded.update({
        "PATH_INFO": "/", "REQUEST_METHOD": "POST", "QUERY_STRING": "", "CONTENT_TYPE": content_type,
        "HTTP_CONTENT_TYPE": content_type, "HTTP_X_AMZ_TARGET": f"{match['service']}.{operation}",
        "CONTENT_LENGTH": str(len(request)), "wsgi.input": io.BytesIO(request),
    })
    forwarded.pop("HTTP_SMITHY_PROTOCOL", None)
    status_box: list[int] = []
    passed_on: list[tuple[str, str]] = []

    def start_response(status: str, headers: Any, _exc_info: Any = None) -> None:
        status_box.append(int(status.split(" ", 1)[0]))
        # The code of a query-compatible service's error, which the Rust SDK reads first.
        passed_on.extend((k, v) for k, v in headers if k.lower() == "x-amzn-query-error")

    answer = b"".join(moto(forwarded, start_response))
    status = status_box[0] if status_box else 500
    payload = json.loads(answer) if answer.strip() else {}
    if status >= 400:
        error = {"__type": payload.get("__type", "UnknownError"), "message": payload.get("message") or payload.get("Message", "")}
        return _cbor_response(status, error, passed_on)
    output = _model(service).operation_model(operation).output_shape
    return _cbor_response(status, _to_cbor(output, payload), passed_on)
