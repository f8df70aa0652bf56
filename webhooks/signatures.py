"""Checks that a webhook delivery was signed by Telnyx, recently.

Telnyx signs `f"{timestamp}|"` followed by the raw request body with the account's Ed25519 key
and sends the signature (base64) and the timestamp (unix seconds) in headers.
"""

import base64
import functools
import time

from cryptography.exceptions import InvalidSignature
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PublicKey

SIGNATURE_HEADER = "telnyx-signature-ed25519"
TIMESTAMP_HEADER = "telnyx-timestamp"
# Unix seconds take 10 digits until 2286. Anyone may send the header: a longer one cannot be
# within the tolerance, and int() of thousands of digits is slow, refused or overflows a float.
_MAX_TIMESTAMP_DIGITS = 12


class SignatureRejected(Exception):
    """Why a delivery is refused. For the log only: the sender just gets a 403."""


@functools.cache
def _public_key(public_key_b64: str) -> Ed25519PublicKey:
    return Ed25519PublicKey.from_public_bytes(base64.b64decode(public_key_b64))


def verify_signature(
    *,
    body: bytes,
    signature: str | None,
    timestamp: str | None,
    public_key_b64: str,
    tolerance: int,
    now: float | None = None,
) -> None:
    """Raises SignatureRejected unless `signature` signs `timestamp|body` and `timestamp` is
    within `tolerance` seconds of now, either way: a replay is refused however old it is, and a
    timestamp from the future would otherwise stay replayable for longer than the tolerance."""
    if not signature:
        raise SignatureRejected(f"no {SIGNATURE_HEADER} header")
    if not timestamp:
        raise SignatureRejected(f"no {TIMESTAMP_HEADER} header")
    # isdigit alone admits digits int() refuses ("²"); int alone admits "+1", " 1" and "1_0".
    if len(timestamp) > _MAX_TIMESTAMP_DIGITS or not (timestamp.isascii() and timestamp.isdigit()):
        raise SignatureRejected(f"{TIMESTAMP_HEADER} is not unix seconds")
    skew = (time.time() if now is None else now) - int(timestamp)
    if abs(skew) > tolerance:
        direction = "old" if skew > 0 else "in the future"
        raise SignatureRejected(f"timestamp is {abs(skew):.0f} s {direction} (limit {tolerance} s)")
    try:
        raw_signature = base64.b64decode(signature, validate=True)
    except ValueError:
        raise SignatureRejected(f"{SIGNATURE_HEADER} is not base64") from None
    try:
        _public_key(public_key_b64).verify(raw_signature, timestamp.encode() + b"|" + body)
    except InvalidSignature:
        raise SignatureRejected("signature does not match the body and timestamp") from None
