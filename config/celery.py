import os

from celery import Celery

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "config.settings.dev")

app = Celery("ileti")
app.config_from_object("django.conf:settings", namespace="CELERY")
app.autodiscover_tasks()
app.autodiscover_tasks(related_name="tasks_upload")  # consents/tasks_upload.py (bulk CSV upload)
app.autodiscover_tasks(related_name="tasks_api")  # consents/tasks_api.py (integration API: batches, push)
