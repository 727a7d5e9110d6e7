"""Work out which AWS service and operation an incoming HTTP request is.

The request log, fault matching and the CBOR front end all need the AWS API
name of a request (``ListAliases``, ``GetMetricData``, ...) before moto sees it.
Lambda is REST-JSON, so its operation comes from method + path; CloudWatch
arrives as Smithy RPC v2 CBOR (Rust SDK) or awsJson (boto3) or query; SNS and
STS as query; the Resource Groups Tagging API ("tagging") as awsJson or CBOR.
It also records the access key id and the account the request acts on. This
module owns that mapping and the parsing of Lambda function names/ARNs into
(name, qualifier).
"""

from __future__ import annotations

import functools
import json
import re
from dataclasses import dataclass, field
from typing import Any
from urllib.parse import parse_qs

from .accounts import access_key_of, account_of
from .state import ACCOUNT_ID, DEFAULT_REGION

# Signing names and protocol service ids -> the names used by the control API.
SERVICE_ALIASES = {
    "monitoring": "cloudwatch",
    "GraniteServiceVersion20100801": "cloudwatch",
    "AmazonSimpleNotificationService": "sns",
    "ResourceGroupsTaggingAPI_20170126": "tagging",
    "AWSSecurityTokenServiceV20110615": "sts",
}

CBOR_PATH = re.compile(r"^/service/(?P<svc>[^/]+)/operation/(?P<op>[^/]+)/?$")

_FN = r"(?P<fn>[^/]+)"
# (method, path regex without the API-version prefix, operation)
LAMBDA_ROUTES: list[tuple[str, re.Pattern[str], str]] = [
    (m, re.compile(p + r"/?$"), op)
    for m, p, op in [
        ("GET", r"/functions", "ListFunctions"),
        ("POST", r"/functions", "CreateFunction"),
        ("GET", rf"/functions/{_FN}/configuration", "GetFunctionConfiguration"),
        ("PUT", rf"/functions/{_FN}/configuration", "UpdateFunctionConfiguration"),
        ("PUT", rf"/functions/{_FN}/code", "UpdateFunctionCode"),
        ("GET", rf"/functions/{_FN}/versions", "ListVersionsByFunction"),
        ("POST", rf"/functions/{_FN}/versions", "PublishVersion"),
        ("GET", rf"/functions/{_FN}/aliases", "ListAliases"),
        ("POST", rf"/functions/{_FN}/aliases", "CreateAlias"),
        ("GET", rf"/functions/{_FN}/aliases/(?P<alias>[^/]+)", "GetAlias"),
        ("PUT", rf"/functions/{_FN}/aliases/(?P<alias>[^/]+)", "UpdateAlias"),
        ("DELETE", rf"/functions/{_FN}/aliases/(?P<alias>[^/]+)", "DeleteAlias"),
        ("POST", rf"/functions/{_FN}/invocations", "Invoke"),
        ("POST", rf"/functions/{_FN}/invoke-async", "InvokeAsync"),
        ("GET", rf"/functions/{_FN}/provisioned-concurrency", "GetProvisionedConcurrencyConfig"),
        ("PUT", rf"/functions/{_FN}/provisioned-concurrency", "PutProvisionedConcurrencyConfig"),
        ("DELETE", rf"/functions/{_FN}/provisioned-concurrency", "DeleteProvisionedConcurrencyConfig"),
        ("GET", rf"/functions/{_FN}/concurrency", "GetFunctionConcurrency"),
        ("PUT", rf"/functions/{_FN}/concurrency", "PutFunctionConcurrency"),
        ("DELETE", rf"/functions/{_FN}/concurrency", "DeleteFunctionConcurrency"),
        ("GET", rf"/functions/{_FN}/policy", "GetPolicy"),
        ("POST", rf"/functions/{_FN}/policy", "AddPermission"),
        ("DELETE", rf"/functions/{_FN}/policy/(?P<sid>[^/]+)", "RemovePermission"),
        ("GET", rf"/functions/{_FN}/urls", "ListFunctionUrlConfigs"),
        ("GET", rf"/functions/{_FN}/url", "GetFunctionUrlConfig"),
        ("POST", rf"/functions/{_FN}/url", "CreateFunctionUrlConfig"),
        ("PUT", rf"/functions/{_FN}/url", "UpdateFunctionUrlConfig"),
        ("DELETE", rf"/functions/{_FN}/url", "DeleteFunctionUrlConfig"),
        ("GET", rf"/functions/{_FN}/code-signing-config", "GetFunctionCodeSigningConfig"),
        ("GET", rf"/functions/{_FN}/event-invoke-config/list", "ListFunctionEventInvokeConfigs"),
        ("GET", rf"/functions/{_FN}/event-invoke-config", "GetFunctionEventInvokeConfig"),
        ("PUT", rf"/functions/{_FN}/event-invoke-config", "PutFunctionEventInvokeConfig"),
        ("POST", rf"/functions/{_FN}/event-invoke-config", "UpdateFunctionEventInvokeConfig"),
        ("DELETE", rf"/functions/{_FN}/event-invoke-config", "DeleteFunctionEventInvokeConfig"),
        ("GET", rf"/functions/{_FN}", "GetFunction"),
        ("DELETE", rf"/functions/{_FN}", "DeleteFunction"),
        ("GET", r"/event-source-mappings", "ListEventSourceMappings"),
        ("POST", r"/event-source-mappings", "CreateEventSourceMapping"),
        ("GET", r"/event-source-mappings/(?P<uuid>[^/]+)", "GetEventSourceMapping"),
        ("PUT", r"/event-source-mappings/(?P<uuid>[^/]+)", "UpdateEventSourceMapping"),
        ("DELETE", r"/event-source-mappings/(?P<uuid>[^/]+)", "DeleteEventSourceMapping"),
        ("GET", r"/tags/(?P<arn>.+)", "ListTags"),
        ("POST", r"/tags/(?P<arn>.+)", "TagResource"),
        ("DELETE", r"/tags/(?P<arn>.+)", "UntagResource"),
        ("GET", r"/account-settings", "GetAccountSettings"),
        ("GET", r"/layers", "ListLayers"),
    ]
]
LAMBDA_PREFIX = re.compile(r"^/(?P<ver>\d{4}-\d{2}-\d{2})(?P<rest>/.*)$")

# Every Lambda operation name classify() can produce: the routes above, plus the
# list form of GetProvisionedConcurrencyConfig (same route, ``?List=ALL``).
LAMBDA_OPERATIONS = frozenset(op for _, _, op in LAMBDA_ROUTES) | {"ListProvisionedConcurrencyConfigs"}

# botocore model names of the services whose operation name classify() takes
# verbatim from the wire (CBOR path, X-Amz-Target or the query ``Action``).
_BOTOCORE_MODELS = {"cloudwatch": "cloudwatch", "sns": "sns",
                    "tagging": "resourcegroupstaggingapi", "sts": "sts"}


@functools.cache
def known_operations(service: str) -> frozenset[str]:
    """The operation names a request of ``service`` can be classified as.

    Lambda is routed by method + path, so only LAMBDA_OPERATIONS can occur.
    CloudWatch and SNS carry the name on the wire, so the names are exactly the
    operations of that service's API, read from the botocore model pinned with
    moto (boto3 in emulator/requirements.txt). Unknown services: empty set.
    """
    if service == "lambda":
        return LAMBDA_OPERATIONS
    model = _BOTOCORE_MODELS.get(service)
    if model is None:
        return frozenset()
    import botocore.session

    return frozenset(botocore.session.get_session().get_service_model(model).operation_names)


def split_function_ref(ref: str) -> tuple[str, str | None]:
    """Parse a Lambda FunctionName parameter into (name, qualifier).

    Accepts ``fn``, ``fn:q``, ``arn:aws:lambda:r:acct:function:fn[:q]`` and the
    partial form ``acct:function:fn[:q]``.
    """
    if ":function:" in ref:
        tail = ref.split(":function:", 1)[1]
    else:
        tail = ref
    name, _, qualifier = tail.partition(":")
    return name, (qualifier or None)


@dataclass
class RequestInfo:
    service: str
    operation: str
    protocol: str  # rest-json | cbor | json | query | control | unknown
    region: str = DEFAULT_REGION
    function_name: str | None = None
    qualifier: str | None = None
    params: dict[str, Any] = field(default_factory=dict)
    path_params: dict[str, str] = field(default_factory=dict)
    received: float | None = None  # time.time() when the request arrived
    account_id: str = ACCOUNT_ID  # the account the credentials act on (accounts.py)
    access_key: str | None = None  # SigV4 access key id; None when unsigned

    def matches(self, key: str, expected: Any) -> bool:
        """Fault ``match`` semantics: FunctionName/Qualifier are parsed, other
        keys compare against path, query or top-level body parameters."""
        if key == "FunctionName":
            if self.function_name is None:
                return False
            want_name, want_qual = split_function_ref(str(expected))
            if want_name != self.function_name:
                return False
            return want_qual is None or want_qual == self.qualifier
        if key == "Qualifier":
            return self.qualifier == str(expected)
        if key == "Region":
            return self.region == str(expected)
        if key == "AccountId":
            return self.account_id == str(expected)
        value = self.path_params.get(key, self.params.get(key))
        return value is not None and str(value) == str(expected)


def _region_and_signing_service(environ: dict[str, Any]) -> tuple[str, str | None]:
    auth = environ.get("HTTP_AUTHORIZATION", "")
    m = re.search(r"Credential=[^/]+/\d+/([^/]+)/([^/]+)/aws4_request", auth)
    if m:
        return m.group(1), m.group(2)
    return DEFAULT_REGION, None


def classify(environ: dict[str, Any], body: bytes) -> RequestInfo:
    """Service, operation, region, account and Lambda function of a request."""
    info = _classify(environ, body)
    info.access_key = access_key_of(environ)
    info.account_id = account_of(environ, info.access_key)
    return info


def _classify(environ: dict[str, Any], body: bytes) -> RequestInfo:
    path = environ.get("PATH_INFO", "") or "/"
    method = environ.get("REQUEST_METHOD", "GET").upper()
    query = {k: v[0] for k, v in parse_qs(environ.get("QUERY_STRING", "")).items()}
    region, signing = _region_and_signing_service(environ)
    service = SERVICE_ALIASES.get(signing or "", signing or "unknown")

    m = CBOR_PATH.match(path)
    if m and "cbor" in environ.get("HTTP_SMITHY_PROTOCOL", "rpc-v2-cbor"):
        svc = SERVICE_ALIASES.get(m.group("svc"), m.group("svc"))
        return RequestInfo(svc, m.group("op"), "cbor", region)

    target = environ.get("HTTP_X_AMZ_TARGET")
    if target:
        prefix, _, op = target.rpartition(".")
        svc = SERVICE_ALIASES.get(prefix, service)
        params: dict[str, Any] = {}
        try:
            loaded = json.loads(body or b"{}")
            if isinstance(loaded, dict):
                params = loaded
        except ValueError:
            pass
        return RequestInfo(svc, op, "json", region, params=params)

    form: dict[str, str] = dict(query)
    if environ.get("CONTENT_TYPE", "").startswith("application/x-www-form-urlencoded"):
        form.update({k: v[0] for k, v in parse_qs(body.decode("utf-8", "replace")).items()})
    if "Action" in form:
        return RequestInfo(service, form["Action"], "query", region, params=form)

    lm = LAMBDA_PREFIX.match(path)
    if lm and service in ("lambda", "unknown"):
        rest = lm.group("rest")
        for route_method, pattern, op in LAMBDA_ROUTES:
            if route_method != method:
                continue
            rm = pattern.match(rest)
            if not rm:
                continue
            path_params = {k: v for k, v in rm.groupdict().items() if v is not None}
            if op == "GetProvisionedConcurrencyConfig" and query.get("List") == "ALL":
                op = "ListProvisionedConcurrencyConfigs"
            params = dict(query)
            if body and method in ("POST", "PUT"):
                try:
                    loaded = json.loads(body)
                    if isinstance(loaded, dict):
                        params.update(loaded)
                except ValueError:
                    pass
            info = RequestInfo("lambda", op, "rest-json", region, params=params,
                               path_params=path_params)
            ref = path_params.get("fn") or params.get("FunctionName")
            if ref is None and ":function:" in path_params.get("arn", ""):
                ref = path_params["arn"]  # ListTags / TagResource / UntagResource
            if isinstance(ref, str) and ref:
                info.function_name, info.qualifier = split_function_ref(ref)
            if query.get("Qualifier"):
                info.qualifier = query["Qualifier"]
            return info
        return RequestInfo("lambda", f"Unknown:{method} {rest}", "rest-json", region)

    return RequestInfo(service, f"Unknown:{method} {path}", "unknown", region)
