"""Every rule of SPEC §3 and every error code it names, through the single-consent service."""
from __future__ import annotations

import datetime as dt

import pytest

from consents.actors import Actor
from consents.errors import ConsentRuleError
from consents.models import Consent, ConsentEvent, Source, Status, Via
from consents.rules import ISTANBUL, Outcome
from consents.services import consent_record, consent_reject_by_citizen
from tests import factories

NOW = dt.datetime(2026, 11, 25, 12, 0, tzinfo=ISTANBUL)  # a Wednesday
FRESH = "2026-11-24 09:30:00"
FRESHER = "2026-11-25 10:00:00"
LATE = "2026-11-19 10:00:00"  # Thursday: its third business day was Tuesday 24th
PHONE = "+905321234567"


@pytest.fixture
def record(brand, provider_actor):
    def _record(**overrides):
        movement = dict(
            brand=brand, recipient=PHONE, recipient_type="BIREYSEL", channel="MESAJ", status="ONAY",
            source="HS_WEB", consent_date=FRESH, actor=provider_actor, via=Via.WEB, now=NOW,
        )
        movement.update(overrides)
        return consent_record(**movement)

    return _record


@pytest.fixture
def open_period(provider):
    return factories.DeclarationPeriodFactory(
        tier=provider.tier, opens_on=dt.date(2026, 11, 1), declare_until=dt.date(2026, 11, 30),
        visible_from=dt.date(2026, 12, 1), review_until=dt.date(2027, 1, 15),
    )


# (case, prior movements, the movement, expected İYS code or None when accepted)
CASES = [
    ("first record ONAY", [], {}, None),
    ("rule 1: first record RET", [], {"status": "RET"}, "H175"),
    ("rule 2: same status again", [{}], {"consent_date": FRESHER}, "H174"),
    ("rule 3: change with a later date", [{}], {"status": "RET", "consent_date": FRESHER}, None),
    ("rule 3: change with an earlier date", [{"consent_date": FRESHER}], {"status": "RET", "consent_date": FRESH}, "H178"),
    ("rule 3: change with the same date", [{}], {"status": "RET"}, "H178"),
    ("rule 3: future date", [], {"consent_date": "2026-11-25 12:30:00"}, "H162"),
    ("rule 3: before 1 May 2015", [], {"consent_date": "2015-04-30 23:59:59"}, "H156"),
    ("rule 4: HS_2015 with another date", [], {"source": "HS_2015", "consent_date": "2016-01-01 00:00:00"}, "H155"),
    ("rule 4: HS_2015 outside a period", [], {"source": "HS_2015", "consent_date": "2015-05-01 00:00:00"}, "ILT001"),
    ("rule 5: HS_KARAR with ONAY", [], {"source": "HS_KARAR"}, "H408"),
    ("rule 5: HS_KARAR as a first record", [], {"source": "HS_KARAR", "status": "RET"}, "H408"),
    ("rule 5: HS_KARAR stops a consent", [{}], {"source": "HS_KARAR", "status": "RET", "consent_date": FRESHER}, None),
    ("rule 6: consent older than 3 business days", [], {"consent_date": LATE}, "H467"),
    ("rule 8: TACIR first record without source and date", [],
     {"recipient_type": "TACIR", "source": None, "consent_date": None}, None),
    ("rule 8: TACIR update without date", [{"recipient_type": "TACIR"}],
     {"recipient_type": "TACIR", "status": "RET", "consent_date": None}, "H462"),
    ("rule 8: TACIR update without source", [{"recipient_type": "TACIR"}],
     {"recipient_type": "TACIR", "status": "RET", "source": None, "consent_date": FRESHER}, "H463"),
    ("channel MESAJ needs a phone", [], {"recipient": "ali@example.com"}, "H464"),
    ("channel EPOSTA needs an e-mail", [], {"channel": "EPOSTA"}, "H464"),
    ("providers may not send IYS_* sources", [], {"source": "IYS_WEB"}, "ILT002"),
    ("unknown source", [], {"source": "HS_GUVERCIN"}, "H119"),
    ("BIREYSEL without source", [], {"source": None}, "H113"),
    ("BIREYSEL without date", [], {"consent_date": None}, "H112"),
    ("missing status", [], {"status": ""}, "H110"),
    ("invalid status", [], {"status": "BELKI"}, "H115"),
    ("missing channel", [], {"channel": None}, "H111"),
    ("invalid channel", [], {"channel": "FAKS"}, "H117"),
    ("missing recipient type", [], {"recipient_type": ""}, "H170"),
    ("invalid recipient type", [], {"recipient_type": "KURUMSAL"}, "H116"),
    ("missing recipient", [], {"recipient": " "}, "H114"),
    ("not a date", [], {"consent_date": "24/11/2026"}, "H158"),
    ("impossible date", [], {"consent_date": "2026-02-30 10:00:00"}, "H157"),
    ("retailer of another brand", [], {"retailer_code": 99999999}, "H180"),
]


@pytest.mark.django_db
@pytest.mark.parametrize(("case", "prior", "movement", "code"), CASES, ids=[c[0] for c in CASES])
def test_rule_table(record, case, prior, movement, code):
    for earlier in prior:
        record(**earlier)
    events_before = ConsentEvent.objects.count()
    consents_before = list(Consent.objects.values_list("status", "consent_date"))
    if code is None:
        result = record(**movement)
        assert result.event is not None
        assert ConsentEvent.objects.count() == events_before + 1
        return
    with pytest.raises(ConsentRuleError) as caught:
        record(**movement)
    assert caught.value.code == code, case
    assert caught.value.message_tr and caught.value.message_en
    # A refused movement leaves nothing half-changed.
    assert ConsentEvent.objects.count() == events_before
    assert list(Consent.objects.values_list("status", "consent_date")) == consents_before


@pytest.mark.django_db
def test_error_message_names_the_stored_date(record):
    record(consent_date=FRESHER)
    with pytest.raises(ConsentRuleError) as caught:
        record(status="RET", consent_date=FRESH)
    assert "2026-11-25 10:00:00" in caught.value.message_en
    assert caught.value.as_iys()["code"] == "H178"


@pytest.mark.django_db
def test_rule_4_and_7_declarations_inside_an_open_period(record, open_period):
    declared = record(source="HS_2015", consent_date="2015-05-01 00:00:00").consent
    assert declared.declaration_period == open_period
    assert declared.review_until == dt.datetime(2027, 1, 15, 23, 59, 59, tzinfo=ISTANBUL)
    assert declared.under_review
    older = record(recipient="0533 111 22 33", consent_date="2019-03-01 10:00:00").consent
    assert older.declaration_period == open_period and older.finalized_at is None
    fresh = record(recipient="0533 111 22 44").consent
    assert fresh.declaration_period is None and fresh.review_until is None


@pytest.mark.django_db
def test_declaration_after_the_deadline_explains_why(record, provider):
    factories.DeclarationPeriodFactory(
        tier=provider.tier, opens_on=dt.date(2026, 9, 1), declare_until=dt.date(2026, 10, 31),
        visible_from=dt.date(2026, 11, 1), review_until=dt.date(2026, 12, 15),
    )
    with pytest.raises(ConsentRuleError) as caught:
        record(source="HS_2015", consent_date="2015-05-01 00:00:00")
    assert caught.value.code == "ILT001"
    assert "2026-10-31" in caught.value.message_en and "again from the recipient" in caught.value.message_en


@pytest.mark.django_db
def test_period_of_the_other_tier_does_not_open_declarations(record, provider):
    factories.DeclarationPeriodFactory(
        tier="LARGE" if provider.tier == "SMALL" else "SMALL",
        opens_on=dt.date(2026, 11, 1), declare_until=dt.date(2026, 11, 30),
        visible_from=dt.date(2026, 12, 1), review_until=dt.date(2027, 1, 15),
    )
    with pytest.raises(ConsentRuleError) as caught:
        record(consent_date=LATE)
    assert caught.value.code == "H467"


@pytest.mark.django_db
def test_rule_6_late_rejection_is_stored_and_flagged(record):
    record(consent_date="2026-11-02 10:00:00", now=dt.datetime(2026, 11, 3, 9, 0, tzinfo=ISTANBUL))
    result = record(status="RET", consent_date=LATE)
    assert result.consent.status == Status.RET
    assert result.event.late_report is True


@pytest.mark.django_db
def test_rule_9_citizen_rejection_takes_effect_at_once_and_needs_a_fresher_consent(brand, record):
    record()
    citizen = Actor.citizen(42, "+905321234567")
    result, tacir = consent_reject_by_citizen(
        brand=brand, recipient="0532 123 45 67", channel="MESAJ", source=Source.IYS_WEB, actor=citizen, via=Via.WEB
    )
    assert result.consent.status == Status.RET and result.consent.recipient_type == "BIREYSEL"
    # ...and for TACIR too, where the brand had no record (issue 10).
    assert (tacir.consent.recipient_type, tacir.consent.status, tacir.outcome) == ("TACIR", Status.RET, Outcome.CREATE)
    assert result.event.actor_kind == "CITIZEN" and result.event.source == "IYS_WEB"
    # The provider cannot overwrite the citizen's rejection with a consent older than it...
    with pytest.raises(ConsentRuleError) as caught:
        record(consent_date=FRESHER)
    assert caught.value.code == "H178"
    # ...only with a fresh consent given after it, and that movement is in the history the citizen sees.
    later = dt.datetime.now(ISTANBUL) + dt.timedelta(minutes=1)
    fresh = record(consent_date=later, now=later + dt.timedelta(minutes=1))
    assert fresh.consent.status == Status.ONAY
    assert [e.status for e in ConsentEvent.objects.filter(consent=fresh.consent).order_by("id")] == ["ONAY", "RET", "ONAY"]


@pytest.mark.django_db
def test_citizen_rejection_twice_is_harmless(brand, record):
    record()
    citizen = Actor.citizen(42, "+905321234567")
    for _ in range(2):
        results = consent_reject_by_citizen(
            brand=brand, recipient=PHONE, channel="MESAJ", source=Source.IYS_WEB, actor=citizen, via=Via.WEB
        )
    assert [r.outcome for r in results] == [Outcome.UNCHANGED, Outcome.UNCHANGED]
    # One RET per recipient type (issue 10), each written once.
    assert ConsentEvent.objects.filter(status="RET").count() == 2


@pytest.mark.django_db
def test_rule_10_consent_of_one_brand_never_serves_another(record, provider):
    other_brand = factories.BrandFactory(provider=provider)
    record()
    assert not Consent.objects.filter(brand=other_brand).exists()
    # The other brand's first record is a first record again (H175 for RET).
    with pytest.raises(ConsentRuleError) as caught:
        record(brand=other_brand, status="RET", consent_date=FRESHER)
    assert caught.value.code == "H175"


@pytest.mark.django_db
def test_every_movement_writes_one_history_row_naming_the_actor(record, owner):
    first = record()
    second = record(status="RET", consent_date=FRESHER)
    rows = list(ConsentEvent.objects.order_by("id"))
    assert [(r.action, r.previous_status, r.status) for r in rows] == [("CREATE", None, "ONAY"), ("CHANGE", "ONAY", "RET")]
    assert all(r.actor_user == owner and r.via == "WEB" for r in rows)
    assert {first.event.transaction_id, second.event.transaction_id} == {r.transaction_id for r in rows}
    assert second.consent.transaction_id == second.event.transaction_id
