"""Names written the way lists, rosters and signatures write them: initials and a surname, "Surname, First"
alone on a line or in a cell, and a name alone under a closing line (issue 15, PII round 20).

Why a hand-written rule: the name rules of :mod:`labkit.controls.pii_names` grow a run of capitalised
words and ask a name list or a cue beside it; an attendance list, a minutes header, a table of staff or
a signature gives neither ("R. Patel, S. O'Neill", "Eriksson, Nils", "IYER, KAVYA", "Иванов И. И.").
The evidence is the written form itself, which is the same in every language with letter case:

1. **Initials before a surname** (:func:`initial_surname_spans`): one to three capital initials with a
   dot, then a capitalised word that is no everyday word of English or of the other languages' top
   words ("H. M. Osei", "B. Oehlschläger", "J. Kowalski"; not "U.S. Army", "Plan B. Next"). In
   Cyrillic also the surname first, then two initials ("Иванов И. И.", "Ефимова А.В.").
2. **"Surname, First" as a whole entry** (:func:`surname_first_spans`): a line or table cell (after a
   list marker, a "label:" or a "|") that is only a surname, a comma and a first name a list knows, or
   an initial ("Eriksson, Nils", "Pfeiffer, U.", "IYER, KAVYA", "HOLLOWAY, GRACE E.", "TAN WEI MING,
   BENJAMIN"). Not when the first part is an everyday word, a greeting or closing ("Thanks, Anna"), or
   a place ("Paris, France"; a town before a word no list knows as a first name: "Portland, Oregon").
3. **A name under a closing line** (:func:`signature_spans`): the text's last line, one to three
   capitalised words, when the line above it is a short closing that ends with a comma ("Bien à toi,"
   / "Ngā mihi," / "Best,") or is a known closing formula, and the words are no everyday words
   ("Thibault"; not "The Support Team").

No offline library reads these forms (Presidio's pattern recognizers have no name pattern, and a NER
model is not shipped by the lab); the word data are the lab's: pyspellchecker's frequency lists via
:func:`~labkit.controls.pii_names.is_everyday_english` and
:func:`~labkit.controls.pii_name_openers.top_words`, and the name gazetteers via
:func:`~labkit.controls.pii_names.is_first_name`.

Example:
    >>> t = "Attendees: R. Patel, J. Kowalski\\nApologies: none"
    >>> [t[s:e] for s, e in initial_surname_spans(t)]
    ['R. Patel', 'J. Kowalski']
"""

from __future__ import annotations

import re

from anyascii import anyascii

from labkit.controls.pii_name_cues import FORM_LABELS, GREETING_WORDS, LATIN_SIGN_OFFS, LEAD_WORDS, fold, label_key
from labkit.controls.pii_name_openers import top_words
from labkit.controls.pii_names import (
    everyday_not_first,
    is_city_word,
    is_common_first_name,
    is_everyday_english,
    is_first_name,
    is_territory,
)

_UP = "A-ZÀ-ÖØ-ÞĀĂĄĆČĎĐĒĖĘĚĞĪĮİĶĹĽŁŃŇŌŐŒŘŚŞŠŢŤŪŮŰŲŹŻŽА-ЯЁІЇЄҐΑ-ΩΆ-Ώ"
_LO = "a-zß-öø-ÿāăąćčďđēėęěğīįıķĺľłńňōőœřśşšţťūůűųźżžа-яёіїєґα-ωά-ώ"
# a capitalised surname, hyphenated parts and Irish/Italian apostrophe forms kept ("Mbeki-Hart", "O'Neill")
_SURNAME = rf"(?:[{_UP}]['’])?[{_UP}][{_LO}]+(?:-[{_UP}][{_LO}]+)?"
_UP_LATIN = _UP.split("А")[0]
# 1. initials then surname; the initials must not continue an abbreviation or a word ("U.S.", "No."), and the
# last one is followed by a blank ("S.Coop" is a Spanish legal form). Latin script only: Greek "Λ." is the
# abbreviation of "avenue" before a street's name in the genitive.
_INITIALS_THEN_SURNAME = re.compile(rf"(?<![\w.’'-])(?P<initials>(?:[{_UP_LATIN}]\.[ ]?){{0,2}}[{_UP_LATIN}]\.)[ ]"
                                    rf"(?P<surname>{_SURNAME})(?P<second>[ ]{_SURNAME})?(?![\w'’-])")
# what rules an "initials + surname" out, read around it:
# - a capitalised word right before: a middle initial of a longer name ("Harold B. Stiles"), the name rules'
#   span ("Rosalind T. Avery"), not ours;
# - a street word before: a street named after a person is part of an address ("Av. J.B. Alberdi");
# - a number label after: "T.C. Kimlik No" (a Turkish ID label), "J. Smith Nr";
# - a lower-case abbreviation before: German "i. A." / "i. V." (on behalf of) is no initial.
_WORD_BEFORE = re.compile(rf"(?:^|[\s(\"“])([{_UP}][{_LO}'’-]+)[ ]$")
_STREET_BEFORE = re.compile(r"(?i)(?:^|[\s,(])(?:av|avda|avenida|calle|c/|rue|bd|bld|boulevard|plaza|pza|piazza|via|viale|"
                            r"str|street|st|road|rd|ul|ulica|rua|travessa|largo|praça|pasaje|paseo|camino|carrera|cra|cl|"
                            r"sokak|sok|cad|caddesi|mah|jl|jalan|calea|strada|bulevardul|bul|aleja|al|pl|plac|os)\.?[ ]$")
_NUMBER_AFTER = re.compile(r"[ ](?:No|Nr|Nº|N°|No\.|Number|Numarası)\b")
_ABBREV_BEFORE = re.compile(r"(?:^|\s)[a-z]\.[ ]$")
# - a house number after: Portuguese "R. Yara, 12" is "Rua Yara" (the street), not an initial
_HOUSE_NUMBER_AFTER = re.compile(r",?[ ]\d{1,4}[a-zA-Z]?(?![\d -])")
# single initials that are titles of address: French "M." (Monsieur), Portuguese "D." (Dona/Dom), Tagalog
# "G." (Ginoong); before a word the census lists know as a first name they are a title, not an initial
_TITLE_INITIALS = frozenset({"M.", "D.", "G."})
_CYRILLIC_INITIALS = re.compile(r"(?<![\w.-])(?:(?:[А-ЯЁ]\.[ ]?){1,2}[ ]?(?P<after>[А-ЯЁ][а-яё]+(?:-[А-ЯЁ][а-яё]+)?)"
                                r"|(?P<before>[А-ЯЁ][а-яё]+(?:-[А-ЯЁ][а-яё]+)?)[ ][А-ЯЁ]\.[ ]?[А-ЯЁ]\.)(?![\w])")
# 2. an entry "Surname, First": the surname part (1-3 words, mixed case or capitals), a comma, the first
# name (capitalised or capitals, hyphenated, optional second given name or initial)
_CAPS_WORD = rf"[{_UP}](?:[{_UP}'’-]*[{_UP}])?"
_FIRST = rf"(?:[{_UP}][{_LO}]+|[{_UP}]{{2,}})(?:-(?:[{_UP}][{_LO}]+|[{_UP}]{{2,}}))?"
# surname particles written in lower case before a surname ("van der Merwe", "de Vries", "van 't Hof")
_PARTICLE = r"(?:van|von|de|der|den|del|della|di|da|du|la|le|ten|ter|'t|’t|el|al|dos|das|do|zu|y)"
_ENTRY = re.compile(
    rf"(?P<surname>(?:{_PARTICLE}[ ]){{0,2}}{_SURNAME}(?:[ ]{_SURNAME})?|{_CAPS_WORD}(?:[ ]{_CAPS_WORD}){{0,2}}),[ ]"
    rf"(?P<first>{_FIRST}|[{_UP}]\.)"
    rf"(?P<more>[ ](?:{_FIRST}|[{_UP}]\.))?")
# where an entry may open: a line's start after an optional list marker, a table cell, or a "label: "
# (found first, then the entry is matched right there: scanning the entry pattern at every position of a long
# text cost ~2 ms on a 1 kB note)
_ENTRY_OPEN = re.compile(r"(?:^|(?<=\n))[ \t]*(?:(?:\d{1,3}[.)]|[-*•·]|\d{1,2}[:.]\d{2})[ ]+)?|\|[ ]*"
                         r"|(?<![^\W\d_])[^\W\d_][^\n:|]{0,24}:[ ]+")
# cheap gates before the costly patterns (most texts have neither shape): a capitalised word, a comma and a
# capital; a single letter with a dot
_ENTRY_GATE = re.compile(rf"[{_UP}][^\s,]*,[ ][{_UP}]")
_INITIAL_GATE = re.compile(r"(?<![^\W\d_])[^\W\d_]\.")
# where it must end: line end, a cell end, a bracket, two blanks or a tab, a semicolon
_ENTRY_CLOSE = re.compile(r"[ ]*(?:$|\n|\||\(|;)|[ ]{2}|\t")
_LINE = re.compile(r"[^\n]+")
_BROKEN_BEFORE = re.compile(rf"(?:^|(?<=[\s:]))(?:{_CAPS_WORD}|{_SURNAME})-\n$")


def _no_everyday(word: str) -> bool:
    """A word that is no everyday word of English or of the top words of the other languages."""
    low = word.lower()
    return not (is_everyday_english(low) or low in top_words() or everyday_not_first(word[:1].upper() + low[1:]))


def _cue_word(word: str) -> bool:
    """A greeting, closing, lead word (title, role, contact verb) or form label: no surname."""
    key = fold(word)
    return key in GREETING_WORDS or key in LATIN_SIGN_OFFS or key in LEAD_WORDS or label_key(word) in FORM_LABELS


def initial_surname_spans(text: str) -> list[tuple[int, int]]:
    """Initials before a surname ("R. Patel"), and in Cyrillic a surname before two initials (rule 1)."""
    out: list[tuple[int, int]] = []
    if _INITIAL_GATE.search(text) is None:
        return out
    for m in _INITIALS_THEN_SURNAME.finditer(text):
        surname, initials, start = m.group("surname"), m.group("initials"), m.start()
        if len(surname) < 3 or not _no_everyday(surname) or _cue_word(surname):
            continue
        # a second surname word when it is no everyday word ("W. Ferreira Lopes"; not "J. Smith Street")
        end = m.end() if m.group("second") and _no_everyday(m.group("second").strip()) else m.end("surname")
        before = text[max(0, start - 40):start]
        if ((w := _WORD_BEFORE.search(before)) is not None and not _cue_word(w.group(1))) \
                or _STREET_BEFORE.search(before) or _NUMBER_AFTER.match(text, end):
            continue
        if initials in _TITLE_INITIALS and (initials == "M." or is_common_first_name(surname)):
            continue  # "M. Vandenbroucke" (Monsieur), "G. Ernesto", "D. Fernanda": a title before a name
        if _ABBREV_BEFORE.search(before) or _HOUSE_NUMBER_AFTER.match(text, end):
            continue
        out.append((start, end))
    for m in _CYRILLIC_INITIALS.finditer(text):
        surname = m.group("after") or m.group("before")
        if _no_everyday(surname) and not _cue_word(surname):
            out.append((m.start(), m.end()))
    return out


# letters after a name that are degrees or generation marks, not a first name ("Faisal Qureshi, MD")
_POST_NOMINALS = frozenset("md phd rn dds dmd do jr sr ii iii iv esq cpa mba msc bsc ma ba llb llm mp qc kc obe mbe".split())


def _first_part(word: str) -> bool:
    """The part after the comma: an initial, or a first name a list knows (capitals read as a name)."""
    if len(word) == 2 and word.endswith("."):
        return True
    if word.lower().rstrip(".") in _POST_NOMINALS:
        return False
    parts = [p[:1] + p[1:].lower() for p in word.split("-")]
    return all(is_first_name(p) or (anyascii(p) != p and is_first_name(anyascii(p))) for p in parts)


def surname_first_spans(text: str) -> list[tuple[int, int]]:
    """Whole entries "Surname, First" on a line of their own, in a cell or after a label (rule 2).

    The part after the comma must be a first name a list knows, or an initial; in a list of two or more
    such entries on different lines ("Andersson, Karin" / "Eriksson, Nils") any word that is no everyday
    word does, as the lists miss many given names."""
    strict: list[tuple[int, int]] = []
    loose: list[tuple[int, int]] = []
    if _ENTRY_GATE.search(text) is None:
        return []
    opens = {o.end() for o in _ENTRY_OPEN.finditer(text)}
    for at in sorted(opens):
        if (m := _ENTRY.match(text, at)) is None:
            continue
        if _ENTRY_CLOSE.match(text, m.end()) is None:
            continue
        surname_words = [w for w in m.group("surname").split() if not re.fullmatch(_PARTICLE, w, re.IGNORECASE)]
        if any(_cue_word(w) or not _no_everyday(w.replace("’", "'").split("'")[-1]) for w in surname_words):
            continue
        first, more = m.group("first"), (m.group("more") or "").strip()
        if is_territory(m.group("surname").title()) or is_territory(first.title()) or _cue_word(first):
            continue
        if more and not (_first_part(more) or _no_everyday(more)):
            continue
        if first.lower().rstrip(".") in _POST_NOMINALS:
            continue  # "Faisal Qureshi, MD": a degree after a name, not a first name
        start = m.start()
        if (broken := _BROKEN_BEFORE.search(text, max(0, start - 30), start)) is not None:
            start = broken.start()  # "GUTIERREZ-\nMORALES, ANA LUCIA": a surname broken over two lines
        if _first_part(first):
            strict.append((start, m.end()))
        elif is_city_word(surname_words[-1]):
            continue  # "Portland, Oregon", "Salem, Oregon": a town and its region, no person
        elif _no_everyday(first):
            loose.append((start, m.end()))
    entries = strict + loose
    lines = {text.count("\n", 0, s) for s, _ in entries}
    return sorted(entries if len(lines) >= 2 else strict)


_CLOSING_END = re.compile(r"[,，!]$")


def signature_spans(text: str) -> list[tuple[int, int]]:
    """The last line, one to three capitalised words, under a short closing line ending with a comma
    or made of a known closing formula (rule 3)."""
    lines = [(m.start(), m.end()) for m in _LINE.finditer(text) if m.group(0).strip()]
    if len(lines) < 3:
        return []
    (cs, ce), (ns, ne) = lines[-2], lines[-1]
    closing, name = text[cs:ce].strip(), text[ns:ne].strip()
    words = closing.rstrip(",，!").split()
    if not words or len(words) > 4 or any(ch.isdigit() for ch in closing):
        return []
    if not (_CLOSING_END.search(closing) or all(fold(w) in LATIN_SIGN_OFFS for w in words)):
        return []
    parts = name.split()
    if not 1 <= len(parts) <= 3 or not all(re.fullmatch(rf"(?:[{_UP}]\.|{_SURNAME})", p) for p in parts):
        return []
    if not all(p.endswith(".") or ((_no_everyday(p) or is_first_name(p)) and not _cue_word(p)) for p in parts):
        return []
    start = ns + (len(text[ns:ne]) - len(text[ns:ne].lstrip()))
    return [(start, start + len(name))]


def _script(ch: str) -> str:
    """"latin", "cyrillic", "greek", "other" (a caseless script) or "" for a character that is no letter."""
    if not ch.isalpha():
        return ""
    if ch.lower() == ch.upper():
        return "other"
    code = ord(ch)
    return "cyrillic" if 0x400 <= code < 0x530 else "greek" if 0x370 <= code < 0x400 else \
        "armenian" if 0x530 <= code < 0x590 else "latin"


def _word_script(word: str) -> str:
    scripts = {_script(ch) for ch in word} - {""}
    return scripts.pop() if len(scripts) == 1 else ""


def trim_other_script(text: str, start: int, end: int) -> tuple[int, int]:
    """A name span that mixes a cased script with a caseless one keeps its cased run (round 20, rule 4):
    a role or verb in Arabic, Hebrew, Persian, Thai, Tamil or Ethiopic before or after a Latin name
    ("العميل Mohammed Saeed", "ลูกค้า Nattapong Saelim") is no part of it. Only when the cased run has two
    words or more (a full name), so a one-word Latin token inside a caseless name stays as the finders
    left it."""
    words = [(m.start(), m.end()) for m in re.finditer(r"\S+", text[start:end])]
    scripts = [_word_script(text[start + a:start + b]) for a, b in words]
    if "other" not in scripts or not any(x in ("latin", "cyrillic", "greek", "armenian") for x in scripts):
        return start, end
    # the longest run of consecutive cased words
    best, run = (0, 0), (0, 0)
    for i, x in enumerate(scripts):
        run = (run[0], i + 1) if x not in ("other", "") and run[1] == i and run[1] > run[0] else \
            ((i, i + 1) if x not in ("other", "") else (i + 1, i + 1))
        if run[1] - run[0] > best[1] - best[0]:
            best = run
    if best[1] - best[0] < 2:
        return start, end
    return start + words[best[0]][0], start + words[best[1] - 1][1]


# a surname in capitals before a first name, as French, Polish and Romanian lists write it ("DUPONT-MOREAU
# Hélène", "N'DIAYE Ousmane", "LE GOFF Yann"): one or two words of capitals right before a name span
_VOWEL = re.compile(r"[AEIOUYÀ-ÆÈ-ÏÒ-ÖØ-ÜĀĂĄĒĖĘĚĪĮŌŐŒŪŮŰŲАЕЁИОУЫЭЮЯΑΕΗΙΟΥΩ]")
_CAPS_BEFORE = re.compile(rf"(?:^|(?<=[\s(|:;]))(?P<caps>{_CAPS_WORD}(?:[ ]{_CAPS_WORD})?)[ ]$")


def caps_surname_before(text: str, spans: list[tuple[int, int]]) -> list[tuple[int, int]]:
    """Each name span whose first word is a first name a list knows, with the surname in capitals before
    it on the same line joined to it (round 20, rule 5); not an everyday word or a cue in capitals
    ("URGENT Maria", "ATTN Maria", "CC Maria") and not a lone letter."""
    out = []
    for s, e in spans:
        first = text[s:e].split()[0] if text[s:e].split() else ""
        if not first or not first[:1].isupper() or first.isupper() or not _first_part(first.rstrip(",.")):
            continue
        m = _CAPS_BEFORE.search(text, max(0, s - 40), s)
        if m is None:
            continue
        caps = m.group("caps").split()
        last = caps[-1].replace("’", "'").split("'")[-1]
        # a surname has a vowel: "PPC Mac" (a user agent), "HR Maria" are acronyms before a word
        if not _VOWEL.search(last) or len(last) < 3 or any(_cue_word(w) for w in caps) or not _no_everyday(last) or is_territory(last):
            continue
        out.append((m.start("caps"), e))
    return out


def roster_name_spans(text: str) -> list[tuple[int, int]]:
    """Every span of rules 1-3 (see the module docstring)."""
    return sorted(set(initial_surname_spans(text) + surname_first_spans(text) + signature_spans(text)))
