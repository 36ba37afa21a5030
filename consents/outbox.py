"""Queue a task so that committed work always gets it: the transactional outbox.

`outbox_enqueue(name, *args)` writes a TaskOutbox row in the caller's transaction and, after commit, hands the
task to the broker and deletes the row. When the broker is unreachable at that moment (a Redis outage, a
restart) the row stays, the request still answers normally (the work is committed: a batch POST answers 202),
and `outbox_dispatch` (beat, every OUTBOX_SWEEP_EVERY_S) queues it as soon as the broker is back. A row may be
dispatched twice (a process dying between queuing and deleting): every task queued this way is idempotent.

Tasks are looked up by their stable name in the Celery app, so this module imports no task module.
"""
from __future__ import annotations

import datetime as dt
import logging
from functools import partial
from typing import Any

from celery import current_app
from django.db import transaction
from django.utils import timezone

from consents.models import TaskOutbox

logger = logging.getLogger(__name__)

# Rows younger than this are left to their own commit hook (it runs right after commit).
SWEEP_GRACE = dt.timedelta(seconds=5)


def _task(name: str) -> Any:
    if name not in current_app.tasks:
        # A web process (runserver, gunicorn) has not imported the task modules yet: Celery's autodiscovery runs
        # when the default modules are imported, which a worker does at start and we do here on first use.
        current_app.loader.import_default_modules()
    return current_app.tasks[name]


def _send(name: str, args: list[Any], **options: Any) -> None:
    _task(name).apply_async(args=args, **options)


def _dispatch_after_commit(pk: int, name: str, args: list[Any]) -> None:
    try:
        _send(name, args)
    except Exception as error:
        if current_app.conf.task_always_eager:
            raise  # in-process (tests, the embedded default): the task's own error, as .delay() would raise
        # The broker is unreachable: the committed row waits for the sweep; the request answers normally.
        logger.warning("task %s%s stays in the outbox: %r", name, tuple(args), error)
        _note_failure(pk, error)
        return
    try:
        TaskOutbox.objects.filter(pk=pk).delete()
    except Exception as error:  # the task is queued; a second dispatch by the sweep is harmless
        logger.warning("outbox row %s not deleted: %r", pk, error)


def _note_failure(pk: int, error: BaseException) -> None:
    try:
        TaskOutbox.objects.filter(pk=pk).update(attempts=1, last_error=repr(error)[:500])
    except Exception:  # noqa: BLE001 - the row itself is what matters; it is committed
        pass


def outbox_enqueue(name: str, *args: Any) -> TaskOutbox:
    """Record task `name(*args)` in the current transaction; queue it after commit (or via the sweep)."""
    row = TaskOutbox.objects.create(task=name, args=list(args))
    transaction.on_commit(partial(_dispatch_after_commit, row.pk, name, list(args)))
    return row


def outbox_dispatch(*, limit: int = 500, now: dt.datetime | None = None) -> int:
    """Queue the tasks whose commit hook did not (broker down, process died); stop at the first broker error.

    Rows are claimed with SKIP LOCKED, so two sweeps at once never queue the same row twice."""
    cutoff = (now or timezone.now()) - SWEEP_GRACE
    sent = 0
    with transaction.atomic():
        rows = list(
            TaskOutbox.objects.select_for_update(skip_locked=True)
            .filter(created_at__lt=cutoff)
            .order_by("id")[:limit]
        )
        done: list[int] = []
        for row in rows:
            try:
                _send(row.task, row.args)
            except KeyError:
                logger.error("outbox row %s names an unknown task %s: dropped", row.pk, row.task)
                done.append(row.pk)
                continue
            except Exception as error:
                TaskOutbox.objects.filter(pk=row.pk).update(
                    attempts=row.attempts + 1, last_error=repr(error)[:500]
                )
                logger.warning("outbox: broker unreachable (%r), %s rows wait", error, len(rows) - len(done))
                break
            done.append(row.pk)
            sent += 1
        TaskOutbox.objects.filter(pk__in=done).delete()
    return sent
