"""Names as the value of a form field, and the words that trail a name (issue 15, round 16).

Why: forms, records, labels and CRM notes give a person's name as the value of a labelled field
("Surname: FARQUHARSON", "Patient: Whitcombe, Rosalind   DOB: …", "Nom : KOUASSI  Prénom : Adjoua",
"שם פרטי: אלון", "氏名：中島 聡子"). The name rules of :mod:`labkit.controls.pii_names` read capitalised
runs and cue words: they cut a "Surname, First" value in two, miss one written in capitals, and see
nothing in a caseless script without a title beside it. The label says what the value is, in any
script and any case, so the value is read as a name when it looks like one (letters, no digits, few
words, capitalised in a cased script, no everyday phrase such as "Sales Team" or "N/A").

What it holds (general knowledge of how forms in each language label a person, written for this
module; no label or value is taken from a PII set):

- :data:`NAME_FIELD_LABELS`: the labels of a name field (name, first name, surname, full name,
  patronymic, the person a record is about: patient, applicant, tenant, cardholder …) in about 35
  languages, compared without case;
- :func:`field_name_spans`: the value of such a field, up to the line's end, a tab, a bar, or two
  spaces (where the next field starts);
- :func:`trim_name`: a name span without a trailing Turkish title ("Zeynep Hanım", "Aydın Bey")
  or a case suffix after an apostrophe ("Aydın'ın").

Example:
    >>> t = "Patient: Whitcombe, Rosalind   DOB: 03-14-1970"
    >>> [t[s:e] for s, e in field_name_spans(t)]
    ['Whitcombe, Rosalind']
"""

from __future__ import annotations

import re
from collections.abc import Callable

from labkit.controls.pii_name_cues import FORM_LABELS, label_key
from labkit.controls.pii_names import caseless_common, everyday_not_first

# The labels, one a line per language group; words of a label are separated by one space. A label
# in a cased script is matched without case ("FIRST NAME", "First name", "first name").
_LABELS = """
name|names|full name|fullname|first name|first names|firstname|given name|given names|forename|forenames|forename(s)
middle name|middle|last name|lastname|surname|family name|maiden name|legal name|printed name|preferred name
name, first|name (first, last)|name and surname|name of applicant|name of employee|name of patient
applicant|applicant name|patient|patient name|customer name|client name|contact name|contact person
employee name|student name|member name|guest name|passenger name|passenger|tenant|tenant name|landlord
cardholder|card holder|cardholder name|account holder|account holder name|policyholder|policy holder|insured
beneficiary|beneficiary name|spouse|next of kin|emergency contact|guardian|parent/guardian|father's name
mother's name|father|mother|attn|attention|c/o|requested by|submitted by|signed|signed by|claimant|plaintiff
defendant|respondent|petitioner|borrower|co-borrower|caller|caller name|sender name|recipient name|addressee
vorname|vornamen|nachname|familienname|name, vorname|vor- und nachname|geburtsname|patientin|antragsteller
antragstellerin|kontoinhaber|kontoinhaberin|karteninhaber|ansprechpartner|ansprechpartnerin|ehepartner
nom|prénom|prénoms|nom de famille|nom complet|nom et prénom|nom, prénom|nom de naissance|titulaire|patiente
nombre|nombres|apellido|apellidos|nombre completo|nombre y apellidos|primer apellido|segundo apellido|titular
paciente|cónyuge|nome|cognome|nome e cognome|nome completo|intestatario|intestataria|paziente|coniuge
sobrenome|apelido|nome próprio|destinatário|naam|voornaam|voornamen|achternaam|volledige naam|geboortenaam
tussenvoegsel|rekeninghouder|patiënt|echtgenoot|echtgenote|t.a.v.|imię|imiona|nazwisko|imię i nazwisko
nazwisko rodowe|jméno|příjmení|jméno a příjmení|rodné příjmení|meno|priezvisko|meno a priezvisko|nume
prenume|numele|nume și prenume|név|vezetéknév|keresztnév|utónév|teljes név|születési név|nimi|etunimi
etunimet|sukunimi|koko nimi|navn|fornavn|efternavn|etternavn|fulde navn|fullt navn|namn|förnamn|efternamn
fullständigt namn|ad|soyad|soyadı|adı|adı soyadı|ad soyad|ad-soyad|isim|nama|nama penuh|nama lengkap
nama depan|nama belakang|pangalan|buong pangalan|apelyido|unang pangalan|jina|jina kamili|jina la kwanza
họ tên|họ và tên|tên|họ
имя|фамилия|отчество|фио|ф.и.о.|имя и фамилия|полное имя|ім'я|імʼя|прізвище|по батькові|піб|п.і.б.
όνομα|επώνυμο|ονοματεπώνυμο|πατρώνυμο
שם|שם פרטי|שם משפחה|שם מלא|שם האב
الاسم|الاسم الكامل|الاسم الأول|اسم العائلة|اللقب|اسم الأب|الاسم الثلاثي|الاسم الرباعي
نام|نام و نام خانوادگی|نام خانوادگی|نام کامل|نام پدر
नाम|पूरा नाम|पिता का नाम|उपनाम|आवेदक का नाम
নাম|পুরো নাম|পিতার নাম|মাতার নাম
பெயர்|முழு பெயர்|தந்தை பெயர்
ชื่อ|ชื่อ-นามสกุล|ชื่อ-สกุล|ชื่อ นามสกุล|นามสกุล|ชื่อจริง
姓名|名字|姓|名|联系人|聯絡人|聯繫人|收件人|收货人|收貨人|申请人|申請人
氏名|名前|お名前|フリガナ|ふりがな|氏名（カナ）|姓名（フリガナ）|担当者|申請者
이름|성명|성함|성|고객명|신청인|담당자
other name|other names|full names|first and last name|christian name|name of holder|name on card
ime|prezime|ime i prezime|puno ime|ime oca|očevo ime|priimek|ime in priimek|име|презиме|име и презиме
фамилия|бащино име|собствено име|име и фамилия|име, презиме, фамилия|пълно име
eesnimi|perekonnanimi|perenimi|ees- ja perekonnanimi|täisnimi|vardas|pavardė|vardas, pavardė|vardas ir pavardė
vārds|uzvārds|vārds, uzvārds|vārds un uzvārds|emri|mbiemri|emri dhe mbiemri|nafn|fullt nafn|izena|abizena
nom i cognoms|cognom|cognoms|enw|cyfenw|ainm|sloinne|isem|kunjom|ism|familiya|ism-sharif|ata adı
фамилия, имя, отчество|фамилия имя отчество|ім’я|імя|прозвішча|аты|тегі|аты-жөні|όνομα πατρός|πατρώνυμο
სახელი|გვარი|სახელი და გვარი|სახელი, გვარი|მამის სახელი|անուն|ազգանուն|անուն, ազգանուն|հայրանուն
ስም|ሙሉ ስም|የአባት ስም|పేరు|పూర్తి పేరు|తండ్రి పేరు|ఇంటిపేరు|नाव|पूर्ण नाव|वडिलांचे नाव|आडनाव|નામ|પૂરું નામ
ಹೆಸರು|ಪೂರ್ಣ ಹೆಸರು|പേര്|മുഴുവൻ പേര്|ਨਾਮ|ਪੂਰਾ ਨਾਮ|ولدیت|والد کا نام|پورا نام|थर|ناو|ئیسم
"""
NAME_FIELD_LABELS: frozenset[str] = frozenset(
    w.strip().lower() for line in _LABELS.strip().splitlines() for w in line.split("|") if w.strip())
# the same labels folded where their script has letter case (round 21): a label in capitals loses its
# accents and Turkish dotless i in lower case ("ΕΠΩΝΥΜΟ" is "επωνυμο", not "επώνυμο"; "ADI SOYADI" is
# "adi soyadi", not "adı soyadı"), so labels are also compared as label_key folds them
_FOLDED_LABELS: frozenset[str] = frozenset(label_key(w) for w in NAME_FIELD_LABELS)
# a note in brackets after a label says where the value comes from ("Name (as per passport)")
_LABEL_NOTE = re.compile(r"\s*[(（][^()（）]{1,30}[)）]$")


def is_name_label(label: str) -> bool:
    """Whether ``label`` (lower case, as :func:`label_candidates` gives it) names a name field: as written,
    folded, or without a note in brackets after it ("name (as per passport)")."""
    if label in NAME_FIELD_LABELS:
        return True
    if label.isascii() and "(" not in label and "'" not in label and "`" not in label:
        # plain lower-case ASCII folds to itself (no anyascii call: every label of a text comes here)
        return label in _FOLDED_LABELS
    bare = _LABEL_NOTE.sub("", label)
    return bare in NAME_FIELD_LABELS or label_key(bare) in _FOLDED_LABELS

# A field: its label at a line's start or after the gap that ends the field before it (two spaces, a
# tab, a bar, a semicolon), then a colon (also a full-width one) and the value on the same line. Found
# from the colons (a set lookup per colon), not by a pattern of 400 labels tried at every character.
_COLON = re.compile(r"[:：]")
_LABEL_MAX = 40
_BULLETS = " \t*•-"
# a name field's value: up to the line's end, a tab, a bar, a semicolon, another colon, two spaces
_NAME_VALUE = re.compile(r"[ \t]*(?P<value>(?:(?![ ]{2})[^\n\t|;:：])+)")


Candidates = tuple[tuple[int, int, int, str], ...]
"""What :func:`label_candidates` returns: label start, label end, value start, label in lower case."""


def labelled_fields(text: str, labels: frozenset[str] | Callable[[str], bool], candidates: Candidates | None = None
                    ) -> list[tuple[int, int, int]]:
    """``(label_start, label_end, value_start)`` of every field of ``text`` whose label (compared in
    lower case) is one of ``labels``, or passes it when ``labels`` is a test (:func:`is_name_label`):
    "Surname: X", "  Prénom : Y", "| 氏名：Z".

    Example:
        >>> t = "Ref: 7  Name: Ada Lovelace"
        >>> [(t[a:b], t[v:]) for a, b, v in labelled_fields(t, frozenset({"name"}))]
        [('Name', ' Ada Lovelace')]
    """
    cands = label_candidates(text) if candidates is None else candidates
    known = labels.__contains__ if isinstance(labels, frozenset) else labels
    return [(s, e, v) for s, e, v, label in cands if known(label)]


def label_candidates(text: str) -> Candidates:
    """Every would-be label before a colon of ``text`` (start, end, value start, lower case): computed
    once per text by :mod:`labkit.controls.pii` and passed to the name, address and recipient rules,
    which each look theirs up (nothing is cached: a text may hold PII)."""
    if ":" not in text and "：" not in text:
        return ()
    out: list[tuple[int, int, int, str]] = []
    for m in _COLON.finditer(text):
        colon = m.start()
        line_start = text.rfind("\n", 0, colon) + 1
        seg_start = max(line_start, colon - _LABEL_MAX)
        seg = text[seg_start:colon]
        gap = max(seg.rfind("  "), seg.rfind("\t"), seg.rfind("|"), seg.rfind(";"))
        if gap < 0 and seg_start > line_start:
            continue  # a long line before the colon: no label at a field's start
        at = seg_start + gap + 1 if gap >= 0 else seg_start
        raw = text[at:colon]
        label = raw.lstrip(_BULLETS).rstrip(" \t")
        if label:
            start = at + len(raw) - len(raw.lstrip(_BULLETS))
            out.append((start, start + len(label), colon + 1, label.lower()))
    return tuple(out)


def _fields(text: str, candidates: Candidates | None) -> list[tuple[int, int, int, int]]:
    """The name fields of ``text``: label start and end, value start and end."""
    if ":" not in text and "：" not in text:
        return []
    out = []
    for ls, le, vs in labelled_fields(text, is_name_label, candidates):
        if (m := _NAME_VALUE.match(text, vs)) is not None:
            out.append((ls, le, *m.span("value")))
    return out


# the value ends where the next field starts (two spaces, a full-width space after a wide script
# is kept: Japanese writes "中島\u3000聡子") or at a bracket ("Meena (owner)")
_VALUE_END = re.compile(r"[ ]{2}|\s[(（\[]| - | – ")
_VALUE_WORD = re.compile(r"[^\s,]+")
_DIGIT_OR_SIGN = re.compile(r"[\d@#<>=_+*/\\%&$€£{}\[\]]")
# words that may stand inside a name in lower case: particles of European, Arabic and Malay names
# and patronymic links ("van der", "bin", "binti", "s/o", "a/l")
_NAME_PARTICLES = frozenset("""
van von der den de del della dos das do da di du la le ten ter zu af av y e bin binti binte bint ibn al el
s/o d/o a/l a/p
""".split())
# what a form holds when it holds no name
_NO_VALUE = frozenset({"n/a", "na", "none", "nil", "null", "unknown", "tbd", "tba", "tbc", "redacted", "anonymous",
                       "anon", "withheld", "test", "required", "optional", "same", "idem", "not provided",
                       "not given", "not applicable", "see above", "as above"})
# caseless script letters (no letter case: Arabic, Hebrew, Indic, Thai, CJK, Hangul) and marks
_CASELESS_VALUE = re.compile(r"[^\W\d_A-Za-z\u00c0-\u024f\u0370-\u03ff\u0400-\u04ff]")
_LINKS = re.compile(r"\b(?:s/o|d/o|a/l|a/p)\b")


def _cased_name(words: list[str]) -> bool:
    """Whether the words of a value in a cased script read as a name: every word capitalised (or
    all capitals, an initial, a particle), at least one of two letters or more, not every word an
    everyday word or a form label ("Sales Team", "Not Provided", "Surname")."""
    real = [w for w in words if w.lower() not in _NAME_PARTICLES]
    if not real or len(words) > 6:
        return False
    for w in real:
        core = w.strip(".'’-")
        if not core or not core[0].isupper():
            return False
    if not any(len(w.strip(".")) >= 2 for w in real):
        return False
    return not all(everyday_not_first(w.strip(".")) or label_key(w.strip(".")) in FORM_LABELS for w in real)


def _caseless_name(value: str) -> bool:
    """Whether a value in a script without letter case reads as a name: one to four words of that
    script only, and no place, month or firm (:func:`~labkit.controls.pii_names.caseless_common`)."""
    words = value.split()
    if not 1 <= len(words) <= 4 or len(value) > 40:
        return False
    return not caseless_common(value) and label_key(value) not in FORM_LABELS


def is_name_value(value: str) -> bool:
    """Whether ``value`` as a whole reads as a person's name (the checks of :func:`field_name_spans`
    without its comma handling): "Ionel Popescu", "Ирина Лебедева", "ليلى الحسن"; not "the front
    desk", "Sales Team", "N/A".

    Example:
        >>> is_name_value("Pieter van der Westhuizen"), is_name_value("the front desk")
        (True, False)
    """
    value = value.strip()
    if len(value) < 2 or _DIGIT_OR_SIGN.search(_LINKS.sub("", value)) or value.lower() in _NO_VALUE:
        return False
    if not any(c.upper() != c.lower() for c in value):
        return bool(_CASELESS_VALUE.search(value)) and _caseless_name(value)
    return not _CASELESS_VALUE.search(value) and _cased_name(_VALUE_WORD.findall(value))


def field_label_spans(text: str, candidates: Candidates | None = None) -> list[tuple[int, int]]:
    """``(start, end)`` of the labels of name fields: no name inside them ("שם פרטי:", "שם משפחה:",
    where a cue rule reads the label's second word as the name after "שם").

    Example:
        >>> t = "שם משפחה: כהן"
        >>> [t[s:e] for s, e in field_label_spans(t)]
        ['שם משפחה']
    """
    return [(ls, le) for ls, le, _, _ in _fields(text, candidates)]


def field_name_spans(text: str, candidates: Candidates | None = None) -> list[tuple[int, int]]:
    """``(start, end)`` of names given as the value of a name field ("Surname: FARQUHARSON",
    "Name, Vorname: Yıldırım, Derya", "氏名：中島 聡子"), in text order.

    Example:
        >>> t = "Nom : KOUASSI  Prénom : Adjoua\\nE-mail : a@b.ci"
        >>> [t[s:e] for s, e in field_name_spans(t)]
        ['KOUASSI', 'Adjoua']
    """
    out: list[tuple[int, int]] = []
    for _, _, s, e in _fields(text, candidates):
        value = text[s:e]
        if (cut := _VALUE_END.search(value)) is not None:
            value = value[:cut.start()]
        lead = len(value) - len(value.lstrip(" \u3000"))
        value = value.strip(" ,;\u3000")
        if value.endswith(".") and not re.search(r"(?:^|[ .])[^\W\d_]\.$", value):
            value = value[:-1]  # a sentence's dot, not an initial's ("MARIA CRISTINA S.")
        if value.endswith("-"):
            continue  # a name cut at a line break ("OYELARAN-\nBADMUS"): the line is not all of it
        if len(value) < 2 or _DIGIT_OR_SIGN.search(_LINKS.sub("", value)) or value.lower() in _NO_VALUE:
            continue
        s += lead
        cased = any(c.upper() != c.lower() for c in value)
        if not cased:
            if _CASELESS_VALUE.search(value) and _caseless_name(value):
                out.append((s, s + len(value)))
            continue
        if _CASELESS_VALUE.search(value):
            continue  # mixed scripts: left to the other rules
        # "Surname, First": both parts a name; otherwise the part before the comma ("Jane Roe, Sales")
        head, sep, tail = value.partition(",")
        head_words = _VALUE_WORD.findall(head)
        if not _cased_name(head_words):
            continue
        tail_words = _VALUE_WORD.findall(tail)
        if sep and tail_words and "," not in tail and _cased_name(tail_words):
            out.append((s, s + len(value)))
        else:
            out.append((s, s + len(head.rstrip())))
    return out


# Titles written after a name in Turkish ("Zeynep Hanım", "Mustafa Bey"), and a case suffix after an
# apostrophe (Turkish writes one after a proper name: "Aydın'ın", "Ayşe'ye"); the suffix is lower
# case and short, so "O'Brien" and "D'SOUZA" keep their letters.
_TR_SUFFIX = (r"(?:n?[iıuü]n|n?[iıuü]|y?[ea]|y?[iıuü]|[dt][ea]n?|y?l[ea]|[dt][ea]ki|ler|lar|ler[iı]|lar[iı])")
_TRAILING_TITLE = re.compile(rf"(?:[ ](?:Hanım|Hanim|Bey|Beyefendi|Hanımefendi|Hoca|Hocam|Efendi))+(?:['’]{_TR_SUFFIX})?$")
_CASE_SUFFIX = re.compile(rf"(?<=\w\w\w)['’]{_TR_SUFFIX}$")


def trim_name(text: str, start: int, end: int) -> tuple[int, int]:
    """The name span ``[start, end)`` of ``text`` without a trailing Turkish title or apostrophe case
    suffix ("Zeynep Hanım" -> "Zeynep", "Mustafa Emin Aydın Bey'in" -> "Mustafa Emin Aydın"); unchanged
    when nothing trails it or nothing would be left. English "'s" is left to the name rules.

    Example:
        >>> t = "Mustafa Emin Aydın Bey'in adresi"
        >>> t[slice(*trim_name(t, 0, 25))]
        'Mustafa Emin Aydın'
    """
    span = text[start:end]
    m = _TRAILING_TITLE.search(span) or _CASE_SUFFIX.search(span)
    if m is None or m.start() == 0 or span.endswith(("'s", "’s")):
        return start, end
    return start, start + m.start()
