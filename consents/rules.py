"""The rules of SPEC §3 as pure functions: one source of truth for the form, the API and uploads.

`check_movement` validates one incoming movement on its own (formats, dates, sources, the three
business days, declaration periods). `check_transition` decides what it does to the stored row.
The bulk upload applies `check_movement` per row in Python and mirrors `check_transition` in SQL;
tests/consents/test_rule_agreement.py keeps the two in step.
"""
from __future__ import annotations

import datetime as dt
import re
from dataclasses import dataclass
from enum import Enum
from typing import Any
from zoneinfo import ZoneInfo

from django.utils import timezone

from providers.models import Channel

from .business_days import within_registration_window
from .errors import ConsentRuleError, h464, raise_all
from .models import PROVIDER_SOURCES, REGISTRY_SOURCES, RecipientType, Source, Status
from .recipients import EMAIL, normalize_recipient

ISTANBUL = ZoneInfo("Europe/Istanbul")
EARLIEST_CONSENT_DATE = dt.datetime(2015, 5, 1, tzinfo=ISTANBUL)
HS_2015_DATE = EARLIEST_CONSENT_DATE
DATE_FORMATS = ("%Y-%m-%d %H:%M:%S", "%Y-%m-%dT%H:%M:%S", "%Y-%m-%d %H:%M", "%Y-%m-%d")
# Computed once: `TextChoices.values` rebuilds its list on every access, too slow per row of an upload.
_RECIPIENT_TYPES = frozenset(RecipientType.values)
_CHANNELS = frozenset(Channel.values)
_STATUSES = frozenset(Status.values)


class Origin(str, Enum):
    PROVIDER = "provider"  # a provider, its dealer, or an operator acting for it
    CITIZEN = "citizen"  # the recipient, through the registry's own channels


@dataclass(frozen=True, slots=True)
class PeriodInfo:
    """What the rules need to know of the provider's declaration period."""

    id: int
    review_until: dt.datetime


@dataclass(frozen=True, slots=True)
class Movement:
    """A validated movement, normalised, ready to be applied to the stored row."""

    recipient: str
    recipient_type: str
    channel: str
    status: str
    source: str | None
    consent_date: dt.datetime | None
    declaration_period_id: int | None = None
    review_until: dt.datetime | None = None
    late_report: bool = False

    @property
    def key(self) -> tuple[str, str, str]:
        return (self.recipient, self.recipient_type, self.channel)


class Outcome(str, Enum):
    CREATE = "create"
    CHANGE = "change"
    UNCHANGED = "unchanged"


@dataclass(frozen=True, slots=True)
class Stored:
    """The part of a stored consent that the transition rules look at."""

    status: str
    consent_date: dt.datetime


# İYS's only accepted shape on the API: 'yyyy-mm-dd hh:mm:ss', Turkish time, nothing more or less.
_IYS_DATE = re.compile(r"\d{4}-\d{2}-\d{2} \d{2}:\d{2}:\d{2}")


def parse_consent_date(value: Any, *, field: str = "consentDate", strict: bool = False) -> dt.datetime | None:
    """Accept a datetime or İYS's 'yyyy-mm-dd hh:mm:ss' text (Europe/Istanbul when no offset).

    People's paths (form, CSV) also take ISO `T`, offsets and date-only text; `strict` (the API) takes
    exactly İYS's format and answers anything else with H158, an impossible date in that shape with H157.
    """
    if value is None or (isinstance(value, str) and not value.strip()):
        return None
    if strict:
        text = value if isinstance(value, str) else str(value)
        if not _IYS_DATE.fullmatch(text):
            raise ConsentRuleError("H158", field=field, value=value)
        try:
            return dt.datetime.strptime(text, DATE_FORMATS[0]).replace(tzinfo=ISTANBUL)
        except ValueError:
            raise ConsentRuleError("H157", field=field, value=value) from None
    if isinstance(value, dt.datetime):
        moment = value
    elif isinstance(value, dt.date):
        moment = dt.datetime.combine(value, dt.time())
    else:
        text = str(value).strip()
        moment = None
        for fmt in DATE_FORMATS:
            try:
                moment = dt.datetime.strptime(text, fmt)
                break
            except ValueError:
                continue
        if moment is None:
            try:
                moment = dt.datetime.fromisoformat(text)
            except ValueError:
                # Looks like a date but is not one (2021-02-30) versus a wrong shape altogether.
                if len(text) >= 10 and text[4] == "-" and text[7] == "-":
                    raise ConsentRuleError("H157", field=field, value=value) from None
                raise ConsentRuleError("H158", field=field, value=value) from None
    if timezone.is_naive(moment):
        moment = moment.replace(tzinfo=ISTANBUL)
    return moment


def _require_choice(value: Any, choices: frozenset[str], *, missing: str, invalid: str, field: str) -> str:
    if value is None or (isinstance(value, str) and not value.strip()):
        raise ConsentRuleError(missing, field=field, value=value)
    text = str(value).strip().upper()
    if text not in choices:
        raise ConsentRuleError(invalid, field=field, value=value)
    return text


def _recipient_errors(err: ConsentRuleError) -> list[ConsentRuleError]:
    # İYS reports an over-long number as too long AND not E.164 (its own example lists H160 + H121).
    if err.code == "H160":
        return [err, ConsentRuleError("H121", field=err.field, value=err.value)]
    return [err]


def check_movement(
    *,
    recipient: Any,
    recipient_type: Any,
    channel: Any,
    status: Any,
    source: Any,
    consent_date: Any,
    origin: Origin,
    now: dt.datetime,
    open_period: PeriodInfo | None,
    period_deadline: dt.date | None = None,
    api_formats: bool = False,
) -> Movement:
    """Validate one movement on its own; raise ConsentRuleError naming the field and the İYS code.

    Every rule the movement breaks is reported, as İYS does (ConsentRuleErrors; its first error is the
    one people see first). Checks that depend on a broken field are skipped. `api_formats`: the API takes
    İYS's exact formats only (consentDate 'yyyy-mm-dd hh:mm:ss', phones in E.164 with their '+').
    """
    errors: list[ConsentRuleError] = []
    try:
        recipient_type = _require_choice(
            recipient_type, _RECIPIENT_TYPES, missing="H170", invalid="H116", field="recipientType"
        )
    except ConsentRuleError as err:
        errors.append(err)
        recipient_type = None
    try:
        channel = _require_choice(channel, _CHANNELS, missing="H111", invalid="H117", field="type")
    except ConsentRuleError as err:
        errors.append(err)
        channel = None
    try:
        status = _require_choice(status, _STATUSES, missing="H110", invalid="H115", field="status")
    except ConsentRuleError as err:
        errors.append(err)
        status = None
    address = None
    try:
        address = normalize_recipient(recipient, e164_only=api_formats)
    except ConsentRuleError as err:
        errors.extend(_recipient_errors(err))
    if address is not None and channel is not None and (channel == Channel.EPOSTA) != (address.kind == EMAIL):
        errors.append(h464(channel, recipient))

    source_text = str(source).strip().upper() if source is not None and str(source).strip() else None
    if origin is Origin.CITIZEN:
        if source_text not in REGISTRY_SOURCES:
            errors.append(ConsentRuleError("ILT004", field="source", value=source))
        raise_all(errors)
        # A citizen's own movement takes effect now (rule 9); no business-day window applies.
        return Movement(address.value, recipient_type, channel, status, source_text, now)

    is_tacir = recipient_type == RecipientType.TACIR
    if source_text is None:
        if recipient_type is not None and not is_tacir:
            errors.append(ConsentRuleError("H113", field="source", value=source))
    elif source_text in REGISTRY_SOURCES:
        errors.append(ConsentRuleError("ILT002", field="source", value=source))
        source_text = None
    elif source_text not in PROVIDER_SOURCES:
        errors.append(ConsentRuleError("H119", field="source", value=source))
        source_text = None

    moment = None
    date_ok = True
    try:
        moment = parse_consent_date(consent_date, strict=api_formats)
    except ConsentRuleError as err:
        errors.append(err)
        date_ok = False
    if date_ok and moment is None and recipient_type is not None and not is_tacir:
        errors.append(ConsentRuleError("H112", field="consentDate", value=consent_date))

    if source_text == Source.HS_KARAR and status is not None and status != Status.RET:
        errors.append(ConsentRuleError("H408", field="status", value=status))

    if moment is not None:
        date_errors: list[ConsentRuleError] = []
        if moment > now:
            date_errors.append(ConsentRuleError("H162", field="consentDate", value=consent_date))
        if moment < EARLIEST_CONSENT_DATE:
            date_errors.append(ConsentRuleError("H156", field="consentDate", value=consent_date))
        if source_text == Source.HS_2015 and moment != HS_2015_DATE:
            date_errors.append(ConsentRuleError("H155", field="consentDate", value=consent_date))
        errors.extend(date_errors)
    raise_all(errors)

    declaration_period_id = None
    review_until = None
    late_report = False
    if source_text == Source.HS_2015:
        if open_period is None:
            raise ConsentRuleError(
                "ILT001", field="source", value=source, deadline=_deadline_text(period_deadline)
            )
        declaration_period_id, review_until = open_period.id, open_period.review_until
    elif moment is not None and not within_registration_window(moment, now):
        if status == Status.RET:
            # Losing a citizen's rejection is worse than a late one: store it, flag it (rule 6).
            late_report = True
        elif open_period is not None:
            declaration_period_id, review_until = open_period.id, open_period.review_until
        else:
            raise ConsentRuleError("H467", field="consentDate", value=consent_date)

    return Movement(
        address.value,
        recipient_type,
        channel,
        status,
        source_text,
        moment,
        declaration_period_id=declaration_period_id,
        review_until=review_until,
        late_report=late_report,
    )


def _deadline_text(deadline: dt.date | None) -> str:
    return deadline.isoformat() if deadline else "—"


def check_transition(stored: Stored | None, movement: Movement, *, origin: Origin) -> Outcome:
    """What the movement does to the stored row; raise ConsentRuleError when a rule refuses it."""
    if stored is None:
        if movement.source == Source.HS_KARAR:
            raise ConsentRuleError("H408", field="source", value=movement.source)
        # A citizen may reject a sender that has no record (a TACIR opt-out, or a brand they add).
        if movement.status == Status.RET and origin is Origin.PROVIDER:
            raise ConsentRuleError("H175", field="status", value=movement.status)
        return Outcome.CREATE
    # The same status again changes nothing, whatever it omits: a re-uploaded TACIR row without date or
    # source is "unchanged", not H462/H463 (those are about updating a TACIR consent).
    if movement.status == stored.status:
        return Outcome.UNCHANGED
    if origin is Origin.PROVIDER and movement.recipient_type == RecipientType.TACIR:
        if movement.consent_date is None:
            raise ConsentRuleError("H462", field="consentDate", value=None)
        if movement.source is None:
            raise ConsentRuleError("H463", field="source", value=None)
    if origin is Origin.PROVIDER and movement.consent_date is not None:
        if movement.consent_date <= stored.consent_date:
            raise ConsentRuleError(
                "H178",
                field="consentDate",
                value=movement.consent_date.strftime("%Y-%m-%d %H:%M:%S"),
                stored=timezone.localtime(stored.consent_date).strftime("%Y-%m-%d %H:%M:%S"),
            )
    return Outcome.CHANGE


class SendReason(str, Enum):
    """Why "may I send?" answers as it does (rule 11); ileti's may-send endpoint names it."""

    ONAY = "ONAY"
    UNDER_REVIEW = "UNDER_REVIEW"  # a declared ONAY the citizen may still reject: may send, and told so
    TACIR_NO_RECORD = "TACIR_NO_RECORD"  # opt-out: may send until the merchant rejects
    CITIZEN_REJECTED = "CITIZEN_REJECTED"  # the citizen's own RET (IYS_* source), for every recipient type
    RET = "RET"  # a rejection the provider recorded
    NO_RECORD = "NO_RECORD"  # an individual without a record: opt-in, no permission


ALLOWED_REASONS = frozenset({SendReason.ONAY, SendReason.UNDER_REVIEW, SendReason.TACIR_NO_RECORD})


def send_reason(*, recipient_type: str, status: str | None, source: str | None, under_review: bool) -> SendReason:
    """Rule 11 on the stored record of the key asked about (None: no record).

    BIREYSEL may be messaged only with ONAY (also while under review); TACIR unless RET. A citizen's
    rejection is stored as RET for every recipient type (rule 9), so it answers "no" for both.
    """
    if status is None:
        return SendReason.TACIR_NO_RECORD if recipient_type == RecipientType.TACIR else SendReason.NO_RECORD
    if status == Status.RET:
        return SendReason.CITIZEN_REJECTED if source in REGISTRY_SOURCES else SendReason.RET
    return SendReason.UNDER_REVIEW if under_review else SendReason.ONAY
