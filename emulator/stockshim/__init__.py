"""stockshim: stock moto server behind the thinnest layer the Rust SDK needs.

The second opinion on our picture of AWS (FIDELITY.md, "The second opinion"). It is kept apart from
snapemu, our full emulator: it imports nothing from it, patches nothing in moto, and adds only what
stock moto cannot speak or cannot report at all:

* **CBOR** (``cbor.py``): the Rust SDK speaks Smithy RPC v2 CBOR to CloudWatch, which stock moto
  answers with an HTML 404. Requests are translated to the awsJson
  protocol that moto serves and its answers (errors included) back to CBOR, unchanged in content.
* **SnapStart** (``lambda_gaps.py``): stock moto always reports ``{ApplyOn: None,
  OptimizationStatus: Off}``; the shim remembers the setting a function was given and reports it.
* **Resource-based policies per version**: stock moto keeps one policy per function, shared by
  every version. The shim keeps one of moto's own ``Policy`` objects per qualifier, so answers
  (and errors) are moto's, just not shared.
* **Provisioned concurrency** and **GetAccountSettings**: stock moto has no routes for them.

Every other request, and every error moto raises, passes through unchanged.
"""

from __future__ import annotations

from .app import build_app

__all__ = ["build_app"]
