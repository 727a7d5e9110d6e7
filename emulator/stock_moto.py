#!/usr/bin/env python3
"""Launcher for stock moto server behind the thin shim of stockshim/ (the second opinion).

    python emulator/stock_moto.py --host 127.0.0.1 --port 0 --port-file PATH

Same command line as snapstart_emulator.py, so a test can start either. No test-control API:
fixtures are arranged through AWS's own APIs. SIGTERM / SIGINT shut it down cleanly.
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
os.environ.setdefault("AWS_ACCESS_KEY_ID", "testing")
os.environ.setdefault("AWS_SECRET_ACCESS_KEY", "testing")
os.environ.setdefault("AWS_DEFAULT_REGION", "us-east-1")


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--host", default="127.0.0.1")
    parser.add_argument("--port", type=int, default=0, help="0 = pick a free port")
    parser.add_argument("--port-file", help="write the listening port here (atomically)")
    args = parser.parse_args(argv)
    logging.basicConfig(level=logging.WARNING)
    logging.getLogger("werkzeug").setLevel(logging.ERROR)

    from moto.moto_server.werkzeug_app import MotoRequestHandler
    from werkzeug.serving import make_server

    import stockshim

    server = make_server(args.host, args.port, stockshim.build_app(), threaded=True, request_handler=MotoRequestHandler)
    port = server.socket.getsockname()[1]
    for sig in (signal.SIGTERM, signal.SIGINT):
        signal.signal(sig, lambda *_: threading.Thread(target=server.shutdown, daemon=True).start())
    if args.port_file:
        target = Path(args.port_file)
        tmp = target.with_name(f".{target.name}.{os.getpid()}.tmp")
        tmp.write_text(f"{port}\n")
        os.replace(tmp, target)  # atomic: readers never see a partial file
    print(f"EMULATOR_PORT={port}", flush=True)
    try:
        server.serve_forever()
    finally:
        server.server_close()
    return 0


if __name__ == "__main__":
    sys.exit(main())
