import pytest
from django.db import DatabaseError, transaction

from consents.actors import Actor
from consents.models import ConsentEvent, Via
from consents.services import consent_record
from django.utils import timezone


@pytest.mark.django_db
def test_first_consent_creates_row_and_history(brand, provider_actor):
    result = consent_record(
        brand=brand, recipient="0532 123 45 67", recipient_type="BIREYSEL", channel="MESAJ",
        status="ONAY", source="HS_WEB", consent_date=timezone.now(), actor=provider_actor, via=Via.WEB,
    )
    assert result.consent.recipient == "+905321234567"
    event = ConsentEvent.objects.get()
    assert event.actor_user == provider_actor.user
    with pytest.raises(DatabaseError), transaction.atomic():
        ConsentEvent.objects.filter(pk=event.pk).update(status="RET")
