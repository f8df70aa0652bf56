"""The client's calls on uploaded documents (`/documents`), mixed into TelnyxClient."""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass

from orders.telnyx.errors import TelnyxError
from orders.telnyx.query import MAX_PAGE_SIZE, query

# Read from Telnyx and handed on in pieces of this size, so a download never sits in memory.
DOWNLOAD_CHUNK = 64 * 1024


@dataclass
class Download:
    """A document's content on its way from Telnyx: iterate `chunks` once, or close it, which
    closes the connection."""

    content_type: str
    length: int | None
    chunks: Iterator[bytes]


class DocumentCalls:
    """List, read, upload and download documents. A document id is a UUID."""

    def list_documents(
        self,
        *,
        filename_contains: str | None = None,
        customer_reference: str | None = None,
        page_size: int = MAX_PAGE_SIZE,
    ) -> Iterator[dict]:
        params = query(
            {
                "filter[filename][contains]": filename_contains,
                "filter[customer_reference][eq]": customer_reference,
            }
        )
        return self._pages("/documents", params, page_size)

    def get_document(self, document_id: str) -> dict:
        return self._data("GET", f"/documents/{document_id}", dict)

    def upload_document(
        self, *, filename: str, content: bytes, content_type: str, customer_reference: str = ""
    ) -> dict:
        """Uploads a file as multipart/form-data. Telnyx deletes it after 30 minutes unless a
        requirement value refers to it by then."""
        data = {"customer_reference": customer_reference} if customer_reference else None
        files = {"file": (filename, content, content_type)}
        return self._data("POST", "/documents", dict, files=files, data=data)

    def download_document(self, document_id: str) -> Download:
        """The document's content, streamed: nothing is read until `chunks` is iterated."""
        response = self._send("GET", f"/documents/{document_id}/download", stream=True)
        try:
            length = int(response.headers.get("content-length", ""))
        except ValueError:
            length = None

        def chunks() -> Iterator[bytes]:
            try:
                yield from response.iter_content(DOWNLOAD_CHUNK)
            except OSError as error:  # requests' own errors included
                raise TelnyxError("connection", detail=type(error).__name__) from error
            finally:
                response.close()

        return Download(
            content_type=response.headers.get("content-type") or "application/octet-stream",
            length=length,
            chunks=chunks(),
        )
