import logging
import os
import threading
import time
import uuid
from concurrent.futures import ThreadPoolExecutor
from typing import Any

from celery import Celery, Task
from celery.result import AsyncResult
from celery.signals import before_task_publish, task_postrun, task_prerun
from django.conf import settings  # lazy: read when a task is queued
from django.db import close_old_connections, connections
from kombu import Queue

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "config.settings.dev")

logger = logging.getLogger(__name__)


class InProcessTask(Task):
    """Celery's task, run off the request thread when the embedded default has no worker.

    Without Redis, tasks run eagerly: in the request that queued them. A 30,000-row upload then
    held its request for minutes with no progress page. With CELERY_TASKS_IN_BACKGROUND (the
    development/demo settings without REDIS_URL) `.delay()` hands the eager run to one background
    thread of this process instead and returns at once: tasks still run in order, one at a time
    (SQLite has one writer anyway), and the request answers with the progress page. Tests keep the
    plain eager mode (or a real worker); production has Redis and workers, so this never applies.
    """

    def apply_async(self, args: Any = None, kwargs: Any = None, task_id: str | None = None,
                    *more: Any, **options: Any) -> Any:
        if self.app.conf.task_always_eager and _in_background():
            task_id = task_id or str(uuid.uuid4())
            _executor().submit(_run_eagerly, self, args, kwargs, task_id)
            return AsyncResult(task_id, app=self.app)
        return super().apply_async(args, kwargs, task_id, *more, **options)


def _in_background() -> bool:
    return bool(getattr(settings, "CELERY_TASKS_IN_BACKGROUND", False))


_pool: ThreadPoolExecutor | None = None
_pool_lock = threading.Lock()


def _executor() -> ThreadPoolExecutor:
    global _pool
    with _pool_lock:
        if _pool is None:
            _pool = ThreadPoolExecutor(max_workers=1, thread_name_prefix="ileti-tasks")
        return _pool


def _run_eagerly(task: Task, args: Any, kwargs: Any, task_id: str) -> None:
    close_old_connections()
    try:
        task.apply(args, kwargs, task_id=task_id)
    except Exception:
        logger.exception("background task %s failed", task.name)
    finally:
        connections.close_all()


# --- Queues per workload. A 1M-row upload or a finaliser run must never sit in front of an API batch, a
# citizen's notice or a push delivery: each workload has its own queue and can get its own workers
# (docs/operations.md, "Queues and workers"). Routes name tasks explicitly (their stable `name=`), so a task
# added without a route lands on "default" rather than on a busy queue by accident.
DEFAULT_QUEUE = "default"
QUEUES = ("uploads", "api_batches", "review", "notifications", "push", DEFAULT_QUEUE)
TASK_ROUTES: dict[str, dict[str, str]] = {
    name: {"queue": queue}
    for queue, names in {
        # Bulk uploads: long (minutes), CPU and I/O heavy, one advisory lock per upload. Campaign pre-checks are
        # the same kind of work (a stored list read in chunks, minutes for millions of rows).
        "uploads": ["consents.process_upload", "consents.run_campaign_check"],
        # İYS API batches of up to 1,000 items, re-queued per chunk of 250: integrators poll for them.
        "api_batches": ["consents.api.process_batch"],
        # The review window's finaliser (re-queues itself every REVIEW_FINALIZE_TASK_BUDGET_S).
        "review": ["consents.tasks.finalize_reviews"],
        # Messages to people: review announcements/reminders, rejection-override notices, dealer invitations.
        "notifications": [
            "consents.tasks.dispatch_review_notifications",
            "consents.tasks.fan_out_review_notifications",
            "consents.tasks.send_review_notifications",
            "citizens.notify_rejection_overrides",
            "citizens.send_rejection_override_notice",
            "providers.tasks.mail_dealer_invitation",
        ],
        # Outgoing HTTP to integrators' push receivers (slow or dead receivers wait up to 5 s each).
        "push": ["consents.api.push_event", "consents.api.push_deliver"],
    }.items()
    for name in names
}
# Everything else (sweeps, the hash-chain sealer, the daily reconciliation, tier counts, dashboard refreshes,
# integrator health) is short periodic bookkeeping on "default".

app = Celery("ileti", task_cls=InProcessTask)
app.config_from_object("django.conf:settings", namespace="CELERY")
app.conf.task_default_queue = DEFAULT_QUEUE
app.conf.task_routes = TASK_ROUTES
# Declared, so that a worker started without -Q consumes every queue (the single-worker setup keeps working).
app.conf.task_queues = tuple(Queue(name, routing_key=name) for name in QUEUES)
app.autodiscover_tasks()  # <app>/tasks.py of every installed app
# The consents app keeps its tasks in its capability packages.
app.autodiscover_tasks(["consents.api", "consents.uploads", "consents.review", "consents.ledger", "consents.portal"])


@before_task_publish.connect
def _stamp_sent_at(headers: dict | None = None, **_: Any) -> None:
    """The sending time in every message: the oldest waiting task's age, for /healthz and /metrics."""
    if headers is not None:
        headers.setdefault("ileti_sent_at", time.time())


_task_log_tokens: dict[str, Any] = {}


@task_prerun.connect
def _log_task_id(task_id: str | None = None, **_: Any) -> None:
    """A task's log lines carry its id where a request's carry the request id (config/observability.py).
    An eager task inside a request gets the request's id back when it ends."""
    from config.observability import request_id_var

    if task_id:
        _task_log_tokens[task_id] = request_id_var.set(task_id)


@task_postrun.connect
def _forget_task_id(task_id: str | None = None, **_: Any) -> None:
    from config.observability import request_id_var

    token = _task_log_tokens.pop(task_id or "", None)
    if token is not None:
        try:
            request_id_var.reset(token)
        except ValueError:  # set in another context (a thread pool): nothing of ours to restore
            request_id_var.set("-")
