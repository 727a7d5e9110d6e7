"""Resource Groups Tagging API over Smithy RPC v2 CBOR.

The service's model lists RPC v2 CBOR first (boto3 still sends awsJson 1.1,
``X-Amz-Target: ResourceGroupsTaggingAPI_20170126.<Op>``), so an AWS SDK may
send ``POST /service/ResourceGroupsTaggingAPI_20170126/operation/<Op>`` with
a CBOR body. moto only speaks awsJson here; this module turns such a request
into the awsJson request moto understands and the answer back into CBOR. The
operations themselves (GetResources with ResourceTypeFilters, TagFilters and
PaginationToken, ...) are moto's, which lists Lambda functions with their
tags for the request's account and region.
"""

from __future__ import annotations

import io
import json
from collections.abc import Callable
from typing import Any

import cbor2

from .errors import Response, error_response

TARGET_PREFIX = "ResourceGroupsTaggingAPI_20170126"

MotoApp = Callable[[dict[str, Any], Callable[..., Any]], Any]


def handle_cbor(moto: MotoApp, environ: dict[str, Any], operation: str, body: bytes) -> Response:
    try:
        request = cbor2.loads(body) if body else {}
    except Exception as exc:  # cbor2 raises several decode error types
        return error_response("cbor", "tagging", 400, "SerializationException", f"Invalid CBOR body: {exc}")
    payload = json.dumps(request, default=str).encode()
    forwarded = dict(environ)
    forwarded.update({
        "PATH_INFO": "/",
        "REQUEST_METHOD": "POST",
        "HTTP_X_AMZ_TARGET": f"{TARGET_PREFIX}.{operation}",
        "CONTENT_TYPE": "application/x-amz-json-1.1",
        "CONTENT_LENGTH": str(len(payload)),
        "wsgi.input": io.BytesIO(payload),
    })
    forwarded.pop("HTTP_SMITHY_PROTOCOL", None)
    status_box: list[int] = []

    def start_response(status: str, headers: Any, exc_info: Any = None) -> Any:
        status_box.append(int(status.split(" ", 1)[0]))
        return lambda _data: None

    result = moto(forwarded, start_response)
    try:
        raw = b"".join(result)
    finally:
        if hasattr(result, "close"):
            result.close()
    status = status_box[0] if status_box else 500
    try:
        answer = json.loads(raw or b"{}")
    except ValueError:
        answer = {"__type": "InternalServiceException", "message": raw.decode("utf-8", "replace")}
    if status >= 400:
        code = str(answer.get("__type") or "InternalServiceException").split("#")[-1]
        return error_response("cbor", "tagging", status, code, str(answer.get("message") or answer.get("Message")))
    headers = [("smithy-protocol", "rpc-v2-cbor"), ("Content-Type", "application/cbor")]
    return status, headers, cbor2.dumps(answer)
