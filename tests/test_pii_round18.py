"""PII round 18: caseless-script address windows, the letter frame's names, claimed-type forms.

Every string here is invented for the test (none is from a PII set). Each rule has cases it must
fire on and look-alikes it must not fire on.
"""

from __future__ import annotations

import doctest

import pytest

from labkit.controls import pii, pii_address_window, pii_dob, pii_name_letter
from labkit.controls.pii_address_caseless import caseless_address_spans


def found(text: str) -> list[tuple[str, str]]:
    return [(f.type, f.text) for f in pii.detect(text)]


def of_type(text: str, kind: str) -> list[str]:
    return [f.text for f in pii.detect(text) if f.type == kind]


def test_the_new_modules_doctests_pass() -> None:
    for module in (pii_address_window, pii_name_letter):
        assert doctest.testmod(module).failed == 0


# --- 1. a caseless address inside prose: its own ends, not the sentence's ----------------------------

@pytest.mark.parametrize("text, address", [
    # Hindi: the sender's name and the verb around it; "house no." belongs to the address
    ("सुरेश का पार्सल मकान नं. 17, गली नं. 9, शास्त्री नगर, जोधपुर 342003 पर पहुँच गया है।",
     "मकान नं. 17, गली नं. 9, शास्त्री नगर, जोधपुर 342003"),
    # Bengali: the house word before its number (four words of prose before it: three may be a street)
    ("গতকাল মিতালীর লেখা চিঠি বাড়ি ৮, রোড ১২, উত্তরা, ঢাকা ১২৩০ ঠিকানায় গেছে",
     "বাড়ি ৮, রোড ১২, উত্তরা, ঢাকা ১২৩০"),
    # Persian, more than 24 tokens in the run: a town first, the unit last, the verb after it left out
    ("لطفاً بسته آقای کامرانی و مدارک همکارش را امروز صبح به نشانی شیراز، خیابان زند، کوچه ۷، پلاک ۴، واحد ۲ بفرستید",
     "شیراز، خیابان زند، کوچه ۷، پلاک ۴، واحد ۲"),
    # Hebrew: a sentence ends at the postcode; the next sentence is no part of it
    ("ההזמנה של נועם נשלחה לכתובת רחוב ויצמן 12 דירה 4, כפר סבא 4424112. תודה רבה לכולם.",
     "רחוב ויצמן 12 דירה 4, כפר סבא 4424112"),
    # Arabic, a villa and street numbers with the Arabic comma
    ("العنوان: فيلا 9، شارع 27، البرشاء 3، دبي.", "فيلا 9، شارع 27، البرشاء 3، دبي"),
])
def test_a_caseless_address_has_its_own_ends(text: str, address: str) -> None:
    assert address in of_type(text, "ADDRESS")


def test_thai_glued_number_and_word_end_the_address() -> None:
    text = "พัสดุของคุณวิไลส่งไปที่45/7 ถนนพหลโยธิน 20 แขวงลาดยาว เขตจตุจักร กรุงเทพฯ 10900แล้ว โทร 089-555-1234"
    assert "45/7 ถนนพหลโยธิน 20 แขวงลาดยาว เขตจตุจักร กรุงเทพฯ 10900" in of_type(text, "ADDRESS")


@pytest.mark.parametrize("text", [
    "שלום, הזמנה מספר 48213 נשלחה אתמול ותגיע בשבוע הבא אל הסניף.",   # an order number after a greeting
    "नमस्ते, ऑर्डर संख्या 77312 आज भेज दिया गया है और कल पहुँच जाएगा।",
    "الإصدار ٤.١ جاهز الآن للتجربة، والاجتماع في الساعة ١١ صباحاً مع الفريق كله.",  # a version and a clock time
])
def test_a_number_after_a_greeting_is_no_address(text: str) -> None:
    assert "ADDRESS" not in {k for k, _ in found(text)}


def test_a_phone_part_after_the_address_is_not_taken_into_it() -> None:
    text = "المستلم حي الروضة، شارع النخيل، فيلا ١٤، جدة، جوال 055 555 7788 شكراً جزيلاً لكم"
    spans = [text[s:e] for s, e in caseless_address_spans(text)]
    assert spans and all("055" not in s for s in spans)


def test_a_street_of_three_words_before_its_number_is_kept() -> None:
    # Georgian: name, name, street abbreviation, number: three words are a street, not prose
    text = "მისამართი: გიორგი ლეონიძის ქ. 14, ბათუმი"
    assert any("ლეონიძის ქ. 14" in a for a in of_type(text, "ADDRESS"))


def test_tidy_address_stops_at_a_caseless_word_glued_to_the_postcode() -> None:
    from labkit.controls.pii_address_edges import tidy_address
    text = "ส่งที่ 12 ถนนสาทร กรุงเทพฯ 10120ครับ"
    s, e = tidy_address(text, 7, text.index("ครับ"))
    assert text[s:e].endswith("10120")


# --- 2. the frame of a letter in a caseless script -------------------------------------------------

def test_letter_addressee_and_signature() -> None:
    text = "عزيزي ماجد،\n\nوصلت الأوراق صباح اليوم وسنراجعها غداً.\n\nمع الشكر،\nليلى حداد"
    got = of_type(text, "NAME")
    assert "ماجد" in got and "ليلى حداد" in got


def test_letter_signature_in_tamil_under_a_blank_line() -> None:
    text = "அன்புள்ள முருகன்,\n\nகூட்டம் நாளை காலை நடைபெறும்.\n\nசரவணன் பாலு"
    assert "சரவணன் பாலு" in of_type(text, "NAME")


def test_korean_signing_word_is_not_part_of_the_name() -> None:
    spans = pii_name_letter.letter_frame_spans("최민호 팀장님께,\n\n보고서를 보내드립니다.\n\n한소희 드림")
    text = "최민호 팀장님께,\n\n보고서를 보내드립니다.\n\n한소희 드림"
    assert [text[s:e] for s, e in spans] == ["한소희"]


@pytest.mark.parametrize("text", [
    "אגם כחול\n\nהמלון\nאילת",                                    # a card heading over a blank line, no comma
    "שלום לכולם,\n\nהפגישה נדחתה.\n\nצוות התמיכה",                  # a team signs
    "مرحبا،\n\nالاجتماع غداً.\n\nالقاهرة",                          # a place alone on the last line
    "Dear Tom,\n\nSee you Monday.\n\nOffice",                      # Latin lines are the capital rules'
    "שלום דנה,\nהדוח מצורף",                                       # two lines: no body to frame
])
def test_the_letter_frame_look_alikes(text: str) -> None:
    spans = [text[s:e] for s, e in pii_name_letter.letter_frame_spans(text)]
    assert not any(n in ("כחול", "צוות התמיכה", "القاهرة", "Office", "לכולם") for n in of_type(text, "NAME"))
    assert not any(s in ("כחול", "צוות התמיכה", "القاهرة", "Office", "לכולם") for s in spans)
    if text.count("\n") < 2:
        assert spans == []


# --- 3. claimed types ------------------------------------------------------------------------------

def test_number_is_is_a_bare_number_label() -> None:
    assert of_type("Her number is 0321 5557788, call after six.", "PHONE") == ["0321 5557788"]
    # an order number is still no phone
    assert of_type("Your order number is 0321 5557788.", "PHONE") == []


def test_hebrew_prefix_and_hyphen_before_a_phone() -> None:
    assert of_type("אפשר להשיג אותה ב-054-555-2290 בערב.", "PHONE") == ["054-555-2290"]
    # a hyphen after a code of Latin letters still blocks it
    assert of_type("מזהה ACC-054-555-2290 בלבד", "PHONE") == []


def test_french_poste_extension() -> None:
    assert of_type("Rejoindre Luc au 514 555-0199 poste 31.", "PHONE") == ["514 555-0199 poste 31"]


@pytest.mark.parametrize("text, dob", [
    ("出生日期：民國75年8月2日", "民國75年8月2日"),
    ("出生：民国元年5月1日", "民国元年5月1日"),
    ("วันเกิด: 7 มี.ค. 2528", "7 มี.ค. 2528"),
    ("Bewohner Gerd Falk, * 02.11.1938, Zimmer 4", "02.11.1938"),
    ("Gerd Falk (* 02.11.1938) ist umgezogen", "02.11.1938"),
])
def test_dates_of_birth_round18(text: str, dob: str) -> None:
    assert dob in of_type(text, "DOB")


@pytest.mark.parametrize("text", [
    "* 02.11.2024 Wartung des Servers",         # a bullet at a line's start is no "born"
    "Preis 5 * 12.03 = 60",                     # a product, not a date
    "民國75年的報告",                             # a year alone
])
def test_dob_look_alikes_round18(text: str) -> None:
    assert of_type(text, "DOB") == []


def test_thai_month_abbreviation_is_a_month() -> None:
    assert pii_dob._month("ก.พ.") == 2 and pii_dob._month("ธ.ค.") == 12


def test_detect_stays_fail_closed_and_reversible() -> None:
    text = "عزيزي ماجد،\n\nالعنوان: فيلا 9، شارع 27، البرشاء 3، دبي. جوال 050 555 1234\n\nمع الشكر،\nليلى حداد"
    red = pii.redact(text)
    assert "فيلا 9" not in red.text and "ليلى حداد" not in red.text
    assert pii.rehydrate(red.text, red.mapping) == text


# --- 4. the provider audit (an alarm, recall first) ------------------------------------------------

@pytest.mark.parametrize("text, name", [
    ("олег: привет\nдима: скинь номер", "олег"),           # a lower-case Cyrillic chat speaker
    ("νίκος: ήρθε το πακέτο;", "νίκος"),                    # Greek
    ("manon : tu l'as reçu ?", "manon"),                    # French typography: a blank before the colon
    ("thanks to @ferreira_j for the patch", "@ferreira_j"),  # an @-mention
])
def test_the_audit_sees_round18_names(text: str, name: str) -> None:
    from labkit.provider.requestlog import pii_audit
    assert name in [text[s:e] for t, s, e in pii_audit(text) if t == "name"]


@pytest.mark.parametrize("text, word", [
    ("note: the job ran twice", "note"),                    # a log or memo label, not a speaker
    ("write to desk@example.org", "@example.org"),          # an e-mail's domain is no handle
])
def test_the_audit_look_alikes_round18(text: str, word: str) -> None:
    from labkit.provider.requestlog import pii_audit
    assert word not in [text[s:e] for t, s, e in pii_audit(text) if t == "name"]
