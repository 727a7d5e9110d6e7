#!/usr/bin/env python3
"""Build and post emulator scenarios (``POST /_emulator/seed``).

    python emulator/seed.py --endpoint http://127.0.0.1:PORT --scenario demo|bench|FILE.json
                            [--region us-west-2] [--account-id 111111111111]
                            [--functions 200 --versions 10] [--reset] [--print]

``demo``  a small account exercising every rule of the cleaner (see demo_scenario).
``bench`` 200 SnapStart python3.12 functions x 10 versions, one alias each on
          the newest version, every version at least 30 days old, no metrics.
All timestamps are relative to now. Standard library only, so it also runs
outside the emulator's virtualenv.
"""

from __future__ import annotations

import argparse
import json
import sys
import urllib.request
from datetime import datetime, timedelta, timezone
from typing import Any

DEFAULT_REGION = "us-west-2"
ACCOUNT_ID = "123456789012"


def _iso(dt: datetime) -> str:
    return dt.astimezone(timezone.utc).strftime("%Y-%m-%dT%H:%M:%SZ")


def _hourly(now: datetime, days_ago: float, hours: int) -> list[str]:
    """``hours`` hourly timestamps ending ``days_ago`` days before now."""
    end = (now - timedelta(days=days_ago)).replace(minute=0, second=0, microsecond=0)
    return [_iso(end - timedelta(hours=h)) for h in range(hours)]


def _metric(fn: str, dims: dict[str, str], timestamps: list[str], value: float = 5,
            name: str = "Invocations") -> dict[str, Any]:
    return {"namespace": "AWS/Lambda", "metric_name": name,
            "dimensions": {"FunctionName": fn, **dims},
            "timestamps": timestamps, "values": [value] * len(timestamps)}


def demo_scenario(now: datetime | None = None, region: str = DEFAULT_REGION) -> dict[str, Any]:
    """A small account with one example of each case the cleaner must get right. Every function
    has at least five versions so that, with the default keep_last_n=3, the interesting ones are
    old enough to be judged by stage B.

    * orders-api:    v1, v3 idle and old (candidates); v2 pinned by alias ``live``; v6 two days old.
    * queue-worker:  v1 used by an SQS event source mapping; v2 idle (candidate).
    * image-resizer: v1 State Failed, v2 Inactive: both deletable (candidates, no cache cost).
    * payments:      alias ``prod`` -> v5; v2 has recent traffic recorded only under
                     {Resource=payments:prod, ExecutedVersion=2}; that traffic also shows at
                     function level, so v1 is "uncertain" in strict mode.
    * legacy-cron:   only unqualified traffic ({FunctionName}): old versions are "uncertain".
    * search:        v1 invoked directly (Resource=search:1) yesterday.
    * notifier:      v1 Inactive (snapshot dropped after 14 idle days): candidate.
    * billing:       .NET, idle: v1, v2 candidates.
    * report-builder: no SnapStart (python3.11): never in the report.
    """
    now = now or datetime.now(timezone.utc)
    ago = lambda days: _iso(now - timedelta(days=days))  # noqa: E731
    aged = lambda *days: [{"last_modified": ago(d)} for d in days]  # noqa: E731
    queue_arn = f"arn:aws:sqs:{region}:{ACCOUNT_ID}:orders-queue"
    resizer = aged(70, 60, 40, 30, 20)
    resizer[0].update(state="Failed", state_reason_code="FunctionError")
    resizer[1].update(state="Inactive", state_reason_code="Idle")
    notifier = aged(95, 60, 50, 40, 33)
    notifier[0].update(state="Inactive", state_reason_code="Idle")
    functions = [
        {"name": "orders-api", "memory_size": 1024, "snapstart": True, "versions": aged(120, 90, 75, 60, 45, 2),
         "aliases": [{"name": "live", "version": "2"}]},
        {"name": "queue-worker", "memory_size": 512, "snapstart": True, "versions": aged(80, 70, 50, 40, 30),
         "event_source_mappings": [{"target": "queue-worker:1", "event_source_arn": queue_arn}]},
        {"name": "image-resizer", "memory_size": 2048, "snapstart": True, "versions": resizer},
        {"name": "payments", "memory_size": 1024, "snapstart": True, "versions": aged(100, 65, 50, 40, 35),
         "aliases": [{"name": "prod", "version": "5"}]},
        {"name": "legacy-cron", "memory_size": 256, "snapstart": True, "versions": aged(200, 150, 120, 100, 90)},
        {"name": "search", "memory_size": 512, "snapstart": True, "versions": aged(90, 60, 50, 40, 30)},
        {"name": "notifier", "memory_size": 256, "snapstart": True, "versions": notifier},
        {"name": "billing", "runtime": "dotnet8", "memory_size": 1024, "snapstart": True, "versions": aged(60, 50, 40, 30, 20)},
        {"name": "report-builder", "runtime": "python3.11", "memory_size": 512, "snapstart": False,
         "versions": aged(300, 200, 100)},
    ]
    metrics = [
        # Lambda publishes alias traffic under {FunctionName}, {Resource=alias} and ExecutedVersion.
        _metric("payments", {}, _hourly(now, 3, 6), 12),
        _metric("payments", {"Resource": "payments:prod"}, _hourly(now, 3, 6), 12),
        _metric("payments", {"Resource": "payments:prod", "ExecutedVersion": "2"}, _hourly(now, 3, 6), 12),
        _metric("legacy-cron", {}, _hourly(now, 1, 24), 1),
        _metric("search", {}, _hourly(now, 1, 3), 7),
        _metric("search", {"Resource": "search:1"}, _hourly(now, 1, 3), 7),
        # Old traffic, outside the default 30-day window.
        _metric("orders-api", {}, _hourly(now, 110, 4), 3),
        _metric("orders-api", {"Resource": "orders-api:1"}, _hourly(now, 110, 4), 3),
    ]
    return {"region": region, "functions": functions, "metrics": metrics,
            "sns_topics": ["snapstart-cleaner-notifications"]}


def bench_scenario(now: datetime | None = None, region: str = DEFAULT_REGION,
                   functions: int = 200, versions: int = 10) -> dict[str, Any]:
    """Scale scenario: every version >= 30 days old, alias ``live`` on the newest."""
    now = now or datetime.now(timezone.utc)
    out = []
    for i in range(functions):
        out.append({
            "name": f"bench-fn-{i:03d}",
            "runtime": "python3.12",
            "memory_size": 512,
            "snapstart": True,
            "versions": [{"last_modified": _iso(now - timedelta(days=30 + (versions - v) * 7 + i % 5))}
                         for v in range(1, versions + 1)],
            "aliases": [{"name": "live", "version": str(versions)}],
        })
    return {"region": region, "functions": out}


def post(endpoint: str, path: str, payload: Any = None) -> Any:
    data = json.dumps(payload if payload is not None else {}).encode()
    req = urllib.request.Request(endpoint.rstrip("/") + path, data=data, method="POST",
                                 headers={"Content-Type": "application/json"})
    with urllib.request.urlopen(req, timeout=120) as resp:
        return json.load(resp)


def post_scenario(endpoint: str, scenario: dict[str, Any]) -> dict[str, Any]:
    return post(endpoint, "/_emulator/seed", scenario)


def load_scenario(name: str, region: str, functions: int = 200, versions: int = 10) -> dict[str, Any]:
    if name == "demo":
        return demo_scenario(region=region)
    if name == "bench":
        return bench_scenario(region=region, functions=functions, versions=versions)
    with open(name, encoding="utf-8") as fh:
        return json.load(fh)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--endpoint", default="http://127.0.0.1:5000")
    parser.add_argument("--scenario", required=True, help="demo | bench | path to a JSON scenario")
    parser.add_argument("--region", default=DEFAULT_REGION, help="region for demo/bench")
    parser.add_argument("--functions", type=int, default=200, help="bench: number of functions")
    parser.add_argument("--versions", type=int, default=10, help="bench: versions per function")
    parser.add_argument("--account-id", help="seed this account instead of 123456789012")
    parser.add_argument("--reset", action="store_true", help="POST /_emulator/reset first")
    parser.add_argument("--print", action="store_true", help="print the scenario JSON instead of posting it")
    args = parser.parse_args(argv)
    scenario = load_scenario(args.scenario, args.region, args.functions, args.versions)
    if args.account_id:
        scenario["account_id"] = args.account_id
    if args.print:
        json.dump(scenario, sys.stdout, indent=2)
        print()
        return 0
    if args.reset:
        post(args.endpoint, "/_emulator/reset")
    print(json.dumps(post_scenario(args.endpoint, scenario)))
    return 0


if __name__ == "__main__":
    sys.exit(main())
