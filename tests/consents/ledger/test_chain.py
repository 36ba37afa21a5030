"""The tamper-evident history: lazy sealing per brand, verify_history, and a row altered by the database owner."""
from __future__ import annotations

import datetime as dt
import hashlib

import pytest
from django.core.management import call_command
from django.core.management.base import CommandError
from django.db import connection

from consents.ledger.chain import (
    CANONICAL_FIELDS,
    FIELDS_V1,
    _candidates,
    canonical,
    link_hash,
    seal_pending,
    verify_brand,
)
from consents.models import ChainHead, ConsentEvent, HistoryLink, Status
from tests import factories

pytestmark = pytest.mark.django_db(transaction=True)


def _owner_sql(sql: str, params: list) -> None:
    """What a database owner can do: switch the append-only trigger off, change history, switch it on."""
    with connection.cursor() as cursor:
        cursor.execute("ALTER TABLE consents_consentevent DISABLE TRIGGER consents_event_no_update_delete")
        cursor.execute(sql, params)
        cursor.execute("ALTER TABLE consents_consentevent ENABLE TRIGGER consents_event_no_update_delete")


@pytest.mark.sqlite
def test_rows_are_sealed_per_brand_in_order_and_the_chain_is_recomputable(brand, move, yesterday):
    other = factories.BrandFactory()
    for n in range(3):
        move(brand, yesterday, f"10:0{n}:00", f"+90532000000{n}")
    move(other, yesterday, "10:05:00", "+905320000009")
    assert seal_pending(batch=3) == 4 and seal_pending() == 0  # two batches: the second starts above the first
    links = list(HistoryLink.objects.filter(brand=brand).order_by("seq"))
    assert [link.seq for link in links] == [1, 2, 3]
    # Anyone with the rows can recompute a link: sha384(previous + "|" + canonical row).
    previous = ""
    for link in links:
        row = ConsentEvent.objects.filter(pk=link.event_id).values_list(*CANONICAL_FIELDS).get()
        previous = hashlib.sha384((previous + "|" + canonical(row)).encode()).hexdigest()
        assert link.hash == previous
    assert ChainHead.objects.get(brand=brand).hash == previous
    assert HistoryLink.objects.get(brand=other).seq == 1
    assert verify_brand(brand.pk) is None


def test_an_altered_row_is_found_and_named(brand, move, yesterday, capsys):
    events = [move(brand, yesterday, f"11:0{n}:00", f"+90533000000{n}").consent.events.get() for n in range(4)]
    seal_pending()
    call_command("verify_history")
    assert "OK: 1 brand chain(s)" in capsys.readouterr().out
    # The history refuses changes...
    with pytest.raises(Exception, match="append-only"):
        ConsentEvent.objects.filter(pk=events[2].pk).update(status=Status.RET)
    # ...unless the database owner switches the trigger off.
    _owner_sql("UPDATE consents_consentevent SET status = 'RET' WHERE id = %s", [events[2].pk])
    with pytest.raises(CommandError):
        call_command("verify_history", "--brand", str(brand.brand_code))
    out = capsys.readouterr().out
    assert f"first broken link #3 (event {events[2].pk}, transaction {events[2].transaction_id})" in out
    assert "altered after sealing" in out
    # --since after the altered row's day checks only later rows (none): nothing to report there.
    call_command("verify_history", "--brand", str(brand.brand_code), "--since", str(yesterday + dt.timedelta(days=1)))
    later = factories.BrandFactory()
    move(later, yesterday, "12:00:00", "+905330000009")
    call_command("verify_history", "--brand", str(later.brand_code))


def test_a_deleted_row_and_its_link_leave_a_gap(brand, move, yesterday):
    events = [move(brand, yesterday, f"11:0{n}:00", f"+90534000000{n}").consent.events.get() for n in range(3)]
    seal_pending()
    with connection.cursor() as cursor:
        cursor.execute("ALTER TABLE consents_historylink DISABLE TRIGGER consents_link_no_update_delete")
        cursor.execute("DELETE FROM consents_historylink WHERE event_id = %s", [events[1].pk])
        cursor.execute("ALTER TABLE consents_historylink ENABLE TRIGGER consents_link_no_update_delete")
    _owner_sql("DELETE FROM consents_consentevent WHERE id = %s", [events[1].pk])
    broken = verify_brand(brand.pk)
    assert broken is not None and (broken.seq, broken.reason) == (2, "missing")


def test_rows_sealed_in_later_passes_continue_the_chain(brand, move, yesterday):
    first = move(brand, yesterday, "09:00:00", "+905350000001").consent.events.get()
    seal_pending()
    second = move(brand, yesterday, "09:01:00", "+905350000002").consent.events.get()
    seal_pending()
    assert list(HistoryLink.objects.filter(brand=brand).order_by("seq").values_list("event_id", flat=True)) == [
        first.pk, second.pk
    ]
    assert verify_brand(brand.pk) is None


def _link_sql(sql: str, params: list) -> None:
    with connection.cursor() as cursor:
        cursor.execute("ALTER TABLE consents_historylink DISABLE TRIGGER consents_link_no_update_delete")
        cursor.execute(sql, params)
        cursor.execute("ALTER TABLE consents_historylink ENABLE TRIGGER consents_link_no_update_delete")


@pytest.mark.parametrize(("column", "value"), [("overrides_citizen_rejection", "true"), ("evidence_note", "'sahte'")])
def test_altering_the_override_flag_or_the_evidence_note_is_found(brand, move, yesterday, column, value):
    """Chain version 2 covers both fields: an ONAY written over a citizen's RET, and what proved it."""
    assert CANONICAL_FIELDS[-2:] == ("overrides_citizen_rejection", "evidence_note")
    events = [move(brand, yesterday, f"13:0{n}:00", f"+90536000000{n}").consent.events.get() for n in range(3)]
    seal_pending()
    assert set(HistoryLink.objects.values_list("version", flat=True)) == {2}
    assert verify_brand(brand.pk) is None
    _owner_sql(f"UPDATE consents_consentevent SET {column} = {value} WHERE id = %s", [events[1].pk])
    broken = verify_brand(brand.pk)
    assert broken is not None and (broken.seq, broken.event_id, broken.reason) == (2, events[1].pk, "altered")


def test_chains_made_before_version_2_still_verify_and_cannot_be_relabelled(brand, move, yesterday, capsys):
    """Links sealed before the two fields joined the hash (version 1) keep verifying with the 21 fields they
    were made with; the chain goes on in version 2; a version-2 link relabelled 1 is caught."""
    old = [move(brand, yesterday, f"14:0{n}:00", f"+90537000000{n}").consent.events.get() for n in range(2)]
    seal_pending()
    # Rewrite those links as the version-1 sealer made them (the migration gave existing links version 1).
    previous = ""
    for seq, event in enumerate(old, start=1):
        previous = link_hash(previous, ConsentEvent.objects.filter(pk=event.pk).values_list(*FIELDS_V1).get())
        _link_sql("UPDATE consents_historylink SET hash = %s, version = 1 WHERE event_id = %s", [previous, event.pk])
    ChainHead.objects.filter(brand=brand).update(hash=previous)
    new = move(brand, yesterday, "14:05:00", "+905370000009").consent.events.get()
    seal_pending()
    assert list(HistoryLink.objects.filter(brand=brand).order_by("seq").values_list("version", flat=True)) == [1, 1, 2]
    assert verify_brand(brand.pk) is None
    call_command("verify_history", "--brand", str(brand.brand_code))
    assert "OK" in capsys.readouterr().out
    # An old link's hash does not cover the override flag, by design; a new one's does, and relabelling it as
    # version 1 (to drop the two fields from its hash) is refused outright.
    _link_sql("UPDATE consents_historylink SET version = 1 WHERE event_id = %s", [new.pk])
    broken = verify_brand(brand.pk)
    assert broken is not None and (broken.seq, broken.reason) == (3, "altered")
    _link_sql("UPDATE consents_historylink SET version = 2 WHERE event_id = %s", [old[1].pk])
    _link_sql("UPDATE consents_historylink SET version = 1 WHERE event_id = %s", [new.pk])
    broken = verify_brand(brand.pk)
    assert broken is not None and broken.reason in {"altered", "version"} and broken.seq == 2


TRICKY = 'a"b\\c\n\t\r\b\f\x01\x1f\x7f İşçi ğüşöç 🙂 \u2028 </script> \\u0041 %s %%'


@pytest.mark.sqlite
def test_the_databases_canonical_text_is_pythons_byte_for_byte(brand, move, yesterday):
    """On PostgreSQL the sealer lets the database write each row's canonical JSON; it must be exactly what
    Python's json writes (the documented form anyone recomputes), whatever the text holds."""
    event = move(brand, yesterday, "15:00:00", "+905380000001").consent.events.get()
    _owner_sql_or_update(event.pk)
    row = ConsentEvent.objects.filter(pk=event.pk).values_list(*CANONICAL_FIELDS).get()
    ((event_id, brand_id, text),) = [c for c in _candidates(above=event.pk - 1, batch=1)]
    assert (event_id, brand_id) == (event.pk, brand.pk)
    assert text == canonical(row)
    seal_pending()
    assert verify_brand(brand.pk) is None


def _owner_sql_or_update(event_id: int) -> None:
    """Put TRICKY into the free-text fields (the append-only trigger exists only on PostgreSQL)."""
    sql = "UPDATE consents_consentevent SET actor_label = %s, evidence_note = %s, actor_ref = %s WHERE id = %s"
    params = [TRICKY, TRICKY + "\n2. satır", "x\\y", event_id]
    if connection.vendor == "postgresql":
        _owner_sql(sql, params)
        return
    import importlib

    sqlite_triggers = importlib.import_module("consents.migrations.0002_history_append_only_and_faq_periods").SQLITE_SQL
    with connection.cursor() as cursor:
        cursor.execute("SELECT 1 FROM sqlite_master WHERE type = 'trigger' AND name = 'consents_event_no_update'")
        had_trigger = cursor.fetchone() is not None
        cursor.execute("DROP TRIGGER IF EXISTS consents_event_no_update")
        cursor.execute(sql, params)
        if had_trigger:
            cursor.execute(sqlite_triggers[0])
