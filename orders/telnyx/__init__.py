"""The one way this site talks to Telnyx: a small, thread-safe client over requests.

It knows nothing of models or views. Everything that goes wrong comes out as `TelnyxError`.
"""

from __future__ import annotations

import logging
import random
import time
from collections.abc import Callable, Iterator
from typing import Any
from urllib.parse import urlencode

import orjson
import requests
from requests.adapters import HTTPAdapter
from urllib3.exceptions import ConnectTimeoutError
from urllib3.util import Timeout

from orders.telnyx.addresses import AddressCalls
from orders.telnyx.comments import CommentCalls
from orders.telnyx.documents import DocumentCalls
from orders.telnyx.errors import TelnyxError
from orders.telnyx.number_orders import NumberOrderCalls
from orders.telnyx.requirement_groups import RequirementGroupCalls

logger = logging.getLogger("orders.telnyx")

# Longest single wait between attempts, whatever Telnyx's rate-limit header asks for: a page
# request must not hang a worker for a minute.
MAX_DELAY = 10.0
# The most pages a listing may have: 2.5 million orders at the largest page size.
MAX_PAGES = 10_000
# The least time worth starting another attempt with when a call has a budget.
MIN_ATTEMPT = 0.1


def _reached(exc: requests.RequestException) -> bool:
    """Whether a request that failed may have reached Telnyx: not when connecting failed
    (a refused connection is a NewConnectionError, a kind of ConnectTimeoutError)."""
    if isinstance(exc, requests.ConnectTimeout):
        return False
    cause = exc.args[0] if exc.args else None
    return not isinstance(getattr(cause, "reason", cause), ConnectTimeoutError)


class TelnyxClient(
    NumberOrderCalls, AddressCalls, DocumentCalls, RequirementGroupCalls, CommentCalls
):
    """Telnyx's number-order API over one session, shared by the sync's worker threads.

    Nothing changes the session after construction, which is what makes sharing it safe.

    `timeout`: seconds each attempt may wait to connect, and then for each read. `budget`: the
    most seconds all the client's requests may take together, retries and waits included,
    counted from its first (None: no limit). A person's action (a write, then fetching the
    order again) sets one, so that an unanswering Telnyx costs it `budget` seconds rather than
    timeout times attempts; a request that would start with none of it left fails as a timeout
    without being sent.
    """

    def __init__(
        self,
        *,
        api_key: str,
        base_url: str,
        timeout: float,
        max_retries: int = 3,
        backoff: float = 0.5,
        session: requests.Session | None = None,
        pool_size: int = 10,
        budget: float | None = None,
    ) -> None:
        self.base_url = base_url.rstrip("/")
        self.timeout = timeout
        self.budget = budget
        # When the first request of the budget started, on self.clock.
        self._first_started: float | None = None
        self.max_retries = max_retries
        self.backoff = backoff
        # Replaceable so tests can record the back-off instead of waiting for it, and move the
        # clock a budget is measured on as they do.
        self.sleep = time.sleep
        self.clock = time.monotonic
        # Waits out a 429 instead of `sleep`, given the seconds Telnyx asked for: a bulk fix
        # sets it so that all its threads hold back together (orders.services.bulk_fixes).
        self.rate_limited: Callable[[float], None] | None = None
        if session is None:
            session = requests.Session()
            # One connection per concurrent sync worker, so threads never queue for a socket.
            adapter = HTTPAdapter(pool_connections=1, pool_maxsize=pool_size)
            session.mount("https://", adapter)
            session.mount("http://", adapter)
        session.headers.update({"Authorization": f"Bearer {api_key}", "Accept": "application/json"})
        self.session = session
        # What requests works out from the environment (proxies, CA bundle) on every call,
        # reading every environment variable and looking for a .netrc each time: once here.
        self.environment = session.merge_environment_settings(self.base_url, {}, None, None, None)

    def __repr__(self) -> str:
        return f"<TelnyxClient {self.base_url}>"

    def close(self) -> None:
        self.session.close()

    # Plumbing

    def _pages(
        self, path: str, params: dict[str, str], page_size: int, *, objects: bool = True
    ) -> Iterator[Any]:
        """Every item of a list, fetching the next page only when the caller gets that far.
        `objects`: refuse a page holding anything but objects (else the caller checks each item).

        The walk is bounded whatever Telnyx answers: a listing that claims more than MAX_PAGES
        pages, or serves a page it served before, raises TelnyxError rather than keep a sync
        (and its lease) going for ever."""
        page = 1
        served: set[int] = set()
        while True:
            body = self._body(
                "GET", path, list, params={**params, "page[number]": page, "page[size]": page_size}
            )
            data = body["data"]
            if objects and not all(isinstance(item, dict) for item in data):
                raise TelnyxError("malformed", detail=f"{path} page {page} holds a non-object")
            meta = body.get("meta") if isinstance(body.get("meta"), dict) else {}
            total_pages = meta.get("total_pages")
            if isinstance(total_pages, int) and total_pages > MAX_PAGES:
                raise TelnyxError(
                    "malformed",
                    detail=f"the listing {path} claims {total_pages} pages, more than {MAX_PAGES}",
                )
            if data:
                fingerprint = hash(orjson.dumps(data))
                if fingerprint in served:
                    raise TelnyxError(
                        "malformed",
                        detail=f"the listing {path} repeated an earlier page as page {page}",
                    )
                served.add(fingerprint)
            yield from data
            if not data or not isinstance(total_pages, int) or page >= total_pages:
                return
            page += 1

    def _data(self, method: str, path: str, expected: type, **kwargs: Any) -> Any:
        return self._body(method, path, expected, **kwargs)["data"]

    def _body(self, method: str, path: str, expected: type, **kwargs: Any) -> dict:
        """The decoded body, which Telnyx promises is an object whose `data` is `expected`."""
        response = self._send(method, path, **kwargs)
        body = self._json(response)
        data = body.get("data") if isinstance(body, dict) else None
        if not isinstance(data, expected):
            wanted = "list" if expected is list else "object"
            raise TelnyxError(
                "malformed", status=response.status_code, detail=f"no `data` {wanted} in the body"
            )
        return body

    def _json(self, response: requests.Response) -> Any:
        try:
            # orjson: the sync decodes every order's answer, and the stdlib's json is slower.
            return orjson.loads(response.content)
        except orjson.JSONDecodeError:
            raise TelnyxError("malformed", status=response.status_code, detail="not JSON") from None

    def _send(self, method: str, path: str, **kwargs: Any) -> requests.Response:
        """One call with retries: GETs on any transient failure, other methods only on 429.

        A 429 means Telnyx did not process the request, so repeating a PATCH is safe; after a
        timeout or a 5xx it may have been applied, and the caller must decide.
        With a budget, an attempt or wait that would overrun it is not started: the last
        failure is raised instead, a timeout as one of the whole call.
        """
        deadline = self._deadline()
        if deadline is not None and self.clock() + MIN_ATTEMPT > deadline:
            logger.info("Telnyx %s %s: not sent, %gs budget spent", method, path, self.budget)
            raise TelnyxError("timeout", detail="budget spent", budget=self.budget)
        attempt = 0
        while True:
            try:
                return self._attempt(method, path, deadline=deadline, **kwargs)
            except TelnyxError as error:
                repeatable = error.retryable if method == "GET" else error.status == 429
                retry = repeatable and attempt < self.max_retries
                delay = self._delay(attempt, error)
                now = self.clock()
                spent = deadline is not None and now + delay + MIN_ATTEMPT > deadline
                # A timeout is the budget's when the budget ended the attempt or the retry.
                out_of_time = deadline is not None and now + MIN_ATTEMPT > deadline
                if error.kind == "timeout" and (out_of_time or (retry and spent)):
                    logger.info("Telnyx %s %s: %gs budget spent", method, path, self.budget)
                    raise TelnyxError(
                        "timeout",
                        detail=error.detail,
                        budget=self.budget,
                        outcome_unknown=error.outcome_unknown,
                    ) from error
                if not retry or spent:
                    raise
                logger.warning(
                    "Telnyx %s %s failed (%s); retry %d/%d in %.2fs",
                    method,
                    path,
                    error.status or error.kind,
                    attempt + 1,
                    self.max_retries,
                    delay,
                )
                if error.status == 429 and self.rate_limited is not None:
                    self.rate_limited(delay)
                else:
                    self.sleep(delay)
                attempt += 1

    def _deadline(self) -> float | None:
        """When the request about to start must have ended, on self.clock (None: never)."""
        if self.budget is None:
            return None
        if self._first_started is None:
            self._first_started = self.clock()
        return self._first_started + self.budget

    def _attempt(
        self, method: str, path: str, *, deadline: float | None, stream: bool = False, **kwargs: Any
    ) -> requests.Response:
        started = self.clock()
        timeout: float | Timeout = self.timeout
        if deadline is not None:
            # Connecting and reading together end by the deadline (urllib3 takes no total
            # of 0 or less; _send starts no attempt with less than MIN_ATTEMPT left).
            left = max(deadline - started, MIN_ATTEMPT)
            timeout = Timeout(connect=self.timeout, read=self.timeout, total=left)
        write = method != "GET"
        try:
            # Sent without Session.request's merging of cookies, auth and environment, which
            # cost more CPU than the request itself (a sync makes thousands): the session's
            # headers are all a call to Telnyx needs.
            response = self.session.send(
                self._prepare(method, path, **kwargs),
                timeout=timeout,
                **(self.environment | {"stream": stream}),
            )
        except requests.Timeout as exc:
            waited = self.clock() - started
            logger.info("Telnyx %s %s timed out after %.3fs", method, path, waited)
            raise TelnyxError(
                "timeout", detail=type(exc).__name__, outcome_unknown=write and _reached(exc)
            ) from exc
        except requests.RequestException as exc:
            logger.info("Telnyx %s %s could not connect", method, path)
            raise TelnyxError(
                "connection", detail=type(exc).__name__, outcome_unknown=write and _reached(exc)
            ) from exc
        elapsed = self.clock() - started
        # A full sync makes thousands of calls: only the failures belong in the normal log.
        level = logging.DEBUG if response.ok else logging.INFO
        logger.log(level, "Telnyx %s %s %s %.3fs", method, path, response.status_code, elapsed)
        if response.status_code >= 400:
            raise TelnyxError.from_response(
                response, outcome_unknown=write and response.status_code >= 500
            )
        return response

    def _prepare(
        self,
        method: str,
        path: str,
        *,
        params: dict[str, Any] | None = None,
        json: Any = None,
        files: dict[str, tuple] | None = None,
        data: dict[str, str] | None = None,
    ) -> requests.PreparedRequest:
        """`files` and `data` make a multipart body (an upload); `json` a JSON one."""
        url = self.base_url + path
        if method != "GET" or json is not None:
            return requests.Request(
                method,
                url,
                headers=self.session.headers,
                params=params,
                json=json,
                files=files,
                data=data,
            ).prepare()
        # A GET has no body, and its URL is our base, a path of ids and a query of plain values:
        # built here, it skips requests' generic URL parsing and requoting, header checks and
        # cookie set-up, a fifth of the CPU of each of a sync's calls. Same URL and headers.
        request = requests.PreparedRequest()
        request.method = method
        request.url = f"{url}?{urlencode(params)}" if params else url
        request.headers = self.session.headers.copy()
        return request

    def _delay(self, attempt: int, error: TelnyxError) -> float:
        if error.status == 429 and error.retry_after is not None:
            return min(max(error.retry_after, 0.0), MAX_DELAY)
        # Exponential with "equal jitter": the wait grows every attempt, and parallel sync
        # workers that failed together do not all come back at the same instant.
        ceiling = min(self.backoff * 2**attempt, MAX_DELAY)
        return ceiling / 2 + random.uniform(0, ceiling / 2)


def get_client(*, interactive: bool = False) -> TelnyxClient:
    """A new client configured from settings; close it when done. `interactive`: for a person
    waiting on a page, all its requests together within TELNYX_INTERACTIVE_BUDGET seconds."""
    from django.conf import settings

    return TelnyxClient(
        api_key=settings.TELNYX_API_KEY,
        base_url=settings.TELNYX_API_BASE,
        timeout=settings.TELNYX_TIMEOUT,
        max_retries=settings.TELNYX_MAX_RETRIES,
        pool_size=settings.TELNYX_SYNC_CONCURRENCY,
        budget=settings.TELNYX_INTERACTIVE_BUDGET if interactive else None,
    )
