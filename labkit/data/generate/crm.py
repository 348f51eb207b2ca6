"""CRM accounts and contacts from two source systems, messy in the ways production CRMs are.

One list of real customers (``golden_id``) is exported twice: by ``salesforce_eu`` and by
``legacy_erp``. The exports disagree the way real ones do, and every disagreement is planted
and recorded in ``crm_account_truth`` so profiling can be checked against it:

- ``cross_system_duplicate``: the same customer in both systems, often under a name variant
  (``Ltd``/``Limited``, ``GmbH``/``GMBH``, case, a one-letter typo);
- ``exact_duplicate``: a re-imported copy inside ``legacy_erp`` (every column equal but the id);
- ``missing:<column>``: a field left empty (industry, phone, email, annual_revenue, owner_rm);
- ``conflict:<column>``: both systems filled a field, with different values;
- ``stale``: not updated for more than a year before the lab's "now".

Distinct customers are generated with names far apart (normalised similarity below 0.75), and
variants close (at least 0.9), so a profiler with a threshold in between can recover the
duplicate groups exactly. It does not load anything into DuckDB.

Example:
    >>> accounts, contacts, truth, rms = build_crm(7, 1, [("RM-001", "Ann Lee", "ann@x.example")])
    >>> len({a["golden_id"] for a in accounts}) < len(accounts)
    True
"""

from __future__ import annotations

import difflib
import random
import re
from typing import Any

import labkit.data.generate.fakes as fakes
from labkit.data.generate.common import days_ago, faker_for, rng_for, ts
from labkit.data.names import LEGAL_FORM_VARIANTS as _VARIANT
from labkit.data.names import LEGAL_FORMS_BY_COUNTRY as _SUFFIX
from labkit.data.names import name_similarity, normalise_name

SYSTEMS = ("salesforce_eu", "legacy_erp")
INDUSTRIES = ["Banking", "Insurance", "Retail", "Manufacturing", "Logistics", "Healthcare",
              "Telecommunications", "Energy", "Public Sector", "Software", "Media", "Hospitality"]
COUNTRIES = ["United Kingdom", "Germany", "France", "Netherlands", "Spain", "Italy", "Sweden",
             "Ireland", "Poland", "United States"]
_WORDS = ["Logistics", "Analytics", "Foods", "Engineering", "Capital", "Health", "Energy", "Media",
          "Systems", "Textiles", "Holdings", "Pharma", "Transport", "Retail", "Insurance", "Telecom",
          "Construction", "Mining", "Chemicals", "Robotics", "Aviation", "Shipping", "Hotels", "Brewing"]

# rates of planted defects (of records, or of golden customers for duplicates)
RATES = {"both_systems": 0.35, "name_variant": 0.7, "exact_duplicate": 0.03, "missing": 0.06,
         "conflict": 0.4, "stale": 0.15}


def _close(a: str, b: str, threshold: float = 0.75) -> bool:
    matcher = difflib.SequenceMatcher(None, a, b)
    # the cheap upper bounds first: most pairs are rejected without the full ratio
    return (matcher.real_quick_ratio() >= threshold and matcher.quick_ratio() >= threshold
            and matcher.ratio() >= threshold)


def _typo(rng: random.Random, word: str) -> str:
    i = rng.randrange(1, len(word) - 1)
    kind = rng.randrange(3)
    if kind == 0:   # swap two letters
        return word[:i] + word[i + 1] + word[i] + word[i + 2:]
    if kind == 1:   # drop a letter
        return word[:i] + word[i + 1:]
    return word[:i] + word[i] + word[i:]  # double a letter


def _variant(rng: random.Random, name: str, base: str, suffix: str) -> str:
    kind = rng.randrange(3)
    if kind == 0:
        return f"{base} {_VARIANT[suffix]}"
    if kind == 1:
        return name.upper() if rng.random() < 0.5 else name.lower()
    parts = base.split(" ")
    j = max(range(len(parts)), key=lambda k: len(parts[k]))
    parts[j] = _typo(rng, parts[j])
    typo = " ".join(parts) + f" {suffix}"
    # a typo in a short name can fall below the matching threshold: then vary the legal form
    if name_similarity(normalise_name(typo), normalise_name(name)) < 0.9:
        return f"{base} {_VARIANT[suffix]}"
    return typo


def build_crm(seed: int, scale: int, rms: list[tuple[str, str, str]]) -> tuple[
        list[dict[str, Any]], list[dict[str, Any]], list[dict[str, Any]], list[tuple[str, str, str]]]:
    """Accounts (both systems), contacts, per-record ground truth, relationship managers."""
    rng = rng_for(seed, "crm")
    fake = faker_for(seed, "crm")
    n_golden = 400 * scale
    golden: list[dict[str, Any]] = []
    blocks: dict[str, list[str]] = {}
    while len(golden) < n_golden:
        base = f"{fake.last_name()} {rng.choice(_WORDS)}"
        if rng.random() < 0.3:
            base = f"{fake.last_name()} & {fake.last_name()} {rng.choice(_WORDS)}"
        key = normalise_name(base)
        # keep distinct customers far apart so near-duplicate detection has a clean margin
        # compare with names sharing a word prefix: the profiler's blocking never compares others
        prefixes = {w[:3] for w in key.split() if len(w) >= 3}
        if any(_close(key, other) for pre in prefixes for other in blocks.get(pre, ())):
            continue
        for pre in prefixes:
            blocks.setdefault(pre, []).append(key)
        country = rng.choice(COUNTRIES)
        suffix = rng.choice(_SUFFIX[country])
        golden.append({
            "golden_id": f"G-{len(golden) + 1:05d}", "base": base, "suffix": suffix,
            "name": f"{base} {suffix}", "industry": rng.choice(INDUSTRIES), "country": country,
            "owner_rm": rng.choice(rms)[0], "email": f"accounts@{re.sub(r'[^a-z]', '', base.lower())}.example.com",
            "phone": fakes.phone(rng), "annual_revenue": float(rng.randint(5, 5000) * 100_000),
        })

    accounts: list[dict[str, Any]] = []
    truth: list[dict[str, Any]] = []
    for g in golden:
        both = rng.random() < RATES["both_systems"]
        systems = list(SYSTEMS) if both else [rng.choice(SYSTEMS)]
        for s_i, system in enumerate(systems):
            rec = {"source_system": system, "golden_id": g["golden_id"], "name": g["name"],
                   "industry": g["industry"], "country": g["country"], "owner_rm": g["owner_rm"],
                   "email": g["email"], "phone": g["phone"], "annual_revenue": g["annual_revenue"]}
            defects: list[str] = []
            if s_i == 1:
                defects.append("cross_system_duplicate")
                if rng.random() < RATES["name_variant"]:
                    rec["name"] = _variant(rng, g["name"], g["base"], g["suffix"])
                    defects.append("name_variant")
                prev = accounts[-1]  # the same customer's salesforce_eu record
                open_columns = [c for c in ("industry", "phone", "annual_revenue", "owner_rm")
                                if prev[c] is not None and (c != "owner_rm" or len(rms) > 1)]
                if rng.random() < RATES["conflict"] and open_columns:
                    column = rng.choice(open_columns)
                    if column == "industry":
                        rec[column] = rng.choice([i for i in INDUSTRIES if i != g["industry"]])
                    elif column == "phone":
                        rec[column] = fakes.phone(rng)
                        while rec[column] == g["phone"]:
                            rec[column] = fakes.phone(rng)
                    elif column == "annual_revenue":
                        rec[column] = round(g["annual_revenue"] * rng.choice([0.5, 0.8, 1.25, 2.0]), 2)
                    else:
                        rec[column] = rng.choice([r[0] for r in rms if r[0] != g["owner_rm"]])
                    defects.append(f"conflict:{column}")
            if rng.random() < RATES["missing"] * 5:
                column = rng.choice(["industry", "phone", "email", "annual_revenue", "owner_rm"])
                if not any(d == f"conflict:{column}" for d in defects):
                    rec[column] = None
                    defects.append(f"missing:{column}")
            stale = rng.random() < RATES["stale"]
            rec["updated_at"] = ts(days_ago(rng, 400, 1500) if stale else days_ago(rng, 1, 330))
            if stale:
                defects.append("stale")
            rec["_defects"] = defects
            accounts.append(rec)

    # exact duplicates: a re-import inside legacy_erp
    legacy = [a for a in accounts if a["source_system"] == "legacy_erp"]
    for rec in rng.sample(legacy, round(len(legacy) * RATES["exact_duplicate"])):
        copy = {k: v for k, v in rec.items() if k != "_defects"}
        copy["_defects"] = ["exact_duplicate"] + [d for d in rec["_defects"] if d.startswith(("missing:", "stale"))]
        accounts.append(copy)

    rng.shuffle(accounts)
    rows: list[dict[str, Any]] = []
    for i, rec in enumerate(accounts, start=1):
        account_id = f"ACC-{i:05d}"
        defects = rec.pop("_defects")
        rows.append({"account_id": account_id, **rec})
        truth.append({"account_id": account_id, "golden_id": rec["golden_id"],
                      "defects": sorted(defects)})

    contacts: list[dict[str, Any]] = []
    contact_fake = faker_for(seed, "contacts")
    titles = ["Finance Director", "Head of IT", "Procurement Manager", "Operations Lead", "CFO", "CTO",
              "Customer Success Manager", "Accounts Payable Clerk"]
    for row in rows:
        for _ in range(rng.choice([1, 1, 2, 3])):
            first, last = contact_fake.first_name(), contact_fake.last_name()
            contacts.append({
                "contact_id": f"CON-{len(contacts) + 1:06d}", "account_id": row["account_id"],
                "name": f"{first} {last}", "email": fakes.email(rng, first, last) if rng.random() > 0.05 else None,
                "phone": fakes.phone(rng) if rng.random() > 0.15 else None, "title": rng.choice(titles),
                "source_system": row["source_system"], "updated_at": row["updated_at"],
            })
    return rows, contacts, truth, rms
