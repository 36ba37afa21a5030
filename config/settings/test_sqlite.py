"""Test settings on the embedded default's database (SQLite, in memory): for the tests that keep the
SQLite upload path in step with PostgreSQL's and the single-consent service.

    .venv/bin/python -m pytest --ds=config.settings.test_sqlite tests/consents/test_rule_agreement.py
"""
from .test import *  # noqa: F401,F403
from .test import sqlite_options

DATABASES = {"default": {"ENGINE": "django.db.backends.sqlite3", "NAME": ":memory:", "OPTIONS": sqlite_options()}}
CACHES = {"default": {"BACKEND": "django.core.cache.backends.locmem.LocMemCache"}}
