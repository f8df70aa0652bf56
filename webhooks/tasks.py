"""The webhooks app's background work, run by `manage.py db_worker`: events whose order must be
fetched from Telnyx."""

from django.tasks import task

from webhooks import services

# Ahead of a bulk fix's next slice: an event is one quick refresh.
EVENT_PRIORITY = 10


@task(priority=EVENT_PRIORITY)
def event_apply(event_pk: int) -> None:
    services.event_apply(event_pk=event_pk)
