"""Would hash partitioning the consent table help on one PostgreSQL? The hot queries on both layouts.

    .venv/bin/python bench/partition_probe.py [--partitions 16] [--repeat 30]

Runs on the registry bench/scale.py left behind (ileti_bench_scale, or BENCH_DATABASE_URL). It copies
consents_consent into probe_consent_hash, HASH-partitioned by brand_id (the key docs/scaling.md chooses) with
the same indexes (the unique key (brand, recipient, recipient_type, channel) contains the partition key, as
PostgreSQL and Citus require), and times, as the median of --repeat runs over random inputs, on the original
table and on the partitioned copy:
  status1000   one brand, 1,000 recipients (= ANY), the may-I-send/status query
  status1      one brand, one recipient (the single status lookup)
  citizen      every brand's rows for a person's two addresses (the citizen's page: no brand in the query)
  dashboard    counts by channel and status over the largest provider's brands
  feed         the largest brand's newest 1,000 history rows by id (change feed) — history is not copied:
               its figure is the original table's, printed for reference
Prints the ratio partitioned/plain per query (> 1: partitioning is slower). Last line:
RESULT partition_ratio_max=<worst> partition_worst=<query> partition_ratio_min=<best> partition_best=<query>
"""
from __future__ import annotations

import argparse
import os
import random
import statistics
import time
from urllib.parse import urlparse

DB_URL = os.environ.get("BENCH_DATABASE_URL", "postgres://postgres@127.0.0.1:5432/ileti_bench_scale")


def _median_ms(conn, sql: str, params_list: list) -> float:
    times = []
    for params in params_list:
        started = time.perf_counter()
        conn.execute(sql, params).fetchall()
        times.append((time.perf_counter() - started) * 1000)
    return statistics.median(times)


def main() -> None:
    import psycopg

    parser = argparse.ArgumentParser()
    parser.add_argument("--partitions", type=int, default=16)
    parser.add_argument("--repeat", type=int, default=30)
    args = parser.parse_args()
    url = urlparse(DB_URL)
    conn = psycopg.connect(DB_URL, autocommit=True)
    conn.execute("SET max_parallel_workers_per_gather = 0")  # a 2-core machine shared with other work
    started = time.perf_counter()
    conn.execute("DROP TABLE IF EXISTS probe_consent_hash")
    conn.execute(
        "CREATE TABLE probe_consent_hash (LIKE consents_consent INCLUDING DEFAULTS INCLUDING CONSTRAINTS) "
        "PARTITION BY HASH (brand_id)"
    )
    for i in range(args.partitions):
        conn.execute(
            f"CREATE TABLE probe_consent_hash_{i} PARTITION OF probe_consent_hash "
            f"FOR VALUES WITH (MODULUS {args.partitions}, REMAINDER {i})"
        )
    conn.execute("INSERT INTO probe_consent_hash SELECT * FROM consents_consent")
    conn.execute("ALTER TABLE probe_consent_hash ADD PRIMARY KEY (brand_id, id)")
    conn.execute("CREATE UNIQUE INDEX ON probe_consent_hash (brand_id, recipient, recipient_type, channel)")
    conn.execute("CREATE INDEX ON probe_consent_hash (recipient, channel)")
    conn.execute("CREATE INDEX ON probe_consent_hash (brand_id, channel, status)")
    conn.execute("VACUUM ANALYZE probe_consent_hash")
    rows = conn.execute("SELECT count(*) FROM probe_consent_hash").fetchone()[0]
    print(f"{url.path.lstrip('/')}: {rows:,} consents copied into {args.partitions} hash partitions by brand_id "
          f"in {time.perf_counter() - started:.0f}s", flush=True)

    rng = random.Random(7)
    top_brand, provider = conn.execute(
        "SELECT c.brand_id, b.provider_id FROM consents_consent c JOIN providers_brand b ON b.id = c.brand_id "
        "GROUP BY 1, 2 ORDER BY count(*) DESC LIMIT 1"
    ).fetchone()
    brands = [r[0] for r in conn.execute("SELECT id FROM providers_brand WHERE provider_id = %s", (provider,))]
    top_rows = [r[0] for r in conn.execute(
        "SELECT recipient FROM consents_consent WHERE brand_id = %s AND channel = 'MESAJ' "
        "AND recipient_type = 'BIREYSEL' LIMIT 50000", (top_brand,))]
    people = [r[0] for r in conn.execute(
        "SELECT recipient FROM consents_consent TABLESAMPLE SYSTEM (1) LIMIT 5000")]

    inputs = {
        "status1000": (
            (
                "SELECT recipient, status, source, consent_date FROM {t} WHERE brand_id = %s "
                "AND recipient_type = 'BIREYSEL' AND channel = 'MESAJ' AND recipient = ANY(%s)"
            ),
            [(top_brand, rng.sample(top_rows, min(1000, len(top_rows)))) for _ in range(args.repeat)],
        ),
        "status1": (
            (
                "SELECT status, source, consent_date FROM {t} WHERE brand_id = %s AND recipient = %s "
                "AND recipient_type = 'BIREYSEL' AND channel = 'MESAJ'"
            ),
            [(top_brand, rng.choice(top_rows)) for _ in range(args.repeat * 10)],
        ),
        "citizen": (
            "SELECT id, brand_id, channel, status FROM {t} WHERE recipient = ANY(%s)",
            [([rng.choice(people), rng.choice(people)],) for _ in range(args.repeat * 3)],
        ),
        "dashboard": (
            "SELECT channel, status, count(*) FROM {t} WHERE brand_id = ANY(%s) GROUP BY 1, 2",
            [(brands,) for _ in range(max(5, args.repeat // 3))],
        ),
    }
    ratios = {}
    for name, (sql, params) in inputs.items():
        for t in ("consents_consent", "probe_consent_hash"):  # warm both
            _median_ms(conn, sql.format(t=t), params[:3])
        plain = _median_ms(conn, sql.format(t="consents_consent"), params)
        hashed = _median_ms(conn, sql.format(t="probe_consent_hash"), params)
        ratios[name] = hashed / plain
        print(f"  {name:<10} plain {plain:8.2f} ms   partitioned {hashed:8.2f} ms   ratio {hashed / plain:.2f}",
              flush=True)
    feed = _median_ms(
        conn,
        "SELECT id, recipient, status FROM consents_consentevent WHERE brand_id = %s ORDER BY id DESC LIMIT 1000",
        [(top_brand,)] * args.repeat,
    )
    print(f"  feed       plain {feed:8.2f} ms   (history not copied)")
    conn.execute("DROP TABLE probe_consent_hash")
    worst = max(ratios, key=ratios.get)
    best = min(ratios, key=ratios.get)
    print(f"load average (1/5/15 min) at the end: {' '.join(f'{x:.1f}' for x in os.getloadavg())}")
    print(f"RESULT partition_ratio_max={ratios[worst]:.2f} partition_worst={worst} "
          f"partition_ratio_min={ratios[best]:.2f} partition_best={best}")


if __name__ == "__main__":
    main()
