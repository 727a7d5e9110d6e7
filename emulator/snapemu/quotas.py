"""Lambda control-plane request quotas (opt-in).

Models AWS Lambda's per-account, per-region API rate quotas:

* GetFunction: 100 requests per second;
* GetPolicy: 15 requests per second;
* every other Lambda control-plane operation (everything but Invoke and
  InvokeAsync) shares one bucket of 15 requests per second.

Each (account, region, bucket) is a token bucket: capacity = rate (a full
second's burst), refilled continuously at ``rate`` tokens per second, full at
start. A request takes one token at its arrival time (``received``, before the
emulator's lock); with no token left it is refused with 429
TooManyRequestsException and takes nothing, so rejected calls do not delay
the refill.
"""

from __future__ import annotations

import threading
from dataclasses import dataclass, field
from typing import Any

CONTROL_PLANE = "control_plane"
NOT_THROTTLED = frozenset({"Invoke", "InvokeAsync"})
DEFAULT_RATES = {"control_plane_rps": 15.0, "get_function_rps": 100.0, "get_policy_rps": 15.0}


def bucket_of(service: str, operation: str) -> str | None:
    """Which quota bucket a request draws from, or None when it has no quota."""
    if service != "lambda" or operation in NOT_THROTTLED:
        return None
    if operation == "GetFunction":
        return "get_function"
    if operation == "GetPolicy":
        return "get_policy"
    return CONTROL_PLANE


@dataclass
class _Bucket:
    rate: float
    tokens: float
    updated: float

    def take(self, now: float) -> bool:
        # Requests may be stamped slightly out of order by concurrent threads.
        if now > self.updated:
            self.tokens = min(self.rate, self.tokens + (now - self.updated) * self.rate)
            self.updated = now
        if self.tokens >= 1.0:
            self.tokens -= 1.0
            return True
        return False


@dataclass
class Quotas:
    enabled: bool = False
    rates: dict[str, float] = field(default_factory=lambda: dict(DEFAULT_RATES))
    default_enabled: bool = False  # what reset returns to (the launcher's --lambda-quotas)
    _buckets: dict[tuple[str, str, str], _Bucket] = field(default_factory=dict)
    _lock: threading.Lock = field(default_factory=threading.Lock)

    def to_json(self) -> dict[str, Any]:
        return {"enabled": self.enabled,
                **{k: int(v) if float(v).is_integer() else v for k, v in self.rates.items()}}

    def configure(self, enabled: bool | None = None, **rates: float) -> None:
        with self._lock:
            if enabled is not None:
                self.enabled = enabled
            self.rates.update(rates)
            self._buckets.clear()  # new limits start from full buckets

    def reset(self) -> None:
        with self._lock:
            self.enabled = self.default_enabled
            self.rates = dict(DEFAULT_RATES)
            self._buckets.clear()

    def admit(self, account_id: str, region: str, service: str, operation: str, now: float) -> bool:
        """True when the request may proceed (takes a token), False when throttled."""
        if not self.enabled:
            return True
        bucket = bucket_of(service, operation)
        if bucket is None:
            return True
        rate = self.rates[f"{bucket}_rps"]
        with self._lock:
            key = (account_id, region, bucket)
            state = self._buckets.get(key)
            if state is None:
                state = self._buckets[key] = _Bucket(rate, rate, now)
            return state.take(now)


QUOTAS = Quotas()
