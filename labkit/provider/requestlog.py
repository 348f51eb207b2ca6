"""The provider's log of every attempt it saw, faulted ones included.

Tests and notebooks use it to count attempts, measure the gaps between retries, and prove
what reached the provider (``prompt_text``, ``pii_types``, ``pii_seen``). Entries live in memory
(the last ``size`` of them) and, when a path is configured, are appended as JSON lines.

The file is appended in batches (at most 0.2 s or 256 entries behind; flushed on read,
on server stop and at exit). The PII audit (:func:`pii_audit`, ``pii_types`` per entry) is the
provider's own and imports nothing from ``labkit.controls``: a bug or a blind spot in the control
under test must not be able to hide itself. It is broader than the control on purpose (any
12-19 digit run counts as a card, any capitalised word inside a sentence as a name, and in scripts
without letter case — Han, kana, Hangul, Arabic, Hebrew, the Indic scripts, Thai, Georgian — every
run of letters as a name and such a run beside a number as an address; any word in capitals, and
in a line where no word opens with a capital any Latin word English rarely uses), so it is evidence
when silent, not a redactor. ``pii_seen`` is the identifier-shaped part (e-mail, phone,
card, IBAN, national id, IP): dates, names and addresses by shape alone would flag nearly every
request.

Example:
    >>> log = RequestLog(size=2)
    >>> _ = log.add({"status": 200, "prompt_text": "mail me at a@b.co"})
    >>> log.entries()[0]["pii_seen"]
    True
"""

from __future__ import annotations

import atexit
import os
import re
import threading
import time
import unicodedata
from collections import deque
from collections.abc import Callable
from functools import cache
from pathlib import Path
from typing import Any

import orjson

# --- the provider's own PII audit ----------------------------------------------------------
# Independent of labkit.controls.pii on purpose: other patterns, no shared code, recall first.
# Digits: any run of 7+ digits in phone/card layouts counts (no Luhn, no shape rules), any
# date-like token counts as a possible date of birth. Names: any capitalised word inside a
# sentence, and a sentence-initial one English rarely uses; no name list at all (the control
# uses census lists, so a name missing from them is not missed here too). Addresses: a house
# number before capitalised words, a street word from this module's own short list, or a
# postcode line. It over-reports on purpose (a product name counts as a "name").

PII_SHAPES = {
    "email": re.compile(r"[\w.+-]+@[\w-]+\.[\w.-]+"),
    "phone": re.compile(r"(?<![\w])(?:\+|00)?[\d(][\d ().\-/]{5,}\d(?:[ ]?(?:x|ext\.?)[ ]?\d+)?"),
    "card": re.compile(r"\b(?:\d[ -]?){11,19}\b"),
    "iban": re.compile(r"\b[A-Z]{2}\d{2}(?: ?[A-Z0-9]){10,30}\b"),
    # SSN, NINO-shaped (any final letter), NIR, and any one-word code of capitals and 4+ digits
    # mixed ("CSRRLD91E67D208G", passport and tax numbers): broad on purpose
    "national_id": re.compile(r"\b\d{3}-\d{2}-\d{4}\b|\b[A-Z]{2} ?\d{2} ?\d{2} ?\d{2} ?[A-Z]\b|\b[12]\d{14}\b"
                              r"|\b(?=[A-Z0-9]{8,20}\b)(?=(?:[A-Z]*\d){4})(?=\d*[A-Z])[A-Z0-9]+\b"),
    "ip": re.compile(r"\b(?:\d{1,3}\.){3}\d{1,3}\b|\b[0-9A-Fa-f]{1,4}(?::[0-9A-Fa-f]{0,4}){2,7}\b"),
    "date": re.compile(
        r"\b\d{1,4}[./-]\d{1,2}[./-]\d{1,4}\b|\b\d{1,2}(?:st|nd|rd|th|\.)? [A-Za-zäéû]{3,9}\.?,? \d{4}\b"
        r"|\b[A-Z][a-z]{2,8}\.? \d{1,2}(?:st|nd|rd|th)?,? \d{4}\b"
        # day, word, month, word, year: "ngày 05 tháng 02 năm 1946", "5 de febrero de 1946"
        r"|\b\d{1,2} [^\W\d_]{1,8}(?: [^\W\d_]{1,8})? \d{1,2} [^\W\d_]{1,8} \d{4}\b"
        r"|\b\d{1,2} [^\W\d_]{1,5} [^\W\d_]{3,12} [^\W\d_]{1,5} \d{4}\b"
        # round 20: a year first, then words and a day on the same line ("1951 m. rugsėjo 9 d.", "1978 жылғы 2
        # наурыз", "1965 թ. մարտի 3"), and six digits that read as year-month-day ("930415")
        r"|\b(?:19|20)\d{2}[ ][^\d\n]{1,20}?\d{1,2}\b|\b\d{2}(?:0[1-9]|1[0-2])(?:0[1-9]|[12]\d|3[01])\b"),
}
_ADDRESS_SHAPES = (
    # a house number before capitalised words: "9791 Regina Mountains", "54, avenue de Merle"
    re.compile(r"(?<![\w.,/-])\d{1,6}(?:[-/]\d{1,5})?[a-zA-Z]?,? (?:[A-ZÄÖÜÀ-Þ][\w'’-]*|de|du|des|rue|avenue|boulevard|chemin)"
               r"(?: [A-ZÄÖÜÀ-Þa-zäöüß][\w'’-]*){0,4}"),
    # a postcode line: "VT 62139", "48337 Lichtenfels"
    re.compile(r"\b[A-Z]{2} \d{5}(?:-\d{4})?\b|(?<![\w-])\d{4,5} [A-ZÄÖÜÀ-Þ][\w'’-]+"),
    # street words without a number: "Baker Street", "Schleichstraße", "rue Courtois"
    re.compile(r"\b[A-Z][\w'’-]* (?:Street|St|Avenue|Ave|Road|Rd|Lane|Ln|Drive|Dr|Boulevard|Blvd|Way|Court|Ct|"
               r"Place|Pl|Square|Terrace|Circle|Parkway|Highway|Crossing|Straße|Strasse|Weg|Platz|Allee)\b\.?"
               r"|\b[A-ZÄÖÜ][\w-]{2,}(?:straße|strasse|str\.|weg|platz|allee|gasse|ring|damm|ufer)\b"
               r"|\b(?:rue|avenue|boulevard|chemin|allée|impasse|quai|place|route|cours) (?:de la |de l'|de |du |des |d')?[A-Z][\w'’-]*"),
)
# Letters by case, of every cased script below U+2000: Latin with Latin-1 and Extended-A/B ("Ł",
# "ś", "ř", "ő"), IPA ("ə"), Greek, Cyrillic, Armenian, Latin Extended Additional ("Ỳ"), so a name
# written in Greek or Cyrillic letters is a capitalised word too (round 7). This module's own
# table, not the control's (the control transliterates; the audit reads the letters as they are)
_UP = "A-Z" + "".join(re.escape(chr(i)) for i in range(0xC0, 0x2000) if chr(i).isupper())
_LO = "a-z" + "".join(re.escape(chr(i)) for i in range(0xC0, 0x2000) if chr(i).islower())
# a capitalised word standing alone ("AtlasFlow" and "<NAME_1>" are not one)
_CAP = re.compile(rf"(?<![\w'’<_-])[{_UP}][{_LO}'’]+(?:[{_UP}][{_LO}]+)*(?:-[{_UP}{_LO}'’]+)*(?!\w)")
_CLAUSE_START = re.compile(r"(?:^|[.!?:;\n>]|\n[ \t]*[-*•]|\d\))[\s\"'“(*]*$")
# a title's dot does not end a sentence: "Dr. Cook", "Mrs. Wall" (the word after it is a name)
_TITLE_BEFORE = re.compile(r"(?:^|[\s(\"'“])(?:Dr|Mr|Mrs|Ms|Mx|Prof|Sr|Sra|Mme|Mlle|Hr|Fr)\.?[ \t]+$")
# Words that start sentences or headings; a capitalised one of these inside a sentence is still
# flagged, only at a sentence start is it let go.
_AUDIT_COMMON = frozenset("""
a an the this that these those there here it its i you he she we they my your our their his her
is are was were be been has have had do does did can could will would shall should may might must
and or but if so then when where what which who why how not no yes please thanks thank hi hello dear
in on at for from to of by with about after before as into over under up down out all any each every
some one two also just only still even new our summarise summarize answer reply draft write use call
""".split())
_ESCAPE = re.compile(r"\\[nrt]")
_DIGIT = re.compile(r"\d")


def _char_class(keep: Callable[[str], bool], top: int = 0x30000) -> str:
    """A regex character class of every code point from U+0370 to ``top`` that ``keep`` accepts,
    written as ranges (a few hundred) rather than one escape per character (tens of thousands)."""
    parts, start, prev = [], -2, -2
    for cp in range(0x370, top):
        if not keep(chr(cp)):
            continue
        if cp != prev + 1:
            if start >= 0:
                parts.append(f"{re.escape(chr(start))}-{re.escape(chr(prev))}" if prev > start else re.escape(chr(start)))
            start = cp
        prev = cp
    if start >= 0:
        parts.append(f"{re.escape(chr(start))}-{re.escape(chr(prev))}" if prev > start else re.escape(chr(start)))
    return "".join(parts)


# Scripts without letter case (Han, kana, Hangul, Arabic, Hebrew, the Indic scripts, Thai,
# Georgian's everyday Mkhedruli …): a capital cannot mark a name there, so the audit counts every
# run of their letters (with their vowel signs, virama and zero-width joiners) as a possible name,
# and a run on the same stretch as a number as a possible address. This is the audit's rule for
# those scripts, by Unicode category, not a list of names or scripts: silent means none of their
# letters reached the provider; it says nothing once they did (round 11's fresh9: the control's
# caseless names were missed by the old audit 861 of 861 times in zh_TW/mr_IN/ne_NP/ta_IN).
# (the Basic Multilingual Plane only, which the regex engine checks with one table lookup; the
# rarer CJK ideographs above it have their own pattern, run only on a text that has a character
# there: a class that lists ranges above U+FFFF is checked range by range, ~3x slower on every
# character of every request)
_CASELESS_LETTER = _char_class(lambda ch: unicodedata.category(ch) in ("Lo", "Lm")
                               or "\u10d0" <= ch <= "\u10ff" or "\u2d00" <= ch <= "\u2d2f",
                               top=0x10000)
_JOINING = _char_class(lambda ch: unicodedata.category(ch) in ("Mn", "Mc"), top=0x10000) + "\u200c\u200d"
_CASELESS_RUN = re.compile(rf"[{_CASELESS_LETTER}][{_CASELESS_LETTER}{_JOINING}]*")
_SUPPLEMENTARY_RUN = re.compile("[\U00020000-\U0003134F]+")   # CJK Extensions B-H
# a stretch of caseless words and numbers on one line: "59/04 ถ.นะวะมันดร ต.เขาขาว", "ორბელების ქ. 49"
_CASELESS_STRETCH = re.compile(
    rf"(?:[{_CASELESS_LETTER}][{_CASELESS_LETTER}{_JOINING}]*|\d[\d/-]*)"
    rf"(?:[ \t,.、，()-]{{0,3}}(?:[{_CASELESS_LETTER}][{_CASELESS_LETTER}{_JOINING}]*|\d[\d/-]*))*")


# Names written without the capital a name rule looks for (round 14, from the seen fresh10's leaks
# the audit missed: 14 of 49, every one a name): a word in capitals ("NAME: JOHN PAUL R. MENDOZA",
# "Nom : DUBOIS"), and in a line where no word opens with a capital (chat: "hey shazza here", "ciao
# fede! mi giri l'iban di marco?", "slt c mathilde, envoie le RIB") any Latin word English rarely uses. Placeholders ("<NAME_1>") are not
# words; in lower-case Cyrillic or Greek prose no word list tells a name from a word, so those stay unread
# (round 20 reads them in chat lines only: :func:`_audit_chat_words`).
_CAPS_WORD = re.compile(rf"(?<![\w<'’_-])[{_UP}]{{2,}}(?:['’-][{_UP}]+)*(?![\w>])")
_PLACEHOLDER = re.compile(r"<[A-Z_]+_\d+>")
_TITLE_WORD = re.compile(rf"[{_UP}][{_LO}]")
_LOWER_WORD = re.compile(r"(?<![\w'’<_-])[a-zà-öø-ÿāăąćčďđēęěğīıłńňőœřśşšťūůűźżž]{3,}(?:['’][a-z]+)?(?![\w>])")


# Round 17 (the seen fresh13's leaks the audit missed were lower-case chat names and user names): a
# user name of the shape first.last or initial.surname in lower case ("j.doe", "maria.rossi"), any
# line that opens in lower case (chat: "kev can u ring me") read like a line without capitals, and a
# lower-case speaker before a colon at a line's start ("tom h: nah", "sam: ok"), common word or not.
_USER_NAME = re.compile(r"(?<![\w.@/\\-])[a-z]{1,20}\.[a-z]{3,20}(?![\w@/\\-]|\.\w)")
_FILE_OR_HOST = frozenset("""com org net edu gov info json yaml yml html htm xml toml conf config cfg ini txt csv
tsv log pdf docx xlsx pptx png jpg jpeg gif svg zip tar gzip exe dll bash local internal example test
""".split())
_LOWER_OPENING = re.compile(r"[ \t>*-]*[a-zà-öø-ÿ]")
# (round 18: any cased script's lower case, "юля:", "μαρία:", and French typography's blank before
# the colon, "sarah : ok"; the seen fresh14's leaks the audit missed)
_LOWER_SPEAKER = re.compile(r"(?m)^[ \t]*([^\W\d_][^\W\d_'’]{1,15}(?:[ ][^\W\d_])?)[ ]?:[ \t]")
# an @-mention is a user's handle ("@lindqvist's team"), not an e-mail address (nothing glued before it)
_AT_HANDLE = re.compile(r"(?<![\w@.])@[^\W_][\w.-]{1,30}(?<![.-])")
_NOT_SPEAKER = frozenset("note re fw fwd fyi todo ps pps edit update ok nb cc bcc to from subject date time tel fax "
                         "http https ftp mailto error warning info debug trace step q a".split())


# Round 20 (the seen fresh16's leaks the audit missed): lower-case chat words in Cyrillic and Greek, and a
# lower-case word right after a word that marks a person in chat ("tante joke", "ni kuya ben", "tita baby").
# The audit's own tests, not the control's: in a chat line (a speaker and a colon open it), any Cyrillic or Greek word of
# three letters or more that is not among the frequent words of pyspellchecker's Russian list (Greek has no
# list there: every such word counts), and a short list of person markers written from general knowledge.
_LOWER_CYRILLIC_GREEK = re.compile(r"(?<![\w<'’_-])[а-яёіїєґўәғқңөұүһ\u03ac-\u03ce]{3,}(?![\w>])")
# (zero-width, so markers in a row all count: "ni tita baby")
_PERSON_MARKER_NEXT = re.compile(r"(?<![\w'’-])(?=(?:tante|oma|opa|onkel|tia|tio|tía|tío|zia|zio|dona|doña|don|ni|si|kay|"
                                 r"tita|tito|kuya|ate|lola|lolo|bé|chị|anh|em|mas|mbak|kak|pak|bu|bang|abang|mzee|"
                                 r"bibi)[ ]([^\W\d_]{2,20})(?![\w'’-]))")


@cache
def _russian_frequent() -> frozenset[str]:
    """Russian words pyspellchecker counts 500 times or more (empty when it is not installed)."""
    try:
        from spellchecker import SpellChecker
    except ImportError:
        return frozenset()
    counts = SpellChecker(language="ru", distance=1).word_frequency.dictionary
    return frozenset(w for w, n in counts.items() if n >= 500)


def _audit_chat_words(text: str) -> list[tuple[int, int]]:
    """Lower-case Cyrillic and Greek words no frequent Russian word list holds, in chat lines (a speaker and a
    colon open them), and the word after a person marker (round 20)."""
    out = [m.span(1) for m in _PERSON_MARKER_NEXT.finditer(text) if m.group(1).islower()]
    if not _LOWER_CYRILLIC_GREEK.search(text):
        return out
    frequent = _russian_frequent()
    pos = 0
    for line in text.split("\n"):
        if _LOWER_OPENING_ANY.match(line):
            out += [(pos + m.start(), pos + m.end()) for m in _LOWER_CYRILLIC_GREEK.finditer(line)
                    if m.group(0).replace("ё", "е") not in frequent and m.group(0) not in frequent]
        pos += len(line) + 1
    return out


# a chat line: a speaker (a placeholder or one or two words) and a colon open it ("<NAME_1>: …", "дима: …");
# plain lower-case prose in Cyrillic or Greek is not read this way (no list tells its names from its words)
_LOWER_OPENING_ANY = re.compile(r"[ \t>*-]*(?:<[A-Z_]+_\d+>|[^\W\d_]{1,20}(?:[ ][^\W\d_]{1,20})?)[ ]?:[ \t]")


def _audit_plain_names(text: str) -> list[tuple[int, int]]:
    """Words in capitals anywhere, lower-case user names, and rare Latin words in lines that have no
    capital at all or open in lower case."""
    out = [m.span() for m in _CAPS_WORD.finditer(text)]
    if "." in text:
        out += [m.span() for m in _USER_NAME.finditer(text)
                if m.group(0).rsplit(".", 1)[1] not in _FILE_OR_HOST and _rare(m.group(0).rsplit(".", 1)[1])]
    if ":" in text:  # a lower-case speaker of a chat log: "tom h: nah", "sam: ok"
        out += [m.span(1) for m in _LOWER_SPEAKER.finditer(text) if m.group(1)[0].islower()
                and m.group(1).split()[0] not in _NOT_SPEAKER and m.group(1).split()[0] not in _AUDIT_COMMON]
    if "@" in text:
        out += [m.span() for m in _AT_HANDLE.finditer(text)]
    pos = 0
    for line in text.split("\n"):
        if _LOWER_OPENING.match(line) or not _TITLE_WORD.search(_PLACEHOLDER.sub("", line)):
            # no word opens with a capital ("RIB" may stand), or the line opens in lower case (chat)
            out += [(pos + m.start(), pos + m.end()) for m in _LOWER_WORD.finditer(line)
                    if m.group(0).lower() not in _AUDIT_COMMON and _rare(m.group(0))]
        pos += len(line) + 1
    return out


def _audit_names(text: str) -> list[tuple[int, int]]:
    out: list[tuple[int, int]] = []
    words = list(_CAP.finditer(text))
    for i, m in enumerate(words):
        w = m.group(0)
        before = text[max(0, m.start() - 8):m.start()]
        starts = bool(_CLAUSE_START.search(before[-6:])) and not _TITLE_BEFORE.search(before)
        if not starts:
            out.append(m.span())  # any capitalised word inside a sentence
            continue
        nxt = words[i + 1] if i + 1 < len(words) else None
        if nxt is not None and text[m.end():nxt.start()] == " " and w.lower() not in _AUDIT_COMMON:
            out.append(m.span())  # "Ottilie Lehmann ..." at the start of a line
        elif w.lower() not in _AUDIT_COMMON and _rare(w):
            out.append(m.span())
    return out


def _rare(word: str) -> bool:
    """Sentence-initial words English uses less than everyday words (pyspellchecker's counts,
    under 3,000: most first names, "Troy" 797, "Kimberly" 468; not "Please" or "Account")."""
    freq = _frequencies()
    return freq is None or freq.get(word.lower(), 0) < 3000  # no word list: every word counts


@cache
def _frequencies() -> dict[str, int] | None:
    """pyspellchecker's English word counts, loaded once (None when it is not installed)."""
    try:
        from spellchecker import SpellChecker
    except ImportError:
        return None
    return dict(SpellChecker(language="en", distance=1).word_frequency.dictionary)


def pii_audit(text: str) -> list[tuple[str, int, int]]:
    """Every PII-shaped span the provider sees: ``(type, start, end)``, overlaps allowed.

    Example:
        >>> sorted({t for t, _, _ in pii_audit("Ring Anna on +49 151 2345678")})
        ['card', 'name', 'phone']
    """
    if not text:
        return []
    if "\\" in text:
        text = _ESCAPE.sub("  ", text)  # a literal \n escape must not glue words together
    found: list[tuple[str, int, int]] = []
    if "@" in text:
        found += [("email", m.start(), m.end()) for m in PII_SHAPES["email"].finditer(text)]
    if _DIGIT.search(text):
        for name, rx in PII_SHAPES.items():
            if name != "email":
                found += [(name, m.start(), m.end()) for m in rx.finditer(text)
                          if name != "phone" or len(_DIGIT.findall(m.group(0))) >= 7]
        for rx in _ADDRESS_SHAPES[:2]:
            found += [("address", m.start(), m.end()) for m in rx.finditer(text)]
    found += [("address", m.start(), m.end()) for m in _ADDRESS_SHAPES[2].finditer(text)]
    found += [("name", s, e) for s, e in _audit_names(text)]
    found += [("name", s, e) for s, e in _audit_plain_names(text)]
    if not text.isascii() or " " in text:
        found += [("name", s, e) for s, e in _audit_chat_words(text)]
    if not text.isascii():
        # scripts without case: every run of their letters, and a stretch of them with a number
        runs = [("name", m.start(), m.end()) for m in _CASELESS_RUN.finditer(text)]
        if max(text) > "\uffff":
            runs += [("name", m.start(), m.end()) for m in _SUPPLEMENTARY_RUN.finditer(text)]
        if runs:   # the stretch pattern is the costly one: only where such letters are
            found += runs
            found += [("address", m.start(), m.end()) for m in _CASELESS_STRETCH.finditer(text)
                      if _DIGIT.search(m.group(0)) and _CASELESS_RUN.search(m.group(0))]
    return found


def pii_types(text: str) -> list[str]:
    """The PII types the audit sees in ``text`` (sorted, empty: none)."""
    return sorted({t for t, _, _ in pii_audit(text)})


def pii_shapes(text: str) -> list[str]:
    """Names of the PII shapes found in ``text`` (empty list: none). Same as :func:`pii_types`."""
    return pii_types(text)


IDENTIFIER_TYPES = frozenset({"email", "phone", "card", "iban", "national_id", "ip"})
"""Types that are PII by their shape alone; ``date``, ``name`` and ``address`` need context."""


def pii_seen(text: str) -> bool:
    """True when the audit sees an identifier-shaped value (e-mail, phone, card, IBAN, national
    id, IP) in ``text``. Dates, names and addresses are in :func:`pii_types` only: by shape alone
    every timestamp and product name would count, and this flag would always be on."""
    return any(t in IDENTIFIER_TYPES for t in pii_types(text))


class RequestLog:
    """A bounded, thread-safe list of request records, optionally mirrored to a JSONL file."""

    def __init__(self, size: int = 100_000, path: str | Path | None = None, audit: bool = True) -> None:
        self.audit = audit  # False: no PII audit, entries say so with pii_seen None (not False)
        self._entries: deque[dict[str, Any]] = deque(maxlen=size)
        self._lock = threading.Lock()
        self._seq = 0
        self.path = Path(path) if path else None
        self._buffer: list[bytes] = []
        self._flushed = time.monotonic()
        if self.path:
            self.path.parent.mkdir(parents=True, exist_ok=True)
            atexit.register(self.flush)

    def add(self, entry: dict[str, Any]) -> dict[str, Any]:
        """Record one attempt; fills ``seq``, ``time`` and ``pii_seen`` if missing (``None`` when
        the log was made with ``audit=False``).

        Keys starting with ``_`` are the server's private bookkeeping and are not kept.
        """
        entry = {k: v for k, v in entry.items() if not k.startswith("_")}
        entry.setdefault("time", time.time())
        if "pii_seen" not in entry and not self.audit:
            entry["pii_seen"] = entry["pii_types"] = None  # not audited: no evidence either way
        elif "pii_seen" not in entry:
            types = pii_types(entry.get("prompt_text") or "")
            entry["pii_seen"] = any(t in IDENTIFIER_TYPES for t in types)
            entry.setdefault("pii_types", types)
        with self._lock:
            self._seq += 1
            entry["seq"] = self._seq
            self._entries.append(entry)
            if self.path:
                self._buffer.append(orjson.dumps(entry, default=str) + b"\n")
                now = time.monotonic()
                # batch the appends: one write per request costs more than the request itself
                if len(self._buffer) >= 256 or now - self._flushed >= 0.2:
                    self._flush_locked(now)
        return entry

    def _flush_locked(self, now: float) -> None:
        if self._buffer and self.path:
            fd = os.open(self.path, os.O_WRONLY | os.O_CREAT | os.O_APPEND, 0o644)
            try:
                os.write(fd, b"".join(self._buffer))
            finally:
                os.close(fd)
            self._buffer.clear()
        self._flushed = now

    def flush(self) -> None:
        """Write any buffered lines to the JSONL file now."""
        with self._lock:
            self._flush_locked(time.monotonic())

    def entries(self, since: int = 0) -> list[dict[str, Any]]:
        """Copies of the records with ``seq`` greater than ``since``, oldest first."""
        with self._lock:
            self._flush_locked(time.monotonic())
            return [dict(e) for e in self._entries if e["seq"] > since]

    def clear(self) -> None:
        """Forget the in-memory records (the JSONL file, if any, is kept)."""
        with self._lock:
            self._entries.clear()
