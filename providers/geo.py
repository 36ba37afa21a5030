"""Turkey's provinces (il) and districts (ilçe) with İYS's own codes, as /info/city and /info/town serve them.

The data ships in providers/data/turkey_geo.json, rebuilt by scripts/geo_from_iys_openapi.py from İYS's
OpenAPI. Lookups are by code or by name; names compare case- and dotted-I-insensitively (Turkish casing), and
a district İYS suffixes with its province ("Gölbaşı / Ankara") also answers to its bare name in that province.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from functools import cache
from pathlib import Path

DATA_FILE = Path(__file__).resolve().parent / "data" / "turkey_geo.json"


@dataclass(frozen=True, slots=True)
class City:
    code: int
    name: str


@dataclass(frozen=True, slots=True)
class Town:
    code: int
    name: str
    city_code: int


def fold(name: str) -> str:
    """Turkish-aware case folding for comparing place names ("İSTANBUL" == "istanbul" == "Istanbul")."""
    text = " ".join(str(name).split()).replace("İ", "i").replace("I", "ı").lower()
    return text.replace("ı", "i")


@cache
def _data() -> tuple[dict[int, City], dict[int, Town]]:
    raw = json.loads(DATA_FILE.read_text(encoding="utf-8"))
    cities = {c["code"]: City(c["code"], c["name"]) for c in raw["cities"]}
    towns = {t["code"]: Town(t["code"], t["name"], t["cityCode"]) for t in raw["towns"]}
    return cities, towns


@cache
def _town_names() -> dict[tuple[int, str], Town]:
    index: dict[tuple[int, str], Town] = {}
    for town in _data()[1].values():
        index[(town.city_code, fold(town.name))] = town
        bare = town.name.split(" / ")[0]
        index.setdefault((town.city_code, fold(bare)), town)
    return index


def cities() -> list[City]:
    return sorted(_data()[0].values(), key=lambda c: c.code)


def towns(city_code: int | None = None) -> list[Town]:
    listed = _data()[1].values()
    if city_code is not None:
        listed = [t for t in listed if t.city_code == city_code]
    return sorted(listed, key=lambda t: t.code)


def _as_code(value: object) -> int | None:
    text = str(value).strip() if value is not None else ""
    # ASCII digits only: str.isdigit() also accepts "²" or "٣", which int() refuses or reads as another number.
    return int(text) if text.isascii() and text.isdigit() and len(text) <= 6 else None


def city(code: object) -> City | None:
    number = _as_code(code)
    return _data()[0].get(number) if number is not None else None


def town(code: object) -> Town | None:
    number = _as_code(code)
    return _data()[1].get(number) if number is not None else None


def city_by_name(name: str) -> City | None:
    wanted = fold(name)
    return next((c for c in _data()[0].values() if fold(c.name) == wanted), None)


def resolve_town(city_code: int, *, code: object = None, name: str = "") -> Town | None:
    """The district of a province, by name first (İYS's own example pairs "Kadıköy" with code "01"), then code."""
    if name and name.strip():
        found = _town_names().get((city_code, fold(name)))
        if found is not None:
            return found
    by_code = town(code)
    return by_code if by_code is not None and by_code.city_code == city_code else None
