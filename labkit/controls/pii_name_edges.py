"""The ends of a name span: lead words cut off, "Surname, First" joined, initials and Irish particles kept (round 17).

Why hand-written: the name rules grow a run of capitalised words, and a capitalised word before a
name is often no part of it: a title of address ("Frau", "Tuan", "Seu"), a greeting or a closing formula
("Salam", "Hälsningar"), a role ("Customer"), or a verb or adverb that opens the sentence ("Semnează
Ion Popa", "Call Maria"). No library trims these (NER models learn it from context; the lab ships
none), so this module applies what is general across languages:

1. *Lead words*: the first word of a span is dropped while it is a greeting, title, role or contact
   verb (:data:`~labkit.controls.pii_name_cues.LEAD_WORDS`), a one-word closing formula
   (:data:`~labkit.controls.pii_name_cues.LATIN_SIGN_OFFS`) or a title of address below; a title
   inside the span cuts everything up to it ("Bei Rückfragen Frau Kessler" -> "Kessler"); and an
   everyday word no name list knows, before a word the census lists know as a first name, is dropped
   ("Call Maria" -> "Maria"). An unknown word is kept: it may be a first name no list holds.
2. *"Surname, First"*: a surname (a name span, or a word in capitals a list knows), a comma and a
   word a list knows as a first name are one name, as forms, CSV files and case notes write it
   ("Brandt, Lisa-Marie"). Not when the word before the comma is a common first name ("Anna, Maria"
   is a list of two people), the part after it is a title, or a list goes on around the pair
   ("Hoffman, Williams and Jones", "Carl, Darius, Levi").
3. *Initials before a surname*: "K. Lindqvist", "J.W. Mulder" keep their initials (not a lone "M.":
   French "Monsieur").
4. *Irish and Catalan particles between two parts*: "Ó", "Ní", "Nic", "Mhic", "Uí" ("Pádraig Ó
   Súilleabháin"), and Catalan "i" between two surnames that no list knows as first names.

Every rule only moves the ends of a span some other rule found (or joins two), except rule 2's word in
capitals, which must be a name a list knows. Tests: ``tests/test_pii_round17.py``.
"""

from __future__ import annotations

import re

from anyascii import anyascii

from labkit.controls.pii_name_cues import LATIN_SIGN_OFFS, LEAD_WORDS, TITLE_WORDS, fold
from labkit.controls.pii_names import everyday_opener, is_common_first_name, is_first_name, is_known_name

# Titles of address written before a name with a capital, in the languages the lab's users write
# (folded: lower-case ASCII). General knowledge of each language, not taken from a set. Some are
# also in LEAD_WORDS; these are the ones a name run absorbed.
TITLES_OF_ADDRESS: frozenset[str] = frozenset(fold(w) for w in """
mr mrs ms mx miss missus madam madame mdm mme mlle dr doctor prof professor sir dame lady lord master mister
herr frau fraulein hr fr
monsieur mademoiselle mamie papi tata tonton
senor senora senorita sr sra srta don dona seu sinhor sinho
signor signora signorina sig
meneer mevrouw juffrouw mijnheer
tuan puan encik cik saudara saudari bapak ibu pak bu
sahib sahiba sahab mian sahibzada sahibzadi begum janab jenab shri shrimati smt hazrat
ka kuya ate aling mang
bwana bibi mama baba
bey hanim efendi
gospodin gospodja pan pani
""".split())

_WORD = re.compile(r"\S+")
_TRIM = ".,:;!?\"“”'‘’()"
# an initial, or two or three run together, right before the span: "K. ", "J.W. ", "A.-M. "
_INITIALS_BEFORE = re.compile(r"(?:^|(?<=[\s(,;:\"“]))(?:[A-Z]\.(?:-?[A-Z]\.){0,2})[ ]$")
_IRISH_GAP = re.compile(r"[ ](?:Ó|Ní|Nic|Uí|Ua|Mhic)[ ]")
_CATALAN_GAP = re.compile(r"[ ]i[ ]")
_SURNAME_PARTICLES = frozenset("de da di du la le del della dela van von der den ter ten mc mac o st".split())
_LIST_BEFORE = re.compile(r",[ ]?(?:[A-Z]\.[ ]?)*$")
_LIST_AFTER = re.compile(r"(?:,[ ]?|[ ](?:and|und|et|y|e|i|og|och|en|és|a|ve|dan|na|и|или|or|oder|ou|o)[ ])[A-ZÀ-Þ]")
_CAPS_WORD_BEFORE = re.compile(r"(?:^|(?<=[\s\"“(;,|]))([A-ZÀ-Þ][A-ZÀ-Þ'’-]+(?:[ ][A-ZÀ-Þ][A-ZÀ-Þ'’-]+){0,2})$")


def _bare(word: str) -> str:
    return fold(word.strip(_TRIM))


def _cased(word: str) -> bool:
    """Whether ``word`` has a letter of a cased script: the word lists here are of cased scripts, and a
    word of Arabic or Hebrew letters folds to consonants only ("عمر" -> "mr")."""
    return any(c.upper() != c.lower() for c in word)


def _is_title(word: str) -> bool:
    if not _cased(word):
        return False
    key = _bare(word)
    return key in TITLES_OF_ADDRESS or (key in TITLE_WORDS and not is_first_name(word.strip(_TRIM)))


def _is_lead(word: str) -> bool:
    if not _cased(word):
        return False
    key = _bare(word)
    if not key:
        return True
    if key in TITLES_OF_ADDRESS or key in LATIN_SIGN_OFFS:
        return True
    return key in LEAD_WORDS and not is_first_name(word.strip(_TRIM))


def cut_lead_words(text: str, start: int, end: int) -> tuple[int, int]:
    """``[start, end)`` without the lead words a name run absorbed (rule 1); unchanged when nothing would be left.

    Example:
        >>> t = "Bitte an Frau Kessler weiterleiten: Hälsningar Ebbe Lund"
        >>> t[slice(*cut_lead_words(t, 9, 22))], t[slice(*cut_lead_words(t, 36, 56))]
        ('Kessler', 'Ebbe Lund')
    """
    words = [(start + m.start(), start + m.end()) for m in _WORD.finditer(text[start:end])]
    if len(words) < 2:
        return start, end
    # a title inside the span: everything up to it goes ("Bei Rückfragen Frau Kessler")
    for i in range(len(words) - 2, -1, -1):
        if _is_title(text[words[i][0]:words[i][1]]):
            words = words[i + 1:]
            break
    # lead words at the front: a greeting, a title, a role, a closing formula
    while len(words) >= 2 and _is_lead(text[words[0][0]:words[0][1]]):
        words = words[1:]
    # a first word no list knows before a known first name ("Semnează Ion Popa", "Call Maria")
    if len(words) >= 2:
        first, second = (text[a:b].strip(_TRIM) for a, b in words[:2])
        # only an everyday word of English or another dictionary language goes ("Call Maria", "Respected
        # Omar"): a word no list knows may be a first name no list holds ("Heribert Martin", "Alojzija Ana")
        if (first and second and first[0].isupper() and second[0].isupper() and not is_known_name(first)
                and fold(second) not in _SURNAME_PARTICLES and is_common_first_name(second)
                and not everyday_opener(second) and "-" not in first and everyday_opener(first)):
            words = words[1:]
    return words[0][0], words[-1][1]


def _opens_line_or_sentence(text: str, start: int) -> bool:
    """Only spaces, quotes or brackets between ``start`` and the text's start, a line break or a sentence end."""
    i = start - 1
    while i >= 0 and text[i] in " \t\"'“‘(>*-–":
        i -= 1
    return i < 0 or text[i] in ".!?\n:،。"


def cut_unknown_role(text: str, start: int, end: int) -> tuple[int, int]:
    """``[start, end)`` without a first word that no name list knows, before a word the lists know as a
    first name, where the span opens a sentence or a line (round 21): a role or kinship word the lists
    of :data:`~labkit.controls.pii_name_cues.LEAD_WORDS` lack, in any language and script ("Kurir Nenad",
    "Клієнт Петро Гнатюк", "ग्राहक अमित कुमार"). Rule 1 drops only an everyday word of a dictionary
    language there; this one reads the name lists instead, so it holds for languages without a word list.
    Kept: a first word in capitals (a surname first, "KOVACS Peter"), one with a hyphen, a span of two
    words or of more than four, a first word the lists know ("Heinrich Martin"), a word of a script without
    letter case (the lists know too few names in those scripts: "राजेश" is in none). The cost: a first name
    no list holds before a first name and a surname at a sentence start loses its first word ("Heribert
    Anna Martin" -> "Anna Martin"; round 17's rule 1 kept such words for that reason). A first run that
    also cut two-word spans lost more on the Faker-built seen sets ("Frej Lind", "Hako Maida") than it
    gained (RESULTS, PII round 21).

    Example:
        >>> t = "Paket je stigao. Kurir Nenad Ilic zove sutra."
        >>> t[slice(*cut_unknown_role(t, 17, 33))]
        'Nenad Ilic'
    """
    words = [(start + m.start(), start + m.end()) for m in _WORD.finditer(text[start:end])]
    if not 3 <= len(words) <= 4 or not _opens_line_or_sentence(text, start):
        return start, end
    first, second = (text[a:b].strip(_TRIM) for a, b in words[:2])
    if not first or not second or "-" in first or (first.isupper() and len(first) > 1):
        return start, end
    if not any(c.upper() != c.lower() for c in first):
        return start, end  # a script without letter case: the lists know too few of its names to tell
    if is_known_name(first) or fold(second) in _SURNAME_PARTICLES:
        return start, end
    latin = anyascii(second)
    if not (is_first_name(second) or (latin != second and is_first_name(latin))):
        return start, end
    return words[1][0], words[-1][1]


def _first_word(span: str) -> str:
    m = _WORD.match(span)
    return m.group(0).strip(_TRIM) if m else ""


def _last_word(span: str) -> str:
    parts = span.split()
    return parts[-1].strip(_TRIM) if parts else ""


def join_name_parts(text: str, spans: list[tuple[int, int]]) -> list[tuple[int, int]]:
    """Name spans with "Surname, First" (rule 2), initials (rule 3) and particles (rule 4) joined.

    ``spans`` are the name spans found so far (any order, overlaps allowed); returns the new spans to
    add (the joined ones), the originals left to the longest-wins merge of :func:`labkit.controls.pii.detect`.

    Example:
        >>> t = "Klage: Brandt, Lisa-Marie gegen K. Lindqvist"
        >>> [t[s:e] for s, e in join_name_parts(t, [(7, 13), (15, 25), (35, 44)])]
        ['Brandt, Lisa-Marie', 'K. Lindqvist']
    """
    out: list[tuple[int, int]] = []
    ordered = sorted(set(spans))
    def in_list(s: int, e: int) -> bool:
        # "Hoffman, Williams and Jones", "Carl, Darius, Levi": a list of people, not "Surname, First"
        return bool(_LIST_BEFORE.search(text, max(0, s - 12), s) or _LIST_AFTER.match(text, e))

    by_start = {s: e for s, e in ordered}
    for s, e in ordered:
        # rule 2: "Surname, First" where the surname is this span and the first name follows
        if text.startswith(", ", e) or (text.startswith(",", e) and text[e + 1:e + 2].isupper()):
            nxt = e + 2 if text.startswith(", ", e) else e + 1
            word = re.match(r"[^\W\d_][\w'’-]*", text[nxt:])
            if word and word.group(0)[0].isupper() and not word.group(0).isupper() and _surname_side(text[s:e]) and is_first_name(word.group(0)) \
                    and not _is_title(word.group(0)) and not word.group(0).endswith(("'s", "’s")):
                end = max(by_start.get(nxt, nxt + word.end()), nxt + word.end())
                # "Grünewald, Wilhelmine Grünewald": the part after the comma is a whole name itself
                if not in_list(s, end) and _last_word(text[s:e]).lower() not in text[nxt:end].lower():
                    out.append((s, end))
        # rule 2, the surname in capitals no rule found: "HALVORSEN, Kari"
        if text[max(0, s - 2):s] == ", " and is_first_name(_first_word(text[s:e])) and not _is_title(_first_word(text[s:e])):
            m = _CAPS_WORD_BEFORE.search(text, max(0, s - 40), s - 2)
            if m and all(len(w) > 3 and is_known_name(w) for w in m.group(1).split()) and not in_list(m.start(1), e) and not any(
                    a <= m.start(1) < b for a, b in ordered):
                out.append((m.start(1), e))
        # rule 3: initials right before the span
        m = _INITIALS_BEFORE.search(text, max(0, s - 10), s)
        # not a lone "M." (French "Monsieur", a title) nor "I."
        if m and text[s:s + 1].isupper() and m.group(0).strip() not in ("I.", "M."):
            out.append((m.start(), e))
        # rule 4: particles between two parts
        for gap in (_IRISH_GAP, _CATALAN_GAP):
            g = gap.match(text, e)
            if g is None:
                continue
            nxt = g.end()
            word = re.match(r"[A-ZÀ-Þ][\w'’-]+", text[nxt:])
            if word is None:
                continue
            if gap is _CATALAN_GAP and (is_first_name(_last_word(text[s:e])) or is_first_name(word.group(0))):
                continue  # "Anna i Marta" is two people
            out.append((s, max(by_start.get(nxt, nxt + word.end()), nxt + word.end())))
    return out


def _surname_side(span: str) -> bool:
    """Whether ``span`` may be the surname before "Surname, First": one word, or particles and a word
    ("De La Cruz"), or one to three words in capitals; the last word no common first name (the census lists; unless written in capitals, as forms write surnames), no title."""
    words = [w.strip(_TRIM) for w in span.split()]
    if not 1 <= len(words) <= 3 or any(_is_title(w) or _is_lead(w) or everyday_opener(w) for w in words):
        return False  # "Merci, Réjean", "Thanks, Ola": a closing word or greeting before a comma
    if span.isupper():
        return True
    if any(fold(w) not in _SURNAME_PARTICLES for w in words[:-1]):
        return False  # "Emily Brewer, Karen Perry" is two people; "De La Cruz, Ignacio" one
    return not is_common_first_name(words[-1])
