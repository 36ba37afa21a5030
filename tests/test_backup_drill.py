"""The backup/restore drill (scripts/backup_drill) at small size: base backup + WAL archive -> a fresh cluster."""
from __future__ import annotations

import os
import re
import subprocess
from pathlib import Path

import pytest
from django.db import connection

ROOT = Path(__file__).resolve().parent.parent


@pytest.mark.django_db
def test_a_restored_cluster_has_every_consent_and_the_latest_history_row():
    db = connection.settings_dict
    # The schema of the test database (migrated by pytest) instead of running every migration again.
    schema_from = f"postgres://{db['USER'] or 'postgres'}@{db['HOST'] or '127.0.0.1'}:{db['PORT'] or 5432}/{db['NAME']}"
    result = subprocess.run(
        [str(ROOT / "scripts" / "backup_drill")], cwd=ROOT, env=dict(os.environ, SCHEMA_FROM=schema_from),
        capture_output=True, text=True, timeout=300,
    )
    assert result.returncode == 0, result.stdout + result.stderr
    found = re.search(
        r"^RESULT backup_drill=ok consents=(\d+) history=(\d+) latest_history_id=(\d+) replayed_after_backup=(\d+)",
        result.stdout, re.MULTILINE,
    )
    assert found, result.stdout
    consents, history, latest, replayed = map(int, found.groups())
    assert consents == 175 and history == 350 and latest == 350
    # The rows written after the base backup came back from the archived WAL alone.
    assert replayed == 50
