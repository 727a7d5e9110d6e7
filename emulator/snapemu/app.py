"""The WSGI application: our front layer around moto's server app.

For every request it (1) serves ``/_emulator/*`` control calls, (2) works out
service, operation, region and account, (3) refuses it for a disabled region,
a Lambda quota (before the lock) or a missing ExternalId, (4) applies an
injected fault if one matches, else (5) answers CloudWatch and tagging CBOR
and the Lambda operations of lambda_extras itself, or passes the request to
moto's ``DomainDispatcherApplication``, and (6) appends the outcome to the
request log.
"""

from __future__ import annotations

import gzip
import io
import json
import sys
import time
import traceback
from collections.abc import Callable, Iterable
from typing import Any

from moto.awslambda.exceptions import LambdaClientError
from moto.awslambda.utils import get_backend as lambda_backend
from moto.moto_server.werkzeug_app import DomainDispatcherApplication, create_backend_app
from werkzeug.http import HTTP_STATUS_CODES

from . import code, control, lambda_extras, lambda_updates, tagging
from .classify import RequestInfo, classify
from .cloudwatch import handle_cbor
from .errors import Response, error_response
from .quotas import QUOTAS
from .state import LOCK, STATE

StartResponse = Callable[..., Any]


def _status_line(status: int) -> str:
    return f"{status} {HTTP_STATUS_CODES.get(status, 'Unknown')}"


def _read_body(environ: dict[str, Any]) -> bytes:
    try:
        length = int(environ.get("CONTENT_LENGTH") or 0)
    except ValueError:
        length = 0
    stream = environ.get("wsgi.input")
    if stream is None:
        body = b""
    elif length > 0:
        body = stream.read(length)
    elif environ.get("wsgi.input_terminated"):  # chunked upload: werkzeug ends the stream
        body = stream.read()
    else:
        body = b""
    # moto reads the body again: hand it a fresh stream.
    environ["wsgi.input"] = io.BytesIO(body)
    environ["CONTENT_LENGTH"] = str(len(body))
    return body


class EmulatorApp:
    def __init__(self) -> None:
        self.moto = DomainDispatcherApplication(create_backend_app)

    def __call__(self, environ: dict[str, Any], start_response: StartResponse) -> Iterable[bytes]:
        received = time.time()  # arrival, before waiting for the lock: what a rate limit sees
        path = environ.get("PATH_INFO", "") or "/"
        body = _read_body(environ)
        if path.startswith("/_emulator"):
            with LOCK:
                return self._send(start_response, control.handle(
                    environ.get("REQUEST_METHOD", "GET").upper(), path,
                    environ.get("QUERY_STRING", ""), body))

        info = classify(environ, body)
        info.received = received
        code.set_request_host(environ.get("HTTP_HOST", "127.0.0.1"))
        refusal = _disabled_region(info)
        throttled = False
        if refusal is None and not QUOTAS.admit(info.account_id, info.region, info.service,
                                                info.operation, received):
            throttled = True
            refusal = error_response(info.protocol, info.service, 429, "TooManyRequestsException",
                                     "Rate exceeded")
        with LOCK:
            refusal = refusal or _assume_role_refusal(info) or _bucket_owner_refusal(info, environ)
            if refusal is not None:
                STATE.log_request(info, refusal[0], throttled=throttled)
                return self._send(start_response, refusal)
            fault = STATE.take_fault(info)
            if fault is not None:
                response = error_response(info.protocol, info.service, fault.status, fault.code, fault.message)
                STATE.log_request(info, fault.status, fault)
                return self._send(start_response, response)
            try:
                response = self._own_route(info, body, environ)
                if response is not None:
                    STATE.log_request(info, response[0])
                    return self._send(start_response, response)
                status_box: list[int] = []

                def recording_start_response(status: str, headers: Any, exc_info: Any = None) -> Any:
                    status_box.append(int(status.split(" ", 1)[0]))
                    return start_response(status, headers, exc_info)

                # Materialise moto's body while we still hold the lock.
                result = self.moto(environ, recording_start_response)
                try:
                    chunks = list(result)
                finally:
                    if hasattr(result, "close"):
                        result.close()
                STATE.log_request(info, status_box[0] if status_box else 500)
                return chunks
            except Exception as exc:  # a moto crash must still look like AWS
                traceback.print_exc(file=sys.stderr)
                response = error_response(info.protocol, info.service, 500, "ServiceException",
                                          f"emulator error: {type(exc).__name__}: {exc}")
                STATE.log_request(info, 500)
                return self._send(start_response, response)

    def _own_route(self, info: RequestInfo, body: bytes, environ: dict[str, Any]) -> Response | None:
        """Requests answered by us instead of moto, or None."""
        if info.protocol == "cbor" and info.service == "cloudwatch":
            if "gzip" in environ.get("HTTP_CONTENT_ENCODING", ""):
                # The Rust SDK gzips large PutMetricData bodies (@requestCompression).
                body = gzip.decompress(body)
            return handle_cbor(info.operation, body, info.region, info.account_id)
        if info.protocol == "cbor" and info.service == "tagging":
            return tagging.handle_cbor(self.moto, environ, info.operation, body)
        if info.service == "lambda":
            return _lambda_extra(info)
        return None

    @staticmethod
    def _send(start_response: StartResponse, response: Response) -> list[bytes]:
        status, headers, payload = response
        headers = [h for h in headers if h[0].lower() != "content-length"]
        headers.append(("Content-Length", str(len(payload))))
        start_response(_status_line(status), headers)
        return [payload]


def _lambda_extra(info: RequestInfo) -> Response | None:
    """Lambda operations of lambda_updates and lambda_extras (moto lacks them or models them
    wrongly)."""
    backend = lambda_backend(info.account_id, info.region)
    try:
        answer = lambda_updates.handle(backend, info)
        if answer is None:
            answer = lambda_extras.handle(backend, info)
    except LambdaClientError as err:
        return error_response("rest-json", "lambda", err.code, err.error_type, err.message)
    if answer is None:
        return None
    status, payload = answer
    body = b"" if payload is None else json.dumps(payload).encode()
    return status, [("Content-Type", "application/json")], body


# Services whose regional endpoints refuse requests in a region the account has not enabled.
# STS too: the SDK calls the regional endpoint, and in such a region it answers 403
# InvalidClientTokenId (remotion-dev/github-unwrapped-2022#34, GetCallerIdentity in eu-south-1).
# IAM is global and left alone. FIDELITY.md, "Regions that are not enabled".
REGIONAL_SERVICES = frozenset({"lambda", "cloudwatch", "tagging", "sns", "sts"})
# JSON-protocol services answer UnrecognizedClientException, query-protocol ones (CloudWatch,
# SNS, STS) InvalidClientTokenId. CloudWatch and STS leave out the final period (grafana#18755,
# yet-another-cloudwatch-exporter#501); Lambda and SNS keep it (iamlive#58, aws-sns#31).
INVALID_TOKEN = "The security token included in the request is invalid."


def _disabled_region(info: RequestInfo) -> Response | None:
    """403 for a request to a region that is not enabled (an opt-in region)."""
    if info.service not in REGIONAL_SERVICES or info.region not in STATE.disabled_regions:
        return None
    code = "UnrecognizedClientException" if info.service in ("lambda", "tagging") else "InvalidClientTokenId"
    message = INVALID_TOKEN.rstrip(".") if info.service in ("cloudwatch", "sts") else INVALID_TOKEN
    return error_response(info.protocol, info.service, 403, code, message)


def _assume_role_refusal(info: RequestInfo) -> Response | None:
    """sts:AssumeRole of a role that requires an ExternalId, without the right one:
    403 AccessDenied, as the role's trust policy condition makes AWS answer."""
    if info.service != "sts" or info.operation != "AssumeRole":
        return None
    role_arn = str(info.params.get("RoleArn", ""))
    wanted = STATE.role_external_ids.get(role_arn)
    if wanted is None or info.params.get("ExternalId") == wanted:
        return None
    caller = f"arn:aws:iam::{info.account_id}:user/{info.access_key or 'anonymous'}"
    return error_response(info.protocol, "sts", 403, "AccessDenied",
                          f"User: {caller} is not authorized to perform: sts:AssumeRole on resource: {role_arn}")


def _bucket_owner_refusal(info: RequestInfo, environ: dict[str, Any]) -> Response | None:
    """S3 with ``x-amz-expected-bucket-owner`` naming another account than the bucket's: 403
    AccessDenied "Access Denied" (botocore s3 service-2.json, ExpectedBucketOwner: "If the account
    ID that you provide does not match the actual owner of the bucket, the request fails with the
    HTTP status code 403 Forbidden (access denied)"). moto ignores the header."""
    expected = environ.get("HTTP_X_AMZ_EXPECTED_BUCKET_OWNER")
    if info.service != "s3" or not expected:
        return None
    from moto.s3.models import s3_backends

    bucket_name = (environ.get("PATH_INFO", "/").lstrip("/").split("/", 1)[0])
    owner = next((account for account, backends in s3_backends.items()
                  if bucket_name in backends["aws"].buckets), None)
    if owner is None or owner == expected:
        return None
    body = ("<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n<Error><Code>AccessDenied</Code>"
            "<Message>Access Denied</Message></Error>").encode()
    return 403, [("Content-Type", "application/xml")], body


def build_app() -> EmulatorApp:
    return EmulatorApp()
