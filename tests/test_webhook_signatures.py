"""The Ed25519 check on Telnyx webhook deliveries, and the setting that holds the key."""

import base64

import pytest
from django.core.exceptions import ImproperlyConfigured

from ordersite.env import env_ed25519_public_key
from tests.helpers import WebhookSigner
from webhooks.signatures import SignatureRejected, verify_signature

NOW = 1_800_000_000
BODY = b'{"data": {"id": "e1", "event_type": "number_order.complete", "payload": {}}}'


@pytest.fixture
def signer() -> WebhookSigner:
    return WebhookSigner()


def verify(signer: WebhookSigner, *, body=BODY, signature=None, timestamp=str(NOW), **extra):
    if signature is None:
        signature = signer.sign(BODY, str(NOW))
    options = {"public_key_b64": signer.public_key_b64, "tolerance": 300, "now": NOW} | extra
    verify_signature(body=body, signature=signature, timestamp=timestamp, **options)


def test_signature_over_timestamp_and_raw_body_is_accepted(signer):
    verify(signer)  # raises if refused


def test_tampered_body_is_refused(signer):
    with pytest.raises(SignatureRejected, match="does not match"):
        verify(signer, body=BODY.replace(b"e1", b"e2"))


def test_signature_does_not_survive_reserialised_json(signer):
    with pytest.raises(SignatureRejected, match="does not match"):
        verify(signer, body=BODY.replace(b": ", b":"))


def test_signature_from_another_key_is_refused(signer):
    with pytest.raises(SignatureRejected, match="does not match"):
        verify(signer, signature=WebhookSigner().sign(BODY, str(NOW)))


def test_signature_is_bound_to_its_timestamp(signer):
    with pytest.raises(SignatureRejected, match="does not match"):
        verify(signer, timestamp=str(NOW + 1))


@pytest.mark.parametrize("skew", [300, -300])
def test_timestamp_at_the_tolerance_is_accepted(signer, skew):
    stamp = str(NOW - skew)
    verify(signer, signature=signer.sign(BODY, stamp), timestamp=stamp)


@pytest.mark.parametrize(("skew", "message"), [(301, "301 s old"), (-301, "301 s in the future")])
def test_timestamp_beyond_the_tolerance_is_refused_even_when_signed(signer, skew, message):
    stamp = str(NOW - skew)
    with pytest.raises(SignatureRejected, match=message):
        verify(signer, signature=signer.sign(BODY, stamp), timestamp=stamp)


def test_tolerance_comes_from_the_caller(signer):
    stamp = str(NOW - 20)
    with pytest.raises(SignatureRejected, match="limit 10 s"):
        verify(signer, signature=signer.sign(BODY, stamp), timestamp=stamp, tolerance=10)


@pytest.mark.parametrize("signature", ["", None])
def test_missing_signature_is_refused(signer, signature):
    with pytest.raises(SignatureRejected, match="no telnyx-signature-ed25519"):
        verify_signature(
            body=BODY,
            signature=signature,
            timestamp=str(NOW),
            public_key_b64=signer.public_key_b64,
            tolerance=300,
            now=NOW,
        )


@pytest.mark.parametrize("timestamp", ["", None])
def test_missing_timestamp_is_refused(signer, timestamp):
    with pytest.raises(SignatureRejected, match="no telnyx-timestamp"):
        verify(signer, timestamp=timestamp)


@pytest.mark.parametrize("timestamp", ["soon", "+1800000000", " 1800000000", "1_800_000_000", "²"])
def test_timestamp_that_is_not_plain_unix_seconds_is_refused(signer, timestamp):
    with pytest.raises(SignatureRejected, match="not unix seconds"):
        verify(signer, timestamp=timestamp)


@pytest.mark.parametrize("digits", [13, 400, 5000])
def test_timestamp_with_too_many_digits_is_refused_before_it_is_read(signer, digits):
    with pytest.raises(SignatureRejected, match="not unix seconds"):
        verify(signer, timestamp="9" * digits)


@pytest.mark.parametrize("signature", ["!!!not base64!!!", "abc", "é"])
def test_garbage_signature_is_refused_as_not_base64(signer, signature):
    with pytest.raises(SignatureRejected, match="not base64"):
        verify(signer, signature=signature)


def test_base64_of_the_wrong_length_is_refused(signer):
    with pytest.raises(SignatureRejected, match="does not match"):
        verify(signer, signature=base64.b64encode(b"short").decode())


def test_public_key_setting_accepts_base64_of_32_bytes(monkeypatch, signer):
    monkeypatch.setenv("TELNYX_PUBLIC_KEY", f" {signer.public_key_b64}\n")
    assert env_ed25519_public_key("TELNYX_PUBLIC_KEY") == signer.public_key_b64


def test_public_key_setting_may_be_empty(monkeypatch):
    monkeypatch.delenv("TELNYX_PUBLIC_KEY", raising=False)
    assert env_ed25519_public_key("TELNYX_PUBLIC_KEY") == ""


@pytest.mark.parametrize(
    ("value", "message"),
    [
        ("not-base64!", "must be base64"),
        (base64.b64encode(b"x" * 31).decode(), "not of 31 bytes"),
        (base64.b64encode(b"x" * 64).decode(), "not of 64 bytes"),
    ],
)
def test_public_key_setting_refuses_a_bad_value_at_start_up(monkeypatch, value, message):
    monkeypatch.setenv("TELNYX_PUBLIC_KEY", value)
    with pytest.raises(ImproperlyConfigured, match=message):
        env_ed25519_public_key("TELNYX_PUBLIC_KEY")
