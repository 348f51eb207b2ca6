"""Other mentions of a name found in the same text: its parts, in any letter case, and its handles (round 21).

Why: a text names a person once with the context the name rules read ("Dear Ms Ngozi Adeyemi",
"Name: Ollie Pemberton", a signature) and then again without it: the first name alone in a later
line, the surname in capitals in a header, the name in lower case in a chat reply, a user handle
made of the name ("tdelacroix", "ngozi.adeyemi"). Each later mention is the same person, and
:func:`labkit.controls.pii.redact` already replaced the exact value and its capitalised parts
(``_propagate``), but :func:`~labkit.controls.pii.detect` did not report them, and a part in another
letter case or a handle went through. This is coreference by string within one text, the generalising
half of a name detector: it learns nothing from a data set, only from the names the other rules found
in the text at hand. No library does this offline without a model (spaCy's and Stanza's coreference
need downloaded models), so it is a few lines here.

What counts as a mention of a found name (``(start, end)`` spans, for :func:`mention_spans`):

- the name as found, and a *part* of it in a cased script (a word of two letters or more that is not an
  initial, a particle such as "van" or "bin", or a title) as written, and also in lower case, in capitals
  or capitalised when the word has four letters or more and is no everyday English or European word
  ("ollie", "OLLIE"; not "will", "grace", "mark" for Will, Grace, Mark: those stay as the other rules
  find them). A part in a script without letter case is not looked for alone: a common word taken for
  a name would spread to its every use;
- a *handle* of a two-part name in lower case and plain letters: first and last joined, with a dot,
  an underscore or nothing, or the first initial before the last ("theo.delacroix", "tdelacroix");
- mentions side by side (one space or a hyphen between, opening in the same letter case, four words at
  most) are one span ("PEMBERTON OLLIE").

A mention is a whole word: no letter, digit, "@", "." or "-" glued to it (so an e-mail's local part is
left to the e-mail rule). Spans that overlap a finding of any type are left out by the caller.

Example:
    >>> t = "Name: Ollie Pemberton\\n[21:09] nana: did ollie get home? ask PEMBERTON"
    >>> [t[s:e] for s, e in mention_spans(t, [(6, 21)])]
    ['Ollie Pemberton', 'ollie', 'PEMBERTON']
"""

from __future__ import annotations

import re

from anyascii import anyascii

from labkit.controls.pii_name_cues import TITLE_WORDS, fold
from labkit.controls.pii_names import everyday_not_first, is_everyday_english

# particles and links that stand inside names and are no name by themselves (any case)
_PARTICLES = frozenset("""
van von der den de del della dos das do da di du la le ten ter zu af av y e i bin binti binte bint ibn al el
s/o d/o a/l a/p ben bat ní nic ó o mac mc st st.
""".split())
_EDGE = ",.;:!?()[]{}\"'«»“”‘’<>|/\\"
# a mention is a whole word: nothing glued before it that continues a word, a number, an address or
# an e-mail, and nothing glued after it but punctuation ("Bea's" keeps its "'s" out of the span)
_GLUED_BEFORE = re.compile(r"[\w@.+-]")
_GLUED_AFTER = re.compile(r"[\w@-]|\.\w")
_MIN_HANDLE = 5
# a part in another letter case has four letters or more: shorter ones are often syllables or words of
# another language too (Vietnamese "gái", "trai"), which the word lists do not hold
_MIN_OTHER_CASE = 4
_MAX_JOINED_WORDS = 4


def _parts(name: str) -> list[str]:
    """The words of a name that may stand for the person alone: not an initial, particle or title,
    two characters or more."""
    out = []
    for raw in name.split():
        p = raw.strip(_EDGE)
        if p.endswith(("'s", "’s")):
            p = p[:-2]
        if len(p) < 2 or p.lower() in _PARTICLES or fold(p) in TITLE_WORDS:
            continue
        if not any(c.isalpha() for c in p) or any(c.isdigit() for c in p):
            continue
        out.append(p)
    return out


def _cased(word: str) -> bool:
    return any(c.upper() != c.lower() for c in word)


def _everyday(word: str) -> bool:
    """A word that is also an everyday word (then only its spelling as found counts as the name)."""
    return is_everyday_english(word) or everyday_not_first(word)


def _forms(name: str) -> set[str]:
    """Every string that counts as a mention of ``name`` (see the module docstring)."""
    parts = _parts(name)
    # a part alone only in a cased script: a word of a caseless script taken for a name ("नंबर" in a
    # false name) would spread to every other use of the word, and nothing tells the two apart
    cased = [p for p in parts if _cased(p)]
    forms: set[str] = {name.strip(_EDGE)} | set(cased)
    for p in cased:
        if len(p) >= _MIN_OTHER_CASE and not _everyday(p):
            forms.update((p.lower(), p.upper(), p[:1].upper() + p[1:].lower()))
    if len(cased) >= 2:
        first, last = (anyascii(cased[0]).lower(), anyascii(cased[-1]).lower())
        first, last = re.sub(r"[^a-z]", "", first), re.sub(r"[^a-z]", "", last)
        if first and last:
            for handle in (first + last, f"{first}.{last}", f"{first}_{last}", first[0] + last):
                if len(handle) >= _MIN_HANDLE:
                    forms.add(handle)
    return forms


def _hits(text: str, forms: set[str]) -> list[tuple[int, int]]:
    """Whole-word occurrences of ``forms`` in ``text``, longest first where several start at one place."""
    hits: list[tuple[int, int]] = []
    for form in forms:
        i = text.find(form)
        while i != -1:
            e = i + len(form)
            if not (i and _GLUED_BEFORE.match(text, i - 1)) and not _GLUED_AFTER.match(text, e):
                hits.append((i, e))
            i = text.find(form, i + 1)
    hits.sort(key=lambda h: (h[0], -h[1]))
    out: list[tuple[int, int]] = []
    for s, e in hits:
        if not out or s >= out[-1][1]:
            out.append((s, e))
    return out


def mention_spans(text: str, names: list[tuple[int, int]]) -> list[tuple[int, int]]:
    """``(start, end)`` of every mention in ``text`` of the names at ``names`` (spans of ``text``),
    the name spans themselves included where they are found again; side-by-side mentions joined.

    Example:
        >>> t = "Theo Delacroix (user tdelacroix) wrote; theo says hi"
        >>> [t[s:e] for s, e in mention_spans(t, [(0, 14)])]
        ['Theo Delacroix', 'tdelacroix', 'theo']
    """
    owners: dict[str, set[int]] = {}  # each form -> the names (by index) it is a form of
    for i, (s, e) in enumerate(names):
        for form in _forms(text[s:e]):
            owners.setdefault(form, set()).add(i)
    if not owners:
        return []
    joined: list[tuple[int, int]] = []
    whose: set[int] = set()
    for s, e in _hits(text, set(owners)):
        mine = owners[text[s:e]]
        # "Ollie Pemberton", "PEMBERTON-SMYTHE": one name, when both mentions are of the same found name
        # (not "Alhaji", a title some rule took for a name elsewhere, before "Musa Danjuma")
        if joined and _joins(text, joined[-1], s) and whose & mine:
            joined[-1] = (joined[-1][0], e)
            whose &= mine
        else:
            joined.append((s, e))
            whose = set(mine)
    return joined


def _joins(text: str, before: tuple[int, int], start: int) -> bool:
    """Whether a mention at ``start`` continues the mention ``before``: one space or a hyphen between,
    both opening in the same letter case (not "gái Phạm", a word before a name), four words at most."""
    if text[before[1]:start] not in (" ", "-"):
        return False
    if text[before[0]].islower() != text[start].islower():
        return False
    return len(text[before[0]:start].split()) < _MAX_JOINED_WORDS
