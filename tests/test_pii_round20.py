"""PII round 20: names as lists, rosters and signatures write them (initials + surname, "Surname, First"
entries, a name under a closing line, a surname in capitals before a first name), a role in a caseless
script cut off a Latin name, the speakers of a caseless transcript, a lower-case surname after a chat
mention, and the cached top words of other languages.

Every string here is invented for the test (none is from a PII or red-team set). Each rule has cases it
must fire on and look-alikes it must not fire on.
"""

from __future__ import annotations

import doctest

import pytest

from labkit.controls import pii, pii_name_chat, pii_name_openers, pii_name_roster, wordlist_cache


def names(text: str) -> list[str]:
    return [f.text for f in pii.detect(text) if f.type == "NAME"]


def test_the_new_module_doctests_pass() -> None:
    assert doctest.testmod(pii_name_roster).failed == 0
    assert doctest.testmod(pii_name_chat).failed == 0


# --- 1. initials before a surname (and Cyrillic surname + two initials) ---------------------------------

@pytest.mark.parametrize("text, expected", [
    ("Present: T. Abernethy-Quist, W. K. Oyelaran\nMinutes: none", ["T. Abernethy-Quist", "W. K. Oyelaran"]),
    ("Signed for by: G. O'Donagh (porter)", ["G. O'Donagh"]),
    ("Участники: Богомолов Е. Ф., Т. Пряхина", ["Богомолов Е. Ф.", "Т. Пряхина"]),
])
def test_initials_before_a_surname_are_a_name(text: str, expected: list[str]) -> None:
    assert [text[s:e] for s, e in pii_name_roster.initial_surname_spans(text)] == expected


@pytest.mark.parametrize("text", [
    "Posted to the U.S. Army base; see Plan B. Next steps follow.",   # abbreviations, everyday words
    "Invoice for Harold Q. Mbeki-Stone",                             # a middle initial: the longer name's
    "Office: Av. J.B. Alberdi 2210",                                 # a street named after a person
    "T.C. Kimlik No: 123",                                           # an ID label
    "Contact M. Vandeputte by phone",                                # French "Monsieur"
    "i. A. Lorenz",                                                  # German "im Auftrag" is no initial
    "Grupo S.Coop. de Navarra",                                      # a legal form glued to the initial
    "Morada: R. Ulmeiro, 12",                                        # Portuguese "Rua" before a house number
])
def test_initials_look_alikes_are_not_read_as_initial_names(text: str) -> None:
    assert pii_name_roster.initial_surname_spans(text) == []


# --- 2. "Surname, First" entries ------------------------------------------------------------------------

@pytest.mark.parametrize("text, expected", [
    ("Roster\nOkonkwo-Baine, Tessa\nLindqvist, Harald\n", ["Okonkwo-Baine, Tessa", "Lindqvist, Harald"]),
    ("| E7 | VARGHESE, ROHAN | 1990-01-01 |", ["VARGHESE, ROHAN"]),
    ("Patient: ABERNATHY, LUCY M.  Ward 4", ["ABERNATHY, LUCY M."]),
    ("Teilnehmer\n1. von Ahlefeldt, Konrad\n2. Brüggemann, Q.\n", ["von Ahlefeldt, Konrad", "Brüggemann, Q."]),
    ("07:00 Adeyemi, Grace (RN)\n", ["Adeyemi, Grace"]),
    ("PATIENT: FONSECA-\nTAVARES, MARIA\n", ["FONSECA-\nTAVARES, MARIA"]),
])
def test_surname_first_entries_are_a_name(text: str, expected: list[str]) -> None:
    assert [text[s:e] for s, e in pii_name_roster.surname_first_spans(text)] == expected


@pytest.mark.parametrize("text", [
    "Thanks, Anna",                       # a closing before a name: the name rules' business, not an entry
    "Visit Paris, France in May",         # a country after the comma
    "Portland, Oregon\nSalem, Oregon\n",  # towns and their region, even as a list
    "Dr. Imran Qadri, MD\n",              # a degree is no first name
    "He said: sorry, Maria was late",     # an everyday word before the comma
])
def test_surname_first_look_alikes_are_no_entry(text: str) -> None:
    assert pii_name_roster.surname_first_spans(text) == []


# --- 3. a name under a closing line ---------------------------------------------------------------------

def test_a_name_under_a_closing_line_is_found_and_a_team_is_not() -> None:
    t = "Salut,\n\nle dossier est parti.\n\nBien à toi,\nAurélien"
    assert [t[s:e] for s, e in pii_name_roster.signature_spans(t)] == ["Aurélien"]
    for look_alike in ("Hi,\n\nthe form is ready.\n\nBest,\nThe Support Team",
                       "Hi,\n\nthe form is ready.\n\nBest,\nCustomer Service",
                       "Hi,\n\nsee the numbers below.\n\nTotal: 12,\nDone"):
        assert pii_name_roster.signature_spans(look_alike) == []


# --- 4. a role in a caseless script is cut off a Latin name ----------------------------------------------

def test_a_caseless_role_word_is_cut_off_a_latin_name() -> None:
    t = "العميل Rashid Omar Haddad طلب"
    s, e = pii_name_roster.trim_other_script(t, 0, t.index(" طلب"))
    assert t[s:e] == "Rashid Omar Haddad"
    # a one-word Latin token inside a caseless name stays as it was (no full Latin name to keep)
    t2 = "محمد Ali"
    assert pii_name_roster.trim_other_script(t2, 0, len(t2)) == (0, len(t2))


# --- 5. a surname in capitals before a first name ----------------------------------------------------------

def test_a_capitals_surname_before_a_first_name_is_joined() -> None:
    found = names("Liste\nBEAUCHEMIN-ROY Hélène — présente\nLE MOAL Yannick — excusé\n")
    assert "BEAUCHEMIN-ROY Hélène" in found and "LE MOAL Yannick" in found
    # an acronym or an everyday word in capitals before a first name is no surname
    assert not any(n.startswith(("PPC", "URGENT")) for n in names("Mozilla/5.0 (PPC Mac OS X)\nURGENT Maria call back"))


# --- 6. a caseless transcript: speakers by turn-taking -------------------------------------------------------

def test_caseless_speakers_are_found_by_turn_taking() -> None:
    t = "نوال: وينك؟\nهادي: بالبيت\nنوال: تمام"
    assert [t[s:e] for s, e in pii_name_chat.caseless_speakers(t)] == ["نوال", "هادي", "نوال"]
    t = "晓峰：到了吗？\n阿宁：快了\n晓峰：好"
    assert [t[s:e] for s, e in pii_name_chat.caseless_speakers(t)] == ["晓峰", "阿宁", "晓峰"]


def test_a_caseless_form_is_no_transcript() -> None:
    # each label once, never a return to one: a form's labels are no speakers
    assert pii_name_chat.caseless_speakers("联系人：某某\n地址：某路1号\n电话：123\n备注：无") == []
    # two labels that alternate once only (A B) are no conversation either
    assert pii_name_chat.caseless_speakers("عنوان: شارع\nهاتف: 123") == []


def test_a_time_before_a_lower_case_speaker_is_skipped() -> None:
    t = "[09:12] odalys brenner: is the van back?\n[09:13] quill tavish: nope"
    assert names(t)[:1] == ["odalys brenner"] and "quill tavish" in names(t)


# --- 7. a lower-case surname after a mentioned first name in a chat --------------------------------------------

def test_a_listed_surname_after_a_chat_mention_is_kept_and_a_suffix_is_not() -> None:
    assert "peter kamau" in names("wambo: call peter kamau pia\nnjeri: sawa\nwambo: ok")
    # an honorific after the name (Turkish "abla") is no surname
    found = names("ali: ayşe abla geldi mi\nveli: yok\nali: tamam")
    assert "ayşe abla" not in found


# --- cleanup: the top words of other languages are cached on disk --------------------------------------------

def test_top_words_are_built_once_and_kept_on_disk(tmp_path, monkeypatch) -> None:
    monkeypatch.setenv("LABKIT_WORDLIST_CACHE", str(tmp_path))
    tmp_path.chmod(0o700)
    built = pii_name_openers.top_words.__wrapped__()   # the disk layer under the in-process cache
    assert "le" in built and "der" in built and len(built) > 500
    assert any(p.name.startswith("top_words-") and p.suffix == ".marshal" for p in tmp_path.iterdir())
    key = wordlist_cache.cache_key(pii_name_openers.top_words.__wrapped__.__wrapped__, ("pyspellchecker",))
    assert (tmp_path / f"top_words-{key}.marshal").exists()


# --- 8. dates of birth: more labels, a year with its marker word, era marks, six digits ----------------------

@pytest.mark.parametrize("text, expected", [
    ("Cliente Ernesto Paz. Nació el 03/02/1977 en Salta.", "03/02/1977"),
    ("Klientas (gim. 1960 m. kovo 4 d.) skambino", "1960 m. kovo 4 d."),
    ("Клиент (туған 1983 жылғы 7 мамыр) хабарласты", "1983 жылғы 7 мамыр"),
    ("Asiakas Matti Virta (s. 3. helmikuuta 1951) soitti", "3. helmikuuta 1951"),
    ("Πελάτης (γενν. 9 Μαρτίου 1970) τηλεφώνησε", "9 Μαρτίου 1970"),
    ("khách hàng Lê Văn (sinh 02/09/1975) gọi", "02/09/1975"),
    ("تاريخ الميلاد: 1399/02/11 هـ", "1399/02/11"),
    ("የትውልድ ቀን፦ 05/03/1975 ዓ.ም.", "05/03/1975 ዓ.ም."),
    ("생년월일: 881203", "881203"),
])
def test_round20_birth_dates_are_found(text: str, expected: str) -> None:
    assert [text[s:e] for s, e in pii.dob_spans(text)] == [expected]


@pytest.mark.parametrize("text", [
    "Bestellnummer 881203, Lieferung 1983 г. 7 мая",   # no birth label: six digits and a year are no birth date
    "Klientas (gim. 1960 m. kovo 44 d.)",              # no such day
    "Le dossier (s. 12) est complet",                 # a Finnish-looking "(s." before no date
    "생년월일: 881399",                                  # no such month
])
def test_round20_birth_date_look_alikes_are_not_found(text: str) -> None:
    assert list(pii.dob_spans(text)) == []


# --- 9. the provider's audit (independent of the control): chat words, person markers, year-first dates -------

def test_the_audit_reads_lower_case_cyrillic_greek_chat_names_and_marked_names() -> None:
    from labkit.provider.requestlog import pii_audit, pii_seen

    def seen(text: str, kind: str) -> list[str]:
        return [text[s:e] for k, s, e in pii_audit(text) if k == kind]

    assert {"добрыня", "ладушки"} <= set(seen("<NAME_1>: позвони добрыня и ладушки", "name"))
    assert "στέλιος" in seen("<NAME_1>: πες στον στέλιος", "name")
    assert "pochi" in seen("nasaan si pochi ngayon", "name")
    assert "1962 m. gegužės 4" in seen("(gim. 1962 m. gegužės 4 d.)", "date")
    assert "880512" in seen("생년월일: 880512", "date")
    # look-alikes: a frequent Russian word in a chat line is no name; a line opening in capitals is not read
    # this way; six digits that are no month-day are no date; and names or dates never make pii_seen
    assert "как" not in seen("<NAME_1>: как дела", "name")
    assert seen("Order 881399 shipped", "date") == []
    assert not pii_seen("<NAME_1>: позвони добрыня, 1962 m. gegužės 4 d.")


# --- 10. a form's labels are no names; a conversation's speakers stay ---------------------------------------------

def test_form_labels_are_not_names_and_chat_speakers_stay() -> None:
    form = "Sloinne: Ó Briain\nDáta breithe: 04.05.1971\nSeoladh: 12 Bóthar Mór, Gaillimh"
    assert [form[s:e] for s, e in pii_name_chat.form_labels(form)] == ["Sloinne", "Dáta breithe", "Seoladh"]
    assert not any(n in ("Sloinne", "Seoladh") for n in names(form))
    # a label that comes back is a speaker taking turns: no form
    chat = "Oisín: ring 087 555 0101\nBríd: grand\nOisín: or 087 555 0102"
    assert pii_name_chat.form_labels(chat) == []
    assert names(chat).count("Oisín") == 2
    # fewer than two values with a digit: no form either (a short exchange)
    assert pii_name_chat.form_labels("Note: call back\nTopic: refund\nOwner: Marit") == []
