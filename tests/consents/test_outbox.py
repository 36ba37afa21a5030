"""The transactional outbox hands committed work to Celery by task name, from any process."""
from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]

_PROBE = """
import django, sys
django.setup()
from celery import current_app
from consents.outbox import _task
name = "consents.process_upload"
print("registered before:", name in current_app.tasks)
print("found:", _task(name).name)
"""


def test_a_web_process_that_imported_no_task_module_still_finds_the_task_by_name():
    # runserver and gunicorn import views and models, not tasks modules; without autodiscovery the outbox's
    # lookup failed and the demo's upload answered HTTP 500 (with a broker: every upload waited for the sweep).
    env = {**os.environ, "DJANGO_SETTINGS_MODULE": "config.settings.test"}
    result = subprocess.run([sys.executable, "-c", _PROBE], env=env, cwd=ROOT, capture_output=True, text=True,
                            timeout=120)
    assert result.returncode == 0, result.stderr
    assert "registered before: False" in result.stdout  # the situation of a fresh web process
    assert "found: consents.process_upload" in result.stdout
