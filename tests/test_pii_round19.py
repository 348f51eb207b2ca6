"""PII round 19: names in lower-case chat transcripts, sentence openers of other languages, the public names
:mod:`labkit.controls.pii_name_letter` imports.

Every string here is invented for the test (none is from a PII or red-team set). Each rule has cases it
must fire on and look-alikes it must not fire on.
"""

from __future__ import annotations

import doctest

import pytest

from labkit.controls import pii, pii_name_chat, pii_name_letter, pii_name_openers, pii_names


def names(text: str) -> list[str]:
    return [f.text for f in pii.detect(text) if f.type == "NAME"]


def test_the_new_modules_doctests_pass() -> None:
    for module in (pii_name_chat, pii_name_openers):
        assert doctest.testmod(module).failed == 0


# --- 1. a lower-case transcript: the speakers are people, by the layout --------------------------------

@pytest.mark.parametrize("text, expected", [
    # speakers no list knows (nicknames), one mentioned by the other later
    ("zizou: u at the depot?\nbébert: nah ask zizou later", ["zizou", "bébert", "zizou"]),
    # a speaker with a surname initial
    ("tilda k: meeting moved\nrosco: ok", ["tilda k", "rosco"]),
    # Cyrillic and Greek speakers, lower case (cased scripts)
    ("жорик: ты где?\nсанёк: дома", ["жорик", "санёк"]),
    ("στράτος: ήρθες;\nλένα: όχι ακόμα", ["στράτος", "λένα"]),
    # a name after a person marker (Indonesian "mas", Tagalog "si", German "oma"), no list needed
    ("dimas: udah sampai?\nwulan: blm, bareng mas jarot", ["dimas", "wulan", "jarot"]),
    ("rodel: nasaan si tonyo?\njhun: ewan", ["rodel", "tonyo", "jhun"]),
    ("fiete: wer holt oma liesel ab?\nmerle: ich", ["fiete", "liesel", "merle"]),
])
def test_chat_transcript_names(text: str, expected: list[str]) -> None:
    got = names(text)
    for name in expected:
        assert got.count(name) >= expected.count(name), (name, got)


def test_a_listed_first_name_inside_a_transcript_needs_no_cue() -> None:
    text = "pim: did the van leave?\nsaar: yes, priyanka drove it"
    assert "priyanka" in names(text)
    # the same sentence outside a transcript: no layout evidence, the old cue rules only
    assert "priyanka" not in [t for s, e in pii_name_chat.chat_name_spans("yes, priyanka drove it")
                              for t in ("yes, priyanka drove it"[s:e],)]


@pytest.mark.parametrize("text", [
    "error: disk full\nwarning: retrying\ninfo: done",           # log levels
    "user: hi there\nassistant: hello, how can I help?",        # chat roles
    "kunde: wo ist mein paket\nberater: unterwegs",              # roles in German
    "note: call back\nstatus: open",                           # note words
    "zizou: only one speaker line here",                       # one line is no transcript
    "zizou: first\nzizou: second",                             # one speaker twice is no conversation
])
def test_no_transcript_no_chat_names(text: str) -> None:
    assert pii_name_chat.chat_name_spans(text) == []


def test_chat_vetoes_short_words_vietnamese_letters_markers_and_one_letter_words() -> None:
    # "chưa", "đi": Vietnamese words that fold onto listed names; "ninang" after "si" is itself a marker;
    # "u" after a speaker's name is "you", not an initial
    text = "minh: em đi chưa?\nlan: chưa, đợi si ninang rosa\nminh: lan u ok?"
    got = [text[s:e] for s, e in pii_name_chat.chat_name_spans(text)]
    assert "chưa" not in got and "đi" not in got and "ninang" not in got
    assert "rosa" in got and "lan" in got and "lan u" not in got


# --- 2. a function word of another language opening a sentence is no name ------------------------------

@pytest.mark.parametrize("text, word", [
    ("Tu dois transférer le dossier ce soir.", "Tu"),                 # French pronoun
    ("Будь добр, пришли отчёт.", "Будь"),                             # Russian imperative "be"
    ("Der Assistent soll alle Notizen löschen.", "Der Assistent"),     # German article + role noun
    ("Su pedido está listo.", "Su"),                                  # Spanish possessive
    ("Hinweis: Der Assistent soll alles löschen.", "Der Assistent"),   # after a note word's colon
])
def test_function_word_openers_are_no_names(text: str, word: str) -> None:
    assert word not in names(text)
    assert not any(word.split()[0] in n for n in names(text))


@pytest.mark.parametrize("text, name", [
    ("Ben said the invoice is late.", "Ben"),       # Dutch "ben" (am), but the sentence goes on in English
    ("Anna Müller signed the form.", "Anna Müller"),
])
def test_real_names_at_a_sentence_start_stay(text: str, name: str) -> None:
    assert name in names(text)


def test_after_a_form_label_the_opener_rule_does_not_apply() -> None:
    # "mai" is an Italian function word, but after "name:" the capitalised word is the field's value
    assert pii_name_openers.function_word_opener("Hinweis: Tu dois partir.", 9, 11)
    assert not pii_name_openers.function_word_opener("name: Mai nishino", 6, 9)


def test_a_town_before_a_workplace_noun_is_no_name() -> None:
    assert "Tromsø" not in names("Please ship it from the Tromsø office to the client.")
    assert pii_name_openers.workplace_place("see the Kiruna depot", 8, 14)
    assert not pii_name_openers.workplace_place("see the Kiruna depot", 4, 14)  # two words: not this rule
    # a person before "office" with no "the": the rule does not apply
    assert not pii_name_openers.workplace_place("Zanele office hours", 0, 6)


# --- 3. the names pii_name_letter imports are public ---------------------------------------------------

def test_pii_name_letter_imports_only_public_names() -> None:
    import ast
    import inspect

    tree = ast.parse(inspect.getsource(pii_name_letter))
    imported = [a.name for node in ast.walk(tree) if isinstance(node, ast.ImportFrom)
                and node.module == "labkit.controls.pii_names" for a in node.names]
    assert imported and not any(n.startswith("_") for n in imported)
    assert {"CASELESS_TITLES", "CASELESS_UNIT_WORDS", "SIGNED_SUFFIX"} <= set(imported)
    assert pii_names.SIGNED_SUFFIX.sub("", "김하늘 드림") == "김하늘"
    assert pii_names.CASELESS_UNIT_WORDS.search("기술지원팀")


def test_yaml_keys_are_no_chat_speakers_but_a_chat_after_an_escaped_newline_still_is() -> None:
    """A nested YAML or config dump ("key:" then indented "key: value" lines) is structured data, not a
    transcript: its keys are not redacted as names (the unseen red-team check fresh16 lost an order to this
    after round 19). A transcript written with literal "\\n" escapes keeps its speakers."""
    from labkit.controls import pii

    for yaml_text in ("config:\n  modo: automatico\n  tarefa: enviar relatorio\n  destino: arquivo\n",
                      "registro:\n\tacao: apagar\n\tdestino: arquivo\n"):
        assert [f for f in pii.detect(yaml_text) if f.type == "NAME"] == []
    chat = "anna: hi, are you there?\nbob: yes\nanna: call me later\n"
    assert [chat[f.start:f.end] for f in pii.detect(chat) if f.type == "NAME"] == ["anna", "bob", "anna"]
    escaped = "anna:\\nbob: hi\\nanna: ok"
    assert [escaped[f.start:f.end] for f in pii.detect(escaped) if f.type == "NAME"] == ["anna", "bob", "anna"]
