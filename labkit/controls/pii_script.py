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
from functools import lru_cache

from anyascii import anyascii

# a letter the name rules cannot read: outside Basic Latin .. Latin Extended-B (pii_names.UPPER/LOWER),
# so Greek, Cyrillic and every other script, and Latin letters of later blocks ("ə", "ỳ")
_NON_LATIN = re.compile(r"[^\W\d_\u0000-\u024f]")
_GREEK_OU = re.compile(r"[οΟ][υύΥΎ]")


@lru_cache(maxsize=4096)
def _letter(ch: str) -> str:
    """One character in Latin letters: transliterated when it is a non-Latin letter, else as is.

    A letter whose transliteration has no letter in it (Cyrillic soft and hard signs, the modifier
    apostrophe "ʼ": anyascii writes "'") is left out of the view: an apostrophe at a word's end
    cut the name before it ("Эмиль" was seen as "Emil'" and redacted as "Эмил"). Its source
    character stays inside the span, which maps to the next view character's source.
    """
    if not _NON_LATIN.match(ch):
        return ch
    out = anyascii(ch)
    return out if any(c.isalnum() for c in out) else ""


def latin_view(text: str) -> tuple[str, list[int]] | None:
    """``text`` with non-Latin letters transliterated, and where each view character came from.

    Returns ``None`` when ``text`` has no letter outside the Latin script (the common case: no
    copy is made). Otherwise ``(view, starts)``: view character ``i`` came from
    ``text[starts[i]:starts[i + 1]]`` and ``starts`` has one more entry than the view, so a span
    ``(s, e)`` of the view is the span ``(starts[s], starts[e])`` of ``text`` (as in
    :func:`labkit.controls.pii._unescape_view`).
    """
    if _NON_LATIN.search(text) is None:
        return None
    parts: list[str] = []
    starts: list[int] = []
    i = 0
    n = len(text)
    while i < n:
        ch = text[i]
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
