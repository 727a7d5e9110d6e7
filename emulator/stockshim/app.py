"""The WSGI application: stock moto's server app, with the shims of this package in front.

Order per request: ``POST /moto-api/reset`` also clears the shim's own state; CBOR requests are
translated (``cbor.py``); the Lambda gaps are answered (``lambda_gaps.py``); everything else is
moto's, and Lambda answers get their SnapStart member reported.
"""

from __future__ import annotations

import io
from collections.abc import Callable, Iterable
from typing import Any

from moto.moto_server.werkzeug_app import DomainDispatcherApplication, create_backend_app
from werkzeug.http import HTTP_STATUS_CODES

from . import cbor, lambda_gaps

StartResponse = Callable[..., Any]


def _read_body(environ: dict[str, Any]) -> bytes:
    length = int(environ.get("CONTENT_LENGTH") or 0)
    stream = environ.get("wsgi.input")
    if stream is None:
        body = b""
    elif length > 0:
        body = stream.read(length)
    elif environ.get("wsgi.input_terminated"):
        body = stream.read()
    else:
        body = b""
    environ["wsgi.input"] = io.BytesIO(body)
    environ["CONTENT_LENGTH"] = str(len(body))
    return body


def _is_lambda(environ: dict[str, Any]) -> bool:
    return "/lambda/aws4_request" in environ.get("HTTP_AUTHORIZATION", "")


class StockShimApp:
    def __init__(self) -> None:
        self.moto = DomainDispatcherApplication(create_backend_app)

    def __call__(self, environ: dict[str, Any], start_response: StartResponse) -> Iterable[bytes]:
        body = _read_body(environ)
        if environ.get("PATH_INFO") == "/moto-api/reset":
            lambda_gaps.reset()
        answer = cbor.handle(environ, body, self.moto)
        if answer is None and _is_lambda(environ):
            answer = lambda_gaps.handle(environ, body)
            if answer is None:
                lambda_gaps.remember_snapstart(environ, body)
                return self._lambda_by_moto(environ, start_response)
        if answer is None:
            return self.moto(environ, start_response)
        status, headers, payload = answer
        headers = [h for h in headers if h[0].lower() != "content-length"] + [("Content-Length", str(len(payload)))]
        start_response(f"{status} {HTTP_STATUS_CODES.get(status, 'Unknown')}", headers)
        return [payload]

    def _lambda_by_moto(self, environ: dict[str, Any], start_response: StartResponse) -> Iterable[bytes]:
        captured: list[Any] = []

        def capture(status: str, headers: Any, exc_info: Any = None) -> None:
            captured.append((status, headers))

        result = self.moto(environ, capture)
        try:
            answer = b"".join(result)
        finally:
            if hasattr(result, "close"):
                result.close()
        status, headers = captured[0]
        answer = lambda_gaps.report_snapstart(environ, int(status.split(" ", 1)[0]), answer)
        headers = [h for h in headers if h[0].lower() != "content-length"] + [("Content-Length", str(len(answer)))]
        start_response(status, headers)
        return [answer]


def build_app() -> StockShimApp:
    return StockShimApp()
