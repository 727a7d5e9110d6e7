"""Emulator-wide mutable state that is ours rather than moto's.

Owns the single request lock, the fault-injection rules, the request log and
the record of published SNS messages. Everything here is wiped by
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
    """One injected error rule: the next ``count`` matching requests fail."""

    service: str
    operation: str | None
    status: int
    code: str
    message: str
    count: int  # -1 = until cleared
    match: dict[str, str] = field(default_factory=dict)
    id: int = 0

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
        }


class EmulatorState:
    def __init__(self) -> None:
        self.faults: list[Fault] = []
        self.requests: list[dict[str, Any]] = []
        self.sns_messages: list[dict[str, Any]] = []
        self._next_fault_id = 1

    def reset(self) -> None:
        self.faults.clear()
        self.requests.clear()
        self.sns_messages.clear()

    def add_fault(self, fault: Fault) -> Fault:
        fault.id = self._next_fault_id
        self._next_fault_id += 1
        self.faults.append(fault)
        return fault

    def take_fault(self, info: Any) -> Fault | None:
        """Return the first rule matching the request and consume one use of it."""
        for fault in self.faults:
            if fault.service != info.service:
                continue
            if fault.operation not in (None, "", "*", info.operation):
                continue
            if not all(info.matches(k, v) for k, v in fault.match.items()):
                continue
            if fault.count > 0:
                fault.count -= 1
                if fault.count == 0:
                    self.faults.remove(fault)
            return fault
        return None

    def log_request(self, info: Any, status: int, faulted: bool) -> None:
        entry: dict[str, Any] = {
            "ts": time.time(),
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
        if faulted:
            entry["fault"] = True
        self.requests.append(entry)


STATE = EmulatorState()
