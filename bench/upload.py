"""Bulk CSV upload, end to end, next to raw COPY and django-import-export in the same run.

Rerun (PostgreSQL on 127.0.0.1; the benchmark's own database is dropped, created and migrated each run):

    .venv/bin/python bench/upload.py [--rows 1000000] [--ie-rows 20000] [--connections 2] [--verbose]

Uses DATABASE_URL=postgres://postgres@127.0.0.1:5432/ileti_bench unless BENCH_DATABASE_URL says
otherwise (equivalently: dropdb/createdb ileti_bench; DATABASE_URL=... manage.py migrate).

In one process it
1. generates a realistic CSV (phones in the shapes people type, e-mails, all channels and HS_* sources,
   ~10% TACIR, ~1% bad rows: broken numbers, unknown channels, future dates, registry sources, first RET),
2. times raw COPY of the same rows (already normalised) into a copy of the consent table
   (CREATE TABLE … (LIKE consents_consent INCLUDING ALL)): the baseline,
3. times our upload end to end through the same engine the Celery task calls
   (consents.uploads.services.upload_process: parse, validate, duplicate check, upsert, history, report),
4. times django-import-export (a ModelResource for Consent keyed by the natural key) on the valid rows of
   the first N rows, next to our upload of the same N-row file (a fresh brand each),
and prints the ratios (every rate counts the same valid rows: COPY is only given those) and the peak RSS
of the process (resource.getrusage). `--verbose` logs each chunk's apply time per connection. The machine must be otherwise idle: PostgreSQL and the parser share
its cores, so anything else running (test suites, other benchmarks) lowers the upload's ratio most.
Last line:

    RESULT upload_rows_per_s=<n> upload_vs_copy=<x> upload_vs_import_export=<y> peak_rss_mb=<z>
           seal_rows_per_s=<s> upload_with_chain_rows_per_s=<w>

(the hash chain: after the upload, the sealer links the upload's history rows into the brand's chain, as the
beat task would; `upload_with_chain_rows_per_s` counts both)

With `--sqlite` it measures the embedded default instead: the same file through the same engine into a
fresh SQLite database (WAL, the settings' options; the set-based SQLite path), default 200,000 rows:

    .venv/bin/python bench/upload.py --sqlite [--rows 200000]

    RESULT sqlite_rows_per_s=<n> peak_rss_mb=<z>
"""
from __future__ import annotations

import argparse
import datetime as dt
import os
import random
import resource
import subprocess
import sys
import tempfile
import time
from pathlib import Path
from urllib.parse import urlparse

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
sys.path.insert(0, str(ROOT / "bench"))

import recipients  # noqa: E402  (bench/recipients.py: the benches' shared recipient numbering)

SQLITE = "--sqlite" in sys.argv
SQLITE_DIR = Path(tempfile.mkdtemp(prefix="ileti-bench-sqlite-")) if SQLITE else None
DB_URL = os.environ.get("BENCH_DATABASE_URL", "postgres://postgres@127.0.0.1:5432/ileti_bench")
if SQLITE:
    DB_URL = f"sqlite:///{SQLITE_DIR / 'bench.sqlite3'}"
os.environ["DATABASE_URL"] = DB_URL
os.environ.setdefault("DJANGO_SETTINGS_MODULE", "config.settings.dev")
os.environ.setdefault("LOG_LEVEL", "WARNING")
os.environ["REDIS_URL"] = ""  # no broker needed: the engine is called directly
MEDIA = Path(tempfile.mkdtemp(prefix="ileti-bench-media-"))
os.environ["MEDIA_ROOT"] = str(MEDIA)
os.environ.setdefault("UPLOAD_MAX_BYTES", str(2 * 1024 * 1024 * 1024))

SOURCES = [
    "HS_FIZIKSEL_ORTAM", "HS_ISLAK_IMZA", "HS_ETKINLIK", "HS_ATM", "HS_EORTAM", "HS_WEB", "HS_MOBIL",
    "HS_MESAJ", "HS_EPOSTA", "HS_CAGRI_MERKEZI", "HS_SOSYAL_MEDYA",
]
DOMAINS = ["example.com", "posta.com.tr", "firma.com.tr", "mail.example.org"]


def peak_rss_mb() -> float:
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024


def recreate_database() -> None:
    """A fresh database each run: earlier runs' millions of rows would slow our inserts, not the baseline's."""
    url = urlparse(DB_URL)
    name = url.path.lstrip("/")
    common = ["-h", url.hostname or "127.0.0.1", "-p", str(url.port or 5432), "-U", url.username or "postgres"]
    subprocess.run(["dropdb", *common, "--if-exists", name], check=True)
    subprocess.run(["createdb", *common, name], check=True)


def phone_shapes(n: int, rng: random.Random) -> tuple[str, str]:
    """A distinct Turkish mobile number n, in one of the shapes people type, and its E.164 form."""
    national = recipients.national(n)  # 530-549, distinct for any n the plan can hold
    e164 = "+90" + national
    a, b, c, d = national[:3], national[3:6], national[6:8], national[8:]
    shape = rng.randrange(6)
    if shape == 0:
        raw = f"0{a} {b} {c} {d}"
    elif shape == 1:
        raw = f"{a}-{b}-{c}{d}"
    elif shape == 2:
        raw = "90" + national
    elif shape == 3:
        raw = f"+90 ({a}) {b} {c} {d}"
    elif shape == 4:
        raw = e164
    else:
        raw = "0" + national
    return raw, e164


def generate(rows: int, csv_path: Path, copy_path: Path, *, brand_id: int, seed: int = 7) -> int:
    """Write the upload CSV and, for the baseline, the same valid rows in the table's COPY format."""
    from django.utils import timezone

    rng = random.Random(seed)
    now = timezone.localtime()
    base = now - dt.timedelta(hours=20)
    created = now.isoformat()
    valid = 0
    with open(csv_path, "w", encoding="utf-8", newline="") as out, open(copy_path, "w", encoding="utf-8") as copy:
        out.write("recipient;recipientType;type;status;consentDate;source\n")
        for i in range(rows):
            moment = base + dt.timedelta(seconds=rng.randrange(60_000))
            date = moment.strftime("%Y-%m-%d %H:%M:%S")
            rtype = "TACIR" if rng.random() < 0.1 else "BIREYSEL"
            source = rng.choice(SOURCES)
            kind = rng.random()
            if kind < 0.3:
                user = f"kisi{i}"
                raw = f"{user}@{rng.choice(DOMAINS)}"
                recipient = raw
                if rng.random() < 0.2:
                    raw = raw.upper()
                channel = "EPOSTA"
            else:
                raw, recipient = phone_shapes(i, rng)
                channel = "MESAJ" if kind < 0.8 else "ARAMA"
            status = "ONAY"
            bad = rng.random()
            if bad < 0.01:  # ~1% bad rows, of several kinds
                which = i % 5
                if which == 0:
                    raw = "0532 12"
                elif which == 1:
                    channel = "FAKS"
                elif which == 2:
                    date = (now + dt.timedelta(days=3)).strftime("%Y-%m-%d %H:%M:%S")
                elif which == 3:
                    source = "IYS_WEB"
                else:
                    status = "RET"
                out.write(f"{raw};{rtype};{channel};{status};{date};{source}\n")
                continue
            if rng.random() < 0.05:
                raw = f" {raw} "  # stray spaces, as exported from spreadsheets
            out.write(f"{raw};{rtype};{channel};{status};{date};{source}\n")
            copy.write(
                f"{brand_id}\t{recipient}\t{rtype}\t{channel}\t{status}\t{source}\t{moment.isoformat()}\t"
                f"{created}\t{created}\t{i:032x}\t\\N\t\\N\t\\N\t\\N\n"
            )
            valid += 1
    return valid


def time_raw_copy(copy_path: Path) -> float:
    from django.db import connection

    columns = (
        "brand_id, recipient, recipient_type, channel, status, source, consent_date, created_at, updated_at, "
        "transaction_id, retailer_id, declaration_period_id, review_until, finalized_at"
    )
    with connection.cursor() as cursor:
        cursor.execute("DROP TABLE IF EXISTS bench_consent_copy")
        cursor.execute("CREATE TABLE bench_consent_copy (LIKE consents_consent INCLUDING ALL)")
    started = time.perf_counter()
    with connection.cursor() as cursor, open(copy_path, "rb") as source:
        with cursor.cursor.copy(f"COPY bench_consent_copy ({columns}) FROM STDIN") as copy:
            while block := source.read(1 << 20):
                copy.write(block)
    elapsed = time.perf_counter() - started
    with connection.cursor() as cursor:
        cursor.execute("DROP TABLE bench_consent_copy")
    return elapsed


def time_upload(csv_path: Path, *, brand, user) -> tuple[float, object]:
    from django.core.files import File

    from consents.models import Upload
    from consents.uploads.services import upload_process

    with open(csv_path, "rb") as handle:
        upload = Upload(
            provider=brand.provider, brand=brand, uploaded_by=user, original_name=csv_path.name,
            size=csv_path.stat().st_size, dry_run=False,
        )
        upload.original.save(csv_path.name, File(handle), save=False)
        upload.save()
    started = time.perf_counter()
    done = upload_process(upload_id=upload.pk)
    return time.perf_counter() - started, done


def time_import_export(copy_path: Path, rows: int, *, brand) -> float:
    import tablib
    from import_export import fields, resources

    from consents.models import Consent

    class ConsentResource(resources.ModelResource):
        brand = fields.Field(attribute="brand_id", column_name="brand")

        class Meta:
            model = Consent
            import_id_fields = ("brand", "recipient", "recipient_type", "channel")
            fields = (
                "brand", "recipient", "recipient_type", "channel", "status", "source", "consent_date",
                "created_at", "updated_at", "transaction_id",
            )
            use_bulk = False
            skip_unchanged = True

    headers = [
        "brand", "recipient", "recipient_type", "channel", "status", "source", "consent_date", "created_at",
        "updated_at", "transaction_id",
    ]
    data = tablib.Dataset(headers=headers)
    with open(copy_path, encoding="utf-8") as source:
        for n, line in enumerate(source):
            if n >= rows:
                break
            cells = line.rstrip("\n").split("\t")
            cells[0] = str(brand.pk)
            for i in (6, 7, 8):  # the widget's format: 'YYYY-MM-DD HH:MM:SS' in local time
                cells[i] = cells[i][:19].replace("T", " ")
            cells[9] = "ie" + cells[9][2:]
            data.append(cells[:10])
    started = time.perf_counter()
    result = ConsentResource().import_data(data, dry_run=False, raise_errors=True, use_transactions=True)
    elapsed = time.perf_counter() - started
    assert not result.has_errors(), "import-export reported errors"
    return elapsed


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rows", type=int, default=None, help="default 1,000,000 (200,000 with --sqlite)")
    parser.add_argument("--sqlite", action="store_true", help="the embedded default: a fresh SQLite database")
    parser.add_argument("--ie-rows", type=int, default=20_000)
    parser.add_argument("--keep-file", action="store_true")
    parser.add_argument("--verbose", action="store_true", help="log each chunk's apply time")
    parser.add_argument("--connections", type=int, default=None, help="applier connections (default: setting, 2)")
    args = parser.parse_args()
    args.rows = args.rows or (200_000 if args.sqlite else 1_000_000)

    if not args.sqlite:
        recreate_database()
    import django

    django.setup()
    import logging

    logging.getLogger("consents.uploads").setLevel(logging.INFO if args.verbose else logging.WARNING)
    from django.core.management import call_command

    call_command("migrate", verbosity=0)
    if args.connections:
        from django.conf import settings

        settings.UPLOAD_APPLY_CONNECTIONS = args.connections
    from consents.models import ConsentEvent
    from tests.factories import BrandFactory, MembershipFactory, ProviderFactory

    stamp = int(time.time())
    provider = ProviderFactory(iys_code=stamp % 900_000_000 + 100_000, tax_number=str(stamp))
    brand = BrandFactory(provider=provider, brand_code=stamp % 900_000_000 + 300_000, is_master=True)
    ie_brand = BrandFactory(provider=provider, brand_code=stamp % 900_000_000 + 300_001)
    small_brand = BrandFactory(provider=provider, brand_code=stamp % 900_000_000 + 300_002)
    user = MembershipFactory(provider=provider).user

    work = Path(tempfile.mkdtemp(prefix="ileti-bench-"))
    csv_path, copy_path = work / "izinler.csv", work / "copy.tsv"
    started = time.perf_counter()
    valid = generate(args.rows, csv_path, copy_path, brand_id=brand.pk)
    size_mb = csv_path.stat().st_size / (1024 * 1024)
    print(f"generated {args.rows:,} rows ({valid:,} valid, {size_mb:.1f} MB) in {time.perf_counter() - started:.1f}s")

    if args.sqlite:
        upload_s, upload = time_upload(csv_path, brand=brand, user=user)
        rate = valid / upload_s  # valid rows, as the PostgreSQL figures
        events = ConsentEvent.objects.filter(brand=brand).count()
        print(
            f"SQLite upload end to end: {args.rows:,} rows in {upload_s:.2f}s = {rate:,.0f} rows/s "
            f"(inserted {upload.inserted:,}, refused {upload.refused:,} {upload.refusals_by_code}; "
            f"history rows {events:,})"
        )
        print(f"RESULT sqlite_rows_per_s={rate:.0f} peak_rss_mb={peak_rss_mb():.0f}")
        return

    copy_s = time_raw_copy(copy_path)
    copy_rate = valid / copy_s
    print(f"raw COPY into a copy of consents_consent: {valid:,} rows in {copy_s:.2f}s = {copy_rate:,.0f} rows/s")

    # Both sides count the same rows: the valid ones (COPY is only given those; our upload also reads,
    # checks and reports the ~1% refused rows, which is part of its work but not of its throughput).
    upload_s, upload = time_upload(csv_path, brand=brand, user=user)
    upload_rate = valid / upload_s
    events = ConsentEvent.objects.filter(brand=brand).count()
    print(
        f"our upload end to end: {args.rows:,} rows ({valid:,} valid) in {upload_s:.2f}s = "
        f"{upload_rate:,.0f} valid rows/s "
        f"(inserted {upload.inserted:,}, updated {upload.updated:,}, unchanged {upload.unchanged:,}, "
        f"refused {upload.refused:,} {upload.refusals_by_code}; history rows {events:,})"
    )
    assert upload.inserted == valid, (upload.inserted, valid)

    # The hash chain is on: new history rows join their brand's chain through the sealer (consents.ledger),
    # which beat runs every minute; here it runs once over the whole upload's history.
    from consents.ledger.chain import seal_pending

    started = time.perf_counter()
    sealed = seal_pending()
    seal_s = time.perf_counter() - started
    seal_rate = sealed / seal_s if seal_s else 0.0
    with_chain_rate = valid / (upload_s + seal_s)
    print(
        f"hash chain: sealed {sealed:,} history rows in {seal_s:.2f}s = {seal_rate:,.0f} rows/s; "
        f"upload plus sealing {with_chain_rate:,.0f} rows/s"
    )

    # django-import-export against our upload of the same file: the first --ie-rows rows (the generator is
    # sequential, so they are the same rows), each into a brand of its own, both counted by valid rows.
    small_csv, small_copy = work / "izinler-small.csv", work / "copy-small.tsv"
    small_valid = generate(args.ie_rows, small_csv, small_copy, brand_id=ie_brand.pk)
    small_s, small_upload = time_upload(small_csv, brand=small_brand, user=user)
    assert small_upload.inserted == small_valid, (small_upload.inserted, small_valid)
    small_rate = small_valid / small_s
    ie_s = time_import_export(small_copy, small_valid, brand=ie_brand)
    ie_rate = small_valid / ie_s
    print(
        f"the same {args.ie_rows:,}-row file ({small_valid:,} valid): our upload {small_s:.2f}s = "
        f"{small_rate:,.0f} rows/s; django-import-export {ie_s:.2f}s = {ie_rate:,.0f} rows/s"
    )

    if not args.keep_file:
        for path in (csv_path, copy_path, small_csv, small_copy):
            path.unlink()
    rss = peak_rss_mb()
    print(f"upload vs raw COPY: {upload_rate / copy_rate:.2f}x; vs import-export: {small_rate / ie_rate:.1f}x")
    print(
        f"RESULT upload_rows_per_s={upload_rate:.0f} upload_vs_copy={upload_rate / copy_rate:.2f} "
        f"upload_vs_import_export={small_rate / ie_rate:.1f} peak_rss_mb={rss:.0f} "
        f"seal_rows_per_s={seal_rate:.0f} upload_with_chain_rows_per_s={with_chain_rate:.0f}"
    )


if __name__ == "__main__":
    main()
