"""Which AWS account a request acts on.

Models AWS's rule that the credentials decide the account: moto keys every
backend by account and maps an access key id to its account through IAM
(the temporary keys sts:AssumeRole hands out belong to the role's account;
any other key is the default account ``123456789012``). Our layer needs the
same answer *before* moto runs (request log, faults, Lambda quotas, our own
Lambda routes), so it asks moto the same question here.

Precedence is moto's: the ``x-moto-account-id`` header, then the access key.
"""

from __future__ import annotations

import re
import threading
from typing import Any

from .state import ACCOUNT_ID

_ACCESS_KEY = re.compile(r"Credential=([^/,\s]+)/")
_cache: dict[str, str] = {}
_cache_lock = threading.Lock()


def access_key_of(environ: dict[str, Any]) -> str | None:
    """The access key id of a SigV4-signed request (never the secret), or None."""
    m = _ACCESS_KEY.search(environ.get("HTTP_AUTHORIZATION", ""))
    return m.group(1) if m else None


def account_of(environ: dict[str, Any], access_key: str | None) -> str:
    """The account moto will use for this request."""
    header = environ.get("HTTP_X_MOTO_ACCOUNT_ID")
    if header:
        return header
    if not access_key:
        return ACCOUNT_ID
    with _cache_lock:
        cached = _cache.get(access_key)
    if cached is not None:
        return cached
    from moto.iam.models import get_account_id_from

    # Keys are random and created before first use, so an answer stays valid
    # until the next reset (which clears the cache).
    account = get_account_id_from(access_key)
    with _cache_lock:
        _cache[access_key] = account
    return account


def clear_cache() -> None:
    with _cache_lock:
        _cache.clear()
