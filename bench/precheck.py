"""Campaign pre-check throughput next to the bare may-I-send SQL it runs, in the same process.

Rerun (PostgreSQL on 127.0.0.1; the benchmark's own database is dropped, created and migrated each run):

    .venv/bin/python bench/precheck.py [--consents 200000] [--rows 500000]

It stores `--consents` consents of one brand (COPY-speed bulk insert, no history needed), builds a list of
`--rows` recipients (half with a record, a tenth typed with spaces or a leading 0, 1% not phone numbers), then
1. times can_send_many over the already-normalised list in chunks of 1,000 (the same SQL the pre-check runs):
   the baseline,
2. times the pre-check job end to end as the worker runs it (consents.portal.precheck.precheck_run: read the
   stored CSV, normalise, ask, write the result ZIP with both files and the summary, store it, with its
   progress writes),
and prints the ratio. Last line:

    RESULT precheck_rows_per_s=<n> sql_rows_per_s=<m> precheck_vs_sql=<x>
"""
from __future__ import annotations

import argparse
import os
import random
import subprocess
import sys
import tempfile
import time
from pathlib import Path
from urllib.parse import urlparse

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
DB_URL = os.environ.get("BENCH_DATABASE_URL", "postgres://postgres@127.0.0.1:5432/ileti_bench")
os.environ["DATABASE_URL"] = DB_URL
os.environ.setdefault("DJANGO_SETTINGS_MODULE", "config.settings.dev")
os.environ.setdefault("LOG_LEVEL", "WARNING")
os.environ["REDIS_URL"] = ""
# The job stores the list and its result ZIP: in a directory of its own, removed at exit.
os.environ.setdefault("MEDIA_ROOT", tempfile.mkdtemp(prefix="ileti-bench-precheck-"))


def recreate_database() -> None:
    url = urlparse(DB_URL)
    common = ["-h", url.hostname or "127.0.0.1", "-p", str(url.port or 5432), "-U", url.username or "postgres"]
    name = url.path.lstrip("/")
    subprocess.run(["dropdb", *common, "--if-exists", name], check=True)
    subprocess.run(["createdb", *common, name], check=True)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--consents", type=int, default=200_000)
    parser.add_argument("--rows", type=int, default=500_000)
    args = parser.parse_args()
    recreate_database()
    import django

    django.setup()
    from django.core.management import call_command
    from django.utils import timezone

    call_command("migrate", verbosity=0)
    from django.core.files.uploadedfile import SimpleUploadedFile

    from consents.models import Consent
    from consents.portal.precheck import precheck_create, precheck_run
    from consents.selectors import can_send_many
    from tests.factories import BrandFactory, MembershipFactory, ProviderFactory

    provider = ProviderFactory()
    brand = BrandFactory(provider=provider, is_master=True)
    user = MembershipFactory(provider=provider).user
    now = timezone.now()
    rng = random.Random(7)
    started = time.perf_counter()
    batch = []
    for n in range(args.consents):
        batch.append(Consent(
            brand=brand, recipient=f"+90532{n:07d}", recipient_type="BIREYSEL", channel="MESAJ",
            status="ONAY" if rng.random() < 0.8 else "RET", source="HS_WEB", consent_date=now, created_at=now,
            updated_at=now, transaction_id=f"bench{n}",
        ))
        if len(batch) == 10_000:
            Consent.objects.bulk_create(batch)
            batch = []
    Consent.objects.bulk_create(batch)
    from django.db import connection

    with connection.cursor() as cursor:
        cursor.execute("ANALYZE consents_consent")  # as autovacuum would soon: plans use the key index
    print(f"stored {args.consents:,} consents in {time.perf_counter() - started:.1f}s")

    numbers = [rng.randrange(0, args.consents * 2) for _ in range(args.rows)]
    normalised = [f"+90532{n:07d}" for n in numbers]
    lines = []
    for n in numbers:
        shape = rng.random()
        if shape < 0.01:
            lines.append("bilinmiyor")
        elif shape < 0.1:
            lines.append(f"0532 {n // 10000:03d} {n % 10000 // 100:02d} {n % 100:02d}")
        else:
            lines.append(f"+90532{n:07d}")
    content = ("alıcı\n" + "\n".join(lines) + "\n").encode()

    started = time.perf_counter()
    for i in range(0, len(normalised), 1000):
        can_send_many(brand=brand, recipients=set(normalised[i:i + 1000]), recipient_type="BIREYSEL",
                      channel="MESAJ", normalised=True)
    sql_s = time.perf_counter() - started
    sql_rate = args.rows / sql_s
    print(f"the same SQL alone (can_send_many, 1,000 at a time): {args.rows:,} rows in {sql_s:.2f}s = {sql_rate:,.0f} rows/s")

    audit = precheck_create(provider=provider, brand=brand, channel="MESAJ", recipient_type="BIREYSEL", user=user,
                            file=SimpleUploadedFile("bench.csv", content), language="tr")
    started = time.perf_counter()
    precheck_run(check_id=audit.pk)
    pre_s = time.perf_counter() - started
    pre_rate = args.rows / pre_s
    audit.refresh_from_db()
    print(f"pre-check end to end: {args.rows:,} rows in {pre_s:.2f}s = {pre_rate:,.0f} rows/s "
          f"(allowed {audit.allowed:,}, refused {audit.refused:,}, invalid {audit.invalid:,}; "
          f"ZIP {audit.result_size / 1e6:.1f} MB)")
    audit.result.delete()
    print(f"RESULT precheck_rows_per_s={pre_rate:.0f} sql_rows_per_s={sql_rate:.0f} precheck_vs_sql={pre_rate / sql_rate:.2f}")


if __name__ == "__main__":
    main()
