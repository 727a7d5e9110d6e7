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
import io
import zipfile
from typing import Any

from moto.awslambda.utils import get_backend
from moto.cloudwatch.models import cloudwatch_backends
from moto.iam.exceptions import NotFoundException
from moto.iam.models import iam_backends
from moto.sns.models import sns_backends

from . import cloudwatch
from .lambda_patches import parse_iso, set_version_fields
from .state import ACCOUNT_ID, DEFAULT_REGION

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


def ensure_role() -> str:
    """moto's CreateFunction insists the execution role exists in IAM."""
    iam = iam_backends[ACCOUNT_ID]["aws"]
    try:
        return iam.get_role(ROLE_NAME).arn
    except NotFoundException:
        role = iam.create_role(ROLE_NAME, TRUST_POLICY, "/", None, "snapemu seeding role", [], None)
        return role.arn


def _function_spec(f: dict[str, Any], role_arn: str) -> dict[str, Any]:
    spec: dict[str, Any] = {
        "FunctionName": f["name"],
        "Runtime": f.get("runtime", "python3.12"),
        "Role": f.get("role", role_arn),
        "Handler": f.get("handler", "app.handler"),
        # A fresh dict per function: moto writes UUID/S3Key into it.
        "Code": {"ZipFile": ZIP_B64},
        "MemorySize": int(f.get("memory_size", 128)),
        "Timeout": int(f.get("timeout", 3)),
        "Description": f.get("description", ""),
        "Architectures": [f.get("architecture", "x86_64")],
    }
    if f.get("snapstart"):
        spec["SnapStart"] = {"ApplyOn": "PublishedVersions"}
    if f.get("environment"):
        spec["Environment"] = {"Variables": dict(f["environment"])}
    return spec


def _seed_function(backend: Any, f: dict[str, Any], role_arn: str) -> int:
    name = f.get("name")
    if not name:
        raise ScenarioError("every function needs a name")
    if name in backend._lambdas._functions:
        raise ScenarioError(f"function already exists: {name}")
    latest = backend.create_function(_function_spec(f, role_arn))

    versions = f.get("versions") or []
    if isinstance(versions, int):
        versions = [{} for _ in range(versions)]
    for v in versions:
        # moto only publishes when $LATEST changed since the last publish.
        latest.code_or_config_updated = True
        published = backend.publish_version(name, v.get("description", ""))
        set_version_fields(
            published,
            state=v.get("state"),
            state_reason_code=v.get("state_reason_code"),
            state_reason=v.get("state_reason"),
            last_modified=v.get("last_modified"),
        )
    if f.get("latest"):
        lv = f["latest"]
        set_version_fields(latest, state=lv.get("state"), state_reason_code=lv.get("state_reason_code"),
                           state_reason=lv.get("state_reason"), last_modified=lv.get("last_modified"))

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
    return len(versions)


def _seed_metrics(region: str, metrics: list[dict[str, Any]]) -> int:
    backend = cloudwatch_backends[ACCOUNT_ID][region]
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


def seed(scenario: dict[str, Any]) -> dict[str, Any]:
    """Apply a scenario; the caller holds the emulator lock."""
    region = scenario.get("region") or DEFAULT_REGION
    backend = get_backend(ACCOUNT_ID, region)
    role_arn = ensure_role()
    functions = scenario.get("functions") or []
    versions = sum(_seed_function(backend, f, role_arn) for f in functions)
    topics = []
    for topic in scenario.get("sns_topics") or []:
        topics.append(sns_backends[ACCOUNT_ID][region].create_topic(topic).arn)
    datapoints = _seed_metrics(region, scenario.get("metrics") or [])
    return {"functions": len(functions), "versions": versions, "datapoints": datapoints,
            "sns_topics": topics, "region": region}
