"""Local development: the embedded default (SQLite, in-process tasks) unless the environment says otherwise."""
from .base import *  # noqa: F401,F403
from .base import REDIS_URL, env

DEBUG = env.bool("DEBUG", default=True)
# Console e-mail that also records messages for the dev outbox page (citizens/devoutbox.py).
EMAIL_BACKEND = env("EMAIL_BACKEND", default="citizens.devoutbox.DevOutboxEmailBackend")
# A known inbound-SMS secret so the demo curl works locally; production sets its own (base: unset = endpoint closed).
SMS_INBOUND_SECRET = env("SMS_INBOUND_SECRET", default="dev-inbound-secret")
CALL_INBOUND_SECRET = env("CALL_INBOUND_SECRET", default="dev-call-secret")
# Without Redis there is no worker: run tasks in one background thread of this process, off the
# request, so an upload answers at once with its progress page (config/celery.py: InProcessTask).
CELERY_TASKS_IN_BACKGROUND = env.bool("CELERY_TASKS_IN_BACKGROUND", default=not REDIS_URL)
