"""The orders app's background work, run by `manage.py db_worker`: bulk fixes."""

from django.tasks import task

from orders.services import bulk_fixes


@task()
def bulk_fix_run(bulk_fix_id: int) -> bool:
    return bulk_fixes.bulk_fix_run(bulk_fix_id=bulk_fix_id)


@task()
def bulk_fix_watch(bulk_fix_id: int) -> None:
    bulk_fixes.bulk_fix_watch(bulk_fix_id=bulk_fix_id)
