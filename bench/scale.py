"""How ileti's hot paths cost as the registry grows: the same measurements at two (or more) registry sizes.

    .venv/bin/python bench/scale.py [--sizes 1000000,10000000] [--large] [--upload-rows 1000000]
        [--finalise 1000000] [--repeat 15] [--singles 300] [--profile]

Uses a dedicated database (ileti_bench_scale: dropped, created, migrated) unless BENCH_DATABASE_URL says
otherwise. It grows one realistic registry through the sizes (--large adds 50M, by hand: hours and ~60 GB):

- many providers (one per ~2,000 consents, each with 1-3 brands) whose brands' sizes follow a Zipf law (the
  largest brand holds ~10 % of everything, most hold a few hundred consents);
- people (addresses from bench/recipients.py, which never overflow: 70 % mobiles, 30 % e-mails) each holding
  consents with about ten brands, on the channels their address takes; 85 % ONAY; 10 % TACIR;
- consents written with COPY, then two history rows per consent (its first record and one change, the
  latter spread over the last year, so ~2 % fall in the change feed's 7-day window) set-based in SQL;
- a declaration period whose review ended, with `finalise` declared consents of one brand (part of the size).

At each size, after VACUUM ANALYZE, in this process through Django's test client (whole request: middleware,
token check, query, JSON or template):
  status1000_ms   POST …/consents/BIREYSEL/status/MESAJ, 1,000 recipients of the largest brand (median)
  status_cpu_ms   POST …/consents/status, one recipient: this process's CPU per request (client included,
                  the same at every size), and status_ms its wall time
  citizen_ms      GET /vatandas/ for a person with about ten consents and their history (median)
  dashboard_ms    the largest provider's dashboard numbers computed (not the cached copy; from the running
                  totals, which the bench rebuilds with consents.counts.recount after each COPY) (median)
  upload_rows_s   a fresh CSV of --upload-rows rows uploaded into the largest provider's second brand
                  (consents.uploads.services.upload_process: parse, validate, upsert, history, report)
  finalise_rows_s the review finaliser's chunks (consents.review.finalize.finalize_chunk) over --finalise
                  due declarations, in this process
The upload's rows stay: the next size is reached by seeding on top of them. Every ratio larger/smallest size
is printed (for rates: smallest/larger, so > 1 is always "costlier"). Last line:
RESULT scale_ratio_max=<worst ratio> scale_worst=<its measurement>
"""
from __future__ import annotations

import argparse
import bisect
import datetime as dt
import os
import random
import statistics
import subprocess
import sys
import time
from collections.abc import Callable
from pathlib import Path
from urllib.parse import urlparse

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
sys.path.insert(0, str(ROOT / "bench"))

import recipients

DB_URL = os.environ.get("BENCH_DATABASE_URL", "postgres://postgres@127.0.0.1:5432/ileti_bench_scale")
ENV = {
    "DJANGO_SETTINGS_MODULE": "config.settings.dev",
    "DATABASE_URL": DB_URL,
    "REDIS_URL": "",
    "DEBUG": "false",
    "LOG_LEVEL": "WARNING",
    "CONN_MAX_AGE": "600",
    "API_RATE_LIMIT_PER_SECOND": "1000000000",
    "API_RATE_LIMIT_PER_ADDRESS_PER_SECOND": "1000000000",
    "API_TOKEN_RATE_LIMIT_PER_HOUR": "1000000",
    "MEDIA_ROOT": "/tmp/ileti-bench-scale-media",
}
CONSENTS_PER_PROVIDER = 2000
BRANDS_PER_PERSON = 10
ZIPF_S = 1.1
SOURCES = ["HS_WEB", "HS_MOBIL", "HS_FIZIKSEL_ORTAM", "HS_ISLAK_IMZA", "HS_CAGRI_MERKEZI", "HS_EORTAM"]
IYS_BASE, BRAND_BASE = 100_000, 500_000


def _recreate_database() -> None:
    import psycopg

    url = urlparse(DB_URL)
    name = url.path.lstrip("/")
    with psycopg.connect(f"{url.scheme}://{url.netloc}/postgres", autocommit=True) as conn:
        conn.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
        conn.execute(f'CREATE DATABASE "{name}"')


class Registry:
    """Grows the registry: providers and brands as needed, people, their consents and history."""

    def __init__(self, seed: int = 15) -> None:
        self.rng = random.Random(seed)
        self.brand_ids: list[int] = []  # rank order: brand_ids[0] is the largest
        self.cum_weights: list[float] = []
        self.providers = 0
        self.next_person = 0
        self.next_tx = 0
        self.top_sample: list[str] = []  # MESAJ/BIREYSEL recipients of the largest brand (reservoir)
        self.top_seen = 0
        self.typical_person: tuple[str, int] | None = None  # (address, consents)

    def _add_providers(self, count: int) -> None:
        from providers.models import Brand, Provider

        start = self.providers
        providers = Provider.objects.bulk_create(
            Provider(name=f"Firma {i}", iys_code=IYS_BASE + i) for i in range(start, start + count)
        )
        brands = []
        for provider in providers:
            for k in range(1 + (provider.iys_code % 3)):
                code = BRAND_BASE + (provider.iys_code - IYS_BASE) * 3 + k
                brands.append(Brand(provider=provider, name=f"Marka {code}", brand_code=code, is_master=k == 0))
        brands = Brand.objects.bulk_create(brands)
        # Interleave new brands into the Zipf ranks after the existing ones (new businesses start small).
        self.rng.shuffle(brands)
        self.brand_ids.extend(b.pk for b in brands)
        total = self.cum_weights[-1] if self.cum_weights else 0.0
        for rank in range(len(self.cum_weights) + 1, len(self.brand_ids) + 1):
            total += 1.0 / rank**ZIPF_S
            self.cum_weights.append(total)
        self.providers += count

    def grow_to(self, target: int, *, finalise: int) -> float:
        """Seed consents until the table holds `target` rows; `finalise` of the new ones are due declarations."""
        from django.db import connection

        from consents.models import Consent

        have = Consent.objects.count()
        need = target - have
        if need <= 0:
            return 0.0
        wanted_providers = max(10, target // CONSENTS_PER_PROVIDER)
        if wanted_providers > self.providers:
            self._add_providers(wanted_providers - self.providers)
        started = time.perf_counter()
        due_brand, period_id, review_until = self._declaration_target(finalise)
        first_id = connection.cursor().execute("SELECT COALESCE(MAX(id), 0) FROM consents_consent").fetchone()[0]
        raw = connection.connection
        now = dt.datetime.now(dt.UTC)
        with raw.cursor() as cur:
            with cur.copy(
                "COPY consents_consent (brand_id, recipient, recipient_type, channel, status, source, consent_date,"
                " created_at, updated_at, transaction_id, declaration_period_id, review_until) FROM STDIN"
            ) as copy:
                for row in self._rows(need, finalise, due_brand, period_id, review_until, now):
                    copy.write_row(row)
            # Two history rows a consent: its first record and one change to the current status (a declared
            # consent has one: its declaration).
            cur.execute(
                """
                INSERT INTO consents_consentevent (consent_id, brand_id, recipient, recipient_type, channel, action,
                    previous_status, status, source, consent_date, created_at, transaction_id, actor_kind,
                    actor_ref, actor_label, via, late_report, review_until)
                SELECT c.id, c.brand_id, c.recipient, c.recipient_type, c.channel,
                       CASE WHEN k = 1 OR c.declaration_period_id IS NOT NULL THEN 'CREATE' ELSE 'CHANGE' END,
                       CASE WHEN k = 1 OR c.declaration_period_id IS NOT NULL THEN NULL
                            WHEN c.status = 'ONAY' THEN 'RET' ELSE 'ONAY' END,
                       CASE WHEN k = 2 THEN c.status WHEN c.status = 'ONAY' THEN 'RET' ELSE 'ONAY' END,
                       c.source, c.consent_date,
                       CASE WHEN k = 1 THEN c.created_at - interval '400 days' ELSE c.created_at END,
                       CASE WHEN k = 1 THEN md5('first' || c.id) ELSE c.transaction_id END,
                       'PROVIDER', 'bench', 'bench', 'UPLOAD', false, c.review_until
                FROM consents_consent c CROSS JOIN generate_series(1, 2) AS k
                WHERE c.id > %s AND (k = 2 OR c.declaration_period_id IS NULL)
                ORDER BY c.id, k
                """,
                (first_id,),
            )
        raw.commit()
        return time.perf_counter() - started

    def _declaration_target(self, finalise: int):
        from consents.models import DeclarationPeriod
        from consents.selectors import review_deadline

        if finalise <= 0:
            return None, None, None
        period = DeclarationPeriod.objects.filter(name="bench-scale").first() or DeclarationPeriod.objects.create(
            name="bench-scale", tier="SMALL", declare_until=dt.date(2024, 1, 31), visible_from=dt.date(2024, 2, 1),
            review_until=dt.date(2024, 3, 15),
        )
        # A mid-ranked brand declares: its due rows sit among everything else.
        due_brand = self.brand_ids[min(len(self.brand_ids) - 1, 7)]
        return due_brand, period.pk, review_deadline(period)

    def _rows(self, need: int, finalise: int, due_brand, period_id, review_until, now: dt.datetime):
        rng = self.rng
        brand_ids, cum = self.brand_ids, self.cum_weights
        top = brand_ids[0]
        total = cum[-1]
        year = dt.timedelta(days=365)
        written = 0
        # Declared consents first (their own people), so every size has exactly `finalise` due rows.
        for _ in range(finalise):
            person = self.next_person
            self.next_person += 1
            self.next_tx += 1
            address = recipients.mobile(person)
            created = now - dt.timedelta(days=900)
            yield (due_brand, address, "BIREYSEL", "MESAJ", "ONAY", "HS_2015", "2015-05-01 00:00:00+03",
                   created, created, f"{self.next_tx:032x}", period_id, review_until)
            written += 1
        while written < need:
            person = self.next_person
            self.next_person += 1
            is_email = person % 10 < 3
            address = recipients.email(person) if is_email else recipients.mobile(person)
            picks = {brand_ids[bisect.bisect_left(cum, rng.random() * total)] for _ in range(BRANDS_PER_PERSON)}
            if self.typical_person is None and len(picks) >= 8 and not is_email:
                self.typical_person = (address, len(picks))
            for brand in picks:
                if written >= need:
                    break
                channel = "EPOSTA" if is_email else ("MESAJ" if rng.random() < 0.7 else "ARAMA")
                rtype = "TACIR" if rng.random() < 0.1 else "BIREYSEL"
                status = "ONAY" if rng.random() < 0.85 else "RET"
                consent_date = now - year * (1 + 4 * rng.random())
                changed = now - year * rng.random()
                self.next_tx += 1
                if brand == top and channel == "MESAJ" and rtype == "BIREYSEL":
                    self.top_seen += 1
                    if len(self.top_sample) < 20_000:
                        self.top_sample.append(address)
                    else:
                        j = rng.randrange(self.top_seen)
                        if j < 20_000:
                            self.top_sample[j] = address
                yield (brand, address, rtype, channel, status, rng.choice(SOURCES), consent_date, changed, changed,
                       f"{self.next_tx:032x}", None, None)
                written += 1


def _recount() -> float:
    """The dashboard's running totals for the rows COPY wrote behind the write paths' back (not timed)."""
    started = time.perf_counter()
    from consents.counts import recount

    recount()
    return time.perf_counter() - started


def _vacuum() -> float:
    from django.db import connection

    started = time.perf_counter()
    with connection.cursor() as cur:
        cur.execute("VACUUM ANALYZE consents_consent")
        cur.execute("VACUUM ANALYZE consents_consentevent")
    return time.perf_counter() - started


def _median_ms(fn, repeat: int) -> float:
    times = []
    for _ in range(repeat):
        started = time.perf_counter()
        fn()
        times.append((time.perf_counter() - started) * 1000)
    return statistics.median(times)


def _profile(title: str, work: Callable[[], object], times: int) -> None:
    """Where the time of `work` goes (--profile): the functions with the most own time, then by cumulative time."""
    import cProfile
    import pstats

    profiler = cProfile.Profile()
    profiler.enable()
    for _ in range(times):
        work()
    profiler.disable()
    print(f"  profile of {title} ({times} run(s)):", flush=True)
    stats = pstats.Stats(profiler, stream=sys.stdout).strip_dirs()
    stats.sort_stats("tottime").print_stats(15)
    stats.sort_stats("cumulative").print_stats(25)


def measure(reg: Registry, *, repeat: int, singles: int, upload_rows: int, finalise: int, label: str,
            profile: bool = False) -> dict:
    import json

    from django.test import Client

    from citizens.models import Citizen, CitizenAddress
    from consents.api.auth import issue_tokens
    from consents.api.users import api_user_create
    from consents.models import Consent
    from providers.models import Brand

    rng = random.Random(label)
    top = Brand.objects.select_related("provider").get(pk=reg.brand_ids[0])
    provider = top.provider
    api_user = api_user_create(username=f"bench-{label}", password="bench-parola-123456", provider=provider)
    token = issue_tokens(api_user=api_user, address="127.0.0.1")["access_token"]
    api = Client(REMOTE_ADDR="127.0.0.1", HTTP_AUTHORIZATION=f"Bearer {token}")
    base = f"/api/sps/{provider.iys_code}/brands/{top.brand_code}"
    results: dict[str, float] = {}

    # 1,000 recipients: 800 the brand holds, 200 it does not.
    def batch() -> None:
        wanted = rng.sample(reg.top_sample, min(800, len(reg.top_sample)))
        wanted += [recipients.mobile(reg.next_person + 1_000_000 + rng.randrange(10**6)) for _ in range(200)]
        r = api.post(base + "/consents/BIREYSEL/status/MESAJ", json.dumps({"recipients": list(dict.fromkeys(wanted))}),
                     content_type="application/json")
        assert r.status_code == 200, r.content[:300]

    batch()  # warm
    results["status1000_ms"] = _median_ms(batch, repeat)

    bodies = [
        json.dumps({"recipient": rng.choice(reg.top_sample), "recipientType": "BIREYSEL", "type": "MESAJ"})
        for _ in range(singles)
    ]
    for body in bodies[:20]:
        api.post(base + "/consents/status", body, content_type="application/json")
    cpu, wall = time.process_time(), time.perf_counter()
    for body in bodies:
        r = api.post(base + "/consents/status", body, content_type="application/json")
        assert r.status_code == 200, r.content[:300]
    results["status_cpu_ms"] = (time.process_time() - cpu) * 1000 / singles
    results["status_ms"] = (time.perf_counter() - wall) * 1000 / singles
    if profile:
        _profile("1,000-recipient status", batch, 10)
        _profile("single status", lambda: [
            api.post(base + "/consents/status", body, content_type="application/json") for body in bodies], 1)

    address, count = reg.typical_person
    claim = CitizenAddress.objects.filter(value=address).select_related("citizen").first()
    if claim is None:  # the same person at every size: their consents do not change, the registry around does
        citizen = Citizen.objects.create()
        CitizenAddress.objects.create(
            citizen=citizen, value=address, kind="email" if "@" in address else "phone",
            verified_at=dt.datetime.now(dt.UTC),
        )
    else:
        citizen = claim.citizen
    page = Client()
    session = page.session
    session["citizen_id"] = citizen.pk
    session.save()

    def citizen_page() -> None:
        r = page.get("/vatandas/")
        assert r.status_code == 200 and b"consent-row" in r.content

    citizen_page()
    results["citizen_ms"] = _median_ms(citizen_page, repeat)

    from providers import selectors as provider_selectors

    brand_ids = list(Brand.objects.filter(provider=provider).values_list("pk", flat=True))
    compute = provider_selectors.compute_dashboard_numbers
    compute(brand_ids=brand_ids)
    results["dashboard_ms"] = _median_ms(lambda: compute(brand_ids=brand_ids), max(3, repeat // 3))

    results["finalise_rows_s"] = _finalise(finalise)
    results["upload_rows_s"] = _upload(reg, provider, upload_rows, label)
    results["top_brand_consents"] = Consent.objects.filter(brand=top).count()
    results["citizen_consents"] = count
    return results


def _finalise(expected: int) -> float:
    from consents.review.finalize import finalize_chunk

    done, started = 0, time.perf_counter()
    while True:
        n, _seconds = finalize_chunk()
        if not n:
            break
        done += n
    elapsed = time.perf_counter() - started
    assert done == expected, (done, expected)
    return done / elapsed


def _upload(reg: Registry, provider, rows: int, label: str) -> float:
    from django.contrib.auth import get_user_model
    from django.core.files import File

    from consents.models import Upload
    from consents.uploads.services import upload_process
    from providers.models import Brand, Membership

    brand = Brand.objects.filter(provider=provider).exclude(pk=reg.brand_ids[0]).first() or Brand.objects.get(
        pk=reg.brand_ids[0]
    )
    user = get_user_model().objects.create_user(username=f"bench-upload-{label}", password="x")
    Membership.objects.create(user=user, provider=provider, role="OWNER")
    path = Path(f"/tmp/ileti-bench-scale-{label}.csv")
    now = dt.datetime.now(dt.UTC)
    with open(path, "w", encoding="utf-8") as out:
        out.write("recipient;recipientType;type;status;consentDate;source\n")
        for _ in range(rows):
            person = reg.next_person
            reg.next_person += 1
            moment = (now - dt.timedelta(hours=20, seconds=person % 3600)).astimezone(dt.timezone(dt.timedelta(hours=3)))
            out.write(f"{recipients.mobile(person)};BIREYSEL;MESAJ;ONAY;{moment:%Y-%m-%d %H:%M:%S};HS_WEB\n")
    with open(path, "rb") as handle:
        upload = Upload(provider=provider, brand=brand, uploaded_by=user, original_name=path.name,
                        size=path.stat().st_size, dry_run=False)
        upload.original.save(path.name, File(handle), save=False)
        upload.save()
    started = time.perf_counter()
    done = upload_process(upload_id=upload.pk)
    elapsed = time.perf_counter() - started
    path.unlink()
    assert done is not None and done.inserted == rows, (done and done.state, done and done.inserted)
    return rows / elapsed


LOWER_IS_BETTER = ("status1000_ms", "status_cpu_ms", "citizen_ms", "dashboard_ms")
HIGHER_IS_BETTER = ("upload_rows_s", "finalise_rows_s")


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--sizes", default="1000000,10000000")
    parser.add_argument("--large", action="store_true", help="also 50M consents (hours, ~60 GB)")
    parser.add_argument("--upload-rows", type=int, default=1_000_000)
    parser.add_argument("--finalise", type=int, default=None,
                        help="due declarations finalised at each size (default: 1M, at most a tenth of the smallest size)")
    parser.add_argument("--repeat", type=int, default=15)
    parser.add_argument("--singles", type=int, default=300)
    parser.add_argument("--profile", action="store_true", help="cProfile the status calls at the largest size")
    args = parser.parse_args()
    sizes = sorted(int(s) for s in args.sizes.split(","))
    if args.large:
        sizes.append(50_000_000)
    finalise = args.finalise if args.finalise is not None else min(1_000_000, sizes[0] // 10)

    os.environ.update(ENV)
    _recreate_database()
    subprocess.run([sys.executable, "manage.py", "migrate", "-v", "0"], cwd=ROOT, env=os.environ, check=True)
    import django

    django.setup()
    reg = Registry()
    table: dict[int, dict] = {}
    for size in sizes:
        seed_s = reg.grow_to(size, finalise=finalise)
        seed_s += _recount()
        vacuum_s = _vacuum()
        from consents.models import Consent, ConsentEvent

        consents, events = Consent.objects.count(), ConsentEvent.objects.count()
        print(f"size {size:,}: {consents:,} consents, {events:,} history rows, {len(reg.brand_ids):,} brands, "
              f"{reg.providers:,} providers (seeded in {seed_s:.0f}s, vacuum {vacuum_s:.0f}s)", flush=True)
        row = measure(reg, repeat=args.repeat, singles=args.singles, upload_rows=args.upload_rows,
                      finalise=finalise, label=str(size), profile=args.profile and size == sizes[-1])
        table[size] = row
        print(
            f"  status1000_ms={row['status1000_ms']:.1f} status_cpu_ms={row['status_cpu_ms']:.2f} "
            f"status_ms={row['status_ms']:.2f} citizen_ms={row['citizen_ms']:.1f} "
            f"dashboard_ms={row['dashboard_ms']:.1f} upload_rows_s={row['upload_rows_s']:,.0f} "
            f"finalise_rows_s={row['finalise_rows_s']:,.0f} (largest brand {row['top_brand_consents']:,} "
            f"consents, citizen {row['citizen_consents']} consents; load {os.getloadavg()[0]:.1f})",
            flush=True,
        )
    small = sizes[0]
    worst, worst_name = 0.0, ""
    for size in sizes[1:]:
        ratios = {}
        for name in LOWER_IS_BETTER:
            ratios[name] = table[size][name] / table[small][name]
        for name in HIGHER_IS_BETTER:
            ratios[name] = table[small][name] / table[size][name]
        print(f"ratios {size:,}/{small:,}: " + " ".join(f"{k}={v:.2f}" for k, v in ratios.items()))
        for name, value in ratios.items():
            if value > worst:
                worst, worst_name = value, name
    print(f"load average (1/5/15 min) at the end: {' '.join(f'{x:.1f}' for x in os.getloadavg())}")
    print(f"RESULT scale_ratio_max={worst:.2f} scale_worst={worst_name}")


if __name__ == "__main__":
    main()
