"""Rebuild providers/data/turkey_geo.json (İYS's province and district codes) from İYS's OpenAPI 3.2.0.

İYS publishes its /info/city and /info/town answers as the examples of those operations: 81 provinces and
their districts with the codes İYS itself uses (a district's code is İYS's own numbering, not a plate or
ÜAVT number), which is what an İYS client sends back in a retailer's city/town. Community lists (e.g.
farukyldrm01/illerVeIlceler, MIT) carry names only, without İYS's codes, so they cannot stand in for this.

Usage: python scripts/geo_from_iys_openapi.py path/to/iys-openapi-3.2.0.json [providers/data/turkey_geo.json]
"""

from __future__ import annotations

import json
import sys
from pathlib import Path


def _example(spec: dict, path: str) -> list[dict]:
    examples = spec["paths"][path]["get"]["responses"]["200"]["content"]["application/json"]["examples"]
    return next(iter(examples.values()))["value"]


def build(spec: dict) -> dict:
    cities = [{"code": int(c["code"]), "name": c["name"]} for c in _example(spec, "/info/city")]
    towns = [
        {"code": int(t["code"]), "name": t["name"], "cityCode": int(t.get("city_code", t.get("cityCode")))}
        for t in _example(spec, "/info/town")
    ]
    city_codes = {c["code"] for c in cities}
    if len(cities) != 81 or any(t["cityCode"] not in city_codes for t in towns):
        raise SystemExit("unexpected province/district list in the OpenAPI file")
    return {
        "source": "İYS API 3.2.0 OpenAPI (https://apidocs.iys.org.tr), examples of GET /info/city and /info/town",
        "cities": sorted(cities, key=lambda c: c["code"]),
        "towns": sorted(towns, key=lambda t: t["code"]),
    }


def main(argv: list[str]) -> None:
    if len(argv) < 2:
        raise SystemExit(__doc__)
    spec = json.loads(Path(argv[1]).read_text(encoding="utf-8"))
    out = Path(argv[2]) if len(argv) > 2 else Path(__file__).resolve().parent.parent / "providers/data/turkey_geo.json"
    data = build(spec)
    # One record per line: a district renamed or added is a one-line diff.
    lines = [
        "{",
        f'"source": {json.dumps(data["source"], ensure_ascii=False)},',
        '"cities": [',
        ",\n".join(json.dumps(c, ensure_ascii=False) for c in data["cities"]),
        "],",
        '"towns": [',
        ",\n".join(json.dumps(t, ensure_ascii=False) for t in data["towns"]),
        "]",
        "}",
    ]
    out.write_text("\n".join(lines) + "\n", encoding="utf-8")
    print(f"{out}: {len(data['cities'])} provinces, {len(data['towns'])} districts")


if __name__ == "__main__":
    main(sys.argv)
