"""Fake but *valid-looking* sensitive values for the sample data, with their validators.

The generator plants PII in ticket notes and in the labelled PII set. A detector built on
patterns plus validators (Luhn for cards, mod-97 for IBANs, area/group/serial rules for US SSNs,
prefix rules for UK NINOs) must be able to find them, so every value here passes the check a
real validator applies. Nothing here is real: phone numbers come from the ranges regulators
reserve for drama (UK 020 7946 0xxx, US 555-01xx), IPs from documentation ranges, e-mail
addresses from ``example`` domains.

This module does not detect anything; detection lives in :mod:`labkit.controls.pii`.

Example:
    >>> import random
    >>> rng = random.Random(1)
    >>> luhn_valid(card_number(rng).replace(" ", ""))
    True
    >>> iban_valid(iban(rng))
    True
"""

from __future__ import annotations

import random
import string
from datetime import date, timedelta

MONTHS = ["January", "February", "March", "April", "May", "June", "July", "August",
          "September", "October", "November", "December"]
EMAIL_DOMAINS = ["example.com", "example.org", "example.net", "mail.example.co.uk"]
_NINO_BAD_FIRST = set("DFIQUV")
_NINO_BAD_SECOND = set("DFIQUVO")
_NINO_BAD_PREFIX = {"BG", "GB", "NK", "KN", "TN", "NT", "ZZ"}


def luhn_valid(digits: str) -> bool:
    """True when a digit string passes the Luhn check (payment cards)."""
    total = 0
    for i, ch in enumerate(reversed(digits)):
        d = int(ch)
        if i % 2 == 1:
            d = d * 2 - 9 if d > 4 else d * 2
        total += d
    return total % 10 == 0


def _luhn_complete(prefix: str) -> str:
    for check in range(10):
        if luhn_valid(prefix + str(check)):
            return prefix + str(check)
    raise AssertionError("unreachable: one check digit always fits")


def card_number(rng: random.Random, grouped: bool = True) -> str:
    """A 16-digit Visa/Mastercard-shaped number that passes Luhn."""
    prefix = rng.choice(["4", "51", "52", "53", "54", "55"])
    body = prefix + "".join(rng.choice(string.digits) for _ in range(15 - len(prefix)))
    number = _luhn_complete(body)
    if grouped:
        return " ".join(number[i:i + 4] for i in range(0, 16, 4))
    return number


def card_number_invalid(rng: random.Random) -> str:
    """A 16-digit number that looks like a card but fails Luhn (a hard negative)."""
    number = card_number(rng, grouped=False)
    last = (int(number[-1]) + rng.randint(1, 9)) % 10
    bad = number[:-1] + str(last)
    return " ".join(bad[i:i + 4] for i in range(0, 16, 4))


def iban_valid(value: str) -> bool:
    """True when an IBAN (spaces allowed) passes the ISO 13616 mod-97 check."""
    compact = value.replace(" ", "").upper()
    if len(compact) < 15 or not compact[:2].isalpha() or not compact[2:4].isdigit():
        return False
    rearranged = compact[4:] + compact[:4]
    numeric = "".join(str(int(ch, 36)) for ch in rearranged)
    return int(numeric) % 97 == 1


def _iban_from_bban(country: str, bban: str) -> str:
    numeric = "".join(str(int(ch, 36)) for ch in bban + country + "00")
    check = 98 - int(numeric) % 97
    return f"{country}{check:02d}{bban}"


def iban(rng: random.Random, grouped: bool = True) -> str:
    """A GB or DE IBAN with a correct mod-97 check, grouped in fours by default."""
    if rng.random() < 0.5:
        bank = "".join(rng.choice(string.ascii_uppercase) for _ in range(4))
        bban = bank + "".join(rng.choice(string.digits) for _ in range(14))
        value = _iban_from_bban("GB", bban)
    else:
        bban = "".join(rng.choice(string.digits) for _ in range(18))
        value = _iban_from_bban("DE", bban)
    if grouped:
        return " ".join(value[i:i + 4] for i in range(0, len(value), 4))
    return value


def ssn(rng: random.Random) -> str:
    """A US SSN with a valid area (not 000, 666, 9xx), group (not 00) and serial (not 0000)."""
    area = rng.choice([a for a in range(1, 900) if a != 666])
    return f"{area:03d}-{rng.randint(1, 99):02d}-{rng.randint(1, 9999):04d}"


def nino(rng: random.Random) -> str:
    """A UK National Insurance number with an allowed prefix and suffix A-D."""
    while True:
        first = rng.choice([c for c in string.ascii_uppercase if c not in _NINO_BAD_FIRST])
        second = rng.choice([c for c in string.ascii_uppercase if c not in _NINO_BAD_SECOND])
        if first + second not in _NINO_BAD_PREFIX:
            break
    digits = "".join(rng.choice(string.digits) for _ in range(6))
    return f"{first}{second}{digits}{rng.choice('ABCD')}"


def phone(rng: random.Random) -> str:
    """A phone number from the UK or US ranges reserved for fiction."""
    kind = rng.randrange(4)
    if kind == 0:
        return f"+44 20 7946 0{rng.randint(0, 999):03d}"
    if kind == 1:
        return f"020 7946 0{rng.randint(0, 999):03d}"
    if kind == 2:
        return f"+1 (415) 555-01{rng.randint(0, 99):02d}"
    return f"+1 212-555-01{rng.randint(0, 99):02d}"


def ip_address(rng: random.Random) -> str:
    """An IPv4 address from the documentation ranges (RFC 5737) or private space."""
    kind = rng.randrange(3)
    if kind == 0:
        return f"192.0.2.{rng.randint(1, 254)}"
    if kind == 1:
        return f"203.0.113.{rng.randint(1, 254)}"
    return f"10.{rng.randint(0, 255)}.{rng.randint(0, 255)}.{rng.randint(1, 254)}"


def email(rng: random.Random, first: str, last: str) -> str:
    """An e-mail address at a reserved example domain."""
    local = rng.choice([f"{first}.{last}", f"{first[0]}{last}", f"{first}{rng.randint(1, 99)}"])
    clean = "".join(ch for ch in local.lower() if ch.isalnum() or ch == ".")
    return f"{clean}@{rng.choice(EMAIL_DOMAINS)}"


def date_of_birth(rng: random.Random) -> tuple[date, str]:
    """A birth date (1950-2004) and one common written form of it."""
    born = date(1950, 1, 1) + timedelta(days=rng.randint(0, 54 * 365))
    style = rng.randrange(3)
    if style == 0:
        text = born.isoformat()
    elif style == 1:
        text = f"{born.day:02d}/{born.month:02d}/{born.year}"
    else:
        text = f"{born.day} {MONTHS[born.month - 1]} {born.year}"
    return born, text
