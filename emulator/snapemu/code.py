"""GetFunction's ``Code.Location``: a link that downloads the version's deployment package and
expires, as AWS's is.

AWS: "The presigned URL you can use to download the function's .zip file that you previously
uploaded. The URL is valid for up to 10 minutes." (Lambda API reference, FunctionCodeLocation;
botocore lambda service-2.json). moto answers an ``s3://``-style address nothing can fetch.

Our link is ``http://<emulator host>/_emulator/code/<account>/<region>/<function>/<version>
?X-Amz-Expires=<s>&X-Amz-Date=<issued>`` and serves the version's zip until it expires; after
that it answers as S3 answers an expired presigned URL: 403 ``AccessDenied`` "Request has
expired". Tests shorten the validity, issue the next links already expired, refuse downloads or
tamper with the bytes through ``POST /_emulator/lambda/code`` (control.py). A container-image
version has no link: ``ImageUri`` and ``ResolvedImageUri`` instead. FIDELITY.md, "GetFunction:
Code.Location".
"""

from __future__ import annotations

import threading
import time
from datetime import datetime, timezone
from typing import Any
from urllib.parse import quote

from moto.awslambda.models import LambdaFunction, lambda_backends

from .errors import Response

VALID_SECONDS = 600
EXPIRED = ("<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n<Error><Code>AccessDenied</Code>"
           "<Message>Request has expired</Message></Error>").encode()
DENIED = ("<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n<Error><Code>AccessDenied</Code>"
          "<Message>Access Denied</Message></Error>").encode()

# The host the current request came to: the link must point back at this emulator.
_REQUEST = threading.local()


class CodeLinks:
    """How the links behave; reset with the emulator."""

    def __init__(self) -> None:
        self.reset()

    def reset(self) -> None:
        self.valid_seconds = VALID_SECONDS
        self.refuse = False
        self.tamper = False
        # How many of the next links are issued already expired.
        self.expired_first = 0
        self.downloads = 0

    def to_json(self) -> dict[str, Any]:
        return {"valid_seconds": self.valid_seconds, "refuse": self.refuse, "tamper": self.tamper,
                "expired_first": self.expired_first, "downloads": self.downloads}


LINKS = CodeLinks()


def set_request_host(host: str) -> None:
    _REQUEST.host = host


def location(fn: LambdaFunction, now: float | None = None) -> str:
    issued = int(now if now is not None else time.time())
    if LINKS.expired_first > 0:  # a link that expired a second before it was handed out
        LINKS.expired_first -= 1
        issued -= LINKS.valid_seconds + 1
    stamp = datetime.fromtimestamp(issued, timezone.utc).strftime("%Y%m%dT%H%M%SZ")
    host = getattr(_REQUEST, "host", "127.0.0.1")
    path = "/".join(quote(str(p), safe="") for p in (fn.account_id, fn.region, fn.function_name, fn.version))
    return f"http://{host}/_emulator/code/{path}?X-Amz-Expires={LINKS.valid_seconds}&X-Amz-Date={stamp}"


def _repository(image_uri: str) -> str:
    """``host[:port]/repo`` of ``host[:port]/repo:tag`` or ``host[:port]/repo@sha256:...``."""
    if "@" in image_uri:
        return image_uri.split("@", 1)[0]
    head, slash, tail = image_uri.rpartition("/")
    return head + slash + tail.split(":", 1)[0]


def _get_code(self: LambdaFunction) -> dict[str, Any]:
    resp = _MOTO_GET_CODE(self)
    code = resp.get("Code") or {}
    if code.get("RepositoryType") == "S3":
        code["Location"] = location(self)
    elif code.get("RepositoryType") == "ECR":
        # AWS: "<repository>@sha256:<CodeSha256>" (LocalStack's recordings, TestLambdaImages);
        # moto cut the URI at its first ":", which breaks a registry with a port or a digest URI.
        code["ResolvedImageUri"] = f"{_repository(code['ImageUri'])}@sha256:{self.code_sha_256}"
    return resp


def _expired(query: dict[str, str], now: float) -> bool:
    try:
        issued = datetime.strptime(query["X-Amz-Date"], "%Y%m%dT%H%M%SZ").replace(tzinfo=timezone.utc).timestamp()
        return now > issued + int(query["X-Amz-Expires"])
    except (KeyError, ValueError):
        return True


def download(parts: list[str], query: dict[str, str], now: float | None = None) -> Response:
    """Answers a link of :func:`location`."""
    now = now if now is not None else time.time()
    xml = [("Content-Type", "application/xml")]
    if _expired(query, now):
        return 403, xml, EXPIRED
    if LINKS.refuse:
        return 403, xml, DENIED
    if len(parts) != 4:
        return 404, xml, b"<Error><Code>NoSuchKey</Code><Message>The specified key does not exist.</Message></Error>"
    account, region, name, version = parts
    try:
        fn = lambda_backends[account][region].get_function(name, version)
    except Exception:  # moto raises its own not-found errors
        fn = None
    if fn is None:
        return 404, xml, b"<Error><Code>NoSuchKey</Code><Message>The specified key does not exist.</Message></Error>"
    LINKS.downloads += 1
    body = bytes(fn.code_bytes)
    if LINKS.tamper:
        body = body + b"tampered"
    return 200, [("Content-Type", "application/zip")], body


_MOTO_GET_CODE = LambdaFunction.get_code


def install() -> None:
    LambdaFunction.get_code = _get_code
