"""Fast in-process scenario seeding (``POST /_emulator/seed``).

Creating 200 functions x 10 versions through the HTTP API takes ~35 s in
moto; almost all of it is per-request overhead (signing, routing, response
serialisation, boto retries). Here the scenario is applied straight to
moto's backends with one tiny shared deployment package, so the same account
takes well under a second or two. The resulting objects are exactly what the
API would have created, so every API (and every patch) sees them normally.

Scenario format: see README.md.
"""

from __future__ import annotations

import base64
import functools
import io
import random
import zipfile
from typing import Any

from moto.awslambda.utils import get_backend
from moto.cloudwatch.models import cloudwatch_backends
from moto.iam.exceptions import NotFoundException
from moto.iam.models import iam_backends
from moto.sns.models import sns_backends

from . import cloudwatch, lambda_extras
from .lambda_patches import parse_iso, set_version_fields
from .state import ACCOUNT_ID, DEFAULT_REGION, STATE

ROLE_NAME = "snapemu-lambda-role"
TRUST_POLICY = (
    '{"Version":"2012-10-17","Statement":[{"Effect":"Allow",'
    '"Principal":{"Service":"lambda.amazonaws.com"},"Action":"sts:AssumeRole"}]}'
)


class ScenarioError(ValueError):
    pass


def _tiny_zip() -> str:
    buf = io.BytesIO()
    with zipfile.ZipFile(buf, "w") as zf:
        zf.writestr("app.py", "def handler(event, context):\n    return {'ok': True}\n")
    return base64.b64encode(buf.getvalue()).decode()


ZIP_B64 = _tiny_zip()


@functools.lru_cache(maxsize=4)
def _sized_zip(size: int) -> str:
    """A zip of about `size` bytes that does not compress (benchmarks of large packages): the
    handler and `size` pseudo-random bytes, stored. The same bytes for the same size."""
    buf = io.BytesIO()
    with zipfile.ZipFile(buf, "w", zipfile.ZIP_STORED) as zf:
        info = zipfile.ZipInfo("app.py", date_time=(2026, 1, 1, 0, 0, 0))
        zf.writestr(info, "def handler(event, context):\n    return {'ok': True}\n")
        zf.writestr(zipfile.ZipInfo("payload.bin", date_time=(2026, 1, 1, 0, 0, 0)), random.Random(size).randbytes(size))
    return base64.b64encode(buf.getvalue()).decode()


def ensure_role(account_id: str = ACCOUNT_ID) -> str:
    """moto's CreateFunction insists the execution role exists in the function's account."""
    iam = iam_backends[account_id]["aws"]
    try:
        return iam.get_role(ROLE_NAME).arn
    except NotFoundException:
        role = iam.create_role(ROLE_NAME, TRUST_POLICY, "/", None, "snapemu seeding role", [], None)
        return role.arn


def _default_image_uri(account_id: str, region: str, name: str) -> str:
    return f"{account_id}.dkr.ecr.{region}.amazonaws.com/{name}:latest"


def _package(f: dict[str, Any], backend: Any) -> dict[str, Any]:
    """The spec keys of the deployment package: a zip (default) or a container image, which has
    no Runtime or Handler."""
    package_type = f.get("package_type", "Zip")
    if package_type == "Zip":
        size = int(f.get("package_bytes") or 0)
        return {"Runtime": f.get("runtime", "python3.12"), "Handler": f.get("handler", "app.handler"),
                # A fresh dict per function: moto writes UUID/S3Key into it.
                "Code": {"ZipFile": _sized_zip(size) if size else ZIP_B64}}
    if package_type == "Image":
        uri = f.get("image_uri") or _default_image_uri(backend.account_id, backend.region_name, f["name"])
        return {"PackageType": "Image", "Code": {"ImageUri": str(uri)}}
    raise ScenarioError(f"function {f['name']}: package_type must be Zip or Image, got {package_type!r}")


def _function_spec(f: dict[str, Any], role_arn: str, backend: Any) -> dict[str, Any]:
    spec: dict[str, Any] = {
        "FunctionName": f["name"],
        "Role": f.get("role", role_arn),
        **_package(f, backend),
        "MemorySize": int(f.get("memory_size", 128)),
        "Timeout": int(f.get("timeout", 3)),
        "Description": f.get("description", ""),
        "Architectures": [f.get("architecture", "x86_64")],
    }
    if f.get("snapstart"):
        spec["SnapStart"] = {"ApplyOn": "PublishedVersions"}
    if f.get("environment"):
        spec["Environment"] = {"Variables": dict(f["environment"])}
    if f.get("tags"):
        spec["Tags"] = {str(k): str(v) for k, v in f["tags"].items()}
    return spec


def _version_fields(fn: Any, v: dict[str, Any]) -> None:
    set_version_fields(
        fn,
        state=v.get("state"),
        state_reason_code=v.get("state_reason_code"),
        state_reason=v.get("state_reason"),
        last_modified=v.get("last_modified"),
        code_size=v.get("code_size"),
        replicated=v.get("replicated"),
    )


def _seed_permissions(backend: Any, name: str, permissions: list[dict[str, Any]]) -> None:
    for p in permissions:
        statement = {"StatementId": p["statement_id"], "Action": p.get("action", "lambda:InvokeFunction"),
                     "Principal": p["principal"]}
        if p.get("source_arn"):
            statement["SourceArn"] = p["source_arn"]
        if p.get("source_account"):
            statement["SourceAccount"] = p["source_account"]
        qualifier = p.get("qualifier")
        lambda_extras.add_permission(backend, name, None if qualifier is None else str(qualifier), statement)


def _seed_provisioned(backend: Any, name: str, configs: list[dict[str, Any]]) -> None:
    for c in configs:
        lambda_extras.put_provisioned_concurrency(backend, name, str(c["qualifier"]), int(c.get("count", 1)))


def _seed_function(backend: Any, f: dict[str, Any], role_arn: str) -> int:
    name = f.get("name")
    if not name:
        raise ScenarioError("every function needs a name")
    if name in backend._lambdas._functions:
        raise ScenarioError(f"function already exists: {name}")
    latest = backend.create_function(_function_spec(f, role_arn, backend))

    versions = f.get("versions") or []
    if isinstance(versions, int):
        versions = [{} for _ in range(versions)]
    for v in versions:
        if v.get("image_uri"):
            if latest.package_type != "Image":
                raise ScenarioError(f"function {name}: image_uri needs package_type Image")
            latest.update_function_code({"ImageUri": str(v["image_uri"])})
        # moto only publishes when $LATEST changed since the last publish.
        latest.code_or_config_updated = True
        published = backend.publish_version(name, v.get("description", ""))
        _version_fields(published, v)
    if f.get("latest"):
        _version_fields(latest, f["latest"])

    for a in f.get("aliases") or []:
        weights = {str(k): float(w) for k, w in (a.get("weights") or {}).items()}
        backend.create_alias(
            name=a["name"],
            function_name=name,
            function_version=str(a["version"]),
            description=a.get("description", ""),
            routing_config={"AdditionalVersionWeights": weights} if weights else None,
        )
    for m in f.get("event_source_mappings") or []:
        spec = {"FunctionName": m.get("target", name), "EventSourceArn": m["event_source_arn"]}
        if "enabled" in m:
            spec["Enabled"] = bool(m["enabled"])
        if "batch_size" in m:
            spec["BatchSize"] = int(m["batch_size"])
        backend.create_event_source_mapping(spec)
    _seed_permissions(backend, name, f.get("permissions") or [])
    _seed_provisioned(backend, name, f.get("provisioned_concurrency") or [])
    return len(versions)


def _seed_metrics(account_id: str, region: str, metrics: list[dict[str, Any]]) -> int:
    backend = cloudwatch_backends[account_id][region]
    count = 0
    for m in metrics:
        timestamps = m.get("timestamps") or []
        values = m.get("values") or []
        if len(timestamps) != len(values):
            raise ScenarioError(f"metric {m.get('metric_name')}: timestamps and values differ in length")
        dims = [{"Name": k, "Value": str(v)} for k, v in (m.get("dimensions") or {}).items()]
        data = [
            {"MetricName": m["metric_name"], "Dimensions": dims, "Timestamp": parse_iso(ts),
             "Value": float(val), "Unit": m.get("unit")}
            for ts, val in zip(timestamps, values)
        ]
        cloudwatch.put_metric_data(backend, m.get("namespace", "AWS/Lambda"), data)
        count += len(data)
    return count


def _seed_account_wide(scenario: dict[str, Any], backend: Any) -> None:
    """Keys that are not about one function: roles, disabled regions, account limits."""
    for role in scenario.get("roles") or []:
        if role.get("external_id") is not None:
            STATE.role_external_ids[str(role["arn"])] = str(role["external_id"])
        else:
            STATE.role_external_ids.pop(str(role["arn"]), None)
    STATE.disabled_regions.update(str(r) for r in scenario.get("disabled_regions") or [])
    settings = scenario.get("account_settings") or {}
    lambda_extras.set_account_limits(backend, settings.get("total_code_size"),
                                     settings.get("concurrent_executions"))


def seed(scenario: dict[str, Any]) -> dict[str, Any]:
    """Apply a scenario; the caller holds the emulator lock."""
    region = scenario.get("region") or DEFAULT_REGION
    account_id = str(scenario.get("account_id") or ACCOUNT_ID)
    if not (account_id.isdigit() and len(account_id) == 12):
        raise ScenarioError(f"account_id must be 12 digits, got {account_id!r}")
    backend = get_backend(account_id, region)
    role_arn = ensure_role(account_id)
    _seed_account_wide(scenario, backend)
    functions = scenario.get("functions") or []
    versions = sum(_seed_function(backend, f, role_arn) for f in functions)
    topics = []
    for topic in scenario.get("sns_topics") or []:
        topics.append(sns_backends[account_id][region].create_topic(topic).arn)
    datapoints = _seed_metrics(account_id, region, scenario.get("metrics") or [])
    return {"functions": len(functions), "versions": versions, "datapoints": datapoints,
            "sns_topics": topics, "region": region, "account_id": account_id}
