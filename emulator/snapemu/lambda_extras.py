"""Lambda operations served by us instead of moto.

* **Resource-based policies per qualifier** (AddPermission, GetPolicy,
  RemovePermission). AWS keeps one policy per function, per version and per
  alias. moto keeps one ``Policy`` object per ``LambdaFunction`` and
  PublishVersion ``copy.copy``s it, so every version shared $LATEST's policy.
* **Provisioned concurrency** (Put/Get/List/Delete). moto has no routes.
* **GetAccountSettings**: AWS's default quotas and the account's usage
  (code storage of every version, function count). moto has no route.

Our state lives on moto's ``LambdaBackend`` (one per account and region) as
``_emu_*`` attributes, so moto's reset wipes it. ``forget`` drops what belongs
to a deleted function, version or alias.
"""

from __future__ import annotations

import json
from collections.abc import Callable
from datetime import datetime, timezone
from types import SimpleNamespace
from typing import Any

from moto.awslambda.exceptions import GenericResourcNotFound, LambdaClientError, UnknownFunctionException
from moto.awslambda.models import LambdaBackend
from moto.awslambda.policy import Policy

from .classify import RequestInfo
from .lambda_patches import InvalidParameterValue, ResourceConflictException, function_arn, paginate, _max_items

PC_PAGE_MAX = 50
# GetAccountSettings.AccountLimit defaults (AWS Lambda quotas, bytes / executions).
DEFAULT_TOTAL_CODE_SIZE = 80530636800  # 75 GB
CODE_SIZE_UNZIPPED = 262144000  # 250 MB
CODE_SIZE_ZIPPED = 52428800  # 50 MB
DEFAULT_CONCURRENT_EXECUTIONS = 1000

Payload = tuple[int, dict[str, Any] | None]


class NotFound(LambdaClientError):
    code = 404

    def __init__(self, message: str, error_type: str = "ResourceNotFoundException") -> None:
        super().__init__(error_type, message)


def _store(backend: LambdaBackend, attr: str) -> dict[Any, Any]:
    if not hasattr(backend, attr):
        setattr(backend, attr, {})
    return getattr(backend, attr)


def _check_target(backend: LambdaBackend, name: str, qualifier: str | None) -> None:
    """404 ResourceNotFoundException unless the function (and version or alias) exists."""
    if name not in backend._lambdas._functions:
        raise UnknownFunctionException(function_arn(backend, name, qualifier))
    backend._lambdas.get_function_by_name_with_qualifier(name, qualifier)


def forget(backend: LambdaBackend, name: str, qualifier: str | None = None) -> None:
    """Drop the policies and provisioned concurrency of a deleted function
    (``qualifier`` None) or of one deleted version or alias."""
    for attr in ("_emu_policies", "_emu_provisioned"):
        store = _store(backend, attr)
        for key in [k for k in store if k[0] == name and (qualifier is None or k[1] == qualifier)]:
            del store[key]


# ---------------------------------------------------------------- policies

def _policy_key(name: str, qualifier: str | None) -> tuple[str, str]:
    # The unqualified function and $LATEST share one policy.
    return name, ("" if qualifier in (None, "", "$LATEST") else qualifier)


def add_permission(backend: LambdaBackend, name: str, qualifier: str | None,
                   statement: dict[str, Any]) -> dict[str, Any]:
    """AddPermission: append one statement to the policy of exactly that qualifier."""
    _check_target(backend, name, qualifier)
    key = _policy_key(name, qualifier)
    policies = _store(backend, "_emu_policies")
    # moto's Policy builds the statement; a stand-in parent gives it the unqualified ARN.
    policy = policies.get(key) or Policy(SimpleNamespace(function_arn=function_arn(backend, name)))
    sid = statement.get("StatementId")
    if sid and any(s.get("Sid") == sid for s in policy.statements):
        raise ResourceConflictException(
            f"The statement id ({sid}) provided already exists. Please provide a new statement id, "
            "or remove the existing statement.")
    added, _ = policy.add_statement(json.dumps(statement), key[1] or None)
    policies[key] = policy
    return added


def get_policy(backend: LambdaBackend, name: str, qualifier: str | None) -> dict[str, Any]:
    """GetPolicy: that qualifier's policy; 404 when it has none. A missing function is "Function
    not found: <unqualified arn>" (AWS's wording until 2024); a missing version of an existing
    function is worded exactly like "no policy" (FIDELITY.md, GetPolicy)."""
    if name not in backend._lambdas._functions:
        raise UnknownFunctionException(function_arn(backend, name))
    try:
        _check_target(backend, name, qualifier)
    except UnknownFunctionException:
        raise GenericResourcNotFound() from None
    policy = _store(backend, "_emu_policies").get(_policy_key(name, qualifier))
    if policy is None or not policy.statements:
        # AWS's wording for GetPolicy on a version without a policy (users' reports, stock moto);
        # "No policy is associated ..." is RemovePermission's. See FIDELITY.md, GetPolicy.
        raise GenericResourcNotFound()
    doc = {"Version": "2012-10-17", "Id": "default", "Statement": policy.statements}
    return {"Policy": json.dumps(doc), "RevisionId": policy.revision}


def remove_permission(backend: LambdaBackend, name: str, qualifier: str | None, sid: str,
                      revision: str | None) -> None:
    _check_target(backend, name, qualifier)
    key = _policy_key(name, qualifier)
    policies = _store(backend, "_emu_policies")
    policy = policies.get(key)
    if policy is None or not policy.statements:
        raise NotFound("No policy is associated with the given resource.")
    if not any(s.get("Sid") == sid for s in policy.statements):
        raise NotFound(f"Statement {sid} is not found in resource policy.")
    policy.del_statement(sid, revision or "")
    if not policy.statements:
        del policies[key]


# ---------------------------------------------------------------- provisioned concurrency

def _pc_target(backend: LambdaBackend, name: str, qualifier: str | None) -> tuple[str, str]:
    if not qualifier or qualifier == "$LATEST":
        raise InvalidParameterValue(
            "Provisioned Concurrency Configs cannot be applied to unpublished function versions.")
    _check_target(backend, name, qualifier)
    return name, qualifier


def _pc_view(entry: dict[str, Any], status: str = "READY") -> dict[str, Any]:
    ready = status == "READY"
    return {
        "RequestedProvisionedConcurrentExecutions": entry["requested"],
        "AvailableProvisionedConcurrentExecutions": entry["requested"] if ready else 0,
        "AllocatedProvisionedConcurrentExecutions": entry["requested"] if ready else 0,
        "Status": status,
        "LastModified": entry["last_modified"],
    }


def put_provisioned_concurrency(backend: LambdaBackend, name: str, qualifier: str | None,
                                count: Any) -> dict[str, Any]:
    """Store the config. Like AWS the answer says IN_PROGRESS; reads then say READY."""
    key = _pc_target(backend, name, qualifier)
    if isinstance(count, bool) or not isinstance(count, int) or count < 1:
        raise InvalidParameterValue("ProvisionedConcurrentExecutions must be an integer of at least 1")
    now = datetime.now(timezone.utc).strftime("%Y-%m-%dT%H:%M:%S+0000")
    entry = {"requested": count, "last_modified": now}
    _store(backend, "_emu_provisioned")[key] = entry
    return _pc_view(entry, "IN_PROGRESS")


def get_provisioned_concurrency(backend: LambdaBackend, name: str, qualifier: str | None) -> dict[str, Any]:
    entry = _store(backend, "_emu_provisioned").get(_pc_target(backend, name, qualifier))
    if entry is None:
        raise NotFound("No Provisioned Concurrency Config found for this function",
                       "ProvisionedConcurrencyConfigNotFoundException")
    return _pc_view(entry)


def delete_provisioned_concurrency(backend: LambdaBackend, name: str, qualifier: str | None) -> None:
    store = _store(backend, "_emu_provisioned")
    key = _pc_target(backend, name, qualifier)
    if key not in store:
        raise NotFound("No Provisioned Concurrency Config found for this function")
    del store[key]


def _qualifier_order(qualifier: str) -> tuple[int, int, str]:
    """Versions in numeric order, then aliases by name."""
    return (0, int(qualifier), "") if qualifier.isdigit() else (1, 0, qualifier)


def list_provisioned_concurrency(backend: LambdaBackend, name: str, marker: str | None,
                                 max_items: str | None) -> dict[str, Any]:
    _check_target(backend, name, None)
    store = _store(backend, "_emu_provisioned")
    qualifiers = sorted((q for n, q in store if n == name), key=_qualifier_order)
    page, next_marker = paginate(qualifiers, _qualifier_order, marker, _max_items(max_items, PC_PAGE_MAX))
    items = [{"FunctionArn": function_arn(backend, name, q), **_pc_view(store[(name, q)])} for q in page]
    result: dict[str, Any] = {"ProvisionedConcurrencyConfigs": items}
    if next_marker:
        result["NextMarker"] = next_marker
    return result


# ---------------------------------------------------------------- account settings

def set_account_limits(backend: LambdaBackend, total_code_size: int | None = None,
                       concurrent_executions: int | None = None) -> None:
    limits = _store(backend, "_emu_account_limits")
    if total_code_size is not None:
        limits["TotalCodeSize"] = int(total_code_size)
    if concurrent_executions is not None:
        limits["ConcurrentExecutions"] = int(concurrent_executions)


def account_settings(backend: LambdaBackend) -> dict[str, Any]:
    """GetAccountSettings for one account and region. Usage counts the code of
    every version, $LATEST included, as AWS's code storage quota does."""
    groups = list(backend._lambdas._functions.values())
    versions = [fn for g in groups for fn in ([g["latest"]] if g["latest"] is not None else []) + g["versions"]]
    reserved = sum(int(g["latest"].reserved_concurrency or 0) for g in groups if g["latest"] is not None)
    limits = _store(backend, "_emu_account_limits")
    concurrency = limits.get("ConcurrentExecutions", DEFAULT_CONCURRENT_EXECUTIONS)
    return {
        "AccountLimit": {
            "TotalCodeSize": limits.get("TotalCodeSize", DEFAULT_TOTAL_CODE_SIZE),
            "CodeSizeUnzipped": CODE_SIZE_UNZIPPED,
            "CodeSizeZipped": CODE_SIZE_ZIPPED,
            "ConcurrentExecutions": concurrency,
            "UnreservedConcurrentExecutions": concurrency - reserved,
        },
        "AccountUsage": {
            "TotalCodeSize": sum(int(fn.code_size or 0) for fn in versions),
            "FunctionCount": len(groups),
        },
    }


# ---------------------------------------------------------------- routing

def _body_json(info: RequestInfo) -> dict[str, Any]:
    return {k: v for k, v in info.params.items() if k not in ("Qualifier", "List", "Marker", "MaxItems")}


Handler = Callable[[LambdaBackend, RequestInfo], Payload]


def _named(info: RequestInfo) -> str:
    if not info.function_name:
        raise InvalidParameterValue("FunctionName is required")
    return info.function_name


HANDLERS: dict[str, Handler] = {
    "GetAccountSettings": lambda b, i: (200, account_settings(b)),
    "AddPermission": lambda b, i: (201, {"Statement": json.dumps(
        add_permission(b, _named(i), i.qualifier, _body_json(i)))}),
    "GetPolicy": lambda b, i: (200, get_policy(b, _named(i), i.qualifier)),
    "RemovePermission": lambda b, i: (remove_permission(
        b, _named(i), i.qualifier, i.path_params["sid"], i.params.get("RevisionId")) or 204, None),
    "PutProvisionedConcurrencyConfig": lambda b, i: (202, put_provisioned_concurrency(
        b, _named(i), i.qualifier, i.params.get("ProvisionedConcurrentExecutions"))),
    "GetProvisionedConcurrencyConfig": lambda b, i: (200, get_provisioned_concurrency(b, _named(i), i.qualifier)),
    "DeleteProvisionedConcurrencyConfig": lambda b, i: (delete_provisioned_concurrency(
        b, _named(i), i.qualifier) or 204, None),
    "ListProvisionedConcurrencyConfigs": lambda b, i: (200, list_provisioned_concurrency(
        b, _named(i), i.params.get("Marker"), i.params.get("MaxItems"))),
}


def handle(backend: LambdaBackend, info: RequestInfo) -> Payload | None:
    """Answer ``info`` if it is one of our operations, else None (moto's turn).
    Raises moto's LambdaClientError subclasses for AWS errors."""
    handler = HANDLERS.get(info.operation)
    return None if handler is None else handler(backend, info)
