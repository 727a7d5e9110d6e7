"""End-to-end benchmark through Temporal: 1,000 SnapStart functions × 10 versions (all old, one
alias each on the newest: 7,000 candidates), the release worker and resolver, a dry run.
Scan, approval email, confirm page GET, approve-all POST as a browser sends it, dry-run
deletion (or, with --archive, a live deletion that archives every version first: then also
the bytes archived, the code downloads and the archive's objects; --package-mb gives every
function a package of that size). Prints wall time per phase, the worker's peak RSS (and its RSS at the approval email and after
the confirm page GET and the POST), the largest payload in the history,
the history's event count and bytes, and the AWS calls of the deletion phase. Figures, not
assertions.

    python scripts/bench_e2e.py --emulator URL --temporal HOST:PORT --temporal-cli PATH \\
        --bin-dir target/release --maildir DIR --smtp-url smtp://127.0.0.1:PORT
"""

import argparse
import base64
import collections
import email
import glob
import json
import os
import secrets
import socket
import subprocess
import threading
import time
import urllib.parse
import urllib.request
from datetime import datetime
from html.parser import HTMLParser

from bench import call, scenario


def free_port():
    s = socket.socket()
    s.bind(("127.0.0.1", 0))
    port = s.getsockname()[1]
    s.close()
    return port


def wait(what, check, timeout=3600, every=0.5):
    start = time.monotonic()
    while True:
        value = check()
        if value:
            return value
        if time.monotonic() - start > timeout:
            raise SystemExit(f"timed out waiting for {what}")
        time.sleep(every)


class FormFields(HTMLParser):
    """The fields a browser submits from the first POST form: hidden and text inputs, and the
    checkboxes that are checked (as they are when the page loads)."""

    def __init__(self):
        super().__init__()
        self.fields, self.action, self.in_form = [], None, False

    def handle_starttag(self, tag, attrs):
        a = dict(attrs)
        if tag == "form" and a.get("method", "").lower() == "post" and self.action is None:
            self.in_form, self.action = True, a.get("action", "")
        elif tag == "input" and self.in_form and a.get("name"):
            kind = a.get("type", "text")
            if kind in ("hidden", "text") or (kind == "checkbox" and "checked" in a):
                self.fields.append((a["name"], a.get("value", "on" if kind == "checkbox" else "")))

    def handle_endtag(self, tag):
        if tag == "form":
            self.in_form = False


def mails(maildir):
    out = []
    for path in sorted(glob.glob(os.path.join(maildir, "new", "*"))):
        msg = email.message_from_binary_file(open(path, "rb"))
        parts = [p for p in msg.walk() if p.get_content_type() == "text/plain"]
        out.append((msg["Subject"], parts[0].get_payload(decode=True).decode() if parts else ""))
    return out


def up(url):
    try:
        return urllib.request.urlopen(url, timeout=2).status == 200
    except OSError:
        return False


def status_kb(pid, field):
    """A KiB figure of /proc/<pid>/status: VmRSS (resident now) or VmHWM (peak)."""
    with open(f"/proc/{pid}/status") as f:
        for line in f:
            if line.startswith(f"{field}:"):
                return int(line.split()[1])
    return 0


class RssSampler(threading.Thread):
    """Samples a process's resident set every 100 ms as (wall time, KiB), to attribute the peak to a phase."""

    def __init__(self, pid):
        super().__init__(daemon=True)
        self.pid, self.samples, self.stopped = pid, [], threading.Event()

    def run(self):
        while not self.stopped.wait(0.1):
            try:
                self.samples.append((time.time(), status_kb(self.pid, "VmRSS")))
            except OSError:
                return

    def peak_between(self, start, end):
        return max((kb for t, kb in self.samples if start <= t <= end), default=0)


def history(cli, address, workflow_id):
    out = subprocess.run([cli, "workflow", "show", "--workflow-id", workflow_id, "--output", "json", "--address", address],
                         capture_output=True, check=True)
    return out.stdout


def payload_sizes(node, found):
    """Every payload's data size in a history JSON (base64-decoded)."""
    if isinstance(node, dict):
        if "data" in node and "metadata" in node and isinstance(node["data"], str):
            found.append(len(base64.b64decode(node["data"])))
        for v in node.values():
            payload_sizes(v, found)
    elif isinstance(node, list):
        for v in node:
            payload_sizes(v, found)
    return found


def ts(text):
    return datetime.fromisoformat(text.replace("Z", "+00:00")).timestamp()


def phases(events):
    """(activity type, scheduled, closed) for each activity, from history event times."""
    scheduled, out = {}, []
    for e in events:
        eid = int(e["eventId"])
        if "activityTaskScheduledEventAttributes" in e:
            scheduled[eid] = (e["activityTaskScheduledEventAttributes"]["activityType"]["name"], ts(e["eventTime"]))
        for key in ("activityTaskCompletedEventAttributes", "activityTaskFailedEventAttributes"):
            if key in e:
                name, start = scheduled[int(e[key]["scheduledEventId"])]
                out.append((name, start, ts(e["eventTime"])))
    return out


def main():
    p = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    for flag in ("--emulator", "--temporal", "--temporal-cli", "--bin-dir", "--maildir", "--smtp-url"):
        p.add_argument(flag, required=True)
    p.add_argument("--functions", type=int, default=1000)
    p.add_argument("--versions", type=int, default=10)
    p.add_argument("--lambda-rps", type=int, default=0, help="0 lifts the budget (measures the code)")
    p.add_argument("--archive", action="store_true", help="a live deletion that archives each version to s3://bench-archive/versions/ first")
    p.add_argument("--package-mb", type=float, default=0, help="each function's package size in MB (default: a tiny zip)")
    args = p.parse_args()

    call(f"{args.emulator}/_emulator/reset", "POST")
    t = time.monotonic()
    seeding = scenario(args.functions, args.versions, 40)
    if args.package_mb:
        for f in seeding["functions"]:
            f["package_bytes"] = int(args.package_mb * 1_000_000)
    seeded = call(f"{args.emulator}/_emulator/seed", "POST", seeding)
    archive_env = {}
    if args.archive:
        import boto3
        s3 = boto3.client("s3", endpoint_url=args.emulator, region_name="us-west-2", aws_access_key_id="bench", aws_secret_access_key="bench")
        s3.create_bucket(Bucket="bench-archive", CreateBucketConfiguration={"LocationConstraint": "us-west-2"})
        archive_env = {"DELETE_DRY_RUN": "false", "ARCHIVE_URI": "s3://bench-archive/versions/"}
    print(f"seeded {seeded['functions']} functions, {seeded['versions']} versions in {time.monotonic() - t:.1f} s")

    port = free_port()
    resolver_url = f"http://127.0.0.1:{port}"
    env = dict(os.environ, AWS_ENDPOINT_URL=args.emulator, AWS_ACCESS_KEY_ID="bench", AWS_SECRET_ACCESS_KEY="bench",
               APPROVAL_LINK_SECRET=secrets.token_urlsafe(48), RESOLVER_PUBLIC_URL=resolver_url, TEMPORAL_ADDRESS=args.temporal,
               SMTP_URL=args.smtp_url, APPROVAL_EMAIL_FROM="bench@example.test", APPROVAL_EMAIL_TO="approver@example.test",
               DELETE_DRY_RUN="true", RUST_LOG="warn")
    env.update(archive_env)
    queue = f"bench-{secrets.token_hex(4)}"
    worker = subprocess.Popen([f"{args.bin_dir}/snapstart-cleaner", "worker", "--task-queue", queue,
                               "--lambda-rps", str(args.lambda_rps)], env=env)
    resolver = subprocess.Popen([f"{args.bin_dir}/snapstart-cleaner-resolver", "--listen", f"127.0.0.1:{port}",
                                 "--public-url", resolver_url, "--address", args.temporal], env=env)
    sampler = RssSampler(worker.pid)
    sampler.start()
    try:
        wait("the resolver", lambda: up(f"{resolver_url}/healthz"))
        time.sleep(1)
        idle = status_kb(worker.pid, "VmRSS")
        workflow_id = f"bench-{secrets.token_hex(4)}"
        started = time.monotonic()
        subprocess.run([args.temporal_cli, "workflow", "start", "--type", "SnapStartCleanup", "--task-queue", queue,
                        "--workflow-id", workflow_id, "--input", json.dumps({"region": "us-west-2"}), "--address", args.temporal],
                       check=True, capture_output=True)
        mail = wait("the approval email", lambda: next((m for m in mails(args.maildir) if "/approve?token=" in m[1] and workflow_id in m[1]), None))
        email_at = time.monotonic()
        rss = {"at the approval email": status_kb(worker.pid, "VmRSS")}
        link = next(w for w in mail[1].split() if "/approve?token=" in w)
        t = time.monotonic()
        page = urllib.request.urlopen(link, timeout=60).read()
        get_seconds = time.monotonic() - t
        rss["after the confirm page GET"] = status_kb(worker.pid, "VmRSS")
        form = FormFields()
        form.feed(page.decode())
        body = urllib.parse.urlencode(form.fields).encode()
        request = urllib.request.Request(urllib.parse.urljoin(link, form.action or "approve"), data=body, method="POST",
                                         headers={"Origin": resolver_url, "Content-Type": "application/x-www-form-urlencoded"})
        t = time.monotonic()
        answer = urllib.request.urlopen(request, timeout=60).read().decode()
        post_seconds = time.monotonic() - t
        rss["after the approve-all POST"] = status_kb(worker.pid, "VmRSS")
        done = wait("the completion email", lambda: next((m for m in mails(args.maildir) if "/approve?token=" not in m[1] and workflow_id in m[1]), None))
        finished = time.monotonic()
        peak = status_kb(worker.pid, "VmHWM")
    finally:
        sampler.stopped.set()
        worker.terminate()
        resolver.terminate()

    raw = history(args.temporal_cli, args.temporal, workflow_id)
    doc = json.loads(raw)
    events = doc.get("events", [])
    sizes = payload_sizes(doc, [])
    mode = f"live, archiving, packages of {args.package_mb or 'a few hundred bytes'} MB" if args.archive else "dry run"
    print(f"\n## end to end, {args.functions} functions × {args.versions} versions (--lambda-rps {args.lambda_rps}, {mode})")
    print(f"start → approval email:   {email_at - started:.1f} s")
    for name, start, end in phases(events):
        print(f"  {name:<30} {end - start:7.2f} s   worker RSS ≤ {sampler.peak_between(start, end) / 1024:5.1f} MB")
    print(f"confirm page GET:          {get_seconds * 1000:.0f} ms ({len(page) / 1024:.0f} KiB of HTML)")
    print(f"approve-all POST:          {post_seconds * 1000:.0f} ms ({len(body)} bytes of form)"
          f"{'' if 'recorded' in answer.lower() else ' — UNEXPECTED ANSWER'}")
    print(f"POST → completion email:   {finished - email_at - get_seconds - post_seconds:.1f} s ({done[0]})")
    print(f"worker peak RSS:           {peak / 1024:.1f} MB (idle after start: {idle / 1024:.1f} MB)")
    for when, kb in rss.items():
        print(f"  worker RSS {when + ':':<28} {kb / 1024:5.1f} MB")
    print(f"history:                   {len(events)} events, {len(raw) / 1024:.0f} KiB as JSON; "
          f"largest payload {max(sizes, default=0) / 1024:.1f} KiB")
    delete = [(s, e) for n, s, e in phases(events) if n == "delete-versions"]
    if delete:
        start, end = delete[-1]
        log = call(f"{args.emulator}/_emulator/requests")
        calls = [r for r in log if start <= r["received"] <= end]
        ops = collections.Counter(s3_kind(r) if r["service"] == "s3" else r["operation"] for r in calls)
        listed = {r.get("function_name") for r in calls if r["operation"] == "ListAliases"}
        print(f"deletion phase AWS calls:  {sum(ops.values())} (ListAliases for {len(listed)} distinct functions)")
        for op, n in sorted(ops.items()):
            print(f"  {op:<30} {n}")
        by_service = collections.Counter(r["service"] for r in calls)
        print(f"  by service: {dict(sorted(by_service.items()))}")
    if args.archive:
        print_archive(args.emulator)


def s3_kind(request):
    """An S3 request as the emulator logs it ("Unknown:PUT /bucket/key"), as method and object kind."""
    method, _, path = request["operation"].partition(" ")
    return f"S3 {method.split(':')[-1]} {path.rsplit('/', 1)[-1] if '.' in path.rsplit('/', 1)[-1] else path}"


def print_archive(emulator):
    """What the archive holds after the run, and how many code downloads it took."""
    import boto3
    s3 = boto3.client("s3", endpoint_url=emulator, region_name="us-west-2", aws_access_key_id="bench", aws_secret_access_key="bench")
    objects = []
    for page in s3.get_paginator("list_objects_v2").paginate(Bucket="bench-archive"):
        objects.extend(page.get("Contents", []))
    packages = [o for o in objects if o["Key"].endswith("/code.zip")]
    records = [o for o in objects if o["Key"].endswith("/version.json")]
    downloads = call(f"{emulator}/_emulator/lambda/code")["downloads"]
    print(f"archive:                   {len(records)} version.json, {len(packages)} code.zip, "
          f"{sum(o['Size'] for o in packages) / 1e6:.1f} MB of packages, {sum(o['Size'] for o in records) / 1e6:.1f} MB of records; "
          f"{downloads} code downloads")


if __name__ == "__main__":
    main()
