"""A document's file, streamed from Telnyx through this site to the people who may see it."""

from uuid import UUID

from django.contrib import messages
from django.http import HttpRequest, HttpResponse, StreamingHttpResponse
from django.shortcuts import get_object_or_404, redirect
from django.utils.http import content_disposition_header, url_has_allowed_host_and_scheme
from django.views.decorators.cache import never_cache
from django.views.decorators.http import require_GET

from orders.models import Document
from orders.services.documents import document_download as download
from orders.telnyx import TelnyxError
from orders.views import can_browse


@require_GET
@never_cache
@can_browse
def document_download(request: HttpRequest, document_id: UUID) -> HttpResponse:
    """The file of a cached document (one Telnyx holds for this account); when Telnyx cannot
    give it, back to the page the link was on (`?next=`), saying why."""
    document = get_object_or_404(Document, pk=document_id)
    try:
        file = download(document=document)
    except TelnyxError as error:
        messages.error(request, f"“{document.filename}” could not be downloaded: {error}")
        back = request.GET.get("next", "")
        if not url_has_allowed_host_and_scheme(back, allowed_hosts={request.get_host()}):
            back = "home"
        return redirect(back)
    response = StreamingHttpResponse(file.chunks, content_type=file.content_type)
    # The name people saw on the page; Telnyx's, as any of its text, may hold line breaks.
    name = "".join(c for c in document.filename if c.isprintable()) or f"{document.pk}"
    response["Content-Disposition"] = content_disposition_header(True, name)
    response["X-Content-Type-Options"] = "nosniff"
    if file.length is not None:
        response["Content-Length"] = str(file.length)
    return response
