"""PII detection and reversible redaction: patterns plus validators, no NER.

What it does: finds e-mail addresses, phone numbers, payment cards, IBANs, national ids
(US SSN, UK NINO), IP addresses and dates of birth in free text; replaces each with a stable
placeholder such as ``<EMAIL_1>`` before anything leaves for the model provider; and puts the
original values back (re-hydrates) in the answer for a caller who may see them. The Direct
API client calls :func:`redact_messages` on every outgoing request, so no other pattern has
to think about it.

How: each entity type has a candidate regular expression and, where one exists, a validator
that removes look-alikes — Luhn for cards, ISO 13616 mod-97 and the per-country length for
IBANs, the SSA area/group/serial rules for SSNs, the HMRC prefix rules for NINOs, octet ranges
for IPv4, :mod:`ipaddress` for IPv6, a real calendar date near a "born"/"DOB" cue for dates of
birth. Overlapping candidates are resolved longest-first, so a card number is never also
reported as a phone number.

What it does not do: names, postal addresses and other PII that needs a language model. NER
libraries (spaCy, Presidio's default recogniser) need model downloads this lab cannot do, so
the validators are hand-written here; they are a few lines each and easy to audit. It also
does not decide who may see re-hydrated output — that is the caller's authorisation.

Fail closed: any unexpected error inside detection or redaction raises
:class:`~labkit.errors.RedactionFailed`, so a bug never lets raw text through.

Example:
    >>> r = redact("Mail jane.doe@example.com or call +44 20 7946 0958.")
    >>> r.text
    'Mail <EMAIL_1> or call <PHONE_1>.'
    >>> rehydrate("I wrote to <EMAIL_1>.", r.mapping)
    'I wrote to jane.doe@example.com.'
"""

from __future__ import annotations

import copy
import ipaddress
import json
import re
from collections import Counter, defaultdict
from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass, field
from datetime import date
from pathlib import Path
from typing import Any

from pydantic import BaseModel, Field, model_validator

from labkit.errors import InputError, RedactionFailed
from labkit.jsonlines import read_models

ENTITY_TYPES: tuple[str, ...] = ("EMAIL", "PHONE", "CARD", "IBAN", "NATIONAL_ID", "IP", "DOB")

# On equal length the earlier type wins (a Luhn-valid card beats a phone-shaped digit run).
_PRIORITY = {t: i for i, t in enumerate(("CARD", "IBAN", "NATIONAL_ID", "EMAIL", "IP", "DOB", "PHONE"))}


@dataclass(frozen=True, slots=True)
class Finding:
    """One detected PII value: its type and the ``[start, end)`` span in the text."""

    type: str
    start: int
    end: int
    text: str


@dataclass(slots=True)
class Redaction:
    """The redacted text, the placeholder -> original mapping, and what was found."""

    text: str
    mapping: dict[str, str] = field(default_factory=dict)
    findings: list[Finding] = field(default_factory=list)


# --- validators ---------------------------------------------------------------------------

def luhn_ok(digits: str) -> bool:
    """True when ``digits`` passes the Luhn check used by payment cards.

    Example:
        >>> luhn_ok("4111111111111111"), luhn_ok("4111111111111112")
        (True, False)
    """
    total = 0
    for i, ch in enumerate(reversed(digits)):
        d = ord(ch) - 48
        if i % 2:
            d *= 2
            if d > 9:
                d -= 9
        total += d
    return total % 10 == 0


# ISO 13616 lengths for the countries most likely to appear; others only need 15-34 chars.
_IBAN_LENGTHS = {
    "AD": 24, "AE": 23, "AT": 20, "BE": 16, "BG": 22, "CH": 21, "CY": 28, "CZ": 24, "DE": 22,
    "DK": 18, "EE": 20, "ES": 24, "FI": 18, "FR": 27, "GB": 22, "GR": 27, "HR": 21, "HU": 28,
    "IE": 22, "IS": 26, "IT": 27, "LI": 21, "LT": 20, "LU": 20, "LV": 21, "MC": 27, "MT": 31,
    "NL": 18, "NO": 15, "PL": 28, "PT": 25, "RO": 24, "SA": 24, "SE": 24, "SI": 19, "SK": 24,
    "SM": 27, "TR": 26,
}


def iban_ok(iban: str) -> bool:
    """True when ``iban`` (spaces allowed) has its country's length and passes mod-97.

    Example:
        >>> iban_ok("GB82 WEST 1234 5698 7654 32"), iban_ok("GB82 WEST 1234 5698 7654 33")
        (True, False)
    """
    s = iban.replace(" ", "").upper()
    if not (15 <= len(s) <= 34) or not s[:2].isalpha() or not s[2:4].isdigit():
        return False
    expected = _IBAN_LENGTHS.get(s[:2])
    if expected is not None and len(s) != expected:
        return False
    rearranged = s[4:] + s[:4]
    try:
        number = "".join(str(int(ch, 36)) for ch in rearranged)
    except ValueError:
        return False
    return int(number) % 97 == 1


def ssn_ok(area: str, group: str, serial: str) -> bool:
    """US SSN rules: area not 000, 666 or 900-999; group not 00; serial not 0000."""
    a = int(area)
    return a != 0 and a != 666 and a < 900 and group != "00" and serial != "0000"


_NINO_BAD_PREFIXES = {"BG", "GB", "KN", "NK", "NT", "TN", "ZZ"}


def nino_ok(prefix: str) -> bool:
    """UK NINO prefix rules: D, F, I, Q, U, V never used; O not second; some pairs reserved."""
    p = prefix.upper()
    return (
        p[0] not in "DFIQUV"
        and p[1] not in "DFIQUVO"
        and p not in _NINO_BAD_PREFIXES
    )


# --- candidate patterns -------------------------------------------------------------------

_EMAIL = re.compile(
    r"(?<![\w.+-])[A-Za-z0-9](?:[A-Za-z0-9._%+-]{0,63})@(?:[A-Za-z0-9](?:[A-Za-z0-9-]{0,61}[A-Za-z0-9])?\.)+[A-Za-z]{2,24}(?![\w-])"
)

# Runs of digit groups separated by one space or dash; Luhn decides which windows are cards.
_DIGIT_RUN = re.compile(r"(?<![\d-])\d+(?:[ -]\d+)*(?!\d)")

_IBAN = re.compile(r"(?<![A-Za-z0-9])[A-Z]{2}\d{2}(?: ?[A-Z0-9]){11,30}(?![A-Za-z0-9])")

_SSN = re.compile(r"(?<![\w-])(\d{3})([- ])(\d{2})\2(\d{4})(?![\w-])")
_SSN_CUE = re.compile(r"(?i)\b(?:ssn|social security(?: number| no\.?)?)\b[\s:#=]*(?:is\s+)?(\d{3})(\d{2})(\d{4})\b")

_NINO = re.compile(r"(?<![A-Za-z0-9])([A-Za-z]{2}) ?(\d{2}) ?(\d{2}) ?(\d{2}) ?([A-Da-d])(?![A-Za-z0-9])")

_OCTET = r"(?:25[0-5]|2[0-4]\d|1\d\d|[1-9]?\d)"
_IPV4 = re.compile(rf"(?<![\w.]){_OCTET}(?:\.{_OCTET}){{3}}(?!\.?\d|\w)")
_VERSION_CUE = re.compile(r"(?i)(?:\b(?:version|ver|release|build|firmware|v)\.?\s*(?:is\s+|to\s+|of\s+)?|\bv)$")
_IPV6 = re.compile(r"(?<![\w:.])(?:[0-9A-Fa-f]{0,4}:){2,7}(?:[0-9A-Fa-f]{1,4}|:|(?:\d{1,3}\.){3}\d{1,3})(?![\w:])")

# Phones: an optional international prefix, an optional (area) code, then digit groups.
_PHONE = re.compile(
    r"(?<![\w+/.-])"
    r"(?P<intl>\+[1-9]\d{0,2}|00[1-9]\d{0,2})?"
    r"(?:[ .-]?\(0\))?"
    r"[ .-]?(?P<paren>\(\d{2,5}\))?"
    r"[ .-]?\d{2,12}(?:[ .-]\d{2,8}){0,4}"
    r"(?P<ext>[ ]?(?:x|ext\.?|extension)[ ]?\d{1,5})?"
    r"(?![\w-]|\.\d)"
)
_PHONE_CUE = re.compile(r"(?i)\b(?:phone|tel|telephone|mobile|mob|cell|call|fax|ph|contact number|whatsapp|sms|text)\b[^\n\w]{0,4}(?:\w+\W{1,3}){0,2}$")
_NOT_PHONE_CUE = re.compile(r"(?i)\b(?:order|invoice|inv|ref|reference|ticket|account|acct|po|id|no|number|sku|serial|tracking|case)\b[\s.#:-]*$")
_NANP = re.compile(r"^(?:\+?1[ .-]?)?(?:\(\d{3}\)[ .-]?|\d{3}[ .-])\d{3}[ .-]\d{4}$")

_MONTHS = {m: i + 1 for i, m in enumerate(
    ["jan", "feb", "mar", "apr", "may", "jun", "jul", "aug", "sep", "oct", "nov", "dec"])}
_MON = r"(?:jan(?:uary)?|feb(?:ruary)?|mar(?:ch)?|apr(?:il)?|may|june?|july?|aug(?:ust)?|sep(?:t(?:ember)?)?|oct(?:ober)?|nov(?:ember)?|dec(?:ember)?)"
_DATE = (
    r"(?P<date>"
    r"(?P<iso>\d{4}[-/.]\d{1,2}[-/.]\d{1,2})"
    r"|(?P<num>\d{1,2}[-/.]\d{1,2}[-/.](?:\d{4}|\d{2}))"
    rf"|(?P<dmy>\d{{1,2}}(?:st|nd|rd|th)?[ -](?:of[ ])?{_MON}\.?,?[ -]\d{{4}})"
    rf"|(?P<mdy>{_MON}\.?[ ]\d{{1,2}}(?:st|nd|rd|th)?,?[ ]\d{{4}})"
    r")(?![\w/.-]\d|\d)"
)
_DOB = re.compile(
    r"(?i)\b(?:born|d\.?o\.?b\.?|date[ ]of[ ]birth|birth[ ]?date|birthday)"
    r"(?:\W|\b)[^\n;]{0,24}?" + _DATE
)


def _valid_date(m: re.Match[str]) -> bool:
    raw = m.group("date")
    try:
        if m.group("iso"):
            y, mo, d = (int(x) for x in re.split(r"[-/.]", raw))
            return _real(y, mo, d)
        if m.group("num"):
            a, b, y = (int(x) for x in re.split(r"[-/.]", raw))
            y = y + (1900 if y >= 30 else 2000) if y < 100 else y
            return _real(y, b, a) or _real(y, a, b)  # day-first or month-first
        words = re.findall(r"[A-Za-z]+|\d+", raw)
        nums = [int(w) for w in words if w.isdigit()]
        month = next(_MONTHS[w.lower()[:3]] for w in words if w.lower()[:3] in _MONTHS)
        return _real(nums[-1], month, nums[0])
    except (ValueError, StopIteration, IndexError):
        return False


def _real(y: int, mo: int, d: int) -> bool:
    try:
        date(y, mo, d)
    except ValueError:
        return False
    return 1900 <= y <= 2100


# --- detection ----------------------------------------------------------------------------

# Cheap gates before the regexes: most prompt text has no digit, no "@" and no DOB cue, and a
# C-level scan for one character is far cheaper than running every pattern over it.
_ANY_DIGIT = re.compile(r"\d")
_DOB_GATE = re.compile(r"(?i)born|d\.?o\.?b|birth")


def _card_shaped(digits: str, group_lengths: list[int]) -> bool:
    """Card numbers never start with 0 and are printed whole, in fours, or 4-6-5 / 4-6-4."""
    if digits[0] == "0" or len(set(digits)) == 1:
        return False
    if len(group_lengths) == 1:
        return True
    if group_lengths in ([4, 6, 5], [4, 6, 4]):
        return True
    return all(n == 4 for n in group_lengths[:-1]) and 1 <= group_lengths[-1] <= 4


def _card_candidates(text: str) -> Iterator[Finding]:
    if not _ANY_DIGIT.search(text):
        return
    # Take whole runs of digit groups, then find Luhn-valid windows of 13-19 digits on group
    # boundaries, left to right and longest first: a card next to an order number or a second
    # card must not hide inside one over-long regex match.
    for m in _DIGIT_RUN.finditer(text):
        raw = m.group(0)
        groups = [(g.start(), g.end()) for g in re.finditer(r"\d+", raw)]
        if sum(e - s for s, e in groups) < 13:
            continue
        i = 0
        while i < len(groups):
            count, ends = 0, []
            for j in range(i, len(groups)):
                count += groups[j][1] - groups[j][0]
                if count > 19:
                    break
                if count >= 13:
                    ends.append(j)
            hit = None
            for j in reversed(ends):
                s, e = groups[i][0], groups[j][1]
                digits = re.sub(r"\D", "", raw[s:e])
                if _card_shaped(digits, [ge - gs for gs, ge in groups[i:j + 1]]) and luhn_ok(digits):
                    hit = (j, s, e)
                    break
            if hit is None:
                i += 1
                continue
            j, s, e = hit
            yield Finding("CARD", m.start() + s, m.start() + e, raw[s:e])
            i = j + 1


def _iban_candidates(text: str) -> Iterator[Finding]:
    if not _ANY_DIGIT.search(text):
        return
    pos = 0
    while (m := _IBAN.search(text, pos)) is not None:
        raw = m.group(0)
        expected = _IBAN_LENGTHS.get(raw[:2])
        # The greedy pattern may run into a following code (even a second IBAN): trim to the
        # country's length, and rescan right after what was taken.
        lengths = [expected] if expected else range(34, 14, -1)
        found = None
        for n in lengths:
            count, end = 0, 0
            for idx, ch in enumerate(raw):
                if ch != " ":
                    count += 1
                    if count == n:
                        end = idx + 1
                        break
            if end and (end == len(raw) or raw[end] == " ") and iban_ok(raw[:end]):
                found = Finding("IBAN", m.start(), m.start() + end, raw[:end])
                break
        if found is not None:
            yield found
            pos = found.end
        else:
            pos = m.start() + 1


def _national_id_candidates(text: str) -> Iterator[Finding]:
    if not _ANY_DIGIT.search(text):
        return
    for m in _SSN.finditer(text):
        if ssn_ok(m.group(1), m.group(3), m.group(4)):
            yield Finding("NATIONAL_ID", m.start(), m.end(), m.group(0))
    for m in _SSN_CUE.finditer(text):
        if ssn_ok(m.group(1), m.group(2), m.group(3)):
            yield Finding("NATIONAL_ID", m.start(1), m.end(3), text[m.start(1):m.end(3)])
    for m in _NINO.finditer(text):
        prefix, suffix = m.group(1), m.group(5)
        # Mixed case is prose, not an id ("is 12 34 56 a"); accept all-upper or all-lower.
        if not (prefix.isupper() and suffix.isupper()) and not (prefix.islower() and suffix.islower()):
            continue
        if prefix.islower() and " " in m.group(0):
            continue
        if nino_ok(prefix):
            yield Finding("NATIONAL_ID", m.start(), m.end(), m.group(0))


def _ip_candidates(text: str) -> Iterator[Finding]:
    if not _ANY_DIGIT.search(text) and "::" not in text:
        return
    for m in _IPV4.finditer(text):
        # "version 10.4.2.1" is a four-part version number, not an address
        if _VERSION_CUE.search(text[max(0, m.start() - 20):m.start()]):
            continue
        yield Finding("IP", m.start(), m.end(), m.group(0))
    for m in _IPV6.finditer(text):
        raw = m.group(0)
        # "10:30:00" is a time; a real IPv6 either compresses (::) or has all eight groups.
        if "::" not in raw and raw.count(":") < 7:
            continue
        try:
            ipaddress.IPv6Address(raw)
        except ValueError:
            continue
        yield Finding("IP", m.start(), m.end(), raw)


def _phone_check(text: str, m: re.Match[str]) -> Finding | None:
    raw = m.group(0)
    lead = len(raw) - len(raw.lstrip(" .-"))
    start = m.start() + lead
    raw = raw[lead:]
    core = raw[: len(raw) - len(m.group("ext") or "")] if m.group("ext") else raw
    digits = re.sub(r"\D", "", core)
    before = text[max(0, start - 40):start]
    if m.group("intl"):
        if not 8 <= len(digits) <= 15:
            return None
    else:
        # national numbers: NANP 10 digits (11 with the leading 1), UK 0 + 9-10 digits
        if not 10 <= len(digits) <= 11:
            return None
        separated = bool(re.search(r"[ .()-]", core))
        shaped = bool(_NANP.match(core)) or core.startswith("(") or (core.startswith("0") and separated)
        cued = bool(_PHONE_CUE.search(before))
        if not shaped and not cued:
            return None
        if _NOT_PHONE_CUE.search(before) and not cued:
            return None
        if re.fullmatch(r"\d{4}[-/.]\d{1,2}[-/.]\d{1,2}", core):
            return None  # a date
    return Finding("PHONE", start, m.start() + len(m.group(0)), raw)


def _phone_candidates(text: str) -> Iterator[Finding]:
    if not _ANY_DIGIT.search(text):
        return
    pos = 0
    while True:
        m = _PHONE.search(text, pos)
        if m is None:
            return
        found = _phone_check(text, m)
        if found is None:
            # The pattern may have run into a neighbouring number ("020 7946 0958 4111 ..."):
            # try the shorter windows that end on a group boundary, longest first.
            body = m.group(0)
            for cut in sorted((g.end() for g in re.finditer(r"\d+", body)), reverse=True)[1:]:
                sub = _PHONE.fullmatch(text, m.start(), m.start() + cut)
                if sub is not None and (found := _phone_check(text, sub)) is not None:
                    break
        if found is not None:
            yield found
            pos = found.end
        else:
            # Not a phone, nor any prefix of it. Do not rescan from inside the run: the tail of
            # a card-like or account number ("4777 0042 4655 5602") is not a phone number.
            pos = m.end()


def _email_candidates(text: str) -> Iterator[Finding]:
    if "@" not in text:
        return
    for m in _EMAIL.finditer(text):
        yield Finding("EMAIL", m.start(), m.end(), m.group(0))


def _dob_candidates(text: str) -> Iterator[Finding]:
    if not _DOB_GATE.search(text) or not _ANY_DIGIT.search(text):
        return
    for m in _DOB.finditer(text):
        if _valid_date(m):
            yield Finding("DOB", m.start("date"), m.end("date"), m.group("date"))


_DETECTORS: tuple[Callable[[str], Iterable[Finding]], ...] = (
    _email_candidates, _card_candidates, _iban_candidates, _national_id_candidates,
    _ip_candidates, _dob_candidates, _phone_candidates,
)


def detect(text: str) -> list[Finding]:
    """All PII findings in ``text``, non-overlapping (longest wins), in text order.

    Raises :class:`RedactionFailed` on any internal error (fail closed).

    Example:
        >>> [(f.type, f.text) for f in detect("Card 4111 1111 1111 1111, SSN 123-45-6789")]
        [('CARD', '4111 1111 1111 1111'), ('NATIONAL_ID', '123-45-6789')]
    """
    if not isinstance(text, str):
        raise RedactionFailed(f"cannot scan {type(text).__name__} for PII; expected text")
    try:
        candidates = [f for detector in _DETECTORS for f in detector(text)]
        candidates.sort(key=lambda f: (-(f.end - f.start), _PRIORITY[f.type], f.start))
        taken: list[Finding] = []
        for cand in candidates:
            if all(cand.end <= t.start or cand.start >= t.end for t in taken):
                taken.append(cand)
        taken.sort(key=lambda f: f.start)
        return taken
    except Exception as exc:  # fail closed: a bug must never let raw text through
        raise RedactionFailed(f"PII detection failed: {type(exc).__name__}: {exc}") from exc


# --- redaction ----------------------------------------------------------------------------

_PLACEHOLDER = re.compile(r"<(EMAIL|PHONE|CARD|IBAN|NATIONAL_ID|IP|DOB)_(\d+)>")


def redact(text: str, mapping: dict[str, str] | None = None) -> Redaction:
    """Replace every PII value in ``text`` by a placeholder like ``<EMAIL_1>``.

    The same value gets the same placeholder. Pass the ``mapping`` of an earlier call (it is
    updated in place and returned) to keep numbering stable across the messages of one request.

    Example:
        >>> r = redact("a@x.io wrote to b@x.io, then a@x.io again")
        >>> r.text, r.mapping
        ('<EMAIL_1> wrote to <EMAIL_2>, then <EMAIL_1> again', {'<EMAIL_1>': 'a@x.io', '<EMAIL_2>': 'b@x.io'})
        >>> redact("call 020 7946 0958", r.mapping).text
        'call <PHONE_1>'
    """
    findings = detect(text)
    mapping = {} if mapping is None else mapping
    try:
        by_value = {v: k for k, v in mapping.items()}
        counters: Counter[str] = Counter()
        for placeholder in mapping:
            m = _PLACEHOLDER.fullmatch(placeholder)
            if m:
                counters[m.group(1)] = max(counters[m.group(1)], int(m.group(2)))
        out: list[str] = []
        pos = 0
        for f in findings:
            placeholder = by_value.get(f.text)
            if placeholder is None:
                counters[f.type] += 1
                placeholder = f"<{f.type}_{counters[f.type]}>"
                # a literal "<EMAIL_1>" already in the text must not be re-hydrated into a value
                while placeholder in text:
                    counters[f.type] += 1
                    placeholder = f"<{f.type}_{counters[f.type]}>"
                mapping[placeholder] = f.text
                by_value[f.text] = placeholder
            out.append(text[pos:f.start])
            out.append(placeholder)
            pos = f.end
        out.append(text[pos:])
        return Redaction("".join(out), mapping, findings)
    except Exception as exc:
        raise RedactionFailed(f"PII redaction failed: {type(exc).__name__}: {exc}") from exc


def rehydrate(text: str, mapping: dict[str, str]) -> str:
    """Put the original values back for every known placeholder in ``text``.

    Unknown placeholders are left as they are (the model may invent ``<EMAIL_9>``).

    Example:
        >>> rehydrate("Reply to <EMAIL_1>", {"<EMAIL_1>": "a@x.io"})
        'Reply to a@x.io'
    """
    if not mapping or not text:
        return text
    return _PLACEHOLDER.sub(lambda m: mapping.get(m.group(0), m.group(0)), text)


def _map_strings(value: Any, fn: Callable[[str], str]) -> Any:
    if isinstance(value, str):
        return fn(value)
    if isinstance(value, list):
        return [_map_strings(v, fn) for v in value]
    if isinstance(value, dict):
        return {k: _map_strings(v, fn) for k, v in value.items()}
    return value


def _redact_json_string(raw: str, fn: Callable[[str], str]) -> str:
    # Tool arguments are JSON text: redact the string leaves so the JSON stays valid.
    try:
        parsed = json.loads(raw)
    except (ValueError, TypeError):
        return fn(raw)
    return json.dumps(_map_strings(parsed, fn), ensure_ascii=False)


def redact_messages(
    messages: list[dict[str, Any]], mapping: dict[str, str] | None = None
) -> tuple[list[dict[str, Any]], dict[str, str]]:
    """Redact every message of a chat request; returns new messages and the shared mapping.

    Handles string content, content-part lists (``{"type": "text", "text": ...}``), tool-call
    arguments (JSON strings, redacted leaf by leaf) and tool results. The input is not changed.

    Example:
        >>> msgs, m = redact_messages([{"role": "user", "content": "I am a@x.io"},
        ...     {"role": "assistant", "content": None, "tool_calls": [{"id": "c1", "type": "function",
        ...      "function": {"name": "lookup", "arguments": '{"email": "a@x.io"}'}}]}])
        >>> msgs[0]["content"], msgs[1]["tool_calls"][0]["function"]["arguments"]
        ('I am <EMAIL_1>', '{"email": "<EMAIL_1>"}')
    """
    mapping = {} if mapping is None else mapping
    if not isinstance(messages, list):
        raise RedactionFailed("messages must be a list of dicts")

    def red(s: str) -> str:
        return redact(s, mapping).text

    try:
        out: list[dict[str, Any]] = []
        for msg in messages:
            if not isinstance(msg, dict):
                raise RedactionFailed(f"message must be a dict, got {type(msg).__name__}")
            # copy only what is rewritten (deepcopy of every message costs more than the scan)
            new = dict(msg)
            content = new.get("content")
            if isinstance(content, str):
                new["content"] = red(content)
            elif isinstance(content, list):
                new["content"] = [
                    {**part, "text": red(part["text"])} if isinstance(part, dict) and isinstance(part.get("text"), str)
                    else copy.deepcopy(part) for part in content]
            if new.get("tool_calls"):
                calls = []
                for call in new["tool_calls"]:
                    call = copy.deepcopy(call)
                    fn = call.get("function") if isinstance(call, dict) else None
                    if isinstance(fn, dict) and isinstance(fn.get("arguments"), str):
                        fn["arguments"] = _redact_json_string(fn["arguments"], red)
                    calls.append(call)
                new["tool_calls"] = calls
            out.append(new)
        return out, mapping
    except RedactionFailed:
        raise
    except Exception as exc:
        raise RedactionFailed(f"PII redaction of messages failed: {type(exc).__name__}: {exc}") from exc


def rehydrate_value(value: Any, mapping: dict[str, str]) -> Any:
    """Re-hydrate every string inside ``value`` (str, list, dict, JSON text stays JSON text).

    Use it for tool-call arguments the model returns, so tools see real values.

    Example:
        >>> rehydrate_value({"to": "<EMAIL_1>", "cc": ["<EMAIL_1>"]}, {"<EMAIL_1>": "a@x.io"})
        {'to': 'a@x.io', 'cc': ['a@x.io']}
    """
    return _map_strings(value, lambda s: rehydrate(s, mapping))


# --- evaluation ---------------------------------------------------------------------------

class Span(BaseModel):
    """One labelled PII span in an evaluation case."""

    start: int = Field(ge=0)
    end: int = Field(ge=0)
    type: str = Field(min_length=1)


class PiiCase(BaseModel):
    """One labelled case: a text and its expected spans (JSON lines format)."""

    id: str | int
    text: str
    spans: list[Span] = Field(default_factory=list)

    @model_validator(mode="after")
    def _spans_inside_text(self) -> "PiiCase":
        for s in self.spans:
            if not s.start < s.end <= len(self.text):
                raise ValueError(f"span {s.start}-{s.end} is outside the text (length {len(self.text)})")
        return self


def load_cases(path: str | Path) -> list[PiiCase]:
    """Read a JSON lines file of labelled cases; a bad line raises InputError with its number."""
    return read_models(path, PiiCase)


class TypeScore(BaseModel):
    """Precision, recall and F1 for one entity type (or the micro total)."""

    tp: int = 0
    fp: int = 0
    fn: int = 0

    @property
    def precision(self) -> float:
        return self.tp / (self.tp + self.fp) if self.tp + self.fp else 1.0

    @property
    def recall(self) -> float:
        return self.tp / (self.tp + self.fn) if self.tp + self.fn else 1.0

    @property
    def f1(self) -> float:
        p, r = self.precision, self.recall
        return 2 * p * r / (p + r) if p + r else 0.0

    def as_dict(self) -> dict[str, float | int]:
        return {"tp": self.tp, "fp": self.fp, "fn": self.fn, "precision": round(self.precision, 4),
                "recall": round(self.recall, 4), "f1": round(self.f1, 4)}


class PiiReport(BaseModel):
    """Scores per entity type and micro totals, under exact and overlap matching.

    ``exact`` (same type, same start and end) is the headline: a span that is only partly
    redacted still leaks part of the value. ``overlap`` (same type, spans intersect, matched
    one to one) shows whether a miss is a boundary disagreement rather than a missed entity.
    """

    cases: int
    exact: dict[str, TypeScore]
    overlap: dict[str, TypeScore]
    errors: list[dict[str, Any]] = Field(default_factory=list)

    def as_dict(self) -> dict[str, Any]:
        return {"cases": self.cases, "headline": "exact",
                "exact": {k: v.as_dict() for k, v in self.exact.items()},
                "overlap": {k: v.as_dict() for k, v in self.overlap.items()},
                "errors": self.errors}


def evaluate(cases: Iterable[PiiCase | dict[str, Any]], max_errors: int = 50) -> PiiReport:
    """Score :func:`detect` against labelled cases; per type plus a ``TOTAL`` (micro) row.

    Example:
        >>> rep = evaluate([{"id": 1, "text": "mail a@x.io", "spans": [{"start": 5, "end": 11, "type": "EMAIL"}]}])
        >>> rep.exact["EMAIL"].recall, rep.exact["TOTAL"].precision
        (1.0, 1.0)
    """
    exact: dict[str, TypeScore] = defaultdict(TypeScore)
    overlap: dict[str, TypeScore] = defaultdict(TypeScore)
    errors: list[dict[str, Any]] = []
    n = 0
    for raw in cases:
        case = raw if isinstance(raw, PiiCase) else PiiCase.model_validate(raw)
        n += 1
        gold = {(s.start, s.end, s.type) for s in case.spans}
        pred = {(f.start, f.end, f.type) for f in detect(case.text)}
        for t in {g[2] for g in gold} | {p[2] for p in pred}:
            g_t = {g for g in gold if g[2] == t}
            p_t = {p for p in pred if p[2] == t}
            tp = len(g_t & p_t)
            exact[t].tp += tp
            exact[t].fp += len(p_t) - tp
            exact[t].fn += len(g_t) - tp
            # one-to-one overlap matching, greedy in text order
            unmatched = sorted(p_t)
            otp = 0
            for g in sorted(g_t):
                hit = next((p for p in unmatched if p[0] < g[1] and g[0] < p[1]), None)
                if hit is not None:
                    unmatched.remove(hit)
                    otp += 1
            overlap[t].tp += otp
            overlap[t].fp += len(p_t) - otp
            overlap[t].fn += len(g_t) - otp
        if gold != pred and len(errors) < max_errors:
            errors.append({
                "id": case.id,
                "missed": [{"type": g[2], "text": case.text[g[0]:g[1]]} for g in sorted(gold - pred)],
                "spurious": [{"type": p[2], "text": case.text[p[0]:p[1]]} for p in sorted(pred - gold)],
            })
    for table in (exact, overlap):
        total = TypeScore()
        for score in table.values():
            total.tp += score.tp
            total.fp += score.fp
            total.fn += score.fn
        table["TOTAL"] = total
    order = [t for t in ENTITY_TYPES if t in exact] + sorted(t for t in exact if t not in ENTITY_TYPES and t != "TOTAL") + ["TOTAL"]
    return PiiReport(cases=n, exact={t: exact[t] for t in order}, overlap={t: overlap[t] for t in order},
                     errors=errors)
