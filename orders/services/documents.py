"""Documents: the cache of the account's uploads, uploading one to fix a requirement in the same
action, and handing a document's file on to the people who may see it."""

import hashlib
from collections.abc import Iterator, Mapping
from uuid import UUID

from django.contrib.auth.models import AbstractBaseUser

from orders.models import AuditEntry, AuditOutcome, Document, Order
from orders.services import actions
from orders.services.audit import (
    audit_complete,
    audit_completed,
    audit_failed,
    audit_write,
    error_sources,
    sent_request,
)
from orders.services.fetch import client_scope
from orders.services.records import record_fields, records_refresh
from orders.services.telnyx_data import as_text, malformed
from orders.telnyx import TelnyxClient, TelnyxError, get_client
from orders.telnyx.documents import Download
from orders.uploads import Upload


def _size(value: object) -> int | None:
    """Telnyx's size: {"amount": n, "unit": "bytes"} (or a bare number)."""
    amount = value.get("amount") if isinstance(value, dict) else value
    if isinstance(amount, bool) or not isinstance(amount, int | float) or amount < 0:
        return None
    return min(int(amount), 2**63 - 1)


def document_store(*, data: dict) -> Document:
    """Caches one document as Telnyx sent it. Raises TelnyxError("malformed") without a UUID."""
    with malformed("document"):
        document_id = UUID(as_text(data["id"]))
    fields = record_fields(
        Document,
        data,
        ("filename", "content_type", "sha256", "status", "av_scan_status", "customer_reference"),
    )
    document, _ = Document.objects.update_or_create(
        pk=document_id, defaults=fields | {"size": _size(data.get("size"))}
    )
    return document


def documents_sync(*, client: TelnyxClient | None = None) -> int:
    """Caches every document of the account (their statuses change as Telnyx reviews them) and
    forgets those Telnyx deleted. Raises TelnyxError, having forgotten nothing, when the walk
    fails."""
    with client_scope(client) as telnyx:
        return records_refresh(listed=telnyx.list_documents(), store=document_store, model=Document)


class UploadsNotLinked(actions.ActionFailed):
    """The files were uploaded but the order update failed: Telnyx deletes them in 30 minutes
    unless a retry links them. `uploaded`: requirement id -> the document now at Telnyx."""

    def __init__(self, failed: actions.ActionFailed, uploaded: dict[UUID, Document]) -> None:
        names = ", ".join(f"“{document.filename}”" for document in uploaded.values())
        super().__init__(
            f"{failed.message} The upload of {names} worked, but Telnyx deletes an upload not "
            "used in an order within 30 minutes: retry now, or the upload may be lost.",
            entry=failed.entry,
            error=failed.error,
            problems=failed.problems,
            refreshed=failed.refreshed,
        )
        self.uploaded = uploaded

    @property
    def retryable(self) -> bool:
        return True


def _upload_one(
    *,
    telnyx: TelnyxClient,
    order: Order,
    user: AbstractBaseUser,
    requirement_id: UUID,
    upload: Upload,
) -> Document:
    entry = audit_write(
        user=user,
        outcome=AuditOutcome.PENDING,
        action=AuditEntry.Action.DOCUMENT_UPLOAD,
        order_id=order.pk,
        sent=sent_request(
            "POST",
            "/documents",
            {
                "filename": upload.filename,
                "content_type": upload.content_type,
                "size": len(upload.content),
                "sha256": hashlib.sha256(upload.content).hexdigest(),
                "customer_reference": order.customer_reference,
                "for_requirement": str(requirement_id),
            },
        ),
    )
    with audit_completed(entry):
        try:
            data = telnyx.upload_document(
                filename=upload.filename,
                content=upload.content,
                content_type=upload.content_type,
                # Found again by the order's reference, in the picker and at Telnyx.
                customer_reference=order.customer_reference,
            )
            document = document_store(data=data)
        except TelnyxError as error:
            unknown = audit_failed(entry, error)
            refusals = [text for _, text in error_sources(error) if text]
            if refusals and not error.retryable:
                message = "Telnyx refused the file, so the order was not changed."
                problems = {requirement_id: refusals}
            elif unknown:
                message = (
                    f"{error} The order was not changed. Should the file have reached Telnyx, "
                    "Telnyx deletes it within 30 minutes, unused: try again."
                )
                problems = {requirement_id: [f"“{upload.filename}” may not have been uploaded."]}
            else:
                message = f"{error} The file was not uploaded and the order was not changed."
                problems = {requirement_id: [f"“{upload.filename}” was not uploaded."]}
            raise actions.ActionFailed(
                message, entry=entry, error=error, problems=problems
            ) from error
        audit_complete(
            entry,
            outcome=AuditOutcome.SUCCESS,
            after={
                "id": str(document.pk),
                "filename": document.filename,
                "status": document.status,
            },
        )
    return document


def document_upload_and_fix(
    *,
    order: Order,
    user: AbstractBaseUser,
    uploads: Mapping[UUID, Upload],
    changes: Mapping[UUID, str],
    customer_reference: str | None = None,
    client: TelnyxClient | None = None,
) -> actions.ActionDone:
    """Uploads a file for each requirement in `uploads`, then sends the order update
    (actions.order_update) with those documents as the requirements' values beside `changes`,
    in one action, since Telnyx deletes an upload not linked within 30 minutes. Each upload and
    the update are audited.

    Raises ActionFailed when an upload fails (nothing more is sent), and UploadsNotLinked when
    the update fails after the uploads."""
    uploaded: dict[UUID, Document] = {}
    # The uploads and the update each get a person's time budget: a big file is slow to send.
    with client_scope(client, interactive=True) as telnyx:
        for requirement_id, upload in uploads.items():
            uploaded[requirement_id] = _upload_one(
                telnyx=telnyx, order=order, user=user, requirement_id=requirement_id, upload=upload
            )
    values = {**changes, **{rid: str(document.pk) for rid, document in uploaded.items()}}
    try:
        return actions.order_update(
            order=order,
            user=user,
            customer_reference=customer_reference,
            changes=values,
            client=client,
        )
    except actions.ActionFailed as failed:
        raise UploadsNotLinked(failed, uploaded) from failed


def document_download(*, document: Document) -> Download:
    """The document's file from Telnyx, streamed; the client closes once it is read."""
    telnyx = get_client(interactive=True)
    try:
        download = telnyx.download_document(str(document.pk))
    except TelnyxError:
        telnyx.close()
        raise
    inner = download.chunks

    def chunks() -> Iterator[bytes]:
        try:
            yield from inner
        finally:
            telnyx.close()

    download.chunks = chunks()
    return download
