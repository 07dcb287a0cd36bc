"""Authenticated content distribution: the ``X-Hub-Signature`` of a pushed body.

W3C WebSub 8 (https://www.w3.org/TR/websub/#authenticated-content-distribution): the hub
signs the body with HMAC under the subscription's secret, ``method=hexdigest`` where the
method is sha1, sha256, sha384 or sha512.
"""

from __future__ import annotations

import hashlib
import hmac

ALGORITHMS = {
    "sha1": hashlib.sha1,
    "sha256": hashlib.sha256,
    "sha384": hashlib.sha384,
    "sha512": hashlib.sha512,
}


def signature_ok(secret: str, body: bytes, header: str | None) -> bool:
    """Whether ``header`` is a valid signature of ``body`` under ``secret``."""
    if not header:
        return False
    method, sep, given = header.strip().partition("=")
    digest = ALGORITHMS.get(method.strip().lower())
    if not sep or digest is None:
        return False
    expected = hmac.new(secret.encode(), body, digest).hexdigest()
    # compare_digest: the time taken must not tell a forger how much of a guess was right.
    return hmac.compare_digest(expected, given.strip().lower())
