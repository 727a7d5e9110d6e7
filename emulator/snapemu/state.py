"""Emulator-wide mutable state that is ours rather than moto's.

Owns the single request lock, the fault-injection rules, the request log,
the record of published SNS messages, the disabled (opt-in) regions and the
roles that require an ExternalId. Everything here is wiped by
``POST /_emulator/reset`` together with moto's backends.
"""

from __future__ import annotations

import threading
import time
from dataclasses import dataclass, field
from typing import Any

ACCOUNT_ID = "123456789012"
DEFAULT_REGION = "us-west-2"

# moto's backends are plain dicts and lists mutated without locking; the Rust
# scanner issues concurrent requests, so every AWS call and every control call
# runs under this one lock. Throughput is irrelevant for a test emulator,
# consistency is not.
LOCK = threading.RLock()


@dataclass
class Fault:
    """One injected error rule: the next ``count`` matching requests fail.

    ``operation`` None matches every operation of the service. ``count`` is the
    number of uses left (-1 = until cleared); ``fired`` the number of requests
    this rule has answered so far. ``id`` is unique until the next reset.
    """

    service: str
    operation: str | None
    status: int
    code: str
    message: str
    count: int  # -1 = until cleared
    match: dict[str, str] = field(default_factory=dict)
    id: int = 0
    fired: int = 0

    def to_json(self) -> dict[str, Any]:
        return {
            "id": self.id,
            "service": self.service,
            "operation": self.operation,
            "status": self.status,
            "code": self.code,
            "message": self.message,
            "count": self.count,
            "match": self.match,
            "fired": self.fired,
        }


class EmulatorState:
    def __init__(self) -> None:
        self.faults: list[Fault] = []
        self.requests: list[dict[str, Any]] = []
        self.sns_messages: list[dict[str, Any]] = []
        self._next_fault_id = 1
        # Regions answered like an opt-in region the account has not enabled.
        self.disabled_regions: set[str] = set()
        # Role ARN -> the ExternalId sts:AssumeRole must carry (see app._refusal).
        self.role_external_ids: dict[str, str] = {}

    def reset(self) -> None:
        self.faults.clear()
        self.requests.clear()
        self.sns_messages.clear()
        self._next_fault_id = 1
        self.disabled_regions.clear()
        self.role_external_ids.clear()

    def add_fault(self, fault: Fault) -> Fault:
        fault.id = self._next_fault_id
        self._next_fault_id += 1
        self.faults.append(fault)
        return fault

    def take_fault(self, info: Any) -> Fault | None:
        """Return the first rule matching the request and consume one use of it.

        A rule whose last use this was leaves ``faults``; request log entries
        keep its id.
        """
        for fault in self.faults:
            if fault.service != info.service:
                continue
            if fault.operation is not None and fault.operation != info.operation:
                continue
            if not all(info.matches(k, v) for k, v in fault.match.items()):
                continue
            fault.fired += 1
            if fault.count > 0:
                fault.count -= 1
                if fault.count == 0:
                    self.faults.remove(fault)
            return fault
        return None

    def log_request(self, info: Any, status: int, fault: Fault | None = None,
                    throttled: bool = False) -> None:
        """Append one entry; the shape is documented in emulator/README.md."""
        entry: dict[str, Any] = {
            "ts": time.time(),
            "received": getattr(info, "received", None) or time.time(),
            "service": info.service,
            "operation": info.operation,
            "status": status,
        }
        if info.function_name is not None:
            entry["function_name"] = info.function_name
        if info.qualifier is not None:
            entry["qualifier"] = info.qualifier
        if info.region:
            entry["region"] = info.region
        entry["account_id"] = info.account_id
        entry["access_key"] = info.access_key
        entry["throttled"] = throttled
        entry["fault"] = fault is not None
        if fault is not None:
            entry["fault_id"] = fault.id
            entry["code"] = fault.code
        self.requests.append(entry)


STATE = EmulatorState()
