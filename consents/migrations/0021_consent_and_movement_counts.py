"""Running totals for the dashboard (consents.models.counts), filled from the rows already stored."""
from django.db import migrations, models
import django.db.models.deletion


def fill(apps, schema_editor):
    # The recount's statements as of this migration (consents.counts.recount_sql would follow later changes).
    connection = schema_editor.connection
    if connection.vendor == "postgresql":
        day = "(created_at AT TIME ZONE 'Europe/Istanbul')::date"
    else:
        day = "date(created_at, '+3 hours')"
    period = (
        "CASE WHEN status = 'ONAY' AND review_until IS NOT NULL AND finalized_at IS NULL "
        "THEN COALESCE(declaration_period_id, -1) ELSE 0 END"
    )
    with connection.cursor() as cursor:
        cursor.execute(
            "INSERT INTO consents_consentcount (brand_id, channel, recipient_type, status, review_period, slot, n) "
            f"SELECT brand_id, channel, recipient_type, status, {period}, 0, count(*) FROM consents_consent "
            f"GROUP BY brand_id, channel, recipient_type, status, {period}"
        )
        cursor.execute(
            "INSERT INTO consents_movementcount (brand_id, day, status, by_citizen, slot, n) "
            f"SELECT brand_id, {day}, status, actor_kind = 'CITIZEN', 0, count(*) FROM consents_consentevent "
            f"WHERE action <> 'FINALIZE' GROUP BY brand_id, {day}, status, actor_kind = 'CITIZEN'"
        )


class Migration(migrations.Migration):

    dependencies = [
        ("consents", "0020_campaign_check_job"),
        ("providers", "0001_initial"),
    ]

    operations = [
        migrations.CreateModel(
            name="ConsentCount",
            fields=[
                ("id", models.BigAutoField(auto_created=True, primary_key=True, serialize=False, verbose_name="ID")),
                ("channel", models.CharField(max_length=6, verbose_name="kanal")),
                ("recipient_type", models.CharField(max_length=8, verbose_name="alıcı tipi")),
                ("status", models.CharField(max_length=4, verbose_name="durum")),
                ("review_period", models.IntegerField(default=0, verbose_name="İnceleme dönemi")),
                ("slot", models.IntegerField(default=0, verbose_name="oturum")),
                ("n", models.BigIntegerField(default=0, verbose_name="sayı")),
                (
                    "brand",
                    models.ForeignKey(
                        db_index=False, on_delete=django.db.models.deletion.CASCADE, related_name="+",
                        to="providers.brand", verbose_name="marka",
                    ),
                ),
            ],
            options={
                "verbose_name": "İzin sayacı",
                "verbose_name_plural": "İzin sayaçları",
                "constraints": [
                    models.UniqueConstraint(
                        fields=("brand", "channel", "recipient_type", "status", "review_period", "slot"),
                        name="consentcount_one_per_key",
                    )
                ],
            },
        ),
        migrations.CreateModel(
            name="MovementCount",
            fields=[
                ("id", models.BigAutoField(auto_created=True, primary_key=True, serialize=False, verbose_name="ID")),
                ("day", models.DateField(verbose_name="gün")),
                ("status", models.CharField(max_length=4, verbose_name="durum")),
                ("by_citizen", models.BooleanField(default=False, verbose_name="vatandaş")),
                ("slot", models.IntegerField(default=0, verbose_name="oturum")),
                ("n", models.BigIntegerField(default=0, verbose_name="sayı")),
                (
                    "brand",
                    models.ForeignKey(
                        db_index=False, on_delete=django.db.models.deletion.CASCADE, related_name="+",
                        to="providers.brand", verbose_name="marka",
                    ),
                ),
            ],
            options={
                "verbose_name": "hareket sayacı",
                "verbose_name_plural": "hareket sayaçları",
                "constraints": [
                    models.UniqueConstraint(
                        fields=("brand", "day", "status", "by_citizen", "slot"), name="movementcount_one_per_key"
                    )
                ],
            },
        ),
        migrations.RunPython(fill, migrations.RunPython.noop),
    ]
