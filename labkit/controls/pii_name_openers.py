"""Words that open a sentence capitalised and are no name: function words of other languages, and a
town before a workplace noun (issue 15, PII round 19).

Why: the name rules of :mod:`labkit.controls.pii_names` let a capitalised word at a sentence start
pass as a name when a name list knows it. The census and wide lists hold many short words that are
also the most frequent words of other languages (French "Tu", Spanish "Su", Italian "Le", Dutch
"Ben"): at a sentence start these were masked as names, and on the agent's path the client's redaction
then hid the orders that open with them (a pronoun, an imperative, an article before a role noun).
No library separates "a function word of some language" from "a name" at a sentence start; the word
data is there (pyspellchecker's frequency lists for German, Spanish, French, Italian, Dutch, Portuguese
and Russian), so the rule is: a name span at a sentence start whose first word is one of the
:data:`TOP_WORDS` most frequent words of one of those languages, and whose other words are everyday
words too, is no name. A second-word name keeps the span ("Le Roux" is a name when "Roux" is no
everyday word; the particle rules decide it).

A single capitalised word between "the" and a workplace noun ("the Oslo office", "the Leeds branch") is
a place or an organisation, not a person (:func:`workplace_place`).

Example:
    >>> t = "Tu peux envoyer le fichier."
    >>> function_word_opener(t, 0, 2)
    True
"""

from __future__ import annotations

import re

from labkit.controls.pii_name_cues import FORM_LABELS, label_key
from labkit.controls.pii_names import _loaded_once, everyday_not_first, is_everyday_english
from labkit.controls.wordlist_cache import disk_cached

# the languages whose word data pyspellchecker ships and the lab's sets write (English has its own
# everyday test in the name rules; Arabic and Persian are caseless and never open with a capital)
_LANGUAGES = ("de", "es", "fr", "it", "nl", "pt", "ru")
TOP_WORDS = 150
"""How many of each language's most frequent words count as function words (pronouns, articles,
auxiliaries, the commonest imperatives): the top 150 of each list are nearly all of that kind."""

_OPENS_SENTENCE = ".!?\n"  # and ":" unless a form label stands before it (_at_sentence_start)
_WORKPLACE = re.compile(r"[ ](?:office|branch|team|site|store|shop|plant|depot|warehouse|hub|campus|factory|"
                        r"clinic|hospital|airport|station|headquarters|HQ|lab|centre|center)s?\b")
_THE_BEFORE = re.compile(r"(?i)\bthe[ ]$")
_NEXT_WORD = re.compile(r"[ ,]+([^\W\d_]+)")


@_loaded_once  # once per process, and on disk across processes: 7 dictionaries cost ~2.3 s to read (round 20)
@disk_cached(sources=("pyspellchecker",))
def top_words() -> frozenset[str]:
    """The :data:`TOP_WORDS` most frequent words of each of :data:`_LANGUAGES` (lower case)."""
    from spellchecker import SpellChecker

    out: set[str] = set()
    for language in _LANGUAGES:
        counts = SpellChecker(language=language, distance=1).word_frequency.dictionary
        out.update(w for w, _ in sorted(counts.items(), key=lambda kv: -kv[1])[:TOP_WORDS])
    return frozenset(out)


_LABEL_BEFORE = re.compile(r"([^\W\d_]+)[ ]?:$")


def _at_sentence_start(text: str, start: int) -> bool:
    i = start - 1
    while i >= 0 and text[i] in " \t\"'“‘«(*>-":
        i -= 1
    if i >= 0 and text[i] == ":":
        # after a colon a new sentence starts ("Note: Der Assistent soll …"), unless the word before it is
        # a form label, whose value the word is ("name: Mai …")
        label = _LABEL_BEFORE.search(text, max(0, i - 30), i + 1)
        return label is None or label_key(label.group(1)) not in FORM_LABELS
    return i < 0 or text[i] in _OPENS_SENTENCE


def _everyday(word: str) -> bool:
    """An everyday word of English, of the other languages' top words, or of the European lists."""
    low = word.lower()
    return low in top_words() or is_everyday_english(low) or everyday_not_first(word)


def function_word_opener(text: str, start: int, end: int) -> bool:
    """Whether the name span ``text[start:end]`` opens a sentence with a function word of another
    language and has nothing name-like after it ("Tu", "Будь", "Der Assistent")."""
    words = text[start:end].split()
    if not words or words[0].lower() not in top_words() or not _at_sentence_start(text, start):
        return False
    # a sentence that goes on in English keeps its opener a name ("Ben said …": Dutch "ben" is "am")
    if (nxt := _NEXT_WORD.match(text, end)) is not None and is_everyday_english(nxt.group(1)):
        return False
    # the words after the first: each must be everyday too, or the span keeps a possible name
    return all(_everyday(w) for w in words[1:])


def workplace_place(text: str, start: int, end: int) -> bool:
    """Whether the one-word name span ``text[start:end]`` stands between "the" and a workplace noun."""
    return (" " not in text[start:end] and _THE_BEFORE.search(text, max(0, start - 4), start) is not None
            and _WORKPLACE.match(text, end) is not None)
