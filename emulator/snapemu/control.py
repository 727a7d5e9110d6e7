"""The ``/_emulator/*`` test-control API (plain JSON over HTTP, unsigned).

Endpoints (all JSON):

* ``GET  /_emulator/health``            liveness
* ``POST /_emulator/reset``             wipe moto state and ours
* ``POST /_emulator/seed``              apply a scenario (see seeding.py)
* ``POST|GET|DELETE /_emulator/faults`` add / list / clear injected errors
* ``GET|DELETE /_emulator/requests``    request log (GET filters: REQUEST_FILTERS)
* ``GET|DELETE /_emulator/sns/messages`` published SNS messages
* ``POST /_emulator/lambda/version``    set State/StateReasonCode/LastModified/CodeSize/replicated of a version
* ``POST|GET /_emulator/regions``       regions answered like a not-enabled opt-in region
* ``POST|GET /_emulator/quotas``        Lambda control-plane rate quotas (quotas.py)
* ``POST|GET /_emulator/lambda/code``   how GetFunction's Code.Location links behave (code.py)
* ``POST|GET /_emulator/lambda/updates`` how long an update of $LATEST stays InProgress (lambda_updates.py)
* ``POST|GET|DELETE /_emulator/lambda/interfere`` out-of-band changes to $LATEST after an operation
* ``GET  /_emulator/code/...``          a Code.Location link: the version's zip, until it expires
"""

from __future__ import annotations

import difflib
import json
import time
from typing import Any
from urllib.parse import parse_qs

from moto.awslambda.models import lambda_backends
from moto.awslambda.utils import get_backend

from . import accounts, code, lambda_updates, seeding
from .classify import known_operations, split_function_ref
from .errors import Response
from .lambda_patches import set_version_fields
from .quotas import DEFAULT_RATES, QUOTAS
from .state import ACCOUNT_ID, STATE, Fault

SERVICES = ("lambda", "cloudwatch", "sns", "tagging", "sts")
# Keys of a POST /_emulator/faults body; anything else is refused so that a typo
# ("operaton") cannot silently widen a fault to every operation.
FAULT_KEYS = ("service", "operation", "status", "code", "message", "count", "match")
# GET /_emulator/requests filters.
REQUEST_FILTERS = ("service", "operation", "function_name", "qualifier", "region", "account_id",
                   "access_key", "fault", "fault_id", "throttled")
# Keys of a POST /_emulator/quotas body.
QUOTA_KEYS = ("enabled", *DEFAULT_RATES)
CODE_LINK_KEYS = ("valid_seconds", "refuse", "tamper", "expired_first")
INTERFERE_KEYS = ("function_name", "after", "times", "description", "region", "account_id")


class ControlError(Exception):
    """A control call refused; answered as ``{"error": message, **details}``."""

    def __init__(self, status: int, message: str, **details: Any) -> None:
        super().__init__(message)
        self.status = status
        self.details = details


def _closest(word: str, choices: Any) -> str | None:
    found = difflib.get_close_matches(word, list(choices), n=1, cutoff=0.6)
    if not found:  # case slips: "listaliases"
        lowered = {c.lower(): c for c in choices}
        found = [lowered[m] for m in difflib.get_close_matches(word.lower(), list(lowered), n=1, cutoff=0.6)]
    return found[0] if found else None


def _unknown(what: str, word: str, choices: Any, **extra: Any) -> ControlError:
    """400 naming the valid choices and, when one is close, suggesting it."""
    valid = sorted(choices)
    suggestion = _closest(word, valid)
    message = f"unknown {what} {word!r}"
    if suggestion is not None:
        message += f"; did you mean {suggestion!r}?"
    else:
        message += f"; valid: {', '.join(valid)}"
    return ControlError(400, message, valid=valid, suggestion=suggestion, **extra)


def _json(status: int, payload: Any) -> Response:
    return status, [("Content-Type", "application/json")], json.dumps(payload).encode()


def _body(raw: bytes) -> dict[str, Any]:
    try:
        data = json.loads(raw or b"{}")
    except ValueError as exc:
        raise ControlError(400, f"invalid JSON: {exc}") from exc
    if not isinstance(data, dict):
        raise ControlError(400, "expected a JSON object")
    return data


def reset_all() -> None:
    from moto.moto_api._internal.models import moto_api_backend

    moto_api_backend.reset()
    STATE.reset()
    QUOTAS.reset()
    code.LINKS.reset()
    lambda_updates.SETTINGS.reset()
    accounts.clear_cache()


def _int_field(data: dict[str, Any], key: str, default: int) -> int:
    value = data.get(key, default)
    if isinstance(value, bool) or not isinstance(value, (int, str)):
        raise ControlError(400, f"{key} must be an integer, got {value!r}")
    try:
        return int(value)
    except ValueError:
        raise ControlError(400, f"{key} must be an integer, got {value!r}") from None


def _count_field(data: dict[str, Any], key: str) -> int:
    value = _int_field(data, key, 0)
    if value < 0:
        raise ControlError(400, f"{key} must be 0 or more, got {value}")
    return value


def _set_code_links(data: dict[str, Any]) -> dict[str, Any]:
    """``{"valid_seconds"?: int, "refuse"?: bool, "tamper"?: bool, "expired_first"?: int}``: how
    long a new link is valid (AWS: up to 600 s), whether downloads answer 403 AccessDenied,
    whether they serve bytes that do not hash to the version's CodeSha256, and how many of the
    next links are issued already expired."""
    for key in data:
        if key not in CODE_LINK_KEYS:
            raise _unknown("code link key", key, CODE_LINK_KEYS)
    if "valid_seconds" in data:
        code.LINKS.valid_seconds = _count_field(data, "valid_seconds")
    if "expired_first" in data:
        code.LINKS.expired_first = _count_field(data, "expired_first")
    for flag in ("refuse", "tamper"):
        if flag in data:
            if not isinstance(data[flag], bool):
                raise ControlError(400, f"{flag} must be true or false, got {data[flag]!r}")
            setattr(code.LINKS, flag, data[flag])
    return code.LINKS.to_json()


def _set_updates(data: dict[str, Any]) -> dict[str, Any]:
    """``{"update_in_progress_reads": N}``: after an update of $LATEST, the next N GetFunction /
    GetFunctionConfiguration reads of $LATEST report InProgress (0: Successful at once)."""
    for key in data:
        if key != "update_in_progress_reads":
            raise _unknown("updates key", key, ("update_in_progress_reads",))
    if "update_in_progress_reads" in data:
        lambda_updates.SETTINGS.update_in_progress_reads = _count_field(data, "update_in_progress_reads")
    return lambda_updates.SETTINGS.to_json()


def _add_interference(data: dict[str, Any]) -> dict[str, Any]:
    """``{"function_name", "after", "times"?: 1, "description"?, "region"?, "account_id"?}``: right
    after ``after`` succeeds on the function's $LATEST, an out-of-band update changes it."""
    for key in data:
        if key not in INTERFERE_KEYS:
            raise _unknown("interference key", key, INTERFERE_KEYS)
    name = data.get("function_name")
    if not isinstance(name, str) or not name:
        raise ControlError(400, "function_name is required")
    after = data.get("after")
    if not isinstance(after, str) or after not in lambda_updates.OPERATIONS:
        raise _unknown("after operation", str(after), lambda_updates.OPERATIONS)
    times = _int_field(data, "times", 1)
    if times < 1:
        raise ControlError(400, f"times must be a positive integer, got {times}")
    for key in ("description", "region", "account_id"):
        if data.get(key) is not None and not isinstance(data[key], str):
            raise ControlError(400, f"{key} must be a string, got {data[key]!r}")
    rule = lambda_updates.Interference(
        function_name=split_function_ref(name)[0], after=after, times=times,
        description=str(data.get("description") or lambda_updates.DEFAULT_DESCRIPTION),
        account_id=str(data.get("account_id") or ACCOUNT_ID), region=data.get("region") or None)
    return lambda_updates.SETTINGS.add(rule).to_json()


def _add_fault(data: dict[str, Any]) -> dict[str, Any]:
    for key in data:
        if key not in FAULT_KEYS:
            raise _unknown("fault key", key, FAULT_KEYS)
    service = data.get("service")
    if not isinstance(service, str) or service not in SERVICES:
        raise _unknown("service", str(service), SERVICES)
    operation = data.get("operation")
    if operation == "*":
        operation = None  # explicit "every operation"
    if operation is not None:
        known = known_operations(service)
        if not isinstance(operation, str) or operation not in known:
            raise _unknown(f"{service} operation", str(operation), known, service=service)
    status = _int_field(data, "status", 500)
    if not 400 <= status <= 599:
        raise ControlError(400, f"status must be an HTTP error status (400-599), got {status}")
    count = _int_field(data, "count", 1)
    if count == 0 or count < -1:
        raise ControlError(400, f"count must be positive or -1, got {count}")
    match = data.get("match") or {}
    if not isinstance(match, dict) or any(isinstance(v, (dict, list)) for v in match.values()):
        raise ControlError(400, f"match must be an object of scalar values, got {match!r}")
    fault = Fault(
        service=service,
        operation=operation,
        status=status,
        code=str(data.get("code") or "ServiceException"),
        message=str(data.get("message") or "Injected fault"),
        count=count,
        match={str(k): str(v) for k, v in match.items()},
    )
    return STATE.add_fault(fault).to_json()


def _request_log(query: dict[str, str]) -> list[dict[str, Any]]:
    for key in query:
        if key not in REQUEST_FILTERS:
            raise _unknown("request log filter", key, REQUEST_FILTERS)

    def shown(entry: dict[str, Any], key: str) -> str | None:
        value = entry.get(key)
        if isinstance(value, bool):
            return "true" if value else "false"
        return None if value is None else str(value)

    wanted = {k: (v.lower() if k in ("fault", "throttled") else v) for k, v in query.items()}
    return [e for e in STATE.requests if all(shown(e, k) == v for k, v in wanted.items())]


def _find_version(data: dict[str, Any]) -> Any:
    name = data.get("function_name")
    version = str(data.get("version", ""))
    if not name or not version:
        raise ControlError(400, "function_name and version are required")
    account = str(data.get("account_id") or ACCOUNT_ID)
    if data.get("region"):
        backends = [get_backend(account, data["region"])]
    else:  # search every region of the account that has been used
        backends = list(lambda_backends[account].values())
    for backend in backends:
        group = backend._lambdas._functions.get(name)
        if group is None:
            continue
        if version == "$LATEST":
            if group["latest"] is not None:
                return group["latest"]
            continue
        for fn in group["versions"]:
            if str(fn.version) == version:
                return fn
    raise ControlError(404, f"no version {version} of function {name}")


def _set_version(data: dict[str, Any]) -> dict[str, Any]:
    fn = _find_version(data)
    try:
        set_version_fields(
            fn,
            state=data.get("state"),
            state_reason_code=data.get("state_reason_code"),
            state_reason=data.get("state_reason"),
            last_modified=data.get("last_modified"),
            clear_reason="state_reason_code" in data,
            code_size=data.get("code_size"),
            replicated=data.get("replicated"),
        )
    except (TypeError, ValueError) as exc:
        raise ControlError(400, str(exc)) from exc
    config = fn.get_configuration()
    shown = {k: config.get(k) for k in ("FunctionName", "FunctionArn", "Version", "State", "StateReasonCode",
                                        "LastModified", "CodeSize")}
    shown["Replicated"] = bool(getattr(fn, "_emu_replicated", False))
    return shown


def _set_regions(data: dict[str, Any]) -> dict[str, Any]:
    """Replace the set of regions answered like a not-enabled opt-in region."""
    disabled = data.get("disabled")
    if not isinstance(disabled, list) or not all(isinstance(r, str) and r for r in disabled):
        raise ControlError(400, f"disabled must be a list of region names, got {disabled!r}")
    STATE.disabled_regions = set(disabled)
    return _regions()


def _regions() -> dict[str, Any]:
    return {"disabled": sorted(STATE.disabled_regions)}


def _set_quotas(data: dict[str, Any]) -> dict[str, Any]:
    for key in data:
        if key not in QUOTA_KEYS:
            raise _unknown("quota key", key, QUOTA_KEYS)
    enabled = data.get("enabled")
    if enabled is not None and not isinstance(enabled, bool):
        raise ControlError(400, f"enabled must be true or false, got {enabled!r}")
    rates: dict[str, float] = {}
    for key in DEFAULT_RATES:
        if key in data:
            value = data[key]
            if isinstance(value, bool) or not isinstance(value, (int, float)) or value <= 0:
                raise ControlError(400, f"{key} must be a positive number, got {value!r}")
            rates[key] = float(value)
    QUOTAS.configure(enabled, **rates)
    return QUOTAS.to_json()


def handle(method: str, path: str, query_string: str, body: bytes) -> Response:
    """Dispatch one control request; the caller holds the emulator lock."""
    route = path[len("/_emulator"):].rstrip("/") or "/"
    query = {k: v[0] for k, v in parse_qs(query_string).items()}
    try:
        if route == "/health":
            return _json(200, {"ok": True})
        if route == "/reset" and method == "POST":
            reset_all()
            return _json(200, {"reset": True})
        if route == "/seed" and method == "POST":
            started = time.perf_counter()
            try:
                result = seeding.seed(_body(body))
            except (seeding.ScenarioError, KeyError, TypeError, ValueError) as exc:
                raise ControlError(400, f"bad scenario: {exc!r}") from exc
            result["seconds"] = round(time.perf_counter() - started, 3)
            return _json(200, result)
        if route == "/faults":
            if method == "POST":
                return _json(200, _add_fault(_body(body)))
            if method == "GET":
                return _json(200, [f.to_json() for f in STATE.faults])
            if method == "DELETE":
                STATE.faults.clear()
                return _json(200, {"cleared": True})
        if route == "/requests":
            if method == "GET":
                return _json(200, _request_log(query))
            if method == "DELETE":
                STATE.requests.clear()
                return _json(200, {"cleared": True})
        if route == "/sns/messages":
            if method == "GET":
                return _json(200, list(STATE.sns_messages))
            if method == "DELETE":
                STATE.sns_messages.clear()
                return _json(200, {"cleared": True})
        if route == "/lambda/version" and method == "POST":
            return _json(200, _set_version(_body(body)))
        if route == "/regions":
            if method == "POST":
                return _json(200, _set_regions(_body(body)))
            if method == "GET":
                return _json(200, _regions())
        if route.startswith("/code/") and method == "GET":
            return code.download(route[len("/code/"):].split("/"), query)
        if route == "/lambda/code":
            if method == "POST":
                return _json(200, _set_code_links(_body(body)))
            if method == "GET":
                return _json(200, code.LINKS.to_json())
        if route == "/lambda/updates":
            if method == "POST":
                return _json(200, _set_updates(_body(body)))
            if method == "GET":
                return _json(200, lambda_updates.SETTINGS.to_json())
        if route == "/lambda/interfere":
            if method == "POST":
                return _json(200, _add_interference(_body(body)))
            if method == "GET":
                return _json(200, [r.to_json() for r in lambda_updates.SETTINGS.interferences])
            if method == "DELETE":
                lambda_updates.SETTINGS.interferences.clear()
                return _json(200, {"cleared": True})
        if route == "/quotas":
            if method == "POST":
                return _json(200, _set_quotas(_body(body)))
            if method == "GET":
                return _json(200, QUOTAS.to_json())
        raise ControlError(404, f"no control endpoint {method} {path}")
    except ControlError as err:
        return _json(err.status, {"error": str(err), **err.details})
