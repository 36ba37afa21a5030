"""Read replicas against a real streaming standby (scripts/replica: pg_basebackup -R, port 5433).

The test database pytest creates on the primary reaches the standby by physical replication, so a
`replica_0` alias pointing at the standby with the same database name reads committed test data
(transactional tests). Pausing replay on the standby (pg_wal_replay_pause) makes it stale on purpose:
what an answer shows then tells which server gave it.
"""
from __future__ import annotations

import copy
import os
import subprocess
import time
from collections.abc import Iterator
from pathlib import Path

import pytest
from django.db import connections
from django.db.utils import load_backend
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from citizens.auth import CITIZEN_SESSION_KEY
from config import db_router
from consents.actors import Actor
from consents.models import Consent
from consents.services import consent_record
from tests.citizens.conftest import make_citizen, make_consent
from tests.consents.api.support import client_for, consent_body, make_api_user

pytestmark = [
    pytest.mark.django_db(transaction=True),
    # The tests add the replica alias to settings.DATABASES on purpose (and make its connection themselves).
    pytest.mark.filterwarnings("ignore:Overriding setting DATABASES"),
]

ROOT = Path(__file__).resolve().parent.parent
REPLICA_PORT = int(os.environ.get("TEST_REPLICA_PORT", "5433"))
PHONE = "+905321234567"
ALIAS = "replica_0"


@pytest.fixture(scope="session")
def streaming_replica() -> int:
    """The local standby, made and started if missing (never skipped: CI runs these tests)."""
    env = dict(os.environ, REPLICA_PORT=str(REPLICA_PORT))
    subprocess.run([str(ROOT / "scripts" / "replica"), "start"], check=True, env=env, timeout=600)
    return REPLICA_PORT


def _primary_lsn() -> str:
    with connections["default"].cursor() as cursor:
        cursor.execute("SELECT pg_current_wal_lsn()::text")
        return cursor.fetchone()[0]


def _on_replica(sql: str, params: tuple = ()) -> tuple:
    with connections[ALIAS].cursor() as cursor:
        cursor.execute(sql, params)
        return cursor.fetchone()


def wait_for_replay(timeout: float = 30.0) -> None:
    """Until the standby has replayed everything the primary wrote so far."""
    target = _primary_lsn()
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if _on_replica("SELECT pg_last_wal_replay_lsn() >= %s::pg_lsn", (target,))[0]:
            return
        time.sleep(0.05)
    raise AssertionError("the standby did not replay the primary's WAL in time")


def wait_for_receipt(timeout: float = 30.0) -> None:
    """Until the standby has received (not necessarily replayed) everything the primary wrote so far."""
    target = _primary_lsn()
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if _on_replica("SELECT pg_last_wal_receive_lsn() >= %s::pg_lsn", (target,))[0]:
            return
        time.sleep(0.05)
    raise AssertionError("the standby did not receive the primary's WAL in time")


def _attach(settings, config: dict) -> None:
    """`replica_0` in settings.DATABASES (what the router reads) and its connection.

    The connection is made here, not from connections.settings: Django's test case allows connections it
    did not configure, and this one is the test's own.
    """
    settings.DATABASES = {**settings.DATABASES, ALIAS: config}
    connections[ALIAS] = load_backend(config["ENGINE"]).DatabaseWrapper(config, ALIAS)
    db_router.forget_lag_measurements()


def _detach() -> None:
    connections[ALIAS].close()
    del connections[ALIAS]
    db_router.forget_lag_measurements()


@pytest.fixture
def replica(streaming_replica, transactional_db, settings) -> Iterator[str]:
    """`replica_0` in settings.DATABASES, pointing at the standby's copy of the test database."""
    config = copy.deepcopy(connections["default"].settings_dict)
    config.update(HOST="127.0.0.1", PORT=str(streaming_replica))
    settings.DATABASE_REPLICA_LAG_CHECK_S = 0  # measure at every choice: the tests change the lag at will
    settings.DATABASE_REPLICA_MAX_LAG_S = 3600
    settings.DATABASE_READ_YOUR_WRITES_S = 60
    _attach(settings, config)
    wait_for_replay()
    try:
        yield ALIAS
    finally:
        # Replay resumes before the test's tables are emptied on the primary (the flush replays too).
        _on_replica("SELECT pg_wal_replay_resume(), 1")
        _detach()


def pause_replay() -> None:
    _on_replica("SELECT pg_wal_replay_pause(), 1")
    deadline = time.monotonic() + 10
    while _on_replica("SELECT pg_get_wal_replay_pause_state()")[0] != "paused":
        assert time.monotonic() < deadline, "replay did not pause"
        time.sleep(0.05)


def _status(api, base: str) -> str | None:
    r = api.post(base + "/consents/status", {"recipient": PHONE, "recipientType": "BIREYSEL", "type": "MESAJ"})
    return r.json()["status"] if r.status_code == 200 else None


def _reject_behind_the_callers_back(consent: Consent) -> None:
    """A movement by someone else (a citizen's SMS), straight through the service on the primary."""
    consent_record(
        brand=consent.brand, recipient=consent.recipient, recipient_type=consent.recipient_type,
        channel=consent.channel, status="RET", source="IYS_KISAMESAJ", consent_date=None,
        actor=Actor.citizen(None, "sms"), via="SMS",
    )


@pytest.fixture
def registry(provider, brand):
    api_user = make_api_user(provider=provider)
    consent = make_consent(brand, PHONE, "MESAJ")
    return {
        "api": client_for(api_user),
        "other_api": client_for(make_api_user(provider=provider)),
        "base": f"/sps/{provider.iys_code}/brands/{brand.brand_code}",
        "consent": consent,
    }


def test_the_standby_is_a_real_replica(replica):
    in_recovery, port = _on_replica("SELECT pg_is_in_recovery(), inet_server_port()")
    assert in_recovery is True and port == REPLICA_PORT
    lag = db_router.replica_lag_seconds(replica, max_age=0)
    assert lag is not None and lag < 30
    assert db_router.replica_aliases() == [ALIAS]


def test_status_and_may_send_are_read_from_the_replica(replica, registry):
    api, base = registry["api"], registry["base"]
    wait_for_replay()
    pause_replay()
    _reject_behind_the_callers_back(registry["consent"])
    wait_for_receipt()
    assert Consent.objects.get(pk=registry["consent"].pk).status == "RET"  # the primary has the rejection
    with CaptureQueriesContext(connections[replica]) as on_replica:
        # The standby has not replayed it: the answer comes from there.
        assert _status(api, base) == "ONAY"
        r = api.post(base + "/may-send", {"recipient": PHONE, "recipientType": "BIREYSEL", "type": "MESAJ"})
        assert r.status_code == 200 and r.json()["allowed"] is True and r.json()["reason"] == "ONAY"
    assert any("consents_consent" in q["sql"] for q in on_replica.captured_queries)
    _on_replica("SELECT pg_wal_replay_resume(), 1")
    wait_for_replay()
    assert _status(api, base) == "RET"


def test_the_callers_own_write_is_read_back_from_the_primary(replica, registry, settings):
    api, other, base = registry["api"], registry["other_api"], registry["base"]
    wait_for_replay()
    pause_replay()
    r = api.post(base + "/consents", consent_body(PHONE, status="RET"))
    assert r.status_code == 200, r.content
    wait_for_receipt()
    # The API user that wrote sees its rejection at once; another API user still reads the stale replica.
    assert _status(api, base) == "RET"
    assert _status(other, base) == "ONAY"
    # After the window the writer is back on the replica (which, paused, still says ONAY).
    settings.DATABASE_READ_YOUR_WRITES_S = 1
    r = api.post(base + "/consents", consent_body("+905321234568"))
    assert r.status_code == 200
    time.sleep(2.2)
    assert _status(api, base) == "ONAY"


def test_a_citizen_sees_their_rejection_at_once(replica, client, brand):
    citizen = make_citizen(PHONE)
    mesaj = make_consent(brand, PHONE, "MESAJ")
    arama = make_consent(brand, PHONE, "ARAMA")
    session = client.session
    session[CITIZEN_SESSION_KEY] = citizen.pk
    session.save()
    wait_for_replay()
    pause_replay()
    # Someone else's movement (an SMS rejection) is not on the paused replica: the page still shows it on.
    _reject_behind_the_callers_back(arama)
    wait_for_receipt()
    page = client.get(reverse("citizens:consents")).content.decode()
    assert f'data-state="on" id="sw-{arama.pk}"' in page
    assert f'data-state="on" id="sw-{mesaj.pk}"' in page
    # The citizen's own rejection: from then on their page is read from the primary.
    response = client.post(reverse("citizens:reject"), {"scope": "consent", "consent": mesaj.pk, "confirm": "1"})
    assert response.status_code == 302
    wait_for_receipt()
    with CaptureQueriesContext(connections[replica]) as on_replica:
        page = client.get(reverse("citizens:consents")).content.decode()
    assert f'data-state="off" id="sw-{mesaj.pk}"' in page
    assert f'data-state="off" id="sw-{arama.pk}"' in page
    assert not any("consents_consent" in q["sql"] for q in on_replica.captured_queries)


def test_a_lagging_replica_is_skipped(replica, registry, settings):
    api, base = registry["api"], registry["base"]
    settings.DATABASE_REPLICA_MAX_LAG_S = 0.5
    wait_for_replay()
    pause_replay()
    _reject_behind_the_callers_back(registry["consent"])
    wait_for_receipt()
    time.sleep(1.0)
    lag = db_router.replica_lag_seconds(replica, max_age=0)
    assert lag is not None and lag > 0.5
    with CaptureQueriesContext(connections[replica]) as on_replica:
        assert _status(api, base) == "RET"  # the primary's answer
        r = api.post(base + "/may-send", {"recipient": PHONE, "recipientType": "BIREYSEL", "type": "MESAJ"})
        assert r.json()["allowed"] is False
    assert not any("consents_consent" in q["sql"] for q in on_replica.captured_queries)
    _on_replica("SELECT pg_wal_replay_resume(), 1")
    wait_for_replay()
    # Caught up again (other databases on the shared cluster keep writing, so "caught up" is not 0.0).
    settings.DATABASE_REPLICA_MAX_LAG_S = 30
    assert db_router.replica_lag_seconds(replica, max_age=0) < 30
    with CaptureQueriesContext(connections[replica]) as on_replica:
        assert _status(api, base) == "RET"
        r = api.post(base + "/may-send", {"recipient": PHONE, "recipientType": "BIREYSEL", "type": "MESAJ"})
        assert r.json()["allowed"] is False
    # (the single status runs a prepared statement on the raw connection, which Django does not capture)
    assert any("consents_consent" in q["sql"] for q in on_replica.captured_queries)


def test_the_export_streams_from_the_replica(replica, owner, brand, client):
    make_consent(brand, PHONE, "MESAJ")
    make_consent(brand, "+905321234599", "ARAMA")
    wait_for_replay()
    client.force_login(owner)
    with CaptureQueriesContext(connections[replica]) as on_replica:
        response = client.get(reverse("portal:consent_export"))
        body = b"".join(response.streaming_content).decode("utf-8-sig")
    assert PHONE in body and "+905321234599" in body
    assert any("consents_consent" in q["sql"] for q in on_replica.captured_queries)


def test_an_unreachable_replica_is_skipped(transactional_db, settings, registry):
    config = copy.deepcopy(connections["default"].settings_dict)
    config.update(HOST="127.0.0.1", PORT="1", OPTIONS={"connect_timeout": 1})
    _attach(settings, config)
    try:
        assert db_router.replica_lag_seconds(ALIAS, max_age=0) is None
        assert _status(registry["api"], registry["base"]) == "ONAY"
    finally:
        _detach()


def test_without_replicas_everything_reads_from_the_primary(db):
    assert db_router.replica_aliases() == []
    assert db_router.read_alias() == "default"
    with db_router.reads_from_replica():
        assert db_router.read_alias() == "default"
        assert Consent.objects.count() == 0
