"""The sync's runs, and the leases that keep two of one job from running at once."""

from django.db import models


class SyncRun(models.Model):
    """One run of the sync: what the home page's "last synced" and the staleness warning read."""

    started_at = models.DateTimeField()
    finished_at = models.DateTimeField(null=True, blank=True)
    seen = models.PositiveIntegerField(default=0)
    created = models.PositiveIntegerField(default=0)
    updated = models.PositiveIntegerField(default=0)
    unchanged = models.PositiveIntegerField(default=0)
    failed = models.PositiveIntegerField(default=0)
    error = models.TextField(blank=True)

    class Meta:
        ordering = ["-started_at"]
        get_latest_by = "started_at"
        # Every page's header reads the latest finished run.
        indexes = [models.Index(fields=["-finished_at"], name="syncrun_finished")]

    def __str__(self) -> str:
        return f"sync {self.started_at:%Y-%m-%d %H:%M}"

    @property
    def ok(self) -> bool:
        return self.finished_at is not None and self.failed == 0 and not self.error


class Lease(models.Model):
    """A lease on a named job (the sync): one row while someone holds it, see orders.locks.

    A lease rather than a database lock so that it works alike on SQLite and PostgreSQL, outlives
    no crashed holder for longer than `expires_at`, and needs no transaction held open."""

    name = models.CharField(max_length=64, primary_key=True)
    holder = models.CharField(max_length=255, help_text="host, process and a random token")
    acquired_at = models.DateTimeField()
    expires_at = models.DateTimeField()

    def __str__(self) -> str:
        return f"{self.name} held by {self.holder}"
