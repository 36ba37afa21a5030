"""The tamper-evident history: lazy sealing per brand, verify_history, and a row altered by the database owner."""
from __future__ import annotations

import datetime as dt
import hashlib

import pytest
from django.core.management import call_command
from django.core.management.base import CommandError
from django.db import connection

from consents.ledger.chain import CANONICAL_FIELDS, canonical, seal_pending, verify_brand
from consents.models import ChainHead, ConsentEvent, HistoryLink, Status
from tests import factories

pytestmark = pytest.mark.django_db(transaction=True)


def _owner_sql(sql: str, params: list) -> None:
    """What a database owner can do: switch the append-only trigger off, change history, switch it on."""
    with connection.cursor() as cursor:
        cursor.execute("ALTER TABLE consents_consentevent DISABLE TRIGGER consents_event_no_update_delete")
        cursor.execute(sql, params)
        cursor.execute("ALTER TABLE consents_consentevent ENABLE TRIGGER consents_event_no_update_delete")


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
