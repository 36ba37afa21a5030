"""LOG_FORMAT=json: one JSON object per line (python-json-logger) with level, logger and the request id."""
from __future__ import annotations

import io
import json
import logging
import os
import subprocess
import sys
from pathlib import Path

import pytest
from django.conf import settings
from django.utils.module_loading import import_string

from config.client_ip import ClientIpLogFilter
from config.observability import RequestIdLogFilter

ROOT = Path(__file__).resolve().parent.parent


def test_a_process_started_with_log_format_json_writes_json_lines():
    env = dict(os.environ, LOG_FORMAT="json", DJANGO_SETTINGS_MODULE="config.settings.test")
    code = "import django, logging; django.setup(); logging.getLogger('ileti.drill').warning('disk %s full', 'x')"
    result = subprocess.run([sys.executable, "-c", code], cwd=ROOT, env=env, capture_output=True, text=True,
                            timeout=60, check=True)
    lines = [json.loads(line) for line in result.stderr.splitlines() if line.startswith("{")]
    ours = [line for line in lines if line["logger"] == "ileti.drill"]
    assert len(ours) == 1, result.stderr
    assert ours[0]["level"] == "WARNING" and ours[0]["message"] == "disk x full"
    assert ours[0]["request_id"] == "-" and ours[0]["time"]


@pytest.mark.django_db
def test_a_request_s_log_line_carries_its_request_id(client):
    # The formatter exactly as LOG_FORMAT=json configures it, on a stream this test reads.
    options = dict(settings.LOGGING["formatters"]["json"])
    formatter = import_string(options.pop("()"))(**options)
    stream = io.StringIO()
    handler = logging.StreamHandler(stream)
    handler.setFormatter(formatter)
    handler.addFilter(ClientIpLogFilter())
    handler.addFilter(RequestIdLogFilter())
    logger = logging.getLogger("django.request")
    logger.addHandler(handler)
    try:
        response = client.get("/vatandas/bu-sayfa-yok/", REMOTE_ADDR="203.0.113.9")
    finally:
        logger.removeHandler(handler)
    assert response.status_code == 404
    line = json.loads(stream.getvalue().splitlines()[-1])  # "Not Found: …", logged by Django for the 404
    assert line["level"] == "WARNING"
    assert line["logger"] == "django.request"
    assert line["request_id"] == response["X-Request-ID"]
    assert line["client_ip"] == "203.0.113.9"
    assert "bu-sayfa-yok" in line["message"]
