"""History rows are append-only, enforced by PostgreSQL; the FAQ's declaration calendar as seed data."""
import datetime as dt

from django.db import migrations

APPEND_ONLY_SQL = """
CREATE OR REPLACE FUNCTION consents_event_append_only() RETURNS trigger AS $$
BEGIN
    RAISE EXCEPTION 'consent history is append-only: %% refused on consents_consentevent', TG_OP
        USING ERRCODE = 'insufficient_privilege';
END;
$$ LANGUAGE plpgsql;
CREATE TRIGGER consents_event_no_update_delete
    BEFORE UPDATE OR DELETE ON consents_consentevent
    FOR EACH ROW EXECUTE FUNCTION consents_event_append_only();
"""
DROP_SQL = """
DROP TRIGGER IF EXISTS consents_event_no_update_delete ON consents_consentevent;
DROP FUNCTION IF EXISTS consents_event_append_only();
"""
# SQLite (the embedded default) gets the same guarantee with triggers of its own.
SQLITE_SQL = [
    """CREATE TRIGGER IF NOT EXISTS consents_event_no_update BEFORE UPDATE ON consents_consentevent
       BEGIN SELECT RAISE(ABORT, 'consent history is append-only'); END;""",
    """CREATE TRIGGER IF NOT EXISTS consents_event_no_delete BEFORE DELETE ON consents_consentevent
       BEGIN SELECT RAISE(ABORT, 'consent history is append-only'); END;""",
]

FAQ_PERIODS = [
    ("2020 beyan dönemi (150.000 üzeri)", "LARGE", dt.date(2020, 12, 31), dt.date(2021, 1, 1), dt.date(2021, 2, 15)),
    ("2021 beyan dönemi (150.000 ve altı)", "SMALL", dt.date(2021, 5, 31), dt.date(2021, 6, 1), dt.date(2021, 7, 15)),
]


def install_trigger(apps, schema_editor):
    if schema_editor.connection.vendor == "postgresql":
        schema_editor.execute(APPEND_ONLY_SQL)
    elif schema_editor.connection.vendor == "sqlite":
        for statement in SQLITE_SQL:
            schema_editor.execute(statement)


def drop_trigger(apps, schema_editor):
    if schema_editor.connection.vendor == "postgresql":
        schema_editor.execute(DROP_SQL)
    elif schema_editor.connection.vendor == "sqlite":
        schema_editor.execute("DROP TRIGGER IF EXISTS consents_event_no_update")
        schema_editor.execute("DROP TRIGGER IF EXISTS consents_event_no_delete")


def seed_periods(apps, schema_editor):
    DeclarationPeriod = apps.get_model("consents", "DeclarationPeriod")
    for name, tier, declare_until, visible_from, review_until in FAQ_PERIODS:
        DeclarationPeriod.objects.get_or_create(
            tier=tier,
            declare_until=declare_until,
            defaults={"name": name, "visible_from": visible_from, "review_until": review_until},
        )


class Migration(migrations.Migration):
    dependencies = [("consents", "0001_initial")]

    operations = [
        migrations.RunPython(install_trigger, drop_trigger),
        migrations.RunPython(seed_periods, migrations.RunPython.noop),
    ]
