"""The Lambda gaps stock moto cannot report at all, filled as thinly as possible.

* SnapStart: CreateFunction and UpdateFunctionConfiguration requests are read for
  ``SnapStart.ApplyOn``; PublishVersion answers record the setting each version was published
  with. Every Lambda answer that carries a function configuration then reports it: a published
  version with ``PublishedVersions`` is ``On``, ``$LATEST`` is ``Off`` (AWS API reference,
  SnapStartResponse: OptimizationStatus applies to published versions).
* Resource-based policies per qualifier: AddPermission, GetPolicy and RemovePermission with a
  ``Qualifier`` use one of moto's own ``Policy`` objects for exactly that qualifier (AWS API
  reference, AddPermission: "Qualifier - Specify a version or alias to add permissions to a
  published version of the function"). Unqualified requests are moto's.
* ListProvisionedConcurrencyConfigs, PutProvisionedConcurrencyConfig and GetAccountSettings:
  stock moto has no routes (an HTML 404).

Errors are moto's own exception classes (same code, status and message as stock moto gives
elsewhere).
"""

from __future__ import annotations

import json
import re
import threading
from datetime import datetime, timezone
from types import SimpleNamespace
from typing import Any
from urllib.parse import parse_qs

from moto.awslambda.exceptions import LambdaClientError
from moto.awslambda.models import lambda_backends
from moto.awslambda.policy import Policy
from moto.iam.models import get_account_id_from

Response = tuple[int, list[tuple[str, str]], bytes]

_FUNCTION = re.compile(r"^/(?P<api>[0-9-]+)/functions/(?P<fn>[^/]+)(?P<rest>/.*)?$")
_SCOPE = re.compile(r"Credential=(?P<key>[^/]+)/[^/]+/(?P<region>[^/]+)/")
# AWS's default code-storage quota per region (Lambda quotas page: 75 GB).
TOTAL_CODE_SIZE = 80530636800

LOCK = threading.Lock()
# (account, region, function) -> ApplyOn; (account, region, function, version) -> ApplyOn.
SNAPSTART: dict[tuple[str, ...], str] = {}
POLICIES: dict[tuple[str, str, str, str], Policy] = {}
PROVISIONED: dict[tuple[str, str, str, str], int] = {}


def reset() -> None:
    with LOCK:
        SNAPSTART.clear()
        POLICIES.clear()
        PROVISIONED.clear()


def where(environ: dict[str, Any]) -> tuple[str, str]:
    """The account and region a request acts on, resolved as moto resolves them."""
    scope = _SCOPE.search(environ.get("HTTP_AUTHORIZATION", ""))
    region = scope["region"] if scope else "us-east-1"
    account = environ.get("HTTP_X_MOTO_ACCOUNT_ID") or get_account_id_from(scope["key"] if scope else "")
    return account, region


def _json(status: int, payload: Any) -> Response:
    body = b"" if payload is None else json.dumps(payload).encode()
    return status, [("Content-Type", "application/json")], body


def _error(err: LambdaClientError) -> Response:
    return err.code, list(err.get_headers()), err.get_body().encode()


def _name_and_qualifier(fn: str, query: dict[str, list[str]]) -> tuple[str, str | None]:
    qualifier = (query.get("Qualifier") or [None])[0]
    if fn.startswith("arn:"):
        parts = fn.split(":")
        fn, qualifier = parts[6], (parts[7] if len(parts) > 7 else qualifier)
    elif ":" in fn:
        fn, qualifier = fn.split(":", 1)
    return fn, qualifier


def handle(environ: dict[str, Any], body: bytes) -> Response | None:
    """Answers the Lambda requests stock moto cannot, or None (moto's turn)."""
    method, path = environ.get("REQUEST_METHOD", "GET"), environ.get("PATH_INFO", "")
    query = parse_qs(environ.get("QUERY_STRING", ""))
    account, region = where(environ)
    if method == "GET" and path.rstrip("/").endswith("/account-settings"):
        return _json(200, _account_settings(account, region))
    match = _FUNCTION.match(path)
    if match is None:
        return None
    name, qualifier = _name_and_qualifier(match["fn"], query)
    rest = match["rest"] or ""
    try:
        if rest == "/policy" or rest.startswith("/policy/"):
            if qualifier in (None, "", "$LATEST"):
                return None
            return _policy(method, rest, account, region, name, qualifier, body)
        if rest == "/provisioned-concurrency":
            return _provisioned(method, query, account, region, name, qualifier, body)
    except LambdaClientError as err:
        return _error(err)
    return None


def _backend(account: str, region: str) -> Any:
    return lambda_backends[account][region]


def _policy(method: str, rest: str, account: str, region: str, name: str, qualifier: str,
            body: bytes) -> Response | None:
    _backend(account, region).get_function(name, qualifier)  # moto's 404 if missing
    key = (account, region, name, qualifier)
    unqualified = f"arn:aws:lambda:{region}:{account}:function:{name}"
    with LOCK:
        # moto's add_statement qualifies the statement's Resource itself.
        policy = POLICIES.setdefault(key, Policy(SimpleNamespace(function_arn=unqualified)))
        if method == "POST" and rest == "/policy":
            statement, _ = policy.add_statement(body.decode() or "{}", qualifier)
            return _json(201, {"Statement": json.dumps(statement)})
        if method == "GET" and rest == "/policy":
            return 200, [("Content-Type", "application/json")], policy.wire_format().encode()
        if method == "DELETE" and rest.startswith("/policy/"):
            policy.del_statement(rest.split("/", 2)[2])
            return _json(204, None)
    return None


def _provisioned(method: str, query: dict[str, list[str]], account: str, region: str, name: str,
                 qualifier: str | None, body: bytes) -> Response | None:
    backend = _backend(account, region)
    if method == "GET" and (query.get("List") or [""])[0] == "ALL":
        function = backend.get_function(name)  # moto's 404 if missing
        arn = function.function_arn.split(":$LATEST")[0]
        with LOCK:
            configs = [
                {"FunctionArn": f"{arn}:{q}", "RequestedProvisionedConcurrentExecutions": n,
                 "AvailableProvisionedConcurrentExecutions": n, "AllocatedProvisionedConcurrentExecutions": n,
                 "Status": "READY", "LastModified": _now()}
                for (a, r, f, q), n in sorted(PROVISIONED.items()) if (a, r, f) == (account, region, name)
            ]
        return _json(200, {"ProvisionedConcurrencyConfigs": configs})
    if method == "PUT" and qualifier:
        backend.get_function(name, qualifier)  # moto's 404 if missing
        count = int(json.loads(body or b"{}").get("ProvisionedConcurrentExecutions", 1))
        with LOCK:
            PROVISIONED[(account, region, name, qualifier)] = count
        return _json(202, {"RequestedProvisionedConcurrentExecutions": count, "Status": "IN_PROGRESS",
                           "LastModified": _now()})
    return None


def _now() -> str:
    return datetime.now(timezone.utc).strftime("%Y-%m-%dT%H:%M:%S+0000")


def _account_settings(account: str, region: str) -> dict[str, Any]:
    functions = list(_backend(account, region)._lambdas._functions.values())
    every = [fn for f in functions for fn in ([f["latest"]] if f["latest"] else []) + f["versions"]]
    return {
        "AccountLimit": {"TotalCodeSize": TOTAL_CODE_SIZE, "CodeSizeUnzipped": 262144000,
                         "CodeSizeZipped": 52428800, "ConcurrentExecutions": 1000,
                         "UnreservedConcurrentExecutions": 1000},
        "AccountUsage": {"TotalCodeSize": sum(int(fn.code_size or 0) for fn in every),
                         "FunctionCount": len(functions)},
    }


# ---------------------------------------------------------------- SnapStart

def remember_snapstart(environ: dict[str, Any], body: bytes) -> None:
    """Reads the SnapStart setting of CreateFunction / UpdateFunctionConfiguration requests."""
    method, path = environ.get("REQUEST_METHOD", ""), environ.get("PATH_INFO", "").rstrip("/")
    creating = method == "POST" and path.endswith("/functions")
    updating = method == "PUT" and path.endswith("/configuration")
    if not (creating or updating):
        return
    try:
        request = json.loads(body or b"{}")
    except ValueError:
        return
    if "SnapStart" not in request:
        return
    name = request.get("FunctionName") if creating else _FUNCTION.match(path)["fn"]
    account, region = where(environ)
    with LOCK:
        SNAPSTART[(account, region, str(name))] = str(request["SnapStart"].get("ApplyOn", "None"))


def report_snapstart(environ: dict[str, Any], status: int, answer: bytes) -> bytes:
    """Rewrites the SnapStart member of every function configuration in a Lambda answer."""
    if status >= 300 or not answer:
        return answer
    try:
        payload = json.loads(answer)
    except ValueError:
        return answer
    account, region = where(environ)
    published = environ.get("REQUEST_METHOD") == "POST" and environ.get("PATH_INFO", "").rstrip("/").endswith("/versions")
    with LOCK:
        if published and isinstance(payload, dict) and payload.get("Version", "$LATEST") != "$LATEST":
            setting = SNAPSTART.get((account, region, payload.get("FunctionName", "")), "None")
            SNAPSTART[(account, region, payload.get("FunctionName", ""), str(payload["Version"]))] = setting
        configs = _configurations(payload)
        for config in configs:
            config["SnapStart"] = _snapstart_of(account, region, config)
    return json.dumps(payload).encode() if configs else answer


def _configurations(payload: Any) -> list[dict[str, Any]]:
    if not isinstance(payload, dict):
        return []
    if "FunctionName" in payload and "SnapStart" in payload:
        return [payload]
    found = [payload["Configuration"]] if isinstance(payload.get("Configuration"), dict) else []
    for key in ("Functions", "Versions"):
        found += [c for c in payload.get(key) or [] if isinstance(c, dict) and "SnapStart" in c]
    return found


def _snapstart_of(account: str, region: str, config: dict[str, Any]) -> dict[str, str]:
    name, version = str(config.get("FunctionName", "")), str(config.get("Version", "$LATEST"))
    if version == "$LATEST":
        return {"ApplyOn": SNAPSTART.get((account, region, name), "None"), "OptimizationStatus": "Off"}
    apply_on = SNAPSTART.get((account, region, name, version), "None")
    return {"ApplyOn": apply_on, "OptimizationStatus": "On" if apply_on == "PublishedVersions" else "Off"}
