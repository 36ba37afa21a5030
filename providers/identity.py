"""Turkish identity numbers: T.C. kimlik numarası (TCKN) and vergi kimlik numarası (VKN) check digits.

İYS refuses a dealer whose official's TCKN (H225) or whose tax number (H243) fails these checks.
"""

from __future__ import annotations


def valid_tckn(value: str) -> bool:
    """11 digits, no leading zero; digit 10 and 11 are checksums of the first nine and ten."""
    if len(value) != 11 or not (value.isascii() and value.isdigit()) or value[0] == "0":
        return False
    d = [int(c) for c in value]
    if (sum(d[0:9:2]) * 7 - sum(d[1:8:2])) % 10 != d[9]:
        return False
    return sum(d[:10]) % 10 == d[10]


def valid_vkn(value: str) -> bool:
    """10 digits; the last is the Revenue Administration's check digit over the first nine."""
    if len(value) != 10 or not (value.isascii() and value.isdigit()):
        return False
    d = [int(c) for c in value]
    total = 0
    for i in range(9):
        t = (d[i] + 9 - i) % 10
        if t:
            v = (t * 2 ** (9 - i)) % 9
            total += v or 9
    return (10 - total % 10) % 10 == d[9]


def valid_tin(value: str) -> bool:
    """A dealer's tax number: a VKN (companies) or a TCKN (sole traders pay tax under their TCKN)."""
    return valid_vkn(value) if len(value) == 10 else valid_tckn(value)
