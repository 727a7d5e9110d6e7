#!/usr/bin/env python3
"""Launcher for the snapstart-cleaner AWS emulator (moto + our patches).

    python emulator/snapstart_emulator.py --host 127.0.0.1 --port 0 --port-file PATH

Serves moto's server app behind snapemu's layer (see snapemu/) with a
threaded werkzeug server. ``--port 0`` picks a free port; once listening the
real port is written atomically to ``--port-file`` and printed as
``EMULATOR_PORT=<port>``. ``--lambda-quotas`` turns on Lambda's control-plane
rate quotas (snapemu/quotas.py). SIGTERM / SIGINT shut it down cleanly.
"""

from __future__ import annotations

import argparse
import logging
import os
import signal
import sys
import threading
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))

# Dummy credentials/region for anything in-process that might consult boto's
# configuration (moto builds its region lists from botocore).
os.environ.setdefault("AWS_ACCESS_KEY_ID", "testing")
os.environ.setdefault("AWS_SECRET_ACCESS_KEY", "testing")
os.environ.setdefault("AWS_DEFAULT_REGION", "us-east-1")


def write_port_file(path: str, port: int) -> None:
    target = Path(path)
    target.parent.mkdir(parents=True, exist_ok=True)
    tmp = target.with_name(f".{target.name}.{os.getpid()}.tmp")
    tmp.write_text(f"{port}\n")
    os.replace(tmp, target)  # atomic: readers never see a partial file


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--host", default="127.0.0.1")
    parser.add_argument("--port", type=int, default=0, help="0 = pick a free port")
    parser.add_argument("--port-file", help="write the listening port here (atomically)")
    parser.add_argument("--verbose", action="store_true", help="log every HTTP request to stderr")
    parser.add_argument("--lambda-quotas", action="store_true",
                        help="enforce AWS Lambda's control-plane request quotas (429s); reset keeps them on")
    args = parser.parse_args(argv)

    logging.basicConfig(level=logging.INFO if args.verbose else logging.WARNING)
    if not args.verbose:
        logging.getLogger("werkzeug").setLevel(logging.ERROR)

    from moto.moto_server.werkzeug_app import MotoRequestHandler
    from werkzeug.serving import make_server

    import snapemu

    snapemu.install()
    if args.lambda_quotas:
        from snapemu.quotas import QUOTAS

        QUOTAS.default_enabled = True
        QUOTAS.reset()
    server = make_server(args.host, args.port, snapemu.build_app(), threaded=True,
                         request_handler=MotoRequestHandler)
    port = server.socket.getsockname()[1]

    def stop(signum: int, _frame: object) -> None:
        # shutdown() blocks until serve_forever returns, so not on this thread.
        threading.Thread(target=server.shutdown, daemon=True).start()

    signal.signal(signal.SIGTERM, stop)
    signal.signal(signal.SIGINT, stop)

    if args.port_file:
        write_port_file(args.port_file, port)
    print(f"EMULATOR_PORT={port}", flush=True)
    try:
        server.serve_forever()
    finally:
        server.server_close()
    return 0


if __name__ == "__main__":
    sys.exit(main())
