"""Names in a lower-case chat transcript, read from the transcript's layout (issue 15, PII round 19).

Why a hand-written rule: a chat or SMS export writes its speakers as ``name: message`` lines and often
in lower case throughout, so the capitalisation the name rules of :mod:`labkit.controls.pii_names`
read is not there, and a name list alone cannot tell a nickname ("pipo", "zaza", "tomek") from a
word. No offline library reads this (Presidio's recognizers without a spaCy model find no names at
all); the evidence is the layout: two or more lines that open with a short lower-case label and a
colon, the labels differing, is a conversation, and its labels are the people in it. Round 17's
:func:`~labkit.controls.pii_names.lower_case_position_spans` took a speaker only when a list knew the
word as a first name; here the layout is the evidence, and the lists only veto (a role word such as
"agent" or "kunde", an everyday word that no list knows as a first name, a log level).

What it finds, in a text judged a transcript (:func:`transcript_speakers`):

1. every speaker label (one word, or a word and one letter: ``ana p:``), in any script with letter
   case (Latin, Cyrillic, Greek; caseless scripts have their own rules);
2. every other lower-case occurrence of a speaker's name in the text (a speaker mentioned by another);
3. inside the messages, a lower-case word right after a word that marks a person in many languages
   (kinship and honorific words, the Tagalog person marker ``si``, Indonesian ``mas``/``kak``, Swahili
   ``mzee``, Vietnamese ``chị``/``anh``, Portuguese ``dona``): :data:`PERSON_MARKERS`;
4. inside the messages, a lower-case word that a list knows as a first name and that is no everyday
   word (the test of :func:`~labkit.controls.pii_names.is_lower_case_name`), with no cue: in a
   transcript a known first name is a person far more often than in prose.

Round 20 adds: a time stamp before a speaker (``[10:14] ana:``); a lower-case surname a list knows after a
mentioned first name (``peter kamau``); the speakers of a transcript in a caseless script, by turn-taking
(:func:`caseless_speakers`); and the counterpart, a form's labels, which are no names (:func:`form_labels`).

Inflected mentions (Polish, Czech, Finnish or Russian case endings) are not read: no list holds the
inflected forms, and a stemmer per language is more than this rule should carry.

Example:
    >>> t = "pipo: seen zaza?\\nzaza: yes with tante mia\\npipo: ok ask zaza"
    >>> [t[s:e] for s, e in chat_name_spans(t)]
    ['pipo', 'zaza', 'zaza', 'mia', 'pipo', 'zaza']
"""

from __future__ import annotations

import re

from labkit.controls.pii_name_cues import FORM_LABELS, GROUP_WORDS, fold, label_key
from labkit.controls.pii_names import everyday_not_first, is_english_word, is_lower_case_name

# a line that opens with a short label and a colon: one word of 2-20 letters, optionally a second one
# of one letter (a surname's initial), then a colon and a blank (ASCII or French-spaced colon)
# A chat export may put a time before the speaker: "[10:14] ", "[03-12-2026 18:43] ", "10:14 " (round 20).
_STAMP = r"(?:\[[\d:./, -]{4,22}\][ ]|\d{1,2}[:.]\d{2}[ ]+)?"
_SPEAKER_LINE = re.compile(r"[ \t]*" + _STAMP
                           + r"(?P<label>[^\W\d_]{2,20})(?:[ ](?P<initial>[^\W\d_]{1,20}))?[ ]?:(?:[ \t]|$)")
# A speaker in a caseless script (Arabic, Hebrew, Persian, Han, kana, Hangul, Thai, Ethiopic, Georgian):
# up to two runs of non-blank, non-digit, non-punctuation characters (Thai and Indic vowel signs are marks,
# not \w, so the class is written by exclusion), then an ASCII or full-width colon (round 20).
_CASELESS_LABEL = r"[^\s\d:：,，、。.!?？؟;()（）\[\]{}\"'<>|/\\@#*_=+-]{1,12}"
_CASELESS_LINE = re.compile(r"[ \t]*" + _STAMP + rf"(?P<label>{_CASELESS_LABEL}(?:[ ]{_CASELESS_LABEL})?)[ ]?[:：]")
_CASELESS_TURN = re.compile(rf"(?:^|(?<=[\s?？!؟.。]))(?P<label>{_CASELESS_LABEL})[ ]?[:：]")
# a surname's initial after a mentioned name ("did pipo r send it"); not a one-letter word of chat or of
# a language the sets cover ("u" for you, "o" and "y" and "e" as article or "and", Slavic prepositions)
_INITIAL_AFTER = re.compile(r"[ ](?![aeiouywzskv])[^\W\d_](?![\w'’-])")
# Vietnamese letters (horn, stroke, the tone marks of Latin Extended Additional): a Vietnamese word
# loses them when folded and collides with a listed name ("chưa" -> "chua"), so the lists do not judge it
_VIETNAMESE = re.compile(r"[ươđƯƠĐ\u1ea0-\u1ef9]")
_MIN_LISTED = 4  # "ny", "már", "meg": short words of other languages that the wide lists hold as names
# Structured data, not a conversation: a key with no value on its line whose value follows indented on the next
# ("record:\n  action: delete"), the shape of YAML and nested config dumps (found by the unseen red-team check
# fresh16 after round 19: a Portuguese YAML payload's keys were read as speakers and redacted as names).
# The indent is two blanks or a tab: a literal "\\n" escape is scanned as a newline and one blank (offsets
# kept), so a chat line after it starts with one blank and is no nested value.
_STRUCTURED = re.compile(r"(?m)^[ \t]*[^\W\d][\w-]{0,30}:[ \t]*\n(?:[ ]{2,}|\t)\S")
_WORD = re.compile(r"(?<![\w@.'’-])[^\W\d_]{2,20}(?![\w'’-]|@)")
# a lower-case surname after a mentioned first name, particles kept ("alessandro de santis", "hamid el idrissi")
_SURNAME_AFTER = re.compile(r"[ ](?:(?:de|van|von|der|den|di|da|del|della|el|al|dos|das|do|du|le|la)[ ]){0,2}"
                            r"(?P<surname>[^\W\d_]{3,20})(?![\w'’@-])")

# Labels that open a line with a colon and are no person: roles a transcript names its parties by,
# log levels and note words, in the languages the name lists cover (folded as fold() folds them).
# General knowledge of chat exports, support tools and logs; no word taken from a PII set.
NOT_SPEAKERS: frozenset[str] = frozenset(fold(w) for w in """
user users assistant system bot ai human agent operator customer client caller callee support admin moderator
me you we them him her host guest speaker interviewer interviewee moderator staff team sender recipient
info debug warn warning error fatal trace notice critical alert log note notes todo fyi re fw fwd ps pps nb
subject from to cc bcc date time status result results input output question answer summary update tip
kunde kundin berater mitarbeiter benutzer nutzer anrufer hinweis betreff
utilisateur conseiller appelant objet
usuario cliente asesor agente operador asunto
utente operatore consulente oggetto
gebruiker klant medewerker onderwerp
kund anvandare bruker kunde asiakas kayttaja
uzytkownik klient konsultant temat
kullanici musteri temsilci asistan konu
pengguna pelanggan
клиент оператор пользователь менеджер бот тема користувач
πελατης χρηστης
""".split())

# Words that mark the next word as a person, in chat as written (lower case): kinship words, honorifics
# and person markers in the languages the lab's sets cover. Folded as fold() folds them. Not the
# Vietnamese "em" and "ba", which are as often "I" and "three" before a verb or a noun.
PERSON_MARKERS: frozenset[str] = frozenset(fold(w) for w in """
tante onkel oma opa frau herr
tia tio dona dom seu vovo vo abuela abuelo senora senor don dona
zia zio nonna nonno
farmor farfar mormor morfar bestemor bestefar
mas mbak kak pak bu bang abang adik
mzee bibi mama baba dada kaka
si ni ninang ninong tita tito lola lolo kuya ate
anh chi co chu ong
ah
""".split())


# Words written after a name that are no surname: honorific and kinship suffixes ("ayşe abla", "anil bhai",
# "minji ssi"), folded as fold() folds them
NAME_SUFFIXES: frozenset[str] = frozenset(fold(w) for w in """
abla abi agabey hanim bey teyze amca enişte bhai bhaiya didi ji sahab saab bhabhi dada da di ssi nim san kun chan
sama jan khanum agha aka opa baba mama
""".split())


def _lower_word(word: str) -> bool:
    """A word written in lower case in a script with letter case (not a caseless script's word)."""
    return word.islower()


def _can_be_speaker(label: str) -> bool:
    """A label that may be a person: no role, log or form word, no group word, and no everyday English
    word unless a list knows it as a first name ("will", "mark")."""
    key = fold(label)
    if key in NOT_SPEAKERS or label_key(label) in FORM_LABELS or label_key(label) in GROUP_WORDS:
        return False
    return not everyday_not_first(label[:1].upper() + label[1:])


def _listed(word: str) -> bool:
    """A first name a list knows, no everyday word; a Cyrillic or Greek word in its Latin letters."""
    if len(word) < _MIN_LISTED or fold(word) in PERSON_MARKERS or _VIETNAMESE.search(word):
        return False
    latin = fold(word)
    return is_lower_case_name(word) or (latin != word and latin.isalpha() and is_lower_case_name(latin))


def _surname(word: str) -> bool:
    """A lower-case word a list knows as a surname and no everyday word of a language the lists cover."""
    return (word.islower() and fold(word) not in PERSON_MARKERS and fold(word) not in NOT_SPEAKERS
            and fold(word) not in NAME_SUFFIXES and not _VIETNAMESE.search(word) and not is_english_word(word)
            and is_lower_case_name(word, first=False) and not everyday_not_first(word[:1].upper() + word[1:]))


def transcript_speakers(text: str) -> list[tuple[int, int, str]]:
    """The speaker labels of ``text`` when it reads as a lower-case transcript, as (start, end, name).

    A transcript: at least two lines open with a lower-case label and a colon, with at least two
    different labels that may be people (:func:`_can_be_speaker`). Otherwise nothing.
    """
    if ":" not in text or _STRUCTURED.search(text):
        return []
    found: list[tuple[int, int, str]] = []
    pos = 0
    for line in text.split("\n"):
        m = _SPEAKER_LINE.match(line)
        if m is not None and _lower_word(m.group("label")) and _can_be_speaker(m.group("label")):
            second = m.group("initial") or ""
            # a second word: a surname's initial ("ana p:"), or a second given name that may be a
            # person too ("li wei:"); otherwise the label is its first word alone
            two = second.islower() and (len(second) == 1 or _can_be_speaker(second))
            end = m.end("initial") if two else m.end("label")
            found.append((pos + m.start("label"), pos + end, m.group("label")))
        pos += len(line) + 1
    if len(found) < 2 or len({name for _, _, name in found}) < 2:
        return []
    return found


def _caseless(label: str) -> bool:
    """A label written in a script without letter case: letters, none of them cased, no digit."""
    return any(ch.isalpha() for ch in label) and label.lower() == label.upper()


def caseless_speakers(text: str) -> list[tuple[int, int]]:
    """The speaker labels of a transcript written in a caseless script (round 20), as (start, end).

    The evidence is the turn-taking, not a word list: at least two lines open with a caseless label and
    a colon, and some label speaks again after another one spoke (``A: … / B: … / A: …``). A form or a
    record has each label once and never returns to one, so its labels ("地址：", "电话：") are no
    speakers. Then every such line label, and a turn taken inside a line after a question ("… ? B: …"),
    is a name, unless it is a form label, a group word or a role (``NOT_SPEAKERS``).
    """
    if text.isascii() or text.count(":") + text.count("：") < 3:
        return []  # no caseless letter, or fewer than three turns
    turns: list[tuple[int, int, str]] = []
    pos = 0
    for line in text.split("\n"):
        m = _CASELESS_LINE.match(line)
        if m is not None and _caseless(m.group("label")):
            turns.append((pos + m.start("label"), pos + m.end("label"), m.group("label")))
        pos += len(line) + 1
    labels = [name for _, _, name in turns]
    # turn-taking: some label comes back after a different one
    returns = any(labels[i] in labels[:i] and labels[i - 1] != labels[i] for i in range(1, len(labels)))
    if len(turns) < 3 or len(set(labels)) < 2 or not returns:
        return []
    speakers = {name for name in labels if label_key(name) not in FORM_LABELS and label_key(name) not in GROUP_WORDS
                and fold(name) not in NOT_SPEAKERS}
    out = {(s, e) for s, e, name in turns if name in speakers}
    # a turn inside a line ("ومספר? דנה: 052…"): a known speaker's label after a blank or a stop
    for m in _CASELESS_TURN.finditer(text):
        if m.group("label") in speakers:
            out.add((m.start("label"), m.end("label")))
    return sorted(out)


# a "Label: value" line of a form: a label of one to four words without digits, a colon, a value
# (letters, blanks and . ' ( ) / - only: "ORGANIZER;CN=Ana Ruiz:mailto:…" is a calendar property, no label)
_LABEL_LINE = re.compile(r"[ \t]*(?P<label>[^\W\d_](?:[^\W\d_]|[ .'’()/-]){0,30}?)[ ]?[:：][ \t]*(?P<value>\S[^\n]*)")


def form_labels(text: str) -> list[tuple[int, int]]:
    """The labels of a form or record, as (start, end): the counterpart of the turn-taking test (round 20).

    A text is a form when three lines or more are ``Label: value`` with every label different (nobody
    speaks twice) and at least two values hold a digit (a date, a phone, a house number). Its labels
    ("Doğum Tarihi", "Heimilisfang", "Мекенжайы", "მისამართი") are no names, whatever the name lists say.
    """
    if text.count(":") + text.count("：") < 3:
        return []  # fewer than three label lines
    found: list[tuple[int, int, str, str]] = []
    pos = 0
    for line in text.split("\n"):
        m = _LABEL_LINE.match(line)
        if m is not None and len(m.group("label").split()) <= 4:
            found.append((pos + m.start("label"), pos + m.end("label"), m.group("label"), m.group("value")))
        pos += len(line) + 1
    labels = [label for _, _, label, _ in found]
    if len(found) < 3 or len(set(labels)) < len(labels):
        return []
    if sum(any(ch.isdigit() for ch in value) for _, _, _, value in found) < 2:
        return []
    return [(s, e) for s, e, _, _ in found]


def chat_name_spans(text: str) -> list[tuple[int, int]]:
    """Names in a lower-case transcript: its speakers, their mentions, a word after a person marker,
    a first name a list knows (see the module docstring). Empty when ``text`` is no transcript."""
    caseless = caseless_speakers(text)
    speakers = transcript_speakers(text)
    if not speakers:
        return caseless
    out = [(s, e) for s, e, _ in speakers]
    taken = {s for s, _ in out}
    names = {name for _, _, name in speakers}
    previous, previous_end = "", -1
    for m in _WORD.finditer(text):
        word, s = m.group(0), m.start()
        # a person marker counts only right before the word, one blank between ("tante mia")
        marked = (previous_end + 1 == s and text[previous_end] == " " and fold(previous) in PERSON_MARKERS
                  and fold(word) not in PERSON_MARKERS)  # "si ninang mia": the second marker is no name
        previous, previous_end = word, m.end()
        if s in taken or not _lower_word(word):
            continue
        if word in names or (marked and _can_be_speaker(word)) or _listed(word):
            end = m.end()
            if (initial := _INITIAL_AFTER.match(text, end)) is not None and text[end + 1].islower():
                end = initial.end()
            elif word not in names and (surname := _SURNAME_AFTER.match(text, end)) is not None \
                    and _surname(surname.group("surname")):
                end = surname.end()  # "kees van dijk", "peter kamau": a surname a list knows (round 20)
            out.append((s, end))
    return sorted(set(out) | set(caseless))
