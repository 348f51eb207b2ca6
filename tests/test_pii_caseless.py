"""Names in scripts without letter case (issue 15, round 10): Hebrew, Georgian, Korean, Arabic,
Persian, Japanese, Chinese, Thai, Hindi, Bengali.

The name rules find names by capitals; these scripts have none, so before this round a name in
them was found only by luck (Korean and Chinese syllables come capitalised out of anyascii). Two
mechanisms, each tested here with examples written for the test (none is from a fresh check's
texts; each positive failed on 064089b):

- a short run of caseless-script words inside Latin prose is capitalised in the Latin view
  (:func:`labkit.controls.pii_script.latin_view`), so the capital-word rules judge it;
- cue words and honorifics of those languages (:func:`labkit.controls.pii_names.caseless_cue_spans`).
"""

from __future__ import annotations

import pytest

from labkit.controls import pii
from labkit.controls.pii_names import caseless_cue_spans
from labkit.controls.pii_script import latin_view


def _names(text: str) -> list[str]:
    return [f.text for f in pii.detect(text) if f.type == "NAME"]


@pytest.mark.parametrize("text, name", [
    ("I spoke with ნინო ბერიძე yesterday about the refund.", "ნინო ბერიძე"),       # Georgian
    ("Please send the contract to דניאל לוי before Friday.", "דניאל לוי"),          # Hebrew
    ("I met אורי and his sister yesterday.", "אורי"),     # alef: no Latin letter, still in the span
    ("My name is יעל אברהמי", "יעל אברהמי"),                 # ayin, alef inside
    ("Dear ראובן ח'ורי, your card is ready.", "ראובן ח'ורי"),  # a geresh inside the surname
    ("My colleague 민준 이 sent the file.", "민준 이"),       # Korean surname after the given name
    ("Her maiden name is 이", "이"),                          # 이 is "Lee", not the pronoun "I"
    ("Contact person: سارا محمدی", "سارا محمدی"),            # Persian
    ("Please call रोहित वर्मा tomorrow morning.", "रोहित वर्मा"),  # Devanagari
])
def test_a_caseless_name_inside_latin_prose_is_found_with_its_exact_span(text: str, name: str) -> None:
    assert name in _names(text)


@pytest.mark.parametrize("text, name", [
    ("שם: דוד כהן\nטלפון: 03", "דוד כהן"),
    ("이름: 김민준", "김민준"),
    ("اسمي أحمد بن علي", "أحمد بن علي"),
    ("নাম: রহিম উদ্দিন", "রহিম উদ্দিন"),
    ("श्री राम शर्मा आए थे", "राम शर्मा"),
    ("我叫王伟", "王伟"),
    ("김민준 씨에게 전화해 주세요", "김민준"),
    ("山田さんに電話してください", "山田"),
])
def test_cue_words_and_honorifics_of_caseless_languages_mark_a_name(text: str, name: str) -> None:
    assert name in [text[s:e] for s, e in caseless_cue_spans(text)]
    assert name in _names(text)


@pytest.mark.parametrize("text", [
    "שלום, אני רוצה לבטל את ההזמנה שלי מחר בבוקר",          # Hebrew prose
    "안녕하세요, 주문을 취소하고 싶습니다. 감사합니다",            # Korean prose
    "السلام عليكم، أريد إلغاء الطلب غدا من فضلكم",            # Arabic prose
    "솜씨가 좋아요",                                         # 씨 glued at a word's end
    "고객님 안녕하세요",                                      # 님 after a title
    "გამარჯობა, მინდა შეკვეთის გაუქმება ხვალ",               # Georgian prose
])
def test_prose_in_caseless_scripts_has_no_name(text: str) -> None:
    assert _names(text) == []


@pytest.mark.parametrize("text", [
    "We had a great time in ירושלים last spring.",            # a town GeoNames knows, as written
    "It happened on 17 იანვარი 1982.",                        # a month (CLDR)
    "I work for 주식회사 한빛전자 now.",                         # a firm: a company designator in the run
    "She joined 株式会社 山本 last year.",
])
def test_places_and_months_embedded_in_latin_prose_are_not_names(text: str) -> None:
    assert _names(text) == []


def test_embedded_words_are_capitalised_and_map_back_to_the_word_start() -> None:
    text = "Thanks to עומר today"
    view, starts = latin_view(text) or ("", [])
    assert view == "Thanks to Vmr today"  # ayin has no Latin letter: the capital maps to it
    s = view.index("Vmr")
    assert text[starts[s]:starts[s + 3]] == "עומר"
    # a caseless sentence keeps its lower-case view: the capital-word rules do not read it as names
    view, _ = latin_view("שלום לכולם, מה שלומכם היום") or ("", [])
    assert view == view.lower()


def test_a_caseless_name_is_redacted_and_comes_back() -> None:
    text = "Please send the contract to דניאל לוי before Friday."
    red = pii.redact(text)
    assert "דניאל" not in red.text and "לוי" not in red.text and "<NAME_1>" in red.text
    assert pii.rehydrate(red.text, red.mapping) == text
