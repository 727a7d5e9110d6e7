#!/usr/bin/env python3
"""Lists (and with --kill, kills) every process still running whose environment carries
SNAPSTART_TEST_RUN_ID=<id>: whatever the test command started, whoever its parent is now
(a browser re-parented to init included). Exits 1 when any is found.

    python scripts/leftovers.py RUN_ID [--kill] [--wait SECONDS]
"""

from __future__ import annotations

import os
import signal
import sys
import time


def marked(run_id: str) -> dict[int, str]:
    needle = f"SNAPSTART_TEST_RUN_ID={run_id}".encode()
    me = os.getpid()
    found = {}
    for entry in os.listdir("/proc"):
        if not entry.isdigit() or int(entry) == me:
            continue
        try:
            with open(f"/proc/{entry}/environ", "rb") as f:
                if needle not in f.read().split(b"\0"):
                    continue
            with open(f"/proc/{entry}/cmdline", "rb") as f:
                found[int(entry)] = f.read().replace(b"\0", b" ").decode(errors="replace").strip()[:200]
        except OSError:  # gone meanwhile, or a zombie
            continue
    return found


def main() -> int:
    run_id, kill = sys.argv[1], "--kill" in sys.argv
    wait = float(sys.argv[sys.argv.index("--wait") + 1]) if "--wait" in sys.argv else 0.0
    deadline = time.monotonic() + wait
    left = marked(run_id)
    while left and time.monotonic() < deadline:  # processes just signalled may still be exiting
        time.sleep(0.2)
        left = marked(run_id)
    for pid, cmd in sorted(left.items()):
        print(f"still running: {pid} {cmd}")
        if kill:
            try:
                os.kill(pid, signal.SIGKILL)
            except OSError:
                pass
    return 1 if left else 0


if __name__ == "__main__":
    sys.exit(main())
