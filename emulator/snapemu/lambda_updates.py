"""Changes to a function's ``$LATEST`` as AWS answers them: UpdateFunctionCode (a zip, an S3
object or an image), UpdateFunctionConfiguration and PublishVersion, served by us instead of moto.

* **RevisionId.** Every change to ``$LATEST`` gives it a new RevisionId, and so does the end of
  an update: the RevisionId an update answers is never the one GetFunction shows afterwards.
  CreateFunction's is replaced as the function becomes Active. PublishVersion gives the version
  its own RevisionId and ``$LATEST`` a new one. A ``RevisionId`` that is not the current one is
  412 ``PreconditionFailedException``.
* **PublishVersion's CodeSha256.** A hash other than ``$LATEST``'s is 400
  ``InvalidParameterValueException``.
* **LastUpdateStatus.** An update answers ``InProgress``. With ``update_in_progress_reads`` = N
  (``POST /_emulator/lambda/updates``), the next N GetFunction / GetFunctionConfiguration reads
  of ``$LATEST`` say ``InProgress`` too, and an update or publish meanwhile is 409
  ``ResourceConflictException``. With 0 (the default) the update is over before the next request.
* **UpdateFunctionCode from S3** reads the object from the emulator's S3 (moto's), in the
  function's region; a missing bucket, key or version, or a bucket in another region, answers
  as AWS does.
* **Interference** (``POST /_emulator/lambda/interfere``): right after an operation succeeds on
  a function's ``$LATEST``, an out-of-band update changes its Description, as a concurrent
  deploy would.

Errors go out through errors.py in AWS's body shape. FIDELITY.md, "Lambda UpdateFunctionCode,
UpdateFunctionConfiguration and PublishVersion", gives the source of each answer.
"""

from __future__ import annotations

import base64
import hashlib
from dataclasses import dataclass
from datetime import datetime, timezone
from typing import Any
from urllib.parse import unquote

from moto.awslambda import responses as lambda_responses
from moto.awslambda.exceptions import LambdaClientError, UnknownFunctionException
from moto.awslambda.models import LambdaBackend, LambdaFunction
from moto.s3.exceptions import MissingBucket
from moto.s3.models import s3_backends
from moto.utilities.utils import get_partition

from .classify import RequestInfo, split_function_ref
from .lambda_patches import (InvalidParameterValue, ResourceConflictException, aws_timestamp, function_arn,
                             renew_revision)
from .state import ACCOUNT_ID

OPERATIONS = ("UpdateFunctionCode", "UpdateFunctionConfiguration", "PublishVersion")
DEFAULT_DESCRIPTION = "changed by someone else"
Payload = tuple[int, dict[str, Any] | None]


class PreconditionFailed(LambdaClientError):
    code = 412

    def __init__(self) -> None:
        super().__init__("PreconditionFailedException",
                         "The Revision Id provided does not match the latest Revision Id. "
                         "Call the GetFunction/GetAlias API to retrieve the latest Revision Id")


@dataclass
class Interference:
    """Right after ``after`` succeeds on the function's $LATEST, ``times`` more times, an
    out-of-band update sets its Description to ``description``."""

    function_name: str
    after: str
    times: int
    description: str
    account_id: str = ACCOUNT_ID
    region: str | None = None  # None: any region
    id: int = 0
    fired: int = 0

    def to_json(self) -> dict[str, Any]:
        return {"id": self.id, "function_name": self.function_name, "after": self.after,
                "times": self.times, "description": self.description, "account_id": self.account_id,
                "region": self.region, "fired": self.fired}


class UpdateSettings:
    """The update lifecycle's test controls; reset with the emulator."""

    def __init__(self) -> None:
        self.reset()

    def reset(self) -> None:
        self.update_in_progress_reads = 0
        self.interferences: list[Interference] = []
        self._next_id = 1

    def add(self, rule: Interference) -> Interference:
        rule.id = self._next_id
        self._next_id += 1
        self.interferences.append(rule)
        return rule

    def to_json(self) -> dict[str, Any]:
        return {"update_in_progress_reads": self.update_in_progress_reads}


SETTINGS = UpdateSettings()


# ---------------------------------------------------------------- the update lifecycle

def _begin_update(fn: LambdaFunction) -> None:
    """$LATEST changed: a new RevisionId, LastModified now, and an update in progress."""
    renew_revision(fn)
    fn.last_modified = aws_timestamp(datetime.now(timezone.utc))
    fn.code_or_config_updated = True
    fn._emu_reads_left = SETTINGS.update_in_progress_reads


def _finish_update(fn: LambdaFunction) -> None:
    """The update is over: Successful, and (as on AWS) yet another RevisionId."""
    fn._emu_reads_left = None
    renew_revision(fn)


def _settle(fn: LambdaFunction) -> None:
    """Ends an update that has no InProgress reads left to answer."""
    if getattr(fn, "_emu_reads_left", None) == 0:
        _finish_update(fn)


def note_read(fn: LambdaFunction) -> None:
    """A GetFunction / GetFunctionConfiguration of $LATEST was answered (InProgress while
    reads are left); the last InProgress read ends the update."""
    left = getattr(fn, "_emu_reads_left", None)
    if left is not None:
        fn._emu_reads_left = max(left - 1, 0)
        _settle(fn)


# ---------------------------------------------------------------- preconditions

def _latest(backend: LambdaBackend, info: RequestInfo) -> LambdaFunction:
    """The function's $LATEST, or 404 naming the unqualified ARN."""
    name = info.function_name or ""
    group = backend._lambdas._functions.get(name)
    if group is None or group["latest"] is None:
        raise UnknownFunctionException(function_arn(backend, name))
    return group["latest"]


def _check_revision(fn: LambdaFunction, revision_id: Any) -> None:
    """412 unless ``RevisionId`` is absent or $LATEST's current one."""
    if revision_id is not None and revision_id != fn._emu_revision_id:
        raise PreconditionFailed()


def _check_idle(backend: LambdaBackend, fn: LambdaFunction) -> None:
    """409 while an update of $LATEST is in progress."""
    if getattr(fn, "_emu_reads_left", None):
        raise ResourceConflictException(
            "The operation cannot be performed at this time. An update is in progress for resource: "
            f"{function_arn(backend, fn.function_name)}")


# ---------------------------------------------------------------- the deployment package

def _get_object_error(code: str, message: str) -> InvalidParameterValue:
    """How Lambda reports a failed read of the deployment package from S3."""
    return InvalidParameterValue(f"Error occurred while GetObject. S3 Error Code: {code}. S3 Error Message: {message}")


def _s3_package(backend: LambdaBackend, bucket_name: str, key: str, version: str | None) -> bytes:
    """The bytes of ``s3://bucket/key`` (``version``), as Lambda reads them: from a bucket in the
    function's region."""
    s3 = s3_backends[backend.account_id][get_partition(backend.region_name)]
    try:
        bucket = s3.get_bucket(bucket_name)
    except MissingBucket:
        raise _get_object_error("NoSuchBucket", "The specified bucket does not exist") from None
    if bucket.region_name != backend.region_name:
        raise _get_object_error(
            "PermanentRedirect",
            f"The bucket is in this region: {bucket.region_name}. Please use this region to retry the request")
    obj = s3.get_object(bucket_name, key, version_id=version)
    if obj is None and version is not None:
        raise _get_object_error("NoSuchVersion", "The specified version does not exist.")
    if obj is None:
        raise _get_object_error("NoSuchKey", "The specified key does not exist.")
    return bytes(obj.value)


def _set_zip(fn: LambdaFunction, data: bytes, code: dict[str, Any]) -> None:
    """$LATEST's package becomes ``data``; CodeSha256 is its base64 SHA-256, CodeSize its length."""
    digest = hashlib.sha256(data)
    fn.code = code  # a new record: published versions keep theirs
    fn.code_bytes = data
    fn.code_size = len(data)
    fn.code_sha_256 = base64.b64encode(digest.digest()).decode()
    fn.code_digest = digest.hexdigest()


def _check_package_type(fn: LambdaFunction, body: dict[str, Any]) -> None:
    if fn.package_type == "Image" and not body.get("ImageUri"):
        raise InvalidParameterValue("Please provide ImageUri when updating a function with packageType Image.")
    if fn.package_type != "Image" and body.get("ImageUri"):
        raise InvalidParameterValue("Please don't provide ImageUri when updating a function with packageType Zip.")


def _new_code(backend: LambdaBackend, fn: LambdaFunction, body: dict[str, Any], dry_run: bool) -> None:
    """Reads the new package (every error happens here) and, unless ``dry_run``, installs it."""
    if "S3Bucket" in body or "S3Key" in body:
        version = body.get("S3ObjectVersion")
        data = _s3_package(backend, str(body.get("S3Bucket") or ""), str(body.get("S3Key") or ""), version)
        if not dry_run:
            code = {k: body[k] for k in ("S3Bucket", "S3Key", "S3ObjectVersion") if k in body}
            _set_zip(fn, data, code)
    elif "ZipFile" in body or "ImageUri" in body:
        if not dry_run:
            fn.update_function_code({k: body[k] for k in ("ZipFile", "ImageUri") if k in body})
    else:  # the wording is ours (FIDELITY.md: UNSOURCED)
        raise InvalidParameterValue("Please provide a source for function code.")


# ---------------------------------------------------------------- interference

def _interfere(backend: LambdaBackend, fn: LambdaFunction, after: str) -> None:
    """Applies the first interference rule that matches, as a concurrent deploy would: through
    the normal update path, so RevisionId and LastUpdateStatus change as for any update."""
    for rule in SETTINGS.interferences:
        if (rule.after == after and rule.function_name == fn.function_name
                and rule.account_id == backend.account_id
                and rule.region in (None, backend.region_name)):
            fn.update_configuration({"Description": rule.description})
            _begin_update(fn)
            _settle(fn)
            rule.fired += 1
            rule.times -= 1
            if rule.times <= 0:
                SETTINGS.interferences.remove(rule)
            return


# ---------------------------------------------------------------- operations

def _body(info: RequestInfo) -> dict[str, Any]:
    return {k: v for k, v in info.params.items() if k not in ("Qualifier", "FunctionName")}


def _publish(backend: LambdaBackend, fn: LambdaFunction, description: str | None) -> LambdaFunction:
    version = backend.publish_version(fn.function_name, description or "")
    assert version is not None  # $LATEST exists
    return version


def update_function_code(backend: LambdaBackend, info: RequestInfo) -> Payload:
    body = _body(info)
    fn = _latest(backend, info)
    _check_revision(fn, body.get("RevisionId"))
    _check_idle(backend, fn)
    _check_package_type(fn, body)
    dry_run = bool(body.get("DryRun"))
    _new_code(backend, fn, body, dry_run)
    if dry_run:
        return 200, fn.get_configuration()
    _begin_update(fn)
    answer = fn.get_configuration()
    if body.get("Publish"):
        answer = _publish(backend, fn, None).get_configuration()
    _settle(fn)
    _interfere(backend, fn, "UpdateFunctionCode")
    return 200, answer


def update_function_configuration(backend: LambdaBackend, info: RequestInfo) -> Payload:
    body = _body(info)
    fn = _latest(backend, info)
    _check_revision(fn, body.pop("RevisionId", None))
    _check_idle(backend, fn)
    fn.update_configuration(body)
    _begin_update(fn)
    answer = fn.get_configuration()
    _settle(fn)
    _interfere(backend, fn, "UpdateFunctionConfiguration")
    return 200, answer


def _check_code_sha256(fn: LambdaFunction, expected: Any) -> None:
    if expected is not None and expected != fn.code_sha_256:
        raise InvalidParameterValue(
            f"CodeSHA256 ({expected}) is different from current CodeSHA256 in $LATEST ({fn.code_sha_256}). "
            "Please try again with the CodeSHA256 in $LATEST.")


def publish_version(backend: LambdaBackend, info: RequestInfo) -> Payload:
    body = _body(info)
    fn = _latest(backend, info)
    _check_revision(fn, body.get("RevisionId"))
    _check_code_sha256(fn, body.get("CodeSha256"))
    _check_idle(backend, fn)
    answer = _publish(backend, fn, body.get("Description")).get_configuration()
    _interfere(backend, fn, "PublishVersion")
    return 201, answer


HANDLERS = {
    "UpdateFunctionCode": update_function_code,
    "UpdateFunctionConfiguration": update_function_configuration,
    "PublishVersion": publish_version,
}


def handle(backend: LambdaBackend, info: RequestInfo) -> Payload | None:
    """Answer ``info`` if it changes $LATEST, else None. Raises LambdaClientError subclasses."""
    handler = HANDLERS.get(info.operation)
    return None if handler is None else handler(backend, info)


# ---------------------------------------------------------------- moto's read handlers

_orig_create_function = lambda_responses.LambdaResponse.create_function
_orig_get_function = lambda_responses.LambdaResponse.get_function
_orig_get_function_configuration = lambda_responses.LambdaResponse.get_function_configuration


def _read_latest(resp: Any, ref: str) -> None:
    name, qualifier = split_function_ref(ref)
    qualifier = qualifier or resp._get_param("Qualifier", None)
    if qualifier in (None, "$LATEST"):
        group = resp.backend._lambdas._functions.get(name)
        if group is not None and group["latest"] is not None:
            note_read(group["latest"])


def get_function(self: Any) -> Any:
    answer = _orig_get_function(self)
    _read_latest(self, unquote(self.path.rsplit("/", 1)[-1]))
    return answer


def get_function_configuration(self: Any) -> Any:
    answer = _orig_get_function_configuration(self)
    _read_latest(self, unquote(self.path.rsplit("/", 2)[-2]))
    return answer


def create_function(self: Any) -> Any:
    """The function becomes Active right after CreateFunction answers, which on AWS gives it a new
    RevisionId: CreateFunction's is never the one GetFunction shows."""
    answer = _orig_create_function(self)
    name = split_function_ref(self.json_body["FunctionName"])[0]
    group = self.backend._lambdas._functions.get(name)
    if group is not None and group["latest"] is not None:
        renew_revision(group["latest"])
    return answer


def install() -> None:
    resp = lambda_responses.LambdaResponse
    resp.create_function = create_function
    resp.get_function = get_function
    resp.get_function_configuration = get_function_configuration
