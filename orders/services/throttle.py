"""The back-off the threads of one job (a bulk fix) share when Telnyx rate-limits them."""

import threading
import time
from collections.abc import Callable
from datetime import datetime, timedelta

from django.utils import timezone


class JobThrottle:
    """The back-off a bulk fix's threads share: when Telnyx answers any of them 429, none sends
    again before the moment it named. `clock` and `sleep` are the seams tests replace."""

    def __init__(
        self,
        not_before: datetime | None = None,
        *,
        clock: Callable[[], datetime] = timezone.now,
        sleep: Callable[[float], None] = time.sleep,
    ) -> None:
        self.not_before = not_before
        self.clock = clock
        self.sleep = sleep
        self._lock = threading.Lock()

    def pause(self, seconds: float) -> None:
        """Telnyx asked to wait `seconds`: every send of the job waits, this one included."""
        until = self.clock() + timedelta(seconds=seconds)
        with self._lock:
            if self.not_before is None or until > self.not_before:
                self.not_before = until
        self.wait()

    def wait(self) -> None:
        """Waits until the job may send, however often a pause moves that meanwhile."""
        waited_for = None
        while (moment := self.not_before) != waited_for:
            waited_for = moment
            self.wait_until(moment)

    def wait_until(self, moment: datetime | None) -> None:
        if moment is not None and (left := (moment - self.clock()).total_seconds()) > 0:
            self.sleep(left)
