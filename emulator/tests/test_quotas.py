"""Lambda quota mode: per-(account, region) token buckets answering 429 CallerRateLimitExceeded."""

from __future__ import annotations

import json
import subprocess
import sys
import time
import urllib.request
from concurrent.futures import ThreadPoolExecutor

import pytest
from botocore.exceptions import ClientError
from conftest import EMULATOR_DIR

from snapemu.quotas import bucket_of


@pytest.fixture
def quotas(emulator, seed):
    seed({"functions": [{"name": f"f{i}", "versions": 1} for i in range(3)]})
    seed({"region": "eu-west-1", "functions": [{"name": "f0"}]})
    seed({"account_id": "111111111111", "functions": [{"name": "f0"}]})
    return emulator.control("POST", "/_emulator/quotas", {"enabled": True})


def _burst(client, call, n: int = 40) -> tuple[int, list[ClientError]]:
    """n concurrent calls; returns (successes, throttling errors)."""
    def one(_i: int) -> ClientError | None:
        try:
            call(client)
            return None
        except ClientError as err:
            return err
    with ThreadPoolExecutor(n) as pool:
        errors = [e for e in pool.map(one, range(n)) if e is not None]
    return n - len(errors), errors


def _allowed_at_most(emulator, rate: float, **filters: str) -> float:
    """What a full token bucket admits over the span of the logged arrivals."""
    query = "&".join(f"{k}={v}" for k, v in filters.items())
    arrivals = [e["received"] for e in emulator.control("GET", f"/_emulator/requests?{query}")]
    return rate + (max(arrivals) - min(arrivals)) * rate


def _lambda(emulator, **kwargs):
    return emulator.client("lambda", pool=40, **kwargs)


def test_quota_settings(emulator):
    assert emulator.control("GET", "/_emulator/quotas") == {
        "enabled": False, "control_plane_rps": 15, "get_function_rps": 100, "get_policy_rps": 15}
    out = emulator.control("POST", "/_emulator/quotas", {"enabled": True, "control_plane_rps": 4})
    assert out == {"enabled": True, "control_plane_rps": 4, "get_function_rps": 100, "get_policy_rps": 15}
    status, body = emulator.call("POST", "/_emulator/quotas", {"enabeld": True})
    assert status == 400 and body["suggestion"] == "enabled"
    status, _ = emulator.call("POST", "/_emulator/quotas", {"control_plane_rps": 0})
    assert status == 400
    emulator.control("POST", "/_emulator/reset")
    assert emulator.control("GET", "/_emulator/quotas")["enabled"] is False
    assert emulator.control("GET", "/_emulator/quotas")["control_plane_rps"] == 15


def test_control_plane_bucket_throttles_a_burst(emulator, quotas):
    emulator.control("DELETE", "/_emulator/requests")
    ok, errors = _burst(_lambda(emulator), lambda c: c.list_aliases(FunctionName="f0"))
    assert 15 <= ok <= _allowed_at_most(emulator, 15), ok
    err = errors[0].response
    assert err["Error"]["Code"] == "TooManyRequestsException"
    assert err["Error"]["Message"] == "Rate exceeded"
    assert err["Reason"] == "CallerRateLimitExceeded"
    assert err["ResponseMetadata"]["HTTPStatusCode"] == 429
    # No Retry-After: none is on record from the control plane (FIDELITY.md, "Lambda errors on the wire").
    assert "retry-after" not in err["ResponseMetadata"]["HTTPHeaders"]
    log = emulator.control("GET", "/_emulator/requests")
    assert len(emulator.control("GET", "/_emulator/requests?throttled=true")) == len(errors)
    assert all(e["status"] == 429 and e["fault"] is False for e in log if e["throttled"])
    assert all(e["status"] == 200 for e in log if not e["throttled"])
    # GetFunction has its own, larger bucket.
    ok, errors = _burst(_lambda(emulator), lambda c: c.get_function(FunctionName="f0"))
    assert ok == 40 and not errors


def test_buckets_are_per_region_and_account(emulator, quotas):
    clients = {"home": _lambda(emulator), "region": _lambda(emulator, region="eu-west-1"),
               "account": _lambda(emulator, credentials=emulator.assume("111111111111"))}
    emulator.control("DELETE", "/_emulator/requests")
    results = {k: _burst(c, lambda c: c.list_aliases(FunctionName="f0"), 20)[0] for k, c in clients.items()}
    assert all(ok >= 15 for ok in results.values()), results
    for name, filters in (("home", {"region": "us-west-2", "account_id": "123456789012"}),
                          ("region", {"region": "eu-west-1"}), ("account", {"account_id": "111111111111"})):
        assert results[name] <= _allowed_at_most(emulator, 15, **filters), (name, results)


def test_get_policy_bucket_and_invoke_unthrottled(emulator, quotas):
    emulator.control("POST", "/_emulator/quotas", {"get_policy_rps": 3, "control_plane_rps": 1})
    emulator.control("DELETE", "/_emulator/requests")
    ok, errors = _burst(_lambda(emulator), lambda c: c.get_policy(FunctionName="f0"), 10)
    # 404s (no policy) that got through, and 429s that did not.
    codes = [e.response["Error"]["Code"] for e in errors]
    assert ok == 0 and set(codes) == {"ResourceNotFoundException", "TooManyRequestsException"}
    assert 3 <= codes.count("ResourceNotFoundException") <= _allowed_at_most(emulator, 3)
    # Invoke has no rate quota (its limits are concurrency, not requests per second).
    assert emulator.control("GET", "/_emulator/quotas")["control_plane_rps"] == 1
    assert bucket_of("lambda", "Invoke") is None and bucket_of("lambda", "InvokeAsync") is None
    assert bucket_of("lambda", "ListVersionsByFunction") == "control_plane"
    assert bucket_of("cloudwatch", "GetMetricData") is None


def test_neighbour_is_told_apart_by_access_key(emulator, quotas):
    """A second caller in the same account shares the bucket but is logged under its own key."""
    emulator.control("POST", "/_emulator/quotas", {"control_plane_rps": 5})
    emulator.control("DELETE", "/_emulator/requests")
    worker = _lambda(emulator)
    neighbour = _lambda(emulator, access_key="NEIGHBOUR")
    neighbour.list_functions()
    _burst(worker, lambda c: c.list_functions(), 10)
    log = emulator.control("GET", "/_emulator/requests?access_key=NEIGHBOUR")
    assert [(e["status"], e["throttled"], e["account_id"]) for e in log] == [(200, False, "123456789012")]
    assert len(emulator.control("GET", "/_emulator/requests?access_key=testing&throttled=true")) >= 5


def test_launcher_flag_enables_quotas_across_reset(tmp_path):
    port_file = tmp_path / "port"
    proc = subprocess.Popen([sys.executable, str(EMULATOR_DIR / "snapstart_emulator.py"), "--port", "0",
                             "--port-file", str(port_file), "--lambda-quotas"], stdout=subprocess.DEVNULL)
    try:
        deadline = time.monotonic() + 20
        while not port_file.exists() and time.monotonic() < deadline:
            time.sleep(0.05)
        base = f"http://127.0.0.1:{int(port_file.read_text())}/_emulator"
        for path, method in (("/quotas", "GET"), ("/reset", "POST"), ("/quotas", "GET")):
            req = urllib.request.Request(base + path, data=b"{}" if method == "POST" else None, method=method)
            with urllib.request.urlopen(req) as resp:
                answer = json.load(resp)
        assert answer["enabled"] is True
    finally:
        proc.terminate()
        assert proc.wait(timeout=10) == 0
