"""Names in the frame of a letter written in a caseless script: the greeting and the signature (round 18).

Why: a name in Arabic, Hebrew, Persian, Devanagari, Bengali, Tamil, Thai, Hangul or Han has no capital
to find it by, and the cue-word rules (:func:`labkit.controls.pii_names.caseless_cue_spans`) need a word
from their lists ("Mr", "dear", a closing formula of their list) right beside it. A letter or e-mail,
in any language, has a frame whose *shape* gives its names away whatever words it uses: a short first
line that greets someone (``<greeting> <name>,`` and a blank line) and a short last line that is the
writer's name alone under the body. No library reads names off a letter's layout; this module does,
from the layout only, with no list of greetings or closings.

What it does: :func:`letter_frame_spans` finds, in a text of at least three lines whose first line is a
greeting line (one to four words, no digit, ending with a comma of any script or followed by a blank
line) and whose body is more than that line:

- the **signature**: the last non-empty line when it is one to three caseless words and nothing else
  (a Korean or Japanese signing word after it, ``드림``, is not part of it), under a blank line or a
  short closing line that ends with a comma or "!" (``תודה,``: "thanks,");
- the **addressee**: in a greeting line of two words that ends with a comma, the second
  (``<dear> <name>,``; without the comma the line is as often a contact card's holder); in a longer
  one, the words after a title of address (``… آقای رضایی،``); never in Han, kana or Hangul, where
  the name comes first and the honorific rules read it.

Guards: a line that is a place, a country, a month or a firm (:func:`caseless_common`), a team
(``…팀``, ``فريق …``) or a group a greeting addresses ("everyone": ``GROUP_WORDS``) is no name; any cased letter or digit in the line rules it out (Latin lines are
the capitalisation rules').

Example:
    >>> t = "שלום נועה,\\n\\nהמסמכים מוכנים.\\n\\nתודה,\\nאלה מזרחי"
    >>> [t[s:e] for s, e in letter_frame_spans(t)]
    ['נועה', 'אלה מזרחי']
"""

from __future__ import annotations

import re

from labkit.controls.pii_name_cues import GROUP_WORDS, label_key
from labkit.controls.pii_names import (
    CASELESS_TITLES,
    CASELESS_UNIT_WORDS,
    SIGNED_SUFFIX,
    caseless_common,
    strip_caseless_title,
)

_COMMA_END = re.compile(r"[,،，、]\s*$")
_CLOSING_END = re.compile(r"[,،，、!！]\s*$")
# a word of a caseless script: letters and marks that have no case (no digit, no Latin letter)
# (a letter, then anything but blanks, digits and punctuation: Indic and Thai vowel signs are marks)
_WORD = re.compile(r"[^\W\d_][^\s\d,،，、!！.。:;()\"]*")
_WIDE = re.compile(r"[\u1100-\u11ff\u3040-\u30ff\u3400-\u9fff\uac00-\ud7af]")
_MAX_GREETING_WORDS = 4
_MAX_NAME_WORDS = 3
_MAX_CLOSING_CHARS = 30


def _caseless_words(line: str) -> list[re.Match[str]] | None:
    """The words of ``line`` when it holds only caseless words, blanks and trailing punctuation."""
    core = line.strip().rstrip(",،，、!！.。:")
    words = list(_WORD.finditer(core))
    if not words or any(ch.isdigit() or ch.upper() != ch.lower() for ch in core):
        return None
    if _WORD.sub("", core).strip():
        return None  # something other than words and blanks between them
    return words


def _is_name(text: str) -> bool:
    return (not caseless_common(text) and not CASELESS_UNIT_WORDS.search(text)
            and not all(label_key(w) in GROUP_WORDS for w in text.split()))


def letter_frame_spans(text: str) -> list[tuple[int, int]]:
    """``(start, end)`` of the addressee and the signature of a letter in a caseless script (module doc)."""
    if "\n" not in text:
        return []
    lines = text.split("\n")
    starts = [0]
    for line in lines[:-1]:
        starts.append(starts[-1] + len(line) + 1)
    filled = [i for i, line in enumerate(lines) if line.strip()]
    if len(filled) < 3:
        return []
    first = filled[0]
    greeting = _caseless_words(lines[first])
    blank_after = first + 1 < len(lines) and not lines[first + 1].strip()
    if greeting is None or len(greeting) > _MAX_GREETING_WORDS or not (
            _COMMA_END.search(lines[first]) or blank_after):
        return []
    out: list[tuple[int, int]] = []
    base = starts[first] + (len(lines[first]) - len(lines[first].lstrip()))
    # the addressee: "<greeting> <name>," or the words after a title of address
    # (only after a comma: a first line of two words over a blank line is as often a card's holder)
    if not _WIDE.search(lines[first]) and _COMMA_END.search(lines[first]):
        titled = [k for k, w in enumerate(greeting) if w.group(0) in CASELESS_TITLES]
        if titled and titled[-1] + 1 < len(greeting):
            s, e = greeting[titled[-1] + 1].start(), greeting[-1].end()
        elif len(greeting) == 2:
            s, e = greeting[1].start(), greeting[1].end()
        else:
            s = e = -1
        if s >= 0:
            s, e = strip_caseless_title(text, base + s, base + e)  # "आदरणीय शर्मा जी": जी is no part of it
            if _is_name(text[s:e]):
                out.append((s, e))
    # the signature: the last line alone, under a blank line or a short closing line
    last = filled[-1]
    above = lines[last - 1]
    closing = (not above.strip() or (len(above.strip()) <= _MAX_CLOSING_CHARS and _CLOSING_END.search(above)))
    if last > first + 1 and closing:
        line = lines[last]
        signed = SIGNED_SUFFIX.sub("", line.rstrip())
        words = _caseless_words(signed)
        if words is not None and len(words) <= _MAX_NAME_WORDS:
            lead = len(signed) - len(signed.lstrip())
            s, e = starts[last] + lead + words[0].start(), starts[last] + lead + words[-1].end()
            s, e = strip_caseless_title(text, s, e)
            if _is_name(text[s:e]):
                out.append((s, e))
    return out
