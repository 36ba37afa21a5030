"""A citizen's own rejection holds for every recipient type (SPEC §3 rule 9, issue 10).

Before this, a citizen's RET was stored only for the recipient types the brand already had (or as
BIREYSEL where it had none), so the brand could go on messaging the address as TACIR. From now on the
service stores a RET for both types; this brings existing data in line, set-based, with one history
row per movement (actor SYSTEM, the citizen's own IYS_* source and rejection date):

- the other type's row is created as RET where the brand has none;
- the other type's ONAY becomes RET where the citizen's rejection supersedes it: it is dated no later
  than the rejection, or it is a TACIR record without a source (the opt-out first record the rules let
  through without date and source, the "back door" issue 10 closes). An ONAY with a source dated after
  the rejection is a fresh consent the rules accept today as well, and stays.

Not reversible: undoing it would silently lift citizens' rejections.
"""
from __future__ import annotations

from django.db import migrations
from django.db.backends.base.schema import BaseDatabaseSchemaEditor
from django.db.migrations.state import StateApps
from django.utils import timezone

# The registry's own sources (consents.models.REGISTRY_SOURCES when this was written): the citizen's.
CITIZEN_SOURCES = (
    "IYS_WEB", "IYS_WEB_YENI", "IYS_MOBIL", "IYS_KISAMESAJ", "IYS_CM", "IYS_EPOSTA", "IYS_FRAME_EPOSTA",
    "IYS_FRAME_SMS", "IYS_AHS_HAT_KAPATMA",
)
_IN = "(" + ", ".join(f"'{s}'" for s in CITIZEN_SOURCES) + ")"
CREATED, CHANGED = "m0012c", "m0012u"  # transaction id prefixes (never hex: real ids are)

_SUPERSEDE = f"""
UPDATE consents_consent AS o SET
    status = 'RET', source = r.source,
    consent_date = CASE WHEN r.consent_date > o.consent_date THEN r.consent_date ELSE o.consent_date END,
    updated_at = %s, transaction_id = '{CHANGED}' || o.id
FROM consents_consent AS r
WHERE o.status = 'ONAY' AND r.brand_id = o.brand_id AND r.recipient = o.recipient AND r.channel = o.channel
    AND r.recipient_type <> o.recipient_type AND r.status = 'RET' AND r.source IN {_IN}
    AND (o.source IS NULL OR o.consent_date <= r.consent_date)
"""

_CREATE = f"""
INSERT INTO consents_consent (
    brand_id, recipient, recipient_type, channel, status, source, consent_date, created_at, updated_at,
    transaction_id, retailer_id, declaration_period_id, review_until, finalized_at)
SELECT r.brand_id, r.recipient, CASE r.recipient_type WHEN 'BIREYSEL' THEN 'TACIR' ELSE 'BIREYSEL' END,
    r.channel, 'RET', r.source, r.consent_date, %s, %s, '{CREATED}' || r.id, NULL, NULL, NULL, NULL
FROM consents_consent AS r
WHERE r.status = 'RET' AND r.source IN {_IN} AND NOT EXISTS (
    SELECT 1 FROM consents_consent AS o
    WHERE o.brand_id = r.brand_id AND o.recipient = r.recipient AND o.channel = r.channel
        AND o.recipient_type <> r.recipient_type)
"""

_HISTORY = f"""
INSERT INTO consents_consentevent (
    consent_id, brand_id, recipient, recipient_type, channel, action, previous_status, status, source,
    consent_date, created_at, transaction_id, retailer_id, actor_kind, actor_user_id, actor_ref, actor_label,
    via, late_report, review_until)
SELECT id, brand_id, recipient, recipient_type, channel,
    CASE WHEN transaction_id LIKE '{CREATED}%%' THEN 'CREATE' ELSE 'CHANGE' END,
    CASE WHEN transaction_id LIKE '{CREATED}%%' THEN NULL ELSE 'ONAY' END,
    'RET', source, consent_date, %s, transaction_id, NULL, 'SYSTEM', NULL, %s, %s, 'SYSTEM', %s, NULL
FROM consents_consent
WHERE (transaction_id LIKE '{CREATED}%%' OR transaction_id LIKE '{CHANGED}%%')
    AND NOT EXISTS (SELECT 1 FROM consents_consentevent e WHERE e.transaction_id = consents_consent.transaction_id)
"""


def citizen_rejections_for_every_type(apps: StateApps | None, schema_editor: BaseDatabaseSchemaEditor) -> None:
    now = timezone.now()
    with schema_editor.connection.cursor() as cursor:
        cursor.execute(_SUPERSEDE, [now])
        cursor.execute(_CREATE, [now, now])
        cursor.execute(
            _HISTORY,
            [now, "migration consents.0012", "Kayıt geçişi: vatandaş reddi her alıcı tipi için", False],
        )


class Migration(migrations.Migration):

    dependencies = [
        ("consents", "0011_via_call"),
    ]

    operations = [
        migrations.RunPython(citizen_rejections_for_every_type, migrations.RunPython.noop, elidable=True),
    ]
