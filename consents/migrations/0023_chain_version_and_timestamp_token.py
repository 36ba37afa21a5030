from django.db import migrations, models


class Migration(migrations.Migration):
    """Chain version: links made so far hash the 21 fields of version 1; new links (version 2) also hash
    overrides_citizen_rejection and evidence_note (consents.ledger.chain). The column is added with 1 for the
    existing rows (no row is updated: PostgreSQL stores the constant default, the append-only trigger is not
    involved), then new rows default to 2. And each built day keeps its RFC 3161 time-stamp token."""

    dependencies = [
        ("consents", "0022_task_outbox"),
    ]

    operations = [
        migrations.AddField(
            model_name="dailyreconciliation",
            name="timestamp_token",
            field=models.BinaryField(blank=True, default=b"", verbose_name="zaman damgası (RFC 3161)"),
        ),
        migrations.AddField(
            model_name="historylink",
            name="version",
            field=models.PositiveSmallIntegerField(default=1, verbose_name="zincir sürümü"),
        ),
        migrations.AlterField(
            model_name="historylink",
            name="version",
            field=models.PositiveSmallIntegerField(default=2, verbose_name="zincir sürümü"),
        ),
    ]
