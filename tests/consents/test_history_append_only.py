"""History rows can be neither updated nor deleted: PostgreSQL itself refuses (rule 12)."""
import datetime as dt

import pytest
from django.db import DatabaseError, connection, transaction
from django.utils import timezone

from consents.models import ConsentEvent, Via
from consents.services import consent_record


@pytest.fixture
def event(brand, provider_actor):
    return consent_record(
        brand=brand, recipient="+905321234567", recipient_type="BIREYSEL", channel="MESAJ", status="ONAY",
        source="HS_WEB", consent_date=timezone.now() - dt.timedelta(minutes=5), actor=provider_actor, via=Via.WEB,
    ).event


@pytest.mark.django_db
@pytest.mark.parametrize(
    "sql",
    [
        "UPDATE consents_consentevent SET status = 'RET' WHERE id = %s",
        "DELETE FROM consents_consentevent WHERE id = %s",
    ],
)
def test_raw_sql_cannot_rewrite_history(event, sql):
    with pytest.raises(DatabaseError, match="append-only"), transaction.atomic(), connection.cursor() as cursor:
        cursor.execute(sql, [event.pk])
    assert ConsentEvent.objects.get(pk=event.pk).status == "ONAY"


@pytest.mark.django_db
def test_orm_cannot_rewrite_history(event):
    with pytest.raises(DatabaseError), transaction.atomic():
        ConsentEvent.objects.filter(pk=event.pk).delete()
    event.actor_label = "someone else"
    with pytest.raises(DatabaseError), transaction.atomic():
        event.save()
    assert ConsentEvent.objects.filter(pk=event.pk, actor_label="someone else").count() == 0
