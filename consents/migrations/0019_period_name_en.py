from django.db import migrations, models

# The FAQ's periods (seeded by 0002) get their English names; operators fill in the field for new ones.
FAQ_NAMES_EN = {
    "2020 beyan dönemi (150.000 üzeri)": "2020 declaration period (over 150,000)",
    "2021 beyan dönemi (150.000 ve altı)": "2021 declaration period (150,000 and under)",
}


def name_faq_periods(apps, schema_editor):
    DeclarationPeriod = apps.get_model("consents", "DeclarationPeriod")
    for name, name_en in FAQ_NAMES_EN.items():
        DeclarationPeriod.objects.filter(name=name, name_en="").update(name_en=name_en)


class Migration(migrations.Migration):
    dependencies = [
        ("consents", "0018_campaign_check_labels"),
    ]

    operations = [
        migrations.AddField(
            model_name="declarationperiod",
            name="name_en",
            field=models.CharField(blank=True, max_length=128, verbose_name="İngilizce ad"),
        ),
        migrations.RunPython(name_faq_periods, migrations.RunPython.noop),
    ]
