"""Company-name matching: normalise a name (case, punctuation, legal form) and compare two.

The readiness profile uses it to find near-duplicate CRM accounts; the sample-data generator
uses the same rules to keep distinct customers far apart and name variants close, so the
profile's threshold can recover the planted duplicate groups. It does not decide what counts
as a duplicate (the profile's threshold does).

Example:
    >>> normalise_name("Acme Logistics Ltd."), normalise_name("ACME Logistics Limited")
    ('acme logistics', 'acme logistics')
    >>> round(name_similarity("acme logistics", "acme logistcs"), 2)
    0.96
"""

from __future__ import annotations

import difflib
import re

# country -> the legal forms its companies use; the long variant each may be written as
LEGAL_FORMS_BY_COUNTRY: dict[str, list[str]] = {
    "United Kingdom": ["Ltd", "plc"], "Ireland": ["Ltd"], "Germany": ["GmbH", "AG"], "France": ["SA", "SAS"],
    "Netherlands": ["BV"], "Spain": ["SL", "SA"], "Italy": ["SpA", "Srl"], "Sweden": ["AB"],
    "Poland": ["Sp. z o.o."], "United States": ["Inc", "LLC"],
}
LEGAL_FORM_VARIANTS: dict[str, str] = {
    "Ltd": "Limited", "plc": "PLC", "GmbH": "GMBH", "AG": "Aktiengesellschaft", "SA": "S.A.", "SAS": "S.A.S.",
    "BV": "B.V.", "SL": "S.L.", "SpA": "S.p.A.", "Srl": "S.r.l.", "AB": "Aktiebolag", "Sp. z o.o.": "Sp. z.o.o.",
    "Inc": "Incorporated", "LLC": "L.L.C.",
}
# longest first, so "sp z oo" is stripped whole before a shorter form could match its tail
LEGAL_FORMS = sorted({w.lower().replace(".", "") for s in LEGAL_FORMS_BY_COUNTRY.values() for w in s}
                     | {w.lower().replace(".", "") for w in LEGAL_FORM_VARIANTS.values()}, key=len, reverse=True)


def normalise_name(name: str) -> str:
    """Lower case, legal form and punctuation removed: the key duplicates are compared on."""
    text = name.lower().replace(".", "").replace(",", "")
    for form in LEGAL_FORMS:
        if text.endswith(" " + form):
            text = text[: -len(form) - 1]
            break
    return re.sub(r"\s+", " ", re.sub(r"[^a-z0-9 ]", " ", text)).strip()


def name_similarity(a: str, b: str) -> float:
    """Similarity of two normalised names in [0, 1] (difflib ratio)."""
    return difflib.SequenceMatcher(None, a, b).ratio()
