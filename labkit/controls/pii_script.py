"""A Latin-letter view of text written in other alphabets, for the name and address rules.

Why: the name and address rules (:mod:`labkit.controls.pii_names`, :mod:`labkit.controls.pii_address`)
look for capitalised Latin words and look them up in Latin-script name lists, so a name in Greek or
Cyrillic letters ("Ευστάθιος Καραγρηγορίου", "Сазонов Арсений") was never even a candidate and
went to the provider as written (fresh4: Greek names 0/123).

What it does: :func:`latin_view` transliterates every letter the rules cannot read (outside Basic
Latin .. Latin Extended-B: other scripts, and late Latin letters such as Azerbaijani "ə") to Latin
letters with ``anyascii`` (ISC licence, tables for every script, no model, no download), letter by
letter so that case survives ("Γ" -> "G", "Щ" -> "Shch") and each view character remains traceable
to the character it came from. The rules then see "Efstathios Karagrigoriou" and judge it as they
judge any Latin name: a title or cue before it, a name-list hit ("Georgios", "Papadopoulos"), or a
run of capitalised words English hardly uses. Latin letters, accented ones included, digits and
punctuation are left as written, so a text in the Latin script gets no view at all (``None``) and
the rules see exactly what they saw before.

General knowledge added for one script, said plainly: Greek "ου" is written "ou" (ELOT 743 and
everyday usage: "Papadopoulou"), where anyascii's letter-by-letter table writes "oy"; the name lists
know the "ou" spelling. Nothing is added for any other script.

What it does not do: scripts without letter case (Georgian, Arabic, Hebrew, CJK) become lower-case
or unspaced Latin, which the capitalisation rules do not take for names; a transliteration is not
a translation, so a Greek or Cyrillic everyday word that starts a sentence or stands in a title
("Οδός", "Улица") looks like a rare capitalised word and may be taken for a name.

Example:
    >>> view, starts = latin_view("Call κ. Νικολάου")
    >>> view
    'Call k. Nikolaou'
    >>> "Call κ. Νικολάου"[starts[8]:starts[16]]
    'Νικολάου'
"""

from __future__ import annotations

import re
import unicodedata
from collections.abc import Callable
from functools import lru_cache

from anyascii import anyascii

# a letter the name rules cannot read: outside Basic Latin .. Latin Extended-B (pii_names.UPPER/LOWER),
# so Greek, Cyrillic and every other script, and Latin letters of later blocks ("ə", "ỳ")
_NON_LATIN = re.compile(r"[^\W\d_\u0000-\u024f]")
_GREEK_OU = re.compile(r"[οΟ][υύΥΎ]")


def char_class(keep: Callable[[int, str], bool], start: int = 0x0300, stop: int = 0x10000) -> str:
    """A regex character class of the code points from ``start`` to ``stop`` (Basic Multilingual
    Plane by default) that ``keep(code_point, char)`` accepts, written as ranges: built from Unicode
    categories rather than listed by script (shared by this module and
    :mod:`labkit.controls.pii_address_caseless`)."""
    ranges: list[tuple[int, int]] = []
    for cp in range(start, stop):
        if keep(cp, chr(cp)):
            if ranges and ranges[-1][1] == cp - 1:
                ranges[-1] = (ranges[-1][0], cp)
            else:
                ranges.append((cp, cp))
    return "[" + "".join(re.escape(chr(a)) if a == b else f"{re.escape(chr(a))}-{re.escape(chr(b))}"
                         for a, b in ranges) + "]"


def _marks_class() -> str:
    """Every combining mark (Unicode categories Mn and Mc) from U+0300 on, and the zero-width joiner
    and non-joiner, so Tamil's or Malayalam's vowel signs stay inside a word as Devanagari's do
    (14 ms at import)."""
    return char_class(lambda cp, ch: cp in (0x200C, 0x200D) or unicodedata.category(ch) in ("Mn", "Mc"))


MARKS = _marks_class()
"""Combining marks (Mn, Mc) and the zero-width (non-)joiner: what continues a word of any script."""
# A word in a script written without letter case (Hebrew, Arabic, Persian, Georgian as written,
# Hangul, CJK, kana, Thai, Devanagari, Bengali, Ethiopic ...): its letters have no upper/lower pair
# (Georgian Mkhedruli has Mtavruli capitals in Unicode, but they are not used to mark names).
# Combining marks (Indic vowel signs, Hebrew points, Arabic harakat) stay inside the word.
_CASELESS_WORD = re.compile(rf"(?:(?![A-Za-z\u00c0-\u024f])[^\W\d_]|{MARKS})+")
# a Latin word (two letters or more, or one alone: "I", "a") ending or starting a context
_LATIN_END = re.compile(r"(?:[A-Za-z\u00c0-\u024f]{2,}|(?<!\w)[A-Za-z])$")
_LATIN_START = re.compile(r"(?:[A-Za-z\u00c0-\u024f]{2,}|[A-Za-z](?!\w))")
_PLACEHOLDER = re.compile(r"<[A-Z_]+_\d+>")
_GAP = " \t\n:,;.!?()\"'“”«»-"
# Latin text this close to a caseless run (spaces, punctuation, a line break between) embeds it
_NEAR = 4
_BLANKS = re.compile(r"[ \t]+")
_RUN_WORDS = 4
# inside a word: Hebrew geresh/gershayim and apostrophes ("ח'טיב", "ג'ורי")
_JOINERS = frozenset({"'", "’", "\u05f3", "\u05f4"})


# The common Korean family names (one syllable) in the spelling their bearers use in Latin letters
# (passports, the press: 이 "Lee", not anyascii's "I"). A one-syllable word of an embedded run is
# written so ("지은 이" -> "Jieun Lee", "Her maiden name is 이"), and the name lists know the spelling;
# where the usual spelling is an everyday English word ("Park", "Song", "Son", "Do") a variant the
# census lists know is used instead ("Pak", "Soung", "Sohn", "Toh"). 오 stays "Oh" (no variant).
_KOREAN_SURNAMES = dict(zip(
    "김이박최정강조윤장임한오서신권황안송류유전홍고문양손배백허남심노하곽성차주우구민진나지엄채원천방공현함변염여추도소석선설마길연위표명기반왕금옥육인맹제모탁국은편용예경봉",
    ("Kim Lee Pak Choi Jung Kang Cho Yoon Jang Lim Han Oh Seo Shin Kwon Hwang Ahn Soung Ryu Yoo Jeon Hong Ko Moon "
     "Yang Sohn Bae Baek Heo Nam Shim Noh Ha Kwak Sung Cha Joo Woo Koo Min Jin Na Ji Uhm Chae Won Chun Bang Kong Hyun "
     "Ham Byun Yeom Yeo Choo Toh Soh Seok Seon Seol Ma Gil Yeon Wi Pyo Myung Kee Ban Wang Keum Ock Yook Yin Maeng Je Mo "
     "Tak Kook Eun Pyun Yong Ye Kyung Bong").split(), strict=True))


# caseless prose: a word this long is a clause of a script written without spaces (Chinese, Japanese,
# Thai: "退款确认将通过邮件发给"); names there are 2-4 characters, and Thai names under 12 letters
# (counting syllables, 5 for CJK and Hangul, was tried: it took 10 seen gold names written unspaced)
_CLAUSE_LETTERS = 12
_PROSE_NEAR = 60
_PROSE_WORDS = 6  # words in a run of caseless prose (a company name or an address has fewer)


def _letters(s: str) -> int:
    return sum(ch.isalpha() for ch in s)


_LATIN_LETTER = re.compile(r"[A-Za-z\u00c0-\u024f]")


# three Latin words or more (a phrase of prose, not an id or an acronym) ending or starting a context
_LATIN_PHRASE_END = re.compile(r"(?:[A-Za-z\u00c0-\u024f]+[ ,']+){2,}[A-Za-z\u00c0-\u024f]+$")
_LATIN_PHRASE_START = re.compile(r"(?:[A-Za-z\u00c0-\u024f]+[ ,']+){2,}[A-Za-z\u00c0-\u024f]+")


def _amid_prose(text: str, start: int, end: int, prose: list[tuple[int, int]]) -> bool:
    line_end = text.find("\n", end)
    lo = max(0, start - _PROSE_NEAR, text.rfind("\n", 0, start) + 1)
    hi = min(end + _PROSE_NEAR, len(text) if line_end == -1 else line_end)
    latin = len(_LATIN_LETTER.findall(text, lo, start)) + len(_LATIN_LETTER.findall(text, end, hi))
    caseless = sum(_letters(text[max(a, lo):min(b, hi)]) for a, b in prose if a < hi and b > lo
                   and not (a <= start and end <= b))
    return caseless > latin


def _caseless(word: str) -> bool:
    """Whether ``word`` is written in a script without letter case (its letters have no case
    pair, or they are Georgian Mkhedruli)."""
    return all(c.upper() == c.lower() or "\u10d0" <= c <= "\u10ff" for c in word if c.isalpha())


def _embedded_word_starts(text: str, common: Callable[[str], bool] | None) -> set[int]:
    """Where the words of short caseless-script runs embedded in Latin-script prose start.

    In a text written in the Latin script, a word in a caseless script is a proper noun far more
    often than not ("we need to add ლილი გოგუაძე as guardian", "My name is 김민준"): the writer
    switched script for a name, a street or a town. Its view word is written capitalised, so the
    name rules judge it as they judge any capitalised word (a cue or title before it, a name-list
    hit, a rare word inside a sentence); without a capital it was never a candidate. A run counts
    when it has at most four words and a Latin word stands within a few characters before or
    after it; longer runs, and text written in the caseless script alone, are prose and keep
    their lower-case view, and so does a run ``common`` knows (a town, a country or a month
    name: :func:`labkit.controls.pii_names.caseless_common`).
    """
    words: list[tuple[int, int]] = []
    for m in _CASELESS_WORD.finditer(text):
        if not _caseless(m.group(0)):
            continue
        if words and text[words[-1][1]:m.start()] in _JOINERS:
            words[-1] = (words[-1][0], m.end())  # one word across a geresh or apostrophe ("ח'טיב")
        else:
            words.append((m.start(), m.end()))
    runs: list[tuple[int, int, bool]] = []  # (first word, last word, near Latin prose)
    prose: list[tuple[int, int]] = []  # where caseless prose is: long runs, or clauses written unspaced
    phrase_next: set[int] = set()  # runs next to a Latin phrase of three words or more
    i = 0
    while i < len(words):
        j = i
        # a run: caseless words separated by blanks or a hyphen only
        while j + 1 < len(words) and text[words[j][1]:words[j + 1][0]] in (" ", "-", "  "):
            j += 1
        if j - i >= _PROSE_WORDS - 1 or any(_letters(text[a:b]) > _CLAUSE_LETTERS for a, b in words[i:j + 1]):
            prose.append((words[i][0], words[j][1]))
        if j - i < _RUN_WORDS:
            start, end = words[i][0], words[j][1]
            if text[start - 1:start].isalnum() or text[end:end + 1].isalnum():
                i = j + 1
                continue  # glued to a Latin letter or a digit: part of a token, not a word
            # the redactor's placeholders ("<PHONE_1>") are not Latin prose
            before = _PLACEHOLDER.sub("\0", text[max(0, start - 40):start])
            after = _PLACEHOLDER.sub("\0", text[end:end + 40])
            core_before, core_after = before.rstrip(_GAP), after.lstrip(_GAP)
            # the gap counts a run of blanks as one ("Directed By:    সুমন দাস": aligned columns)
            gap_before = len(_BLANKS.sub(" ", before[len(core_before):]))
            gap_after = len(_BLANKS.sub(" ", after[:len(after) - len(core_after)]))
            near = ((gap_before <= _NEAR and _LATIN_END.search(core_before) is not None)
                    or (gap_after <= _NEAR and _LATIN_START.match(core_after) is not None))
            runs.append((i, j, near))
            if near and (_LATIN_PHRASE_END.search(core_before) or _LATIN_PHRASE_START.match(core_after)):
                phrase_next.add(i)
        i = j + 1
    # a run amid caseless prose is a word of that prose, not a name switched into another script,
    # when the Latin next to it is a token (a record id, an acronym, a word or two), not a phrase:
    # "将 ACC-00001 阶段改为 lost", "संपर्क CON-0002 को AI द्वारा" (taken for names, such words hid a
    # pasted instruction from the model). Amid: on its line, within _PROSE_NEAR characters, the
    # letters of caseless prose outnumber the Latin letters.
    if prose:
        runs = [(i, j, near and (i in phrase_next or not _amid_prose(text, words[i][0], words[j][1], prose)))
                for i, j, near in runs]
    # a list of such runs in Latin prose ("They had 3: 志宏, 美玲 and 淑玲"): the items joined by a comma
    # are embedded as the one next to the Latin words is, both ways along the list
    for order in (range(1, len(runs)), range(len(runs) - 2, -1, -1)):
        for k in order:
            other = k - 1 if order.step == 1 else k + 1
            a, b = sorted((k, other))
            if runs[other][2] and not runs[k][2] and text[words[runs[a][1]][1]:words[runs[b][0]][0]] == ", ":
                runs[k] = (runs[k][0], runs[k][1], True)
    out: set[int] = set()
    for i, j, near in runs:
        run = text[words[i][0]:words[j][1]]
        if near and (run in _KOREAN_SURNAMES or common is None or not common(run)):
            out.update(w[0] for w in words[i:j + 1])
    return out


@lru_cache(maxsize=4096)
def _letter(ch: str) -> str:
    """One character in Latin letters: transliterated when it is a non-Latin letter, else as is.

    A letter whose transliteration has no letter in it (Cyrillic soft and hard signs, the modifier
    apostrophe "ʼ": anyascii writes "'") is left out of the view: an apostrophe at a word's end
    cut the name before it ("Эмиль" was seen as "Emil'" and redacted as "Эмил"). Its source
    character stays inside the span, which maps to the next view character's source.
    """
    if not _NON_LATIN.match(ch):
        if ch in "\u200c\u200d":
            # a zero-width (non-)joiner inside an Indic word ("श्रेष्‍ठ"): no letter of its own;
            # kept in the view it cut the word there ("Sres‍th")
            return ""
        if ch > "\u036f" and unicodedata.category(ch).startswith("M"):
            # a vowel sign or mark of another script ("ो" in "रोहित"): its letters, else nothing
            # (left as written it split the word: "Rोhिt")
            out = anyascii(ch)
            return out if out.isalpha() else ""
        return ch
    out = anyascii(ch)
    return out if any(c.isalnum() for c in out) else ""


def latin_view(text: str, common: Callable[[str], bool] | None = None) -> tuple[str, list[int]] | None:
    """``text`` with non-Latin letters transliterated, and where each view character came from.

    Returns ``None`` when ``text`` has no letter outside the Latin script (the common case: no
    copy is made). Otherwise ``(view, starts)``: view character ``i`` came from
    ``text[starts[i]:starts[i + 1]]`` and ``starts`` has one more entry than the view, so a span
    ``(s, e)`` of the view is the span ``(starts[s], starts[e])`` of ``text`` (as in
    :func:`labkit.controls.pii._unescape_view`). A short run of words in a script without letter
    case inside Latin prose is written capitalised (see :func:`_embedded_word_starts`; ``common``
    names the runs that stay lower case).
    """
    if _NON_LATIN.search(text) is None:
        return None
    parts: list[str] = []
    starts: list[int] = []
    embedded = _embedded_word_starts(text, common)
    i = 0
    n = len(text)
    while i < n:
        ch = text[i]
        if i in embedded:
            # a caseless word inside Latin prose: capitalised in the view, the rest of it lower
            # case (Hangul and CJK syllables come capitalised each: "GimMinJun" -> "Gimminjun")
            m = _CASELESS_WORD.match(text, i)
            assert m is not None
            end = m.end()
            while end + 1 < n and text[end] in _JOINERS and (m2 := _CASELESS_WORD.match(text, end + 1)):
                end = m2.end()  # the word goes on after a geresh: one capital for all of it
            if end == i + 1 and text[i] in _KOREAN_SURNAMES:
                out = _KOREAN_SURNAMES[text[i]]
                parts.append(out)
                starts.extend([i] * len(out))
                i = end
                continue
            first = True
            for k in range(i, end):
                out = _letter(text[k]) if text[k] not in _JOINERS else ""
                if out and first:
                    # the capital maps back to the word's first character, also when that letter
                    # has no Latin letters of its own (Hebrew alef and ayin: "עומר" -> "Vmr")
                    out = out[0].upper() + out[1:].lower()
                    parts.append(out)
                    starts.extend([i] + [k] * (len(out) - 1))
                    first = False
                    continue
                out = out.lower()
                parts.append(out)
                starts.extend([k] * len(out))
            i = end
            continue
        if _GREEK_OU.match(text, i):
            # Greek "ου" -> "ou" (two characters from two: each view letter keeps its own source)
            pair = "OU" if text[i:i + 2].isupper() else ("Ou" if ch.isupper() else "ou")
            parts.append(pair)
            starts.extend((i, i + 1))
            i += 2
            continue
        out = _letter(ch)
        parts.append(out)
        starts.extend([i] * len(out))
        i += 1
    starts.append(n)
    return "".join(parts), starts
