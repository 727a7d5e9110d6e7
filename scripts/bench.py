"""Scan benchmark: 200 SnapStart functions × 10 versions, one alias each on the newest version,
every version older than min_age_days. Runs `snapstart-cleaner scan` twice:

1. budget lifted, quotas off: measures the code, and gives the reference classification;
2. default settings against an emulator that enforces Lambda's quotas with 429s (15/s shared
   control plane, GetFunction 100/s, GetPolicy 15/s, per account and region), while a neighbour
   (another caller in the same account, as a deploy pipeline would be) makes 4 control-plane
   calls a second and counts the throttles it meets.

Then a third run covers every version (`--versions all`) of a mixed fleet: the same 200
functions, every other one without SnapStart and every tenth of those with provisioned
concurrency on a version, at default settings with the quotas enforced.

For each it prints AWS calls per operation and per quota, wall time, the time the budgets allow
(for each quota its calls ÷ its budget; the largest), the ratio, throttles met, and whether the
classification matches the reference.

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

import threading

# The worker's default budgets, per quota (see `snapstart-cleaner scan --help`).
BUDGETS = {"control_plane": 10, "get_function": 50, "get_policy": 10}
NEIGHBOUR_RPS = 4


def quota_of(entry):
    """The Lambda quota a logged request draws from (None: not a Lambda control-plane call)."""
    if entry["service"] != "lambda":
        return None
    return {"GetFunction": "get_function", "GetPolicy": "get_policy"}.get(entry["operation"], "control_plane")


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


class Neighbour(threading.Thread):
    """Another caller in the account: ListFunctions(MaxItems=1) evenly spaced, no retries."""

    def __init__(self, emulator):
        super().__init__(daemon=True)
        import boto3
        from botocore.config import Config
        self.client = boto3.client("lambda", endpoint_url=emulator, region_name="us-west-2",
                                   aws_access_key_id="neighbour", aws_secret_access_key="neighbour",
                                   config=Config(retries={"max_attempts": 1, "mode": "standard"}))
        self.stopped = threading.Event()
        self.calls = self.throttled = 0

    def run(self):
        next_at = time.monotonic()
        while not self.stopped.is_set():
            try:
                self.client.list_functions(MaxItems=1)
            except self.client.exceptions.TooManyRequestsException:
                self.throttled += 1
            self.calls += 1
            next_at += 1 / NEIGHBOUR_RPS
            self.stopped.wait(max(0.0, next_at - time.monotonic()))


def run_scan(binary, emulator, lifted, extra=()):
    env = dict(os.environ, AWS_ENDPOINT_URL=emulator, AWS_ACCESS_KEY_ID="bench", AWS_SECRET_ACCESS_KEY="bench",
               RUST_LOG="warn")
    call(f"{emulator}/_emulator/requests", "DELETE")
    before = resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss
    start = time.monotonic()
    flags = ["--lambda-rps", "0"] if lifted else []
    out = subprocess.run([binary, "scan", "--region", "us-west-2", "--format", "json", *flags, *extra],
                         env=env, capture_output=True, check=True)
    wall = time.monotonic() - start
    peak_kb = resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss
    report = json.loads(out.stdout)
    log = [e for e in call(f"{emulator}/_emulator/requests") if e.get("access_key") != "neighbour"]
    return wall, peak_kb, before, report, log


def classification(report):
    return {(r["function_name"], r["version"]): tuple(r["reason_flags"]) for r in report["rows"]}


def describe(label, wall, peak_kb, before_kb, report, log, reference=None):
    per_op = collections.Counter(e["operation"] for e in log)
    per_quota = collections.Counter(q for q in map(quota_of, log) if q)
    throttled = sum(1 for e in log if e.get("throttled"))
    print(f"\n## {label}")
    print(f"wall time:        {wall:.2f} s")
    note = "" if peak_kb > before_kb else " (not above an earlier run's peak; see the first figure)"
    print(f"peak RSS:         {peak_kb / 1024:.1f} MB{note}")
    print(f"AWS calls:        {sum(per_op.values())}")
    for op, n in sorted(per_op.items()):
        print(f"  {op:<34} {n}")
    print("per Lambda quota: " + ", ".join(f"{q} {per_quota[q]}" for q in BUDGETS))
    if reference is not None:
        allowed = max(per_quota[q] / budget for q, budget in BUDGETS.items())
        print(f"budgets allow:    {allowed:.1f} s (largest of calls ÷ budget: "
              + ", ".join(f"{q} {per_quota[q]}/{b}" for q, b in BUDGETS.items()) + ")")
        print(f"wall ÷ allowed:   {wall / allowed:.2f}")
        print(f"throttles met:    {throttled}")
        same = classification(report) == classification(reference)
        print(f"classification:   {'same as with no quotas' if same else 'DIFFERENT from the run with no quotas'}")
    s = report["summary"]
    print(f"report:           {s['snapstart_versions']} SnapStart versions of {s.get('versions_in_scope', s['snapstart_versions'])} in scope, "
          f"{s['candidates']} candidates ({sum(1 for r in report['rows'] if r['candidate_for_deletion'] and not r.get('snapstart'))} without SnapStart), "
          f"${s['estimated_monthly_saving_usd']:.2f}/month, frees {s.get('reclaimable_code_bytes', 0) / 2**20:.1f} MiB")


def main():
    p = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument("--emulator", required=True)
    p.add_argument("--bin", required=True)
    args = p.parse_args()
    call(f"{args.emulator}/_emulator/reset", "POST")
    t = time.monotonic()
    seeded = call(f"{args.emulator}/_emulator/seed", "POST", scenario())
    print(f"seeded {seeded['functions']} functions, {seeded['versions']} versions in {time.monotonic() - t:.1f} s")
    call(f"{args.emulator}/_emulator/quotas", "POST", {"enabled": False})
    lifted = run_scan(args.bin, args.emulator, lifted=True)
    describe("budgets lifted, no quotas", *lifted)
    call(f"{args.emulator}/_emulator/quotas", "POST", {"enabled": True})
    neighbour = Neighbour(args.emulator)
    neighbour.start()
    try:
        quota_run = run_scan(args.bin, args.emulator, lifted=False)
    finally:
        neighbour.stopped.set()
        neighbour.join()
        call(f"{args.emulator}/_emulator/quotas", "POST", {"enabled": False})
    describe("default settings, Lambda quotas enforced, neighbour at 4 calls/s", *quota_run, reference=lifted[3])
    print(f"neighbour:        {neighbour.calls} ListFunctions calls, {neighbour.throttled} throttled")

    mixed = scenario()
    for i, f in enumerate(mixed["functions"]):
        if i % 2:
            f["snapstart"] = False
            if i % 20 == 1:
                f["provisioned_concurrency"] = [{"qualifier": "1", "count": 1}]
    call(f"{args.emulator}/_emulator/reset", "POST")
    call(f"{args.emulator}/_emulator/seed", "POST", mixed)
    call(f"{args.emulator}/_emulator/quotas", "POST", {"enabled": True})
    try:
        every = run_scan(args.bin, args.emulator, lifted=False, extra=("--versions", "all"))
    finally:
        call(f"{args.emulator}/_emulator/quotas", "POST", {"enabled": False})
    describe("every version (--versions all), half the functions without SnapStart, default settings, quotas enforced",
             *every, reference=every[3])


if __name__ == "__main__":
    main()
