"""Shared pieces of the sample-data generator: the fixed clock, scales, seeded RNGs, people.

Determinism is the point: the lab's "now" is a constant (``AS_OF``), never the wall clock, and
every part of the generator draws from its own RNG derived from ``(seed, part name)``, so
adding rows to one table never shifts the values of another. Faker is seeded per instance.

Example:
    >>> rng_for(7, "crm").random() == rng_for(7, "crm").random()
    True
"""

from __future__ import annotations

import hashlib
import random
from dataclasses import dataclass
from datetime import datetime, timedelta

from faker import Faker

from labkit.data.access import ROLES
from labkit.data.schema import AS_OF

REGIONS: dict[str, tuple[str, list[str]]] = {
    # region -> (currency, cities)
    "United Kingdom": ("GBP", ["London", "Manchester", "Edinburgh"]),
    "Germany": ("EUR", ["Berlin", "Munich", "Frankfurt"]),
    "France": ("EUR", ["Paris", "Lyon"]),
    "Netherlands": ("EUR", ["Amsterdam", "Rotterdam"]),
    "Spain": ("EUR", ["Madrid", "Barcelona"]),
    "Italy": ("EUR", ["Milan", "Rome"]),
    "Nordics": ("SEK", ["Stockholm", "Copenhagen", "Oslo"]),
    "Ireland": ("EUR", ["Dublin", "Cork"]),
    "Poland": ("PLN", ["Warsaw", "Krakow"]),
    "United States": ("USD", ["New York", "Chicago", "Austin"]),
}
MONTHS = ["January", "February", "March", "April", "May", "June", "July", "August",
          "September", "October", "November", "December"]


def rng_for(seed: int, part: str) -> random.Random:
    """An RNG for one part of the generator, independent of every other part."""
    digest = hashlib.sha256(f"{seed}:{part}".encode()).digest()
    return random.Random(int.from_bytes(digest[:8], "big"))


def faker_for(seed: int, part: str, locale: str = "en_GB") -> Faker:
    """A Faker instance seeded for one part (instance seeding, not the global seed)."""
    fake = Faker(locale)
    fake.seed_instance(rng_for(seed, part).getrandbits(32))
    return fake


def ts(value: datetime) -> str:
    """The one timestamp format in the committed files (ISO, seconds, no zone)."""
    return value.strftime("%Y-%m-%dT%H:%M:%S")


def days_ago(rng: random.Random, low: int, high: int) -> datetime:
    """A timestamp between ``low`` and ``high`` days before AS_OF, at a whole minute."""
    return AS_OF - timedelta(days=rng.randint(low, high), minutes=rng.randint(0, 24 * 60 - 1))


def long_date(value: datetime) -> str:
    """'31 March 2027' style, independent of the machine's locale."""
    return f"{value.day} {MONTHS[value.month - 1]} {value.year}"


@dataclass(frozen=True)
class Person:
    """One member of staff (the ``users`` table)."""

    user_id: str
    name: str
    email: str
    role: str
    department: str


DEPARTMENT_OF_ROLE = {
    "employee": "Operations", "support_agent": "Customer Support",
    "relationship_manager": "Sales", "hr": "People", "legal": "Legal", "finance": "Finance",
    "engineering": "Engineering", "admin": "IT",
}


def make_people(seed: int, scale: int) -> list[Person]:
    """Staff of the fictional company, with unique names and e-mail addresses."""
    fake = faker_for(seed, "people")
    per_role = {"employee": 20, "support_agent": 14, "relationship_manager": 12, "hr": 5,
                "legal": 5, "finance": 6, "engineering": 12, "admin": 3}
    people: list[Person] = []
    seen: set[str] = set()
    n = 1
    for role in ROLES:
        for _ in range(per_role[role] * scale):
            while True:
                first, last = fake.first_name(), fake.last_name()
                if f"{first} {last}" not in seen:
                    break
            seen.add(f"{first} {last}")
            local = f"{first}.{last}".lower().replace("'", "").replace(" ", "")
            people.append(Person(f"U-{n:04d}", f"{first} {last}", f"{local}@meridian-ledger.example",
                                 role, DEPARTMENT_OF_ROLE[role]))
            n += 1
    return people
