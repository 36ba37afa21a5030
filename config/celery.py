import os

from celery import Celery

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "config.settings.dev")

app = Celery("ileti")
app.config_from_object("django.conf:settings", namespace="CELERY")
app.autodiscover_tasks()  # <app>/tasks.py of every installed app
# The consents app keeps its tasks in its capability packages.
app.autodiscover_tasks(["consents.api", "consents.uploads", "consents.review", "consents.ledger"])
