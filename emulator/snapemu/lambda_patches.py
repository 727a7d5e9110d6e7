"""Patches to moto's Lambda model and REST handlers.

Owns every Lambda behaviour where plain moto differs from AWS in a way the
cleaner depends on:

* SnapStart is stored and reported (``ApplyOn`` / ``OptimizationStatus``).
* Per-version ``State`` / ``StateReasonCode`` / ``LastModified`` overrides,
  and ``LastModified`` in AWS's ``2024-01-02T03:04:05.000+0000`` format.
* ListFunctions / ListVersionsByFunction / ListAliases /
  ListEventSourceMappings with AWS paging (MaxItems, Marker, NextMarker),
  filters, and list items without the State fields AWS leaves out.
* CreateEventSourceMapping keeps the qualifier of ``fn:3`` / ``fn:alias`` /
  qualified ARNs, and accepts event source ARNs moto does not know.
* DeleteFunction(Qualifier=N) refuses with 409 when an alias routes to N and
  with 400 for a Lambda@Edge replicated version; deleting a version, alias or
  function drops its policies and provisioned concurrency (lambda_extras).
* Per-version ``CodeSize`` overrides and the Lambda@Edge ``replicated`` flag.
* ``RevisionId`` and ``LastUpdateStatus InProgress`` are reported from the fields
  lambda_updates.py keeps; a container-image version reports no Runtime or Handler.
* A published version gets its own copy of $LATEST's code record, so a later
  UpdateFunctionCode cannot change the version's ImageUri (moto shared the dict).

Our extra per-version fields live as ``_emu_*`` attributes on moto's
``LambdaFunction`` objects; moto's PublishVersion ``copy.copy``s $LATEST, so
a version inherits the function's SnapStart setting at publish time.
"""

from __future__ import annotations

import base64
import bisect
import copy
import json
import re
import uuid
from collections.abc import Callable, Sequence
from datetime import datetime, timezone
from typing import Any, TypeVar
from urllib.parse import unquote

from moto.awslambda import models as lambda_models
from moto.awslambda import responses as lambda_responses
from moto.awslambda.exceptions import LambdaClientError, UnknownFunctionException
from moto.awslambda.models import EventSourceMapping, LambdaBackend, LambdaFunction, LambdaStorage
from moto.awslambda.utils import make_function_arn

from .classify import split_function_ref

T = TypeVar("T")

# Fields AWS only returns from GetFunction/GetFunctionConfiguration, not lists.
LIST_OMITTED_FIELDS = (
    "State",
    "StateReason",
    "StateReasonCode",
    "LastUpdateStatus",
    "LastUpdateStatusReason",
    "LastUpdateStatusReasonCode",
)
# What AWS reports while an update of $LATEST is in progress (LocalStack's recordings of
# UpdateFunctionCode and UpdateFunctionConfiguration, FIDELITY.md "Lambda UpdateFunctionCode, ...").
IN_PROGRESS = {"LastUpdateStatus": "InProgress", "LastUpdateStatusReason": "The function is being created.",
               "LastUpdateStatusReasonCode": "Creating"}
FUNCTIONS_PAGE_MAX = 50
ALIASES_PAGE_MAX = 10000
ESM_PAGE_MAX = 100


class ResourceConflictException(LambdaClientError):
    code = 409

    def __init__(self, message: str) -> None:
        super().__init__("ResourceConflictException", message)


class InvalidParameterValue(LambdaClientError):
    code = 400

    def __init__(self, message: str) -> None:
        super().__init__("InvalidParameterValueException", message)


# ---------------------------------------------------------------- timestamps

_MOTO_TS = re.compile(r"^(\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d)(?:\.(\d+))?(?:Z|\+00:?00)?$")


def aws_timestamp(dt: datetime) -> str:
    """AWS Lambda's LastModified format: ``2024-01-02T03:04:05.000+0000``."""
    if dt.tzinfo is not None:
        dt = dt.astimezone(timezone.utc)
    return dt.strftime("%Y-%m-%dT%H:%M:%S.") + f"{dt.microsecond // 1000:03d}+0000"


def parse_iso(value: str) -> datetime:
    """Parse ISO-8601 (``Z``, offsets, fractions, AWS's ``+0000``) to aware UTC."""
    text = value.strip().replace("Z", "+00:00")
    text = re.sub(r"([+-]\d\d)(\d\d)$", r"\1:\2", text)
    m = re.match(r"^(.*T\d\d:\d\d:\d\d)\.(\d+)(.*)$", text)
    if m:  # fromisoformat on 3.11 accepts any fraction length, but be explicit
        text = f"{m.group(1)}.{m.group(2)[:6].ljust(6, '0')}{m.group(3)}"
    dt = datetime.fromisoformat(text)
    if dt.tzinfo is None:
        dt = dt.replace(tzinfo=timezone.utc)
    return dt.astimezone(timezone.utc)


def to_aws_last_modified(value: str) -> str:
    """Rewrite moto's ``...T03:04:05.123456000Z`` into AWS's format."""
    m = _MOTO_TS.match(value or "")
    if not m:
        return value
    frac = (m.group(2) or "000")[:3].ljust(3, "0")
    return f"{m.group(1)}.{frac}+0000"


# ---------------------------------------------------------------- model patches

_orig_init = LambdaFunction.__init__
_orig_get_configuration = LambdaFunction.get_configuration
_orig_update_configuration = LambdaFunction.update_configuration
_orig_set_version = LambdaFunction.set_version


def _snapstart_apply_on(spec: dict[str, Any] | None) -> str:
    apply_on = (spec or {}).get("ApplyOn") or "None"
    if apply_on not in ("None", "PublishedVersions"):
        raise InvalidParameterValue(f"Invalid SnapStart ApplyOn value: {apply_on}")
    return apply_on


def renew_revision(fn: LambdaFunction) -> None:
    """Give ``fn`` a new RevisionId: every change to a function or version does
    (FIDELITY.md, "Lambda UpdateFunctionCode, UpdateFunctionConfiguration and PublishVersion")."""
    fn._emu_revision_id = str(uuid.uuid4())


def _init(self: LambdaFunction, account_id: str, spec: dict[str, Any], region: str,
          version: str | int = 1) -> None:
    _orig_init(self, account_id, spec, region, version)
    self._emu_snapstart = _snapstart_apply_on(spec.get("SnapStart"))
    renew_revision(self)
    # Reads of $LATEST left that report LastUpdateStatus InProgress; None when no update is
    # in progress (lambda_updates.py).
    self._emu_reads_left = None


def _update_configuration(self: LambdaFunction, config_updates: dict[str, Any]) -> dict[str, Any]:
    if "SnapStart" in config_updates:
        # Assign, never mutate: published versions share attributes by copy.copy.
        self._emu_snapstart = _snapstart_apply_on(config_updates["SnapStart"])
    return _orig_update_configuration(self, config_updates)


def _set_version(self: LambdaFunction, version: int) -> None:
    # Called on the copy that becomes a published version: it starts Active
    # regardless of any state override set on $LATEST.
    _orig_set_version(self, version)
    self._emu_reads_left = None
    self._emu_state = "Active"
    self._emu_state_reason_code = None
    self._emu_state_reason = None
    self._emu_replicated = False


def _get_configuration(self: LambdaFunction, on_create: bool = False) -> dict[str, Any]:
    config = _orig_get_configuration(self, on_create)
    apply_on = getattr(self, "_emu_snapstart", "None")
    published = str(self.version) != "$LATEST"
    config["SnapStart"] = {
        "ApplyOn": apply_on,
        "OptimizationStatus": "On" if apply_on == "PublishedVersions" and published else "Off",
    }
    config["State"] = getattr(self, "_emu_state", None) or self.state
    reason_code = getattr(self, "_emu_state_reason_code", None)
    if reason_code:
        config["StateReasonCode"] = reason_code
        config["StateReason"] = getattr(self, "_emu_state_reason", None) or (
            f"The function is {config['State']} ({reason_code})."
        )
    config["LastModified"] = to_aws_last_modified(config.get("LastModified") or "")
    config["RevisionId"] = getattr(self, "_emu_revision_id", None)
    if getattr(self, "_emu_reads_left", None) is not None and "LastUpdateStatus" in config:
        config.update(IN_PROGRESS)
    if self.package_type == "Image":
        _image_config(config)
    return config


def _image_config(config: dict[str, Any]) -> None:
    """A container-image function has no Runtime or Handler, and no ImageConfigResponse unless
    an ImageConfig was set (LocalStack's recordings, TestLambdaImages); moto sent nulls and
    empty lists."""
    for key in ("Runtime", "Handler"):
        if config.get(key) is None:
            config.pop(key, None)
    image = (config.get("ImageConfigResponse") or {}).get("ImageConfig") or {}
    if not any(image.values()):
        config.pop("ImageConfigResponse", None)


def set_version_fields(fn: LambdaFunction, state: str | None = None,
                       state_reason_code: str | None = None,
                       state_reason: str | None = None,
                       last_modified: str | None = None,
                       clear_reason: bool = False,
                       code_size: int | None = None,
                       replicated: bool | None = None) -> None:
    """Test-control and seeding hook for one version's extra fields."""
    if state is not None:
        fn._emu_state = state
    if clear_reason or state_reason_code is not None:
        fn._emu_state_reason_code = state_reason_code
        fn._emu_state_reason = state_reason
    if last_modified is not None:
        fn.last_modified = aws_timestamp(parse_iso(last_modified))
    if code_size is not None:
        if isinstance(code_size, bool) or int(code_size) < 0:
            raise ValueError(f"code_size must be a non-negative integer, got {code_size!r}")
        fn.code_size = int(code_size)
    if replicated is not None:
        if str(fn.version) == "$LATEST":
            raise ValueError("only a published version can be a Lambda@Edge replica")
        fn._emu_replicated = bool(replicated)


# ---------------------------------------------------------------- backend patches

def function_arn(backend: LambdaBackend, name: str, qualifier: str | None = None) -> str:
    arn = make_function_arn(backend.region_name, backend.account_id, name)
    return f"{arn}:{qualifier}" if qualifier else arn


def _create_event_source_mapping(self: LambdaBackend, spec: dict[str, Any]) -> EventSourceMapping:
    for param in ("EventSourceArn", "FunctionName"):
        if not spec.get(param):
            raise InvalidParameterValue(f"Missing {param}")
    name, qualifier = split_function_ref(spec["FunctionName"])
    # Raises ResourceNotFound for a missing function, version or alias.
    self._lambdas.get_function_by_name_with_qualifier(name, qualifier)
    spec = dict(spec, RegionName=self.region_name, AccountId=self.account_id)
    # AWS stores the ARN the caller named (alias ARN for fn:alias); moto stored
    # the resolved version's ARN.
    spec["FunctionArn"] = function_arn(self, name, qualifier)
    esm = EventSourceMapping(spec)
    # Deliberately not attached to moto's SQS/Kinesis objects: that would make
    # moto try to invoke the function (Docker) when messages arrive.
    self._event_source_mappings[esm.uuid] = esm
    return esm


# ---------------------------------------------------------------- paging

def _encode_marker(key: Sequence[Any]) -> str:
    return base64.urlsafe_b64encode(json.dumps(list(key)).encode()).decode()


def _decode_marker(marker: str) -> tuple[Any, ...]:
    try:
        return tuple(json.loads(base64.urlsafe_b64decode(marker.encode())))
    except (ValueError, TypeError) as exc:
        raise InvalidParameterValue("Invalid Marker") from exc


def _max_items(raw: str | None, cap: int) -> int:
    if raw in (None, ""):
        return cap
    try:
        value = int(raw)
    except ValueError as exc:
        raise InvalidParameterValue(f"Invalid MaxItems: {raw}") from exc
    if value < 1:
        raise InvalidParameterValue("MaxItems must be at least 1")
    return min(value, cap)


def paginate(items: list[T], key: Callable[[T], tuple[Any, ...]], marker: str | None,
             max_items: int) -> tuple[list[T], str | None]:
    """Key-based paging over ``items`` sorted by ``key``: the marker is the
    key of the last item returned, so deletions between pages skip nothing."""
    start = 0
    if marker:
        keys = [key(item) for item in items]
        start = bisect.bisect_right(keys, _decode_marker(marker))
    page = items[start:start + max_items]
    more = start + max_items < len(items)
    return page, (_encode_marker(key(page[-1])) if more and page else None)


def _list_item(fn: LambdaFunction, qualify_latest: bool) -> dict[str, Any]:
    config = fn.get_configuration()
    for field in LIST_OMITTED_FIELDS:
        config.pop(field, None)
    if str(fn.version) == "$LATEST" and qualify_latest and not config["FunctionArn"].endswith(":$LATEST"):
        config["FunctionArn"] += ":$LATEST"
    return config


def _version_key(fn: LambdaFunction) -> tuple[str, int]:
    return (fn.function_name, -1 if str(fn.version) == "$LATEST" else int(fn.version))


# ---------------------------------------------------------------- response patches

def _query(resp: Any, name: str) -> str | None:
    value = resp.querystring.get(name, [None])[0]
    return value


JSON_HEADERS = {"Content-Type": "application/json"}


def list_functions(self: Any) -> Any:
    all_versions = _query(self, "FunctionVersion") == "ALL"
    entries: list[LambdaFunction] = []
    for name, group in sorted(self.backend._lambdas._functions.items()):
        if group["latest"] is not None:
            entries.append(group["latest"])
        if all_versions:
            entries.extend(group["versions"])
    page, next_marker = paginate(entries, _version_key, _query(self, "Marker"),
                                 _max_items(_query(self, "MaxItems"), FUNCTIONS_PAGE_MAX))
    result: dict[str, Any] = {"Functions": [_list_item(fn, all_versions) for fn in page]}
    if next_marker:
        result["NextMarker"] = next_marker
    return 200, dict(JSON_HEADERS), json.dumps(result)


def _function_group(self: Any, ref: str) -> tuple[str, dict[str, Any]]:
    name, _ = split_function_ref(ref)
    group = self.backend._lambdas._functions.get(name)
    if group is None:
        raise UnknownFunctionException(function_arn(self.backend, name))
    return name, group


def list_versions_by_function(self: Any) -> Any:
    _, group = _function_group(self, unquote(self.path.rstrip("/").split("/")[-2]))
    entries = ([group["latest"]] if group["latest"] is not None else []) + list(group["versions"])
    page, next_marker = paginate(entries, _version_key, _query(self, "Marker"),
                                 _max_items(_query(self, "MaxItems"), FUNCTIONS_PAGE_MAX))
    result: dict[str, Any] = {"Versions": [_list_item(fn, True) for fn in page]}
    if next_marker:
        result["NextMarker"] = next_marker
    return 200, dict(JSON_HEADERS), json.dumps(result)


def _alias_weights(alias: Any) -> dict[str, float]:
    routing = alias.routing_config or {}
    if isinstance(routing, str):
        routing = json.loads(routing or "{}")
    return dict(routing.get("AdditionalVersionWeights") or {})


def list_aliases(self: Any) -> Any:
    name, _ = _function_group(self, unquote(self.path.rstrip("/").split("/")[-2]))
    aliases = self.backend._lambdas._aliases.get(function_arn(self.backend, name), {})
    wanted = _query(self, "FunctionVersion")
    items = sorted(
        (a for a in aliases.values() if wanted is None or a.function_version == wanted),
        key=lambda a: a.name,
    )
    page, next_marker = paginate(items, lambda a: (a.name,), _query(self, "Marker"),
                                 _max_items(_query(self, "MaxItems"), ALIASES_PAGE_MAX))
    out = []
    for alias in page:
        data = alias.to_json()
        if not data.get("RoutingConfig"):
            data.pop("RoutingConfig", None)
        out.append(data)
    result: dict[str, Any] = {"Aliases": out}
    if next_marker:
        result["NextMarker"] = next_marker
    return 200, dict(JSON_HEADERS), json.dumps(result)


def list_event_source_mappings(self: Any) -> Any:
    source_arn = _query(self, "EventSourceArn")
    ref = _query(self, "FunctionName")
    esms = list(self.backend._event_source_mappings.values())
    if source_arn:
        esms = [e for e in esms if e.event_source_arn == source_arn]
    if ref:
        # Compare normalised ARNs: fn, fn:3, full and qualified ARNs all work.
        # AWS matches the qualifier exactly: an unqualified name lists only
        # mappings on the unqualified function.
        name, qualifier = split_function_ref(ref)
        target = function_arn(self.backend, name, qualifier)
        esms = [e for e in esms if e.function_arn == target]
    esms.sort(key=lambda e: (e.function_arn, e.uuid))
    page, next_marker = paginate(esms, lambda e: (e.function_arn, e.uuid), _query(self, "Marker"),
                                 _max_items(_query(self, "MaxItems"), ESM_PAGE_MAX))
    result: dict[str, Any] = {"EventSourceMappings": [e.get_configuration() for e in page]}
    if next_marker:
        result["NextMarker"] = next_marker
    return 200, dict(JSON_HEADERS), json.dumps(result)


_orig_delete_function = lambda_responses.LambdaResponse.delete_function
_orig_delete_alias = LambdaBackend.delete_alias
_orig_publish_version = LambdaStorage.publish_version


def _refuse_replica(backend: LambdaBackend, versions: list[LambdaFunction]) -> None:
    """Lambda@Edge: a version replicated to CloudFront edge locations cannot be
    deleted (nor its function) until CloudFront has removed the replicas."""
    replica = next((v for v in versions if getattr(v, "_emu_replicated", False)), None)
    if replica is not None:
        arn = function_arn(backend, replica.function_name, str(replica.version))
        raise InvalidParameterValue(
            f"Lambda was unable to delete {arn} because it is a replicated function. "
            "Please see our documentation for Deleting Lambda@Edge Functions and Replicas.")


def delete_function(self: Any) -> Any:
    from .lambda_extras import forget

    ref = unquote(self.path.rstrip("/").rsplit("/", 1)[-1])
    name, qualifier = split_function_ref(ref)
    qualifier = qualifier or self._get_param("Qualifier", None)
    storage = self.backend._lambdas
    group = storage._functions.get(name)
    if not qualifier or qualifier == "$LATEST":
        if group is not None and not qualifier:
            _refuse_replica(self.backend, group["versions"])
        answer = _orig_delete_function(self)
        if not qualifier:
            forget(self.backend, name)
        return answer
    if group is None:
        # AWS names the unqualified ARN even when a Qualifier was sent (FIDELITY.md, DeleteFunction).
        raise UnknownFunctionException(function_arn(self.backend, name))
    version = next((v for v in group["versions"] if str(v.version) == qualifier), None)
    if version is None:
        # A missing version of an existing function: AWS answers 204, as for a deletion.
        return 204, {"status": 204}, ""
    _refuse_replica(self.backend, [version])
    aliases = storage._aliases.get(function_arn(self.backend, name), {})
    referencing = sorted(
        a.name for a in aliases.values()
        if a.function_version == qualifier or qualifier in _alias_weights(a)
    )
    if referencing:
        raise ResourceConflictException(
            "Unable to delete version because the following aliases reference it: "
            f"[{', '.join(referencing)}]"
        )
    group["versions"].remove(version)
    storage._arns.pop(version.function_arn, None)
    # Believed AWS behaviour: the version's provisioned concurrency and policy go with it.
    forget(self.backend, name, qualifier)
    return 204, {"status": 204}, ""


def _delete_alias(self: LambdaBackend, name: str, function_name: str) -> None:
    from .lambda_extras import forget

    _orig_delete_alias(self, name, function_name)
    forget(self, split_function_ref(function_name)[0], name)


def _publish_version(self: LambdaStorage, name_or_arn: str, description: str = "") -> LambdaFunction | None:
    """moto numbers a new version len(versions)+1, so deleting 2 of 1..3 and publishing gives a
    second 3. AWS keeps a counter per function and never reuses a number, even after the
    function is deleted and created again (developer guide, "Lambda function versions";
    DataBiosphere/azul#6259). moto's own publish runs, then the number is set from the counter.
    The new version gets its own code record and RevisionId, and $LATEST a new RevisionId
    (FIDELITY.md, "Lambda UpdateFunctionCode, UpdateFunctionConfiguration and PublishVersion")."""
    name = split_function_ref(name_or_arn.rsplit(":function:", 1)[-1])[0]
    counters = self.__dict__.setdefault("_emu_version_counters", {})
    before = list(self._functions.get(name, {}).get("versions", []))
    previous = before[-1] if before else None
    fn = _orig_publish_version(self, name_or_arn, description)
    if fn is None or fn is previous:
        return fn  # nothing published (nothing changed since the last version)
    number = max([counters.get(name, 0)] + [int(v.version) for v in before]) + 1
    counters[name] = number
    if int(fn.version) != number:
        self._arns.pop(fn.function_arn, None)
        fn.set_version(number)
        self._arns[fn.function_arn] = fn
    _detach(fn)
    renew_revision(fn)
    renew_revision(self._functions[name]["latest"])
    return fn


def _detach(version: LambdaFunction) -> None:
    """moto's copy.copy leaves a version sharing $LATEST's ``code`` record, which moto's
    UpdateFunctionCode writes in place (``code["ImageUri"]``): every published version took the
    new ImageUri. The version gets a copy of its own. (Configuration updates assign new objects,
    so the rest of the version's configuration stays as published.)"""
    version.code = copy.deepcopy(version.code)


_orig_set_function_code = LambdaFunction._set_function_code


def _set_function_code(self: LambdaFunction, updated_spec: dict[str, Any]) -> None:
    """An image given by digest (``repo@sha256:<hex>``) has that digest as its CodeSha256, as AWS
    reports it (its ResolvedImageUri is ``repo@sha256:<CodeSha256>``; LocalStack's AWS recordings
    ``test_lambda_image_crud``/``test_lambda_image_versions``). moto's ECR stub hashes the URI
    string instead, which is right only as a stand-in digest for a tag (FIDELITY.md, "GetFunction:
    Code.Location")."""
    _orig_set_function_code(self, updated_spec)
    uri = str(updated_spec.get("ImageUri") or "")
    if "@sha256:" in uri:
        self.code_sha_256 = uri.rsplit("@sha256:", 1)[1]


def install() -> None:
    LambdaStorage.publish_version = _publish_version
    LambdaFunction._set_function_code = _set_function_code
    LambdaFunction.__init__ = _init
    LambdaFunction.get_configuration = _get_configuration
    LambdaFunction.update_configuration = _update_configuration
    LambdaFunction.set_version = _set_version
    LambdaBackend.create_event_source_mapping = _create_event_source_mapping
    LambdaBackend.delete_alias = _delete_alias
    # moto's optional "simple" backend subclasses LambdaBackend and inherits these.
    resp = lambda_responses.LambdaResponse
    resp.list_functions = list_functions
    resp.list_versions_by_function = list_versions_by_function
    resp.list_aliases = list_aliases
    resp.list_event_source_mappings = list_event_source_mappings
    resp.delete_function = delete_function
    assert lambda_models.LambdaFunction is LambdaFunction
