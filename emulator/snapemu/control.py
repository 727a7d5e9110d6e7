"""The ``/_emulator/*`` test-control API (plain JSON over HTTP, unsigned).

Endpoints (all JSON):

* ``GET  /_emulator/health``            liveness
* ``POST /_emulator/reset``             wipe moto state and ours
* ``POST /_emulator/seed``              apply a scenario (see seeding.py)
* ``POST|GET|DELETE /_emulator/faults`` add / list / clear injected errors
* ``GET|DELETE /_emulator/requests``    request log (GET filters: service, operation)
* ``GET|DELETE /_emulator/sns/messages`` published SNS messages
* ``POST /_emulator/lambda/version``    set State/StateReasonCode/LastModified of a version
"""

from __future__ import annotations

import json
import time
from typing import Any
from urllib.parse import parse_qs

from moto.awslambda.models import lambda_backends
from moto.awslambda.utils import get_backend

from . import seeding
from .errors import Response
from .lambda_patches import set_version_fields
from .state import ACCOUNT_ID, STATE, Fault

SERVICES = ("lambda", "cloudwatch", "sns")


class ControlError(Exception):
    def __init__(self, status: int, message: str) -> None:
        super().__init__(message)
        self.status = status


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


def _add_fault(data: dict[str, Any]) -> dict[str, Any]:
    service = data.get("service")
    if service not in SERVICES:
        raise ControlError(400, f"service must be one of {SERVICES}")
    try:
        fault = Fault(
            service=service,
            operation=data.get("operation"),
            status=int(data.get("status", 500)),
            code=str(data.get("code") or "ServiceException"),
            message=str(data.get("message") or "Injected fault"),
            count=int(data.get("count", 1)),
            match={str(k): str(v) for k, v in (data.get("match") or {}).items()},
        )
    except (TypeError, ValueError) as exc:
        raise ControlError(400, f"bad fault: {exc}") from exc
    if fault.count == 0 or fault.count < -1:
        raise ControlError(400, "count must be positive or -1")
    return STATE.add_fault(fault).to_json()


def _find_version(data: dict[str, Any]) -> Any:
    name = data.get("function_name")
    version = str(data.get("version", ""))
    if not name or not version:
        raise ControlError(400, "function_name and version are required")
    if data.get("region"):
        backends = [get_backend(ACCOUNT_ID, data["region"])]
    else:  # search every region that has been used
        backends = list(lambda_backends[ACCOUNT_ID].values())
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
        )
    except ValueError as exc:
        raise ControlError(400, str(exc)) from exc
    config = fn.get_configuration()
    return {k: config.get(k) for k in ("FunctionName", "Version", "State", "StateReasonCode", "LastModified")}


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
                entries = [
                    e for e in STATE.requests
                    if all(str(e.get(k)) == v for k, v in query.items()
                           if k in ("service", "operation", "function_name", "qualifier"))
                ]
                return _json(200, entries)
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
        raise ControlError(404, f"no control endpoint {method} {path}")
    except ControlError as err:
        return _json(err.status, {"error": str(err)})
