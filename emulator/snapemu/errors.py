"""Serialise an AWS error in the wire format of the protocol the client spoke.

Used for injected faults and for errors raised by our own handlers (CBOR
front end, Lambda listing patches). Shapes follow what the AWS SDKs parse:

* Lambda REST-JSON: ``x-amzn-errortype`` header + ``{"Type", "Message"}`` for a 404 and a 5xx,
  ``{"Type", "message"}`` otherwise, and ``{"Reason", "Type", "message"}`` for a 429 (the keys
  AWS sends, FIDELITY.md "Lambda errors on the wire").
* Smithy RPC v2 CBOR: CBOR map ``{"__type", "message"}`` plus the
  ``x-amzn-query-error: Code;Sender`` header that query-compatible services
  (CloudWatch) send and the Rust SDK prefers for the error code.
* awsJson: ``{"__type", "message"}`` (+ ``x-amzn-query-error``).
* query: XML ``ErrorResponse``.
"""

from __future__ import annotations

import json
import uuid
from xml.sax.saxutils import escape

import cbor2

SMITHY_NAMESPACES = {"cloudwatch": "com.amazonaws.cloudwatch",
                     "tagging": "com.amazonaws.resourcegroupstaggingapi"}

Response = tuple[int, list[tuple[str, str]], bytes]


def error_response(protocol: str, service: str, status: int, code: str, message: str) -> Response:
    request_id = str(uuid.uuid4())
    sender = "Sender" if status < 500 else "Receiver"
    headers = [("x-amzn-RequestId", request_id)]
    if protocol == "rest-json":
        key = "Message" if status == 404 or status >= 500 else "message"
        body: dict[str, object] = {"Type": "User" if status < 500 else "Service", key: message}
        if status == 429:
            body = {"Reason": "CallerRateLimitExceeded", "Type": "User", "message": message}
        headers += [("x-amzn-errortype", code), ("Content-Type", "application/json")]
        return status, headers, json.dumps(body).encode()
    if protocol == "cbor":
        full = code if "#" in code else f"{SMITHY_NAMESPACES.get(service, 'com.amazonaws.' + service)}#{code}"
        headers += [
            ("smithy-protocol", "rpc-v2-cbor"),
            ("Content-Type", "application/cbor"),
            ("x-amzn-query-error", f"{code.split('#')[-1]};{sender}"),
        ]
        return status, headers, cbor2.dumps({"__type": full, "message": message})
    if protocol == "json":
        headers += [
            ("Content-Type", "application/x-amz-json-1.0"),
            ("x-amzn-query-error", f"{code};{sender}"),
        ]
        return status, headers, json.dumps({"__type": code, "message": message}).encode()
    # query protocol (and anything unknown): the classic XML error document
    xml = (
        "<ErrorResponse><Error>"
        f"<Type>{sender}</Type><Code>{escape(code)}</Code><Message>{escape(message)}</Message>"
        f"</Error><RequestId>{request_id}</RequestId></ErrorResponse>"
    )
    headers.append(("Content-Type", "text/xml"))
    return status, headers, xml.encode()
