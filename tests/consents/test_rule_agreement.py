"""One source of truth: the single-consent service and the bulk upload decide every case alike.

Each case is fed twice with the same raw values and the same stored state: to `consent_record` after
people's readers (consents.people: the form's path; the API's is the same service without them) on one brand, and as a CSV row through the upload engine (PostgreSQL
set-based path) on a twin brand of the same provider. Outcomes (create / change / unchanged / the
refusal code) and the resulting rows must be identical — with the declaration period open and closed.
"""
from __future__ import annotations

import csv
import datetime as dt
import io
from dataclasses import dataclass, field

import pytest
from django.db import connection
from django.utils import timezone

from consents import people
from consents.actors import Actor
from consents.errors import ConsentRuleError
from consents.models import Consent, ConsentEvent, UploadRefusal, Via
from consents.selectors import can_send
from consents.services import consent_reject_by_citizen
from consents.uploads.engine import build_context, default_applier
from consents.uploads.pg_apply import PostgresApplier
from consents.uploads.services import upload_process
from consents.uploads.sqlite_apply import SqliteApplier
from tests import factories

from .uploads.helpers import make_upload

# Also run on the embedded default's SQLite by scripts/test (marker `sqlite`).
pytestmark = [pytest.mark.django_db(transaction=True), pytest.mark.sqlite]

HEADER = ["recipient", "recipientType", "type", "status", "consentDate", "source", "retailerCode"]


# One clock for the whole table: both sides must see exactly the same date texts.
BASE: dict[str, dt.datetime] = {}


def ago(hours: float) -> str:
    return (BASE["now"] - dt.timedelta(hours=hours)).strftime("%Y-%m-%d %H:%M:%S")


def days_ago(days: int) -> str:
    return (BASE["now"] - dt.timedelta(days=days)).strftime("%Y-%m-%d %H:%M:%S")


@dataclass
class Case:
    name: str
    row: dict[str, str | None]
    stored: list[dict[str, str | None]] = field(default_factory=list)  # movements recorded first


def r(recipient="{phone}", rtype="BIREYSEL", channel="MESAJ", status="ONAY", date="2h", source="HS_WEB",
      retailer=None) -> dict[str, str | None]:
    return {"recipient": recipient, "rtype": rtype, "channel": channel, "status": status, "date": date,
            "source": source, "retailer": retailer}


def citizen_ret(hours: int = 5, recipient: str = "{phone}", channel: str = "MESAJ") -> dict[str, str | None]:
    """A citizen's own rejection `hours` ago (rule 9): stored as RET for every recipient type."""
    return {"citizen": "yes", "recipient": recipient, "channel": channel, "hours": str(hours)}


CASES = [
    Case("new consent", r()),
    Case("new e-mail, upper case", r("{Email}", channel="EPOSTA")),
    Case("first record RET", r(status="RET")),
    Case("HS_KARAR first record", r(status="RET", source="HS_KARAR")),
    Case("HS_KARAR ONAY", r(source="HS_KARAR")),
    Case("same status again", r(), [r(date="20h")]),
    Case("rejection later", r(status="RET"), [r(date="20h")]),
    Case("rejection older than stored", r(status="RET", date="22h"), [r(date="20h")]),
    Case("rejection same date as stored", r(status="RET", date="20h"), [r(date="20h")]),
    Case("consent again after rejection", r(), [r(date="20h"), r(status="RET", date="10h")]),
    Case("provider decision to stop", r(status="RET", source="HS_KARAR"), [r(date="20h")]),
    Case("TACIR first record without source and date", r(rtype="TACIR", date=None, source=None)),
    Case("TACIR update without date", r(rtype="TACIR", status="RET", date=None), [r(rtype="TACIR", date="20h")]),
    Case("TACIR update without source", r(rtype="TACIR", status="RET", source=None), [r(rtype="TACIR", date="20h")]),
    Case("TACIR same status without date", r(rtype="TACIR", date=None), [r(rtype="TACIR", date="20h")]),
    Case("TACIR same status without source", r(rtype="TACIR", source=None), [r(rtype="TACIR", date="20h")]),
    Case("TACIR row without date or source uploaded again",
         r(rtype="TACIR", date=None, source=None), [r(rtype="TACIR", date=None, source=None)]),
    Case("TACIR rejection", r(rtype="TACIR", status="RET"), [r(rtype="TACIR", date="20h")]),
    Case("TACIR and BIREYSEL are separate keys", r(rtype="TACIR"), [r(date="20h")]),
    Case("short phone", r("0532 12")),
    Case("too many digits", r("+90 532 123 45 67 89 01 23")),
    Case("letters", r("telefon yok")),
    Case("missing recipient", r("")),
    Case("e-mail on MESAJ", r("{email}")),
    Case("phone on EPOSTA", r(channel="EPOSTA")),
    Case("Turkish letter in e-mail", r("şule@example.com", channel="EPOSTA")),
    Case("special character before @", r("ali!veli{n3}@example.com", channel="EPOSTA")),
    Case("plus before @", r("ali+{n3}@example.com", channel="EPOSTA")),
    Case("one-letter domain label", r("kisi{n3}@e.com", channel="EPOSTA")),
    Case("mobile prefix not in the numbering plan", r("+90500{n3}{n2}{n2b}")),
    Case("landline area code not in the numbering plan", r("+90200{n3}{n2}{n2b}")),
    Case("future date", r(date="-30h")),
    Case("before 2015-05-01", r(date="2014-12-31 10:00:00")),
    Case("registry source", r(source="IYS_WEB")),
    Case("unknown source", r(source="HS_FAKS")),
    Case("unknown status", r(status="BEKLE")),
    Case("missing status", r(status="")),
    Case("missing channel", r(channel="")),
    Case("unknown channel", r(channel="FAKS")),
    Case("missing recipient type", r(rtype="")),
    Case("unknown recipient type", r(rtype="KURUM")),
    Case("date in a shape nobody reads", r(date="31-12-2024 10:00")),
    Case("Turkish date and time", r(date="tr2h")),
    Case("Turkish date, no time, old", r(date="31.12.2024")),
    Case("Turkish spellings", r(rtype="BİREYSEL", channel="SMS", status="Onay", source="Web sitesi")),
    Case("Turkish spellings, a change", r(rtype="Tacir", channel="Sesli arama", status="ret", source="Çağrı merkezi",
                                          date="tr1h"), [r(rtype="TACIR", channel="ARAMA", date="20h")]),
    Case("e-mail words", r("{email}", channel="E-posta", source="e-posta")),
    Case("the export's quote before a phone", r("'{e164}")),
    Case("impossible Turkish date", r(date="30.02.2026 10:00")),
    Case("unknown word in Turkish casing", r(rtype="KURUMSAL")),
    Case("impossible date", r(date="2024-02-30 10:00:00")),
    Case("missing date", r(date=None)),
    Case("missing source", r(source=None)),
    Case("older than three business days", r(date="10d")),
    Case("late rejection", r(status="RET", date="5d"), [r(date="10d")]),
    Case("HS_2015 with its date", r(date="2015-05-01 00:00:00", source="HS_2015")),
    Case("HS_2015 with another date", r(date="2016-05-01 00:00:00", source="HS_2015")),
    Case("known retailer", r(retailer="{retailer}")),
    Case("unknown retailer", r(retailer="99999999")),
    Case("retailer code not a number", r(retailer="abc")),
    Case("lower case and spaces", r(" 0532 000 00 00 ".replace("000 00 00", "{n}"), rtype=" bireysel ", channel="mesaj ",
                                    status=" onay")),
    Case("shapes of one number", r("+90 (532) {n3} {n2} {n2b}")),
    # A citizen's rejection holds for every recipient type (issue 10): a business writing as TACIR
    # meets the stored TACIR RET, and only a fresh consent dated after the rejection lifts it.
    Case("citizen RET, no record: TACIR first record without date and source",
         r(rtype="TACIR", date=None, source=None), [citizen_ret()]),
    Case("citizen RET, no record: TACIR ONAY without source", r(rtype="TACIR", source=None), [citizen_ret()]),
    Case("citizen RET, no record: TACIR ONAY dated before it", r(rtype="TACIR", date="10h"), [citizen_ret()]),
    Case("citizen RET, no record: TACIR ONAY same date as it", r(rtype="TACIR", date="5h"), [citizen_ret()]),
    Case("citizen RET, no record: TACIR fresh consent after it", r(rtype="TACIR", date="2h"), [citizen_ret()]),
    Case("citizen RET, no record: TACIR RET again", r(rtype="TACIR", status="RET"), [citizen_ret()]),
    Case("citizen RET, no record: BIREYSEL ONAY dated before it", r(date="10h"), [citizen_ret()]),
    Case("citizen RET of a TACIR record: BIREYSEL ONAY dated before it", r(date="10h"),
         [r(rtype="TACIR", date="20h"), citizen_ret()]),
    Case("citizen RET of a TACIR record: TACIR re-declared without date", r(rtype="TACIR", date=None),
         [r(rtype="TACIR", date="20h"), citizen_ret()]),
    Case("citizen RET of a TACIR record: TACIR re-declared with its old date", r(rtype="TACIR", date="20h"),
         [r(rtype="TACIR", date="20h"), citizen_ret()]),
    Case("citizen RET of an e-mail: TACIR ONAY without date", r("{email}", rtype="TACIR", channel="EPOSTA", date=None),
         [citizen_ret(recipient="{email}", channel="EPOSTA")]),
]


def _value(template: str | None, index: int, retailer_code: int) -> str | None:
    if template is None:
        return None
    n = f"{index:07d}"
    return template.format(
        phone=f"0532{n}", e164=f"+90532{n}", email=f"kisi{index}@example.com", Email=f"Kisi{index}@Example.com",
        retailer=retailer_code, n=f"{n[:3]} {n[3:5]} {n[5:]}", n3=n[:3], n2=n[3:5], n2b=n[5:],
    )


def _date(spec: str | None) -> str | None:
    if spec is None:
        return None
    if spec.startswith("tr") and spec.endswith("h"):  # dd.mm.yyyy hh:mm, as Turkish Excel writes it
        return (BASE["now"] - dt.timedelta(hours=int(spec[2:-1]))).strftime("%d.%m.%Y %H:%M")
    if spec.endswith("h") and spec[:-1].lstrip("-").isdigit():
        return ago(int(spec[:-1]))
    if spec.endswith("d") and spec[:-1].isdigit():
        return days_ago(int(spec[:-1]))
    return spec


def _materialise(row: dict, index: int, retailer_code: int) -> dict[str, str | None]:
    return {
        "recipient": _value(row["recipient"], index, retailer_code),
        "recipient_type": row["rtype"],
        "channel": row["channel"],
        "status": row["status"],
        "consent_date": _date(row["date"]),
        "source": row["source"],
        "retailer_code": _value(row["retailer"], index, retailer_code),
    }


def _read(values: dict) -> dict:
    """What the form hands the service: the same people's readers the upload uses."""
    return {
        **values,
        "recipient": people.read_text(values["recipient"]),
        "recipient_type": people.RECIPIENT_TYPES(values["recipient_type"]),
        "channel": people.CHANNELS(values["channel"]),
        "status": people.STATUSES(values["status"]),
        "source": people.SOURCES(values["source"]),
        "retailer_code": people.read_text(values["retailer_code"]),
    }


def _service(brand, actor, values: dict) -> str:
    try:
        values = _read(values)
        values["consent_date"] = people.read_date(values["consent_date"])
        result = factories_record(brand, actor, values)
    except ConsentRuleError as error:
        return error.code
    return result.outcome.value


def factories_record(brand, actor, values: dict):
    from consents.services import consent_record

    return consent_record(brand=brand, actor=actor, via=Via.WEB, allow_unchanged=True, **values)


def _state(brand, values: dict) -> tuple | None:
    from consents.recipients import try_normalize

    values = _read(values)
    recipient = try_normalize(values["recipient"])
    rtype = (values["recipient_type"] or "").strip().upper()
    channel = (values["channel"] or "").strip().upper()
    consent = Consent.objects.filter(brand=brand, recipient=recipient, recipient_type=rtype, channel=channel).first()
    if consent is None:
        return None
    event = consent.events.order_by("-id").first()
    return (
        consent.status, consent.source, consent.consent_date, getattr(consent.retailer, "code", None),
        consent.declaration_period_id, consent.review_until, consent.finalized_at,
        event.action, event.previous_status, event.status, event.late_report, event.review_until,
        getattr(event.retailer, "code", None), consent.events.count(),
    )


@pytest.mark.parametrize("period_open", [True, False], ids=["period-open", "period-closed"])
def test_service_and_bulk_upload_agree_on_every_case(period_open: bool):
    BASE["now"] = timezone.localtime()
    provider = factories.ProviderFactory()
    if period_open:
        factories.DeclarationPeriodFactory(tier=provider.tier)
    single = factories.BrandFactory(provider=provider, is_master=True)
    bulk = factories.BrandFactory(provider=provider)
    user = factories.MembershipFactory(provider=provider).user
    actor = Actor.provider_user(user)
    # The same dealer code on both brands, so "known retailer" means the same on each side.
    code = 30_000_001
    factories.RetailerFactory(brand=single, code=code)
    factories.RetailerFactory(brand=bulk, code=code + 1)

    materialised = []
    citizen = Actor.citizen(None, "vatandaş")
    for index, case in enumerate(CASES):
        for earlier in case.stored:  # identical stored state on both brands (errors alike too)
            for brand, retailer_code in ((single, code), (bulk, code + 1)):
                if earlier.get("citizen"):
                    consent_reject_by_citizen(
                        brand=brand, recipient=_value(earlier["recipient"], index, retailer_code),
                        channel=earlier["channel"], source="IYS_WEB", actor=citizen, via=Via.WEB,
                        now=BASE["now"] - dt.timedelta(hours=int(earlier["hours"])),
                    )
                    continue
                try:
                    factories_record(brand, actor, _materialise(earlier, index, retailer_code))
                except ConsentRuleError:
                    pass
        materialised.append((
            _materialise(case.row, index, code), _materialise(case.row, index, code + 1),
        ))

    expected = [_service(single, actor, values) for values, _ in materialised]

    out = io.StringIO()
    writer = csv.writer(out)
    writer.writerow(HEADER)
    for _, values in materialised:
        writer.writerow([
            values["recipient"] or "", values["recipient_type"] or "", values["channel"] or "", values["status"] or "",
            values["consent_date"] or "", values["source"] or "", values["retailer_code"] or "",
        ])
    upload = make_upload(brand=bulk, user=user, content=out.getvalue())
    done = upload_process(upload_id=upload.pk)
    assert done.state == "DONE", done.error_message
    # The set-based path of the database at hand is the one compared (run with --ds=config.settings.test_sqlite).
    expected_path = {"postgresql": PostgresApplier, "sqlite": SqliteApplier}[connection.vendor]
    assert isinstance(default_applier(build_context(done)), expected_path)

    codes = dict(UploadRefusal.objects.filter(upload=done).values_list("line", "code"))
    actual = []
    for index, (_, values) in enumerate(materialised):
        line = index + 2
        if line in codes:
            actual.append(codes[line])
            continue
        from consents.recipients import try_normalize

        read = _read(values)
        event = (
            ConsentEvent.objects.filter(
                brand=bulk, recipient=try_normalize(read["recipient"]), via=Via.UPLOAD,
                recipient_type=read["recipient_type"].strip().upper(), channel=read["channel"].strip().upper(),
            ).order_by("-id").first()
        )
        actual.append("unchanged" if event is None else {"CREATE": "create", "CHANGE": "change"}[event.action])

    table = [(case.name, e, a) for case, e, a in zip(CASES, expected, actual)]
    assert [t for t in table if t[1] != t[2]] == []
    # The table covers every kind of outcome, so agreement is not agreement on nothing.
    assert {"create", "change", "unchanged", "H175", "H178", "H408", "H462", "H463"} <= set(expected)
    by_name = {case.name: outcome for case, outcome in zip(CASES, expected)}
    # People's habits are read alike on both paths, not refused alike.
    assert [by_name[n] for n in ("Turkish date and time", "Turkish spellings", "Turkish spellings, a change",
                                 "e-mail words", "the export's quote before a phone")] == [
        "create", "create", "change", "create", "create"]
    assert (by_name["impossible Turkish date"], by_name["unknown word in Turkish casing"]) == ("H157", "H116")
    assert by_name["Turkish date, no time, old"] == ("H467" if not period_open else "create")
    assert ("H467" in expected) is not period_open
    assert ("ILT001" in expected) is not period_open

    for case, (single_values, bulk_values), outcome in zip(CASES, materialised, expected):
        state_single = _state(single, single_values) if single_values["recipient"] else None
        state_bulk = _state(bulk, bulk_values) if bulk_values["recipient"] else None
        if state_single is not None:
            # Same status, source, declaration and review fields, history; dealer codes differ by one.
            assert state_bulk is not None, case.name
            same = [0, 1, 4, 5, 6, 7, 8, 9, 10, 11, 13]
            if single_values["consent_date"]:
                same.append(2)  # without a date both take "now", a moment apart
            assert [state_single[i] for i in same] == [state_bulk[i] for i in same], case.name
            assert (state_single[3] is None) == (state_bulk[3] is None), case.name
            assert (state_single[12] is None) == (state_bulk[12] is None), case.name
        else:
            assert state_bulk is None, case.name
    # After a citizen's rejection only the fresh consent dated after it lets the brand send as TACIR.
    for case, (single_values, bulk_values), outcome in zip(CASES, materialised, expected):
        if not case.name.startswith("citizen RET") or single_values["recipient_type"] != "TACIR":
            continue
        for brand, values in ((single, single_values), (bulk, bulk_values)):
            answer = can_send(brand=brand, recipient=values["recipient"], recipient_type="TACIR",
                              channel=values["channel"])
            assert answer.allowed is (outcome == "change" and case.name.endswith("fresh consent after it")), (
                case.name, brand)
    assert done.inserted == expected.count("create")
    assert done.updated == expected.count("change")
    assert done.unchanged == expected.count("unchanged")
