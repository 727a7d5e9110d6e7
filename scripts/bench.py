"""Scan benchmark: 200 SnapStart functions × 10 versions, one alias each on the newest version,
every version older than min_age_days. Runs `snapstart-cleaner scan` twice — with the Lambda
rate budget lifted (measures the code) and with the default budget (shows it holds) — and prints
AWS calls per operation (from the emulator's request log), wall time, peak RSS and the busiest
second of Lambda calls.

    python scripts/bench.py --emulator URL --bin target/release/snapstart-cleaner
"""

import argparse
import collections
import json
import os
import resource
import subprocess
import time
import urllib.request
from datetime import datetime, timedelta, timezone

LAMBDA_OPS = {"ListFunctions", "GetFunctionConfiguration", "ListAliases", "ListEventSourceMappings"}


def call(url, method="GET", body=None):
    data = json.dumps(body).encode() if body is not None else None
    req = urllib.request.Request(url, data=data, method=method, headers={"Content-Type": "application/json"})
    with urllib.request.urlopen(req, timeout=120) as r:
        return json.loads(r.read() or b"null")


def scenario(functions=200, versions=10, age_days=30):
    old = (datetime.now(timezone.utc) - timedelta(days=age_days)).isoformat()
    return {"functions": [
        {"name": f"bench-fn-{i:03d}", "runtime": "python3.12", "memory_size": 1024, "snapstart": True,
         "versions": [{"last_modified": old} for _ in range(versions)],
         "aliases": [{"name": "live", "version": str(versions)}]}
        for i in range(functions)]}


def run_scan(binary, emulator, rps):
    env = dict(os.environ, AWS_ENDPOINT_URL=emulator, AWS_ACCESS_KEY_ID="bench", AWS_SECRET_ACCESS_KEY="bench",
               RUST_LOG="warn")
    call(f"{emulator}/_emulator/requests", "DELETE")
    before = resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss
    start = time.monotonic()
    out = subprocess.run([binary, "scan", "--region", "us-west-2", "--format", "json", "--lambda-rps", str(rps)],
                         env=env, capture_output=True, check=True)
    wall = time.monotonic() - start
    peak_kb = resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss
    report = json.loads(out.stdout)
    log = call(f"{emulator}/_emulator/requests")
    return wall, peak_kb, before, report, log


def describe(label, rps, wall, peak_kb, before_kb, report, log):
    per_op = collections.Counter(e["operation"] for e in log)
    per_second = collections.Counter(int(e["ts"]) for e in log if e["operation"] in LAMBDA_OPS)
    print(f"\n## {label} (--lambda-rps {rps})")
    print(f"wall time:        {wall:.2f} s")
    note = "" if peak_kb > before_kb else " (not above an earlier run's peak; see the first figure)"
    print(f"peak RSS:         {peak_kb / 1024:.1f} MB{note}")
    print(f"AWS calls:        {sum(per_op.values())}")
    for op, n in sorted(per_op.items()):
        print(f"  {op:<26} {n}")
    print(f"busiest second:   {max(per_second.values(), default=0)} Lambda calls")
    s = report["summary"]
    print(f"report:           {s['snapstart_versions']} versions, {s['candidates']} candidates, "
          f"${s['estimated_monthly_saving_usd']:.2f}/month")


def main():
    p = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument("--emulator", required=True)
    p.add_argument("--bin", required=True)
    p.add_argument("--default-rps", type=int, default=10)
    args = p.parse_args()
    call(f"{args.emulator}/_emulator/reset", "POST")
    t = time.monotonic()
    seeded = call(f"{args.emulator}/_emulator/seed", "POST", scenario())
    print(f"seeded {seeded['functions']} functions, {seeded['versions']} versions in {time.monotonic() - t:.1f} s")
    describe("budget lifted", 0, *run_scan(args.bin, args.emulator, 0))
    describe("default budget", args.default_rps, *run_scan(args.bin, args.emulator, args.default_rps))


if __name__ == "__main__":
    main()
