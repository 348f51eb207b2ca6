"""The batch workload for the async pattern: supplier invoices as semi-structured text.

Each invoice is the text an OCR step or an e-mail body would hand over (three layouts, mostly
``Key: value`` lines plus a table of line items) together with ``truth``, the fields an
extractor should return. About 7% are malformed on purpose (``defect``): the total is missing,
characters are garbled, or the text is cut off; their ``truth`` still says what the intact
invoice held, and ``malformed`` is true so a job pipeline can be scored on rejecting them.

Example:
    >>> rows = build_invoices(7, 1)
    >>> sum(r["malformed"] for r in rows) / len(rows) < 0.1
    True
"""

from __future__ import annotations

import random
from datetime import timedelta
from typing import Any

import labkit.data.generate.fakes as fakes
from labkit.data.generate.common import days_ago, faker_for, rng_for

MALFORMED_RATE = 0.07
_ITEMS = ["Consulting hours", "Cloud hosting (monthly)", "Support plan", "Licence renewal", "Hardware lease",
          "Training workshop", "Data migration", "Security audit", "Office supplies", "Courier services"]


def _money(value: float) -> str:
    return f"{value:,.2f}"


def _render(rng: random.Random, t: dict[str, Any], layout: int) -> str:
    lines_txt = "\n".join(f"- {li['description']} | qty {li['quantity']} | unit {_money(li['unit_price'])} | "
                          f"amount {_money(li['amount'])}" for li in t["line_items"])
    if layout == 0:
        return (f"INVOICE\nVendor: {t['vendor']}\nInvoice number: {t['invoice_number']}\n"
                f"Invoice date: {t['invoice_date']}\nDue date: {t['due_date']}\nCurrency: {t['currency']}\n"
                f"IBAN: {t['iban']}\n\nLine items:\n{lines_txt}\n\nSubtotal: {_money(t['subtotal'])}\n"
                f"Tax: {_money(t['tax'])}\nTotal: {_money(t['total'])}\n")
    if layout == 1:
        return (f"{t['vendor']}\nTax invoice {t['invoice_number']}\nIssued: {t['invoice_date']} | "
                f"Payment due: {t['due_date']}\n\n{lines_txt}\n\nNet: {t['currency']} {_money(t['subtotal'])}\n"
                f"VAT: {t['currency']} {_money(t['tax'])}\nTotal due: {t['currency']} {_money(t['total'])}\n"
                f"Pay to IBAN: {t['iban']}\n")
    return (f"From: {t['vendor']} <billing@{t['vendor'].split()[0].lower()}.example.com>\n"
            f"Subject: Invoice {t['invoice_number']}\n\nDear customer,\nplease find our invoice "
            f"{t['invoice_number']} dated {t['invoice_date']}, payable by {t['due_date']}.\n{lines_txt}\n"
            f"Subtotal: {_money(t['subtotal'])} {t['currency']}\nTax: {_money(t['tax'])} {t['currency']}\n"
            f"Total: {_money(t['total'])} {t['currency']}\nBank: IBAN {t['iban']}\nKind regards\n")


def _garble(rng: random.Random, text: str) -> str:
    chars = list(text)
    for i in rng.sample(range(len(chars)), len(chars) // 6):
        if chars[i] not in "\n":
            chars[i] = rng.choice("#~%?@*")
    return "".join(chars)


def build_invoices(seed: int, scale: int) -> list[dict[str, Any]]:
    """Invoice rows: ``doc_id``, ``text``, ``truth`` (a dict), ``malformed``, ``defect``."""
    rng = rng_for(seed, "invoices")
    fake = faker_for(seed, "invoices")
    vendors = sorted({f"{fake.last_name()} {rng.choice(['Supplies', 'Consulting', 'Services', 'Systems'])} Ltd"
                      for _ in range(60)})
    rows: list[dict[str, Any]] = []
    for i in range(1, 300 * scale + 1):
        issued = days_ago(rng, 1, 120)
        currency = rng.choice(["EUR", "EUR", "GBP", "USD"])
        items = []
        for _ in range(rng.randint(1, 4)):
            qty = rng.randint(1, 20)
            unit = round(rng.randint(2000, 250000) / 100, 2)
            items.append({"description": rng.choice(_ITEMS), "quantity": qty, "unit_price": unit,
                          "amount": round(qty * unit, 2)})
        subtotal = round(sum(li["amount"] for li in items), 2)
        tax = round(subtotal * rng.choice([0.0, 0.19, 0.2]), 2)
        truth = {"vendor": rng.choice(vendors), "invoice_number": f"INV-{rng.randint(10000, 99999)}-{i:04d}",
                 "invoice_date": issued.date().isoformat(),
                 "due_date": (issued + timedelta(days=rng.choice([14, 30, 45, 60]))).date().isoformat(),
                 "currency": currency, "iban": fakes.iban(rng, grouped=False), "line_items": items,
                 "subtotal": subtotal, "tax": tax, "total": round(subtotal + tax, 2)}
        text = _render(rng, truth, rng.randrange(3))
        defect = None
        if rng.random() < MALFORMED_RATE:
            defect = rng.choice(["missing_total", "garbled", "truncated"])
            if defect == "missing_total":
                text = "\n".join(line for line in text.splitlines() if "Total" not in line) + "\n"
            elif defect == "garbled":
                text = _garble(rng, text)
            else:
                text = text[: len(text) // 3]
        rows.append({"doc_id": f"INV-{i:06d}", "text": text,
                     "truth": truth, "malformed": defect is not None,
                     "defect": defect})
    return rows
