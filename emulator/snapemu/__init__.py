"""snapemu: a moto-based AWS emulator for snapstart-cleaner's tests.

The package owns everything layered on top of plain moto: the Lambda and
CloudWatch behaviour patches, the Smithy RPC v2 CBOR front end for CloudWatch,
fault injection, the request log and the ``/_emulator`` test-control API.
``install()`` applies the moto patches once; ``build_app()`` returns the WSGI
application the launcher serves.
"""

from .app import build_app
from .patches import install

__all__ = ["build_app", "install"]
