import logging

from django.conf import settings
from django.contrib.auth.decorators import login_not_required
from django.http import HttpRequest, HttpResponse, JsonResponse
from django.views.decorators.csrf import csrf_exempt
from django.views.decorators.http import require_POST

from webhooks.events import MalformedEvent, claimed_event_id, parse_event
from webhooks.models import Outcome
from webhooks.services import event_receive
from webhooks.signatures import (
    SIGNATURE_HEADER,
    TIMESTAMP_HEADER,
    SignatureRejected,
    verify_signature,
)

logger = logging.getLogger("webhooks")


def _refuse(status: int, message: str) -> HttpResponse:
    return HttpResponse(message, status=status, content_type="text/plain")


# Telnyx posts without a session or CSRF token; the Ed25519 signature is the authentication.
@csrf_exempt
@login_not_required
@require_POST
def telnyx(request: HttpRequest) -> HttpResponse:
    """Receives a Telnyx webhook delivery.

    Telnyx retries anything but 200. Once an event is signed, well formed and stored, the answer
    is 200 at once: an event that needs the order fetched from Telnyx is left to a background
    worker ("queued"), and one that could not be applied is acknowledged all the same (a retry
    would be a repeat of a stored event and change nothing; the scheduled sync repairs the
    order). Refusals (403/400/503) are left to Telnyx's retries.
    """
    body = request.body
    if not settings.TELNYX_PUBLIC_KEY:
        logger.error(
            "Refused Telnyx event (id %s): TELNYX_PUBLIC_KEY is not set, nothing can be verified",
            claimed_event_id(body),
        )
        return _refuse(503, "webhooks are not configured")
    try:
        verify_signature(
            body=body,
            signature=request.headers.get(SIGNATURE_HEADER),
            timestamp=request.headers.get(TIMESTAMP_HEADER),
            public_key_b64=settings.TELNYX_PUBLIC_KEY,
            tolerance=settings.TELNYX_WEBHOOK_TOLERANCE,
        )
    except SignatureRejected as exc:
        logger.warning("Refused Telnyx event (id %s): %s", claimed_event_id(body), exc)
        return _refuse(403, "signature not accepted")
    try:
        event = parse_event(body)
    except MalformedEvent as exc:
        logger.warning("Refused signed Telnyx event (id %s): %s", claimed_event_id(body), exc)
        return _refuse(400, "not a Telnyx event")
    record = event_receive(event=event)
    outcome = Outcome.DUPLICATE_IGNORED if record is None else record.outcome
    return JsonResponse({"outcome": outcome})
