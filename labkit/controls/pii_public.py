"""A PII evaluation set the lab did not write: Presidio's public templates, filled per locale.

What it does: reads the sentence templates that ``presidio-evaluator`` (Microsoft Presidio's
evaluation package, on PyPI, installed data-only by ``make corpora``) ships in ``data_generator/raw_data/templates.txt``
(209 lines of customer-service, address-block, news and CV text with ``{{placeholder}}`` slots),
fills each one with fake values from Faker in three locales (``en_US``, ``de_DE``, ``fr_FR``),
and records the span and type of every value the lab's redactor claims (EMAIL, PHONE, CARD, IBAN,
NATIONAL_ID, IP, DOB, NAME, ADDRESS). It adds look-alike negatives (order numbers, SKUs, EANs,
versions, timestamps, invoice ids, tracking numbers, amounts, rooms): short carrier sentences
with values from Faker's non-PII providers. Every case is assigned to the ``fit`` or ``heldout``
half by a hash of its template (or carrier), so no template is in both halves.

What it does not do: it does not use the lab's own generator (``labkit.data``), and the name
detector in :mod:`labkit.controls.pii` does not use Faker's name lists (its gazetteer is the US
Census 1990 list shipped by the ``names`` package), so the names here are not the detector's.
It does not import ``presidio_evaluator`` (that would pull in spaCy and transformers); it only
reads the package's data file. Values are not checked for realism beyond what Faker gives.

The fresh check (:func:`build_fresh_cases`, fixed before any change of issue 15's third round and
scored first on the code as it stood): the same templates filled by Faker in ``es_ES``, ``it_IT``,
``nl_NL`` and ``en_GB`` with a new seed, and once with the people of a second generator
(FakeNameGenerator.com's 3,000 records that presidio-evaluator ships: 24 name sets from Czech to
Japanese), plus new look-alike negatives. Both sets are the same texts on every run (fixed date
ranges; sorted city lists).

Labelling rules (the templates' own entity names mapped to the lab's types):

- NAME: ``person``, ``name``, ``first_name*``, ``last_name*``, ``name_male``, ``name_female``;
  a title (``{{prefix_male}}`` …) is not part of the name.
- ADDRESS: ``{{address}}`` whole; otherwise a run of adjacent address parts (building number,
  street, secondary unit, city, state, postcode, country) joined only by spaces, commas and line
  breaks (real or a literal ``\\n``), provided the run has a street. A city, postcode or country
  on its own is not an ADDRESS (Presidio calls those GPE and ZIP_CODE).
- DOB: ``{{date_of_birth}}`` where the sentence says it is a birth date (two templates); the
  third template that uses it ("It's like that since …") holds a plain date and is unlabelled.
- NATIONAL_ID: ``{{ssn}}`` (Faker's ``ssn`` for the locale: US SSN format in ``en_US`` and
  ``de_DE``, the 15-digit INSEE number in ``fr_FR``).

Example:
    >>> cases = build_cases()                                          # doctest: +SKIP
    >>> {c["split"] for c in cases}, sorted({c["locale"] for c in cases})  # doctest: +SKIP
    ({'fit', 'heldout'}, ['de_DE', 'en_US', 'fr_FR', 'neg'])
"""

from __future__ import annotations

import hashlib
import importlib.util
import ipaddress
import json
import random
import re
from datetime import date, datetime
from pathlib import Path
from typing import TYPE_CHECKING, Any

from labkit.controls import pii
from labkit.controls.injection_corpora import corpora_dir
from labkit.errors import DataError
from labkit.provider.requestlog import pii_audit
from labkit.settings import datasets_dir

if TYPE_CHECKING:  # typing only: Faker loads when a corpus is built (a heavy import)
    from faker import Faker

LOCALES: tuple[str, ...] = ("en_US", "de_DE", "fr_FR")
SEED = 15
# Dates are drawn from fixed ranges, not relative to today: Faker's "this decade" or "-5y"
# ranges move with the clock, the number of random draws they take varies with the range, and so
# every text after the first date used to change from one run to the next.
_TODAY = date(2026, 1, 1)
_NOW = datetime(2026, 1, 1)

_NAME_SLOTS = {"person", "name", "first_name", "first_name_male", "first_name_female",
               "first_name_nonbinary", "last_name", "last_name_male", "last_name_female",
               "name_male", "name_female"}
_ADDRESS_PARTS = {"building_number", "street_name", "secondary_address", "city", "state",
                  "state_abbr", "postcode", "zipcode", "country"}
_TYPE = {"email": "EMAIL", "phone_number": "PHONE", "credit_card_number": "CARD", "iban": "IBAN",
         "ssn": "NATIONAL_ID", "ip_address": "IP", "address": "ADDRESS"}
_BIRTH_CUE = re.compile(r"(?i)birth|born")
_SLOT = re.compile(r"\{\{(\w+)\}\}")

# Date formats people write, per locale (DOB values and plain dates).
_DATE_FORMATS = {
    "en_US": ("%m/%d/%Y", "%B %d, %Y", "%b %d, %Y", "%Y-%m-%d", "%d %B %Y", "%m-%d-%Y"),
    "de_DE": ("%d.%m.%Y", "%d.%m.%y", "%Y-%m-%d", "%d. %B %Y"),
    "fr_FR": ("%d/%m/%Y", "%d-%m-%Y", "%Y-%m-%d", "%d %B %Y"),
    # the fresh check's locales (never used while the detector was tuned)
    "es_ES": ("%d/%m/%Y", "%d-%m-%Y", "%Y-%m-%d", "%d de %B de %Y"),
    "it_IT": ("%d/%m/%Y", "%d.%m.%Y", "%Y-%m-%d", "%d %B %Y"),
    "nl_NL": ("%d-%m-%Y", "%d/%m/%Y", "%Y-%m-%d", "%d %B %Y"),
    "en_GB": ("%d/%m/%Y", "%d %B %Y", "%d %b %Y", "%Y-%m-%d"),
    # the second fresh check's locales (issue 15, round 4; never used by the PII code)
    "pt_PT": ("%d/%m/%Y", "%d-%m-%Y", "%Y-%m-%d", "%d de %B de %Y"),
    "pl_PL": ("%d.%m.%Y", "%d-%m-%Y", "%Y-%m-%d", "%d %B %Y"),
    "da_DK": ("%d-%m-%Y", "%d.%m.%Y", "%Y-%m-%d", "%d. %B %Y"),
    "sv_SE": ("%Y-%m-%d", "%d/%m/%Y", "%d %B %Y"),
    "cs_CZ": ("%d.%m.%Y", "%d. %m. %Y", "%Y-%m-%d", "%d. %B %Y"),
    "de_AT": ("%d.%m.%Y", "%d.%m.%y", "%Y-%m-%d", "%d. %B %Y"),
    "fr_CH": ("%d.%m.%Y", "%d/%m/%Y", "%Y-%m-%d", "%d %B %Y"),
    "en_AU": ("%d/%m/%Y", "%d %B %Y", "%d %b %Y", "%Y-%m-%d"),
    # the third fresh check's locales (issue 15, round 5; never used by the PII code)
    "fi_FI": ("%d.%m.%Y", "%Y-%m-%d", "%d. %B %Y"),
    "no_NO": ("%d.%m.%Y", "%Y-%m-%d", "%d. %B %Y"),
    "hu_HU": ("%Y.%m.%d.", "%Y-%m-%d", "%Y. %B %d."),
    "ro_RO": ("%d.%m.%Y", "%d/%m/%Y", "%Y-%m-%d", "%d %B %Y"),
    "sk_SK": ("%d.%m.%Y", "%d. %m. %Y", "%Y-%m-%d", "%d. %B %Y"),
    "nl_BE": ("%d/%m/%Y", "%d-%m-%Y", "%Y-%m-%d", "%d %B %Y"),
    "en_NZ": ("%d/%m/%Y", "%d %B %Y", "%d %b %Y", "%Y-%m-%d"),
    "hr_HR": ("%d.%m.%Y.", "%d. %m. %Y.", "%Y-%m-%d", "%d. %B %Y."),
    # the fourth fresh check's locales (issue 15, round 6; never used by the PII code)
    "de_CH": ("%d.%m.%Y", "%d.%m.%y", "%Y-%m-%d", "%d. %B %Y"),
    "en_IE": ("%d/%m/%Y", "%d %B %Y", "%d %b %Y", "%Y-%m-%d"),
    "en_CA": ("%Y-%m-%d", "%B %d, %Y", "%d/%m/%Y", "%b %d, %Y"),
    "fr_CA": ("%Y-%m-%d", "%d %B %Y", "%d/%m/%Y"),
    "sl_SI": ("%d.%m.%Y", "%d. %m. %Y", "%Y-%m-%d", "%d. %B %Y"),
    "el_GR": ("%d/%m/%Y", "%d-%m-%Y", "%Y-%m-%d", "%d %B %Y"),
    # the fifth fresh check's locales (issue 15, round 7; never used by the PII code): Cyrillic
    # (Russian, Ukrainian, Macedonian) and Latin-script locales no check used
    "ru_RU": ("%d.%m.%Y", "%Y-%m-%d", "%d %B %Y"),
    "uk_UA": ("%d.%m.%Y", "%Y-%m-%d", "%d %B %Y"),
    "mk_MK": ("%d.%m.%Y", "%Y-%m-%d", "%d %B %Y"),
    "az_AZ": ("%d.%m.%Y", "%Y-%m-%d", "%d %B %Y"),
    "es_MX": ("%d/%m/%Y", "%d-%m-%Y", "%Y-%m-%d", "%d de %B de %Y"),
    "pt_BR": ("%d/%m/%Y", "%d-%m-%Y", "%Y-%m-%d", "%d de %B de %Y"),
    # the sixth fresh check's locales (issue 15, round 8; never used by the PII code): Argentine,
    # Chilean and Colombian Spanish, Indonesian, Indian English (Latin script) and Armenian
    "es_AR": ("%d/%m/%Y", "%d-%m-%Y", "%Y-%m-%d", "%d de %B de %Y"),
    "es_CL": ("%d-%m-%Y", "%d/%m/%Y", "%Y-%m-%d", "%d de %B de %Y"),
    "es_CO": ("%d/%m/%Y", "%d-%m-%Y", "%Y-%m-%d", "%d de %B de %Y"),
    "id_ID": ("%d/%m/%Y", "%d-%m-%Y", "%Y-%m-%d", "%d %B %Y"),
    "en_IN": ("%d/%m/%Y", "%d-%m-%Y", "%d %B %Y", "%d %b %Y", "%Y-%m-%d"),
    "hy_AM": ("%d.%m.%Y", "%Y-%m-%d", "%d %B %Y"),
    # the seventh fresh check's locales (issue 15, round 9; never used by the PII code): Philippine
    # English, Algerian French, Vietnamese (Latin script), Georgian, Hebrew and Korean
    "en_PH": ("%m/%d/%Y", "%B %d, %Y", "%d %B %Y", "%Y-%m-%d"),
    "fr_DZ": ("%d/%m/%Y", "%d-%m-%Y", "%Y-%m-%d", "%d %B %Y"),
    "vi_VN": ("%d/%m/%Y", "%d-%m-%Y", "%Y-%m-%d", "ngày %d tháng %m năm %Y"),
    "ka_GE": ("%d.%m.%Y", "%Y-%m-%d", "%d %B %Y"),
    "he_IL": ("%d/%m/%Y", "%d.%m.%Y", "%Y-%m-%d", "%d ב%B %Y"),
    "ko_KR": ("%Y-%m-%d", "%Y.%m.%d", "%Y년 %m월 %d일"),
    # the eighth fresh check's locales (issue 15, round 10; never used by the PII code): Algerian
    # Arabic, Persian, Thai, Japanese, Simplified Chinese, Hindi, Bengali, Malaysian English. Numeric
    # layouts each locale writes (Western digits; Faker's own data writes them too), and the CJK
    # year-month-day form; no month names.
    "ar_DZ": ("%d/%m/%Y", "%d-%m-%Y", "%Y-%m-%d"),
    "fa_IR": ("%Y/%m/%d", "%Y-%m-%d", "%d/%m/%Y"),
    "th_TH": ("%d/%m/%Y", "%d-%m-%Y", "%Y-%m-%d"),
    "ja_JP": ("%Y/%m/%d", "%Y-%m-%d", "%Y年%m月%d日"),
    "zh_CN": ("%Y-%m-%d", "%Y/%m/%d", "%Y年%m月%d日"),
    "hi_IN": ("%d/%m/%Y", "%d-%m-%Y", "%Y-%m-%d"),
    "bn_BD": ("%d/%m/%Y", "%d-%m-%Y", "%Y-%m-%d"),
    "en_MS": ("%d/%m/%Y", "%d-%m-%Y", "%d %B %Y", "%Y-%m-%d"),
    # the ninth fresh check's locales (issue 15, round 11; never used by the PII code): Traditional
    # Chinese (Taiwan), Marathi and Nepali (Devanagari), Tamil, Zulu (South Africa) and Bangladeshi
    # English (Latin script). Numeric layouts each locale writes, the CJK year-month-day form, and
    # English month names where the country writes them in English.
    "zh_TW": ("%Y/%m/%d", "%Y-%m-%d", "%Y年%m月%d日"),
    "mr_IN": ("%d/%m/%Y", "%d-%m-%Y", "%Y-%m-%d"),
    "ne_NP": ("%Y-%m-%d", "%Y/%m/%d", "%d/%m/%Y"),
    "ta_IN": ("%d/%m/%Y", "%d-%m-%Y", "%Y-%m-%d"),
    "zu_ZA": ("%Y/%m/%d", "%d/%m/%Y", "%Y-%m-%d", "%d %B %Y"),
    "en_BD": ("%d/%m/%Y", "%d-%m-%Y", "%d %B %Y", "%Y-%m-%d"),
}
_MONTHS = {
    "zu_ZA": ["January", "February", "March", "April", "May", "June", "July", "August", "September",
              "October", "November", "December"],
    "en_BD": ["January", "February", "March", "April", "May", "June", "July", "August", "September",
              "October", "November", "December"],
    "en_MS": ["January", "February", "March", "April", "May", "June", "July", "August", "September",
              "October", "November", "December"],
    "en_PH": ["January", "February", "March", "April", "May", "June", "July", "August", "September",
              "October", "November", "December"],
    "fr_DZ": ["janvier", "février", "mars", "avril", "mai", "juin", "juillet", "août", "septembre",
              "octobre", "novembre", "décembre"],
    "ka_GE": ["იანვარი", "თებერვალი", "მარტი", "აპრილი", "მაისი", "ივნისი", "ივლისი", "აგვისტო",
              "სექტემბერი", "ოქტომბერი", "ნოემბერი", "დეკემბერი"],
    "he_IL": ["ינואר", "פברואר", "מרץ", "אפריל", "מאי", "יוני", "יולי", "אוגוסט", "ספטמבר", "אוקטובר",
              "נובמבר", "דצמבר"],
    "es_AR": ["enero", "febrero", "marzo", "abril", "mayo", "junio", "julio", "agosto", "septiembre",
              "octubre", "noviembre", "diciembre"],
    "es_CL": ["enero", "febrero", "marzo", "abril", "mayo", "junio", "julio", "agosto", "septiembre",
              "octubre", "noviembre", "diciembre"],
    "es_CO": ["enero", "febrero", "marzo", "abril", "mayo", "junio", "julio", "agosto", "septiembre",
              "octubre", "noviembre", "diciembre"],
    "id_ID": ["Januari", "Februari", "Maret", "April", "Mei", "Juni", "Juli", "Agustus", "September",
              "Oktober", "November", "Desember"],
    "en_IN": ["January", "February", "March", "April", "May", "June", "July", "August", "September",
              "October", "November", "December"],
    "hy_AM": ["հունվարի", "փետրվարի", "մարտի", "ապրիլի", "մայիսի", "հունիսի", "հուլիսի", "օգոստոսի",
              "սեպտեմբերի", "հոկտեմբերի", "նոյեմբերի", "դեկտեմբերի"],
    "ru_RU": ["января", "февраля", "марта", "апреля", "мая", "июня", "июля", "августа", "сентября",
              "октября", "ноября", "декабря"],
    "uk_UA": ["січня", "лютого", "березня", "квітня", "травня", "червня", "липня", "серпня", "вересня",
              "жовтня", "листопада", "грудня"],
    "mk_MK": ["јануари", "февруари", "март", "април", "мај", "јуни", "јули", "август", "септември",
              "октомври", "ноември", "декември"],
    "az_AZ": ["yanvar", "fevral", "mart", "aprel", "may", "iyun", "iyul", "avqust", "sentyabr",
              "oktyabr", "noyabr", "dekabr"],
    "es_MX": ["enero", "febrero", "marzo", "abril", "mayo", "junio", "julio", "agosto", "septiembre",
              "octubre", "noviembre", "diciembre"],
    "pt_BR": ["janeiro", "fevereiro", "março", "abril", "maio", "junho", "julho", "agosto", "setembro",
              "outubro", "novembro", "dezembro"],
    "de_CH": ["Januar", "Februar", "März", "April", "Mai", "Juni", "Juli", "August", "September",
              "Oktober", "November", "Dezember"],
    "fr_CA": ["janvier", "février", "mars", "avril", "mai", "juin", "juillet", "août", "septembre",
              "octobre", "novembre", "décembre"],
    "sl_SI": ["januar", "februar", "marec", "april", "maj", "junij", "julij", "avgust", "september",
              "oktober", "november", "december"],
    "el_GR": ["Ιανουαρίου", "Φεβρουαρίου", "Μαρτίου", "Απριλίου", "Μαΐου", "Ιουνίου", "Ιουλίου",
              "Αυγούστου", "Σεπτεμβρίου", "Οκτωβρίου", "Νοεμβρίου", "Δεκεμβρίου"],
    "de_DE": ["Januar", "Februar", "März", "April", "Mai", "Juni", "Juli", "August", "September",
              "Oktober", "November", "Dezember"],
    "fr_FR": ["janvier", "février", "mars", "avril", "mai", "juin", "juillet", "août", "septembre",
              "octobre", "novembre", "décembre"],
    "es_ES": ["enero", "febrero", "marzo", "abril", "mayo", "junio", "julio", "agosto", "septiembre",
              "octubre", "noviembre", "diciembre"],
    "it_IT": ["gennaio", "febbraio", "marzo", "aprile", "maggio", "giugno", "luglio", "agosto", "settembre",
              "ottobre", "novembre", "dicembre"],
    "pt_PT": ["janeiro", "fevereiro", "março", "abril", "maio", "junho", "julho", "agosto", "setembro",
              "outubro", "novembro", "dezembro"],
    "pl_PL": ["stycznia", "lutego", "marca", "kwietnia", "maja", "czerwca", "lipca", "sierpnia", "września",
              "października", "listopada", "grudnia"],
    "da_DK": ["januar", "februar", "marts", "april", "maj", "juni", "juli", "august", "september",
              "oktober", "november", "december"],
    "sv_SE": ["januari", "februari", "mars", "april", "maj", "juni", "juli", "augusti", "september",
              "oktober", "november", "december"],
    "cs_CZ": ["ledna", "února", "března", "dubna", "května", "června", "července", "srpna", "září",
              "října", "listopadu", "prosince"],
    "de_AT": ["Jänner", "Februar", "März", "April", "Mai", "Juni", "Juli", "August", "September",
              "Oktober", "November", "Dezember"],
    "fr_CH": ["janvier", "février", "mars", "avril", "mai", "juin", "juillet", "août", "septembre",
              "octobre", "novembre", "décembre"],
    "nl_NL": ["januari", "februari", "maart", "april", "mei", "juni", "juli", "augustus", "september",
              "oktober", "november", "december"],
    "nl_BE": ["januari", "februari", "maart", "april", "mei", "juni", "juli", "augustus", "september",
              "oktober", "november", "december"],
    "fi_FI": ["tammikuuta", "helmikuuta", "maaliskuuta", "huhtikuuta", "toukokuuta", "kesäkuuta", "heinäkuuta",
              "elokuuta", "syyskuuta", "lokakuuta", "marraskuuta", "joulukuuta"],
    "no_NO": ["januar", "februar", "mars", "april", "mai", "juni", "juli", "august", "september",
              "oktober", "november", "desember"],
    "hu_HU": ["január", "február", "március", "április", "május", "június", "július", "augusztus", "szeptember",
              "október", "november", "december"],
    "ro_RO": ["ianuarie", "februarie", "martie", "aprilie", "mai", "iunie", "iulie", "august", "septembrie",
              "octombrie", "noiembrie", "decembrie"],
    "sk_SK": ["januára", "februára", "marca", "apríla", "mája", "júna", "júla", "augusta", "septembra",
              "októbra", "novembra", "decembra"],
    "hr_HR": ["siječnja", "veljače", "ožujka", "travnja", "svibnja", "lipnja", "srpnja", "kolovoza", "rujna",
              "listopada", "studenoga", "prosinca"],
}


def presidio_templates_path() -> Path:
    """The templates file of ``presidio-evaluator`` (read, never imported).

    ``make install`` puts the package, data only, into the corpora folder (``--no-deps --target``,
    beside the injection corpora): its declared dependencies (spaCy, transformers) are heavy and
    the lab never imports it. An ordinary install in the venv is found too.
    """
    candidates = [corpora_dir() / "presidio_evaluator"]
    spec = importlib.util.find_spec("presidio_evaluator")
    if spec is not None and spec.submodule_search_locations:
        candidates.append(Path(next(iter(spec.submodule_search_locations))))
    for root in candidates:
        path = root / "data_generator" / "raw_data" / "templates.txt"
        if path.exists():
            return path
    raise DataError("presidio-evaluator's templates are not installed; run `make corpora` "
                    f"(installs it data-only into {corpora_dir()})")


def load_templates() -> list[str]:
    """Presidio's templates, one per line, stripped (the file's literal ``\\n`` escapes kept)."""
    lines = presidio_templates_path().read_text(encoding="utf-8", errors="replace").splitlines()
    return [line.strip() for line in lines if line.strip()]


def split_of(key: str) -> str:
    """``fit`` or ``heldout`` by the first byte of the key's SHA-256 (stable across runs)."""
    return "heldout" if hashlib.sha256(key.encode()).digest()[0] % 2 else "fit"


def _fmt_date(d: date, fmt: str, locale: str) -> str:
    if "%B" in fmt and locale in _MONTHS:
        fmt = fmt.replace("%B", _MONTHS[locale][d.month - 1])
    return d.strftime(fmt)


class _Filler:
    """Fake values for one locale; ``person`` keeps a first/last name pair per text."""

    def __init__(self, locale: str, seed: int) -> None:
        from faker import Faker

        self.locale = locale
        self.fake = Faker(locale)
        self.fake.seed_instance(seed)
        # it_IT builds its city list from a set, so its order (and the city drawn) followed the
        # process's string-hash seed: sort such lists so a seed gives the same texts every run
        for provider in self.fake.factories[0].providers:
            if isinstance(getattr(provider, "cities", None), list):
                provider.cities = sorted(provider.cities)
        self.en = Faker("en_US")  # fields a locale lacks (secondary_address, state_abbr)
        self.en.seed_instance(seed + 1)
        self.rng = random.Random(seed)

    def value(self, slot: str) -> str:
        f, rng = self.fake, self.rng
        if slot in ("person", "name"):
            return f"{f.first_name()} {f.last_name()}"
        if slot in ("name_male", "name_female"):
            g = slot.split("_")[1]
            return f"{getattr(f, 'first_name_' + g)()} {f.last_name()}"
        # getattr: the slot names Faker's provider method (Faker returns str for each of these)
        if slot.startswith(("first_name", "last_name")):
            return str(getattr(f, slot, f.first_name if slot.startswith("first") else f.last_name)())
        if slot in ("prefix", "prefix_male", "prefix_female"):
            return str(getattr(f, slot)())
        if slot == "credit_card_number":
            return f.credit_card_number()
        if slot == "phone_number":
            if not hasattr(f, "phone_number"):  # en_PH names its phone methods by line type
                return str(f.mobile_number() if rng.random() < 0.5 else f.landline_number())
            return f.phone_number()
        if slot == "email":
            return f.email()
        if slot == "iban":
            return f.iban()
        if slot == "ssn":
            return f.ssn()
        if slot == "ip_address":
            return f.ipv6() if rng.random() < 0.2 else f.ipv4_public()
        if slot == "address":
            return f.address()
        if slot in ("secondary_address", "state_abbr", "state"):
            src = f if hasattr(f, slot) else self.en
            return str(getattr(src, slot)())
        if slot in ("zipcode", "postcode"):
            return f.postcode()
        if slot in ("street_name", "building_number", "city", "country"):
            return str(getattr(f, slot)())
        if slot in ("date_of_birth", "date_time"):
            d = (f.date_between_dates(date(1936, 1, 1), date(2008, 1, 1)) if slot == "date_of_birth"
                 else f.date_between_dates(date(2021, 1, 1), _TODAY))
            return _fmt_date(d, rng.choice(_DATE_FORMATS[self.locale]), self.locale)
        if slot == "organization":
            return f.company()
        if slot == "job":
            return f.job()
        if slot == "url":
            return f.url()
        if slot == "age":
            return str(rng.randint(18, 90))
        if slot == "year":
            return f.year()
        if slot == "day_of_week":
            return f.day_of_week()
        if slot in ("nationality", "nation_woman", "nation_plural"):
            return rng.choice(["German", "French", "Italian", "Brazilian", "Canadian", "Japanese", "Kenyan"])
        if slot == "us_driver_license":
            return self.en.bothify("?#######").upper()
        return f.word()


def fill(template: str, filler: _Filler) -> dict[str, Any]:
    """One text from ``template`` and the spans of the values the redactor claims."""
    out: list[str] = []
    parts: list[tuple[str, int, int]] = []  # every filled slot: (slot, start, end)
    pos = 0
    length = 0
    for m in _SLOT.finditer(template):
        lit = template[pos:m.start()]
        out.append(lit)
        length += len(lit)
        value = filler.value(m.group(1))
        out.append(value)
        parts.append((m.group(1), length, length + len(value)))
        length += len(value)
        pos = m.end()
    out.append(template[pos:])
    text = "".join(out)
    spans: list[dict[str, Any]] = []
    i = 0
    while i < len(parts):
        slot, s, e = parts[i]
        if slot in _ADDRESS_PARTS:
            # a run of address parts separated only by spaces, commas and (literal) line breaks
            j = i
            while j + 1 < len(parts) and parts[j + 1][0] in _ADDRESS_PARTS and re.fullmatch(
                    r"(?:[ ,]|\\n|\n)*", text[parts[j][2]:parts[j + 1][1]]):
                j += 1
            run = parts[i:j + 1]
            if any(p[0] == "street_name" for p in run):
                # drop a trailing or leading bare country/city? no: the whole run is the address
                spans.append({"start": run[0][1], "end": run[-1][2], "type": "ADDRESS"})
            i = j + 1
            continue
        if slot in _NAME_SLOTS:
            spans.append({"start": s, "end": e, "type": "NAME"})
        elif slot == "date_of_birth":
            if _BIRTH_CUE.search(template[:template.find("{{date_of_birth}}")]):
                spans.append({"start": s, "end": e, "type": "DOB"})
        elif slot in _TYPE:
            spans.append({"start": s, "end": e, "type": _TYPE[slot]})
        i += 1
    return {"text": text, "spans": spans}


# Look-alike negatives: carrier sentences (written here) around values from Faker's non-PII
# providers. Each carrier is one "template" for the split.
_NEGATIVES: tuple[tuple[str, str], ...] = (
    ("Order {v} has shipped and should arrive on Thursday.", "order"),
    ("Your order number is {v}; keep it for returns.", "order10"),
    ("Please restock SKU {v} before the weekend sale.", "sku"),
    ("EAN {v} scanned twice at the till.", "ean13"),
    ("Barcode {v} does not match the label.", "ean8"),
    ("The ISBN of the handbook is {v}.", "isbn"),
    ("Upgrade the agent to version {v} tonight.", "version"),
    ("Release {v} fixes the login bug.", "semver"),
    ("Client reported user agent {v}", "ua"),
    ("The job finished at {v} without errors.", "timestamp"),
    ("Log line: {v} INFO worker started", "iso"),
    ("Event epoch {v} was replayed.", "epoch"),
    ("Invoice {v} is overdue by 14 days.", "invoice"),
    ("Credit note {v} was issued last week.", "invoice2"),
    ("Tracking number {v} shows the parcel in transit.", "tracking"),
    ("The refund of {v} was approved.", "amount"),
    ("Meeting moved to {v} in room 4.12.", "meeting"),
    ("Ticket {v} was merged into the parent incident.", "ticket"),
    ("Request id {v} failed with status 502.", "uuid"),
    ("Batch {v} contains 1200 rows.", "batch"),
    ("The contract runs from {v}.", "period"),
    ("Serial number {v} is out of warranty.", "serial"),
    ("Quote reference {v} expires on Friday.", "quote"),
    ("Part {v} is on back order.", "part"),
    ("The build on branch release/{v} passed.", "branch"),
    ("Our Customer Success Team will reply within {v} hours.", "hours"),
    ("Take the {v} exit and follow the signs to Terminal 2.", "exit"),
    ("Account Manager Review scheduled for Q{v}.", "quarter"),
    ("Gate {v} closes 20 minutes before departure.", "gate"),
    ("Patch Tuesday update KB{v} failed to install.", "kb"),
)


def _negative_value(kind: str, fake: Faker, rng: random.Random) -> str:
    if kind == "order":
        return fake.bothify("ORD-########")
    if kind == "order10":
        return fake.numerify("##########")
    if kind == "sku":
        return fake.bothify("??-####-??").upper()
    if kind == "ean13":
        return fake.ean13()
    if kind == "ean8":
        return fake.ean8()
    if kind == "isbn":
        return fake.isbn13()
    if kind == "version":
        return ".".join(str(rng.randint(0, 20)) for _ in range(rng.choice([3, 4])))
    if kind == "semver":
        return f"v{rng.randint(1, 12)}.{rng.randint(0, 30)}.{rng.randint(0, 99)}"
    if kind == "ua":
        return fake.user_agent()
    if kind == "timestamp":
        return fake.date_time_between_dates(datetime(2020, 1, 1), _NOW).strftime(rng.choice(["%Y-%m-%d %H:%M:%S", "%d.%m.%Y %H:%M", "%H:%M:%S"]))
    if kind == "iso":
        return fake.iso8601(end_datetime=_NOW)
    if kind == "epoch":
        return str(fake.unix_time(start_datetime=datetime(2023, 1, 1), end_datetime=_NOW))[:10]
    if kind == "invoice":
        return fake.bothify("INV-20##-######")
    if kind == "invoice2":
        return fake.numerify("CN 20##/####")
    if kind == "tracking":
        return fake.bothify("1Z###?##########").upper()
    if kind == "amount":
        return fake.pricetag()
    if kind == "meeting":
        return fake.date_time_between_dates(datetime(2025, 1, 1), _NOW).strftime(rng.choice(["%m/%d/%Y %H:%M", "%d.%m.%Y, %H:%M", "%Y-%m-%d %H:%M"]))
    if kind == "ticket":
        return fake.bothify("TCK-######")
    if kind == "uuid":
        return fake.uuid4()
    if kind == "batch":
        return fake.numerify("B########")
    if kind == "period":
        return (f"{fake.date_between_dates(date(2020, 1, 1), _TODAY).strftime('%d/%m/%Y')} to "
                f"{fake.date_between_dates(date(2020, 1, 1), _TODAY).strftime('%d/%m/%Y')}")
    if kind == "serial":
        return fake.bothify("SN-####-####-####")
    if kind == "quote":
        return fake.numerify("Q-########")
    if kind == "part":
        return fake.numerify("###-###-####-##")
    if kind == "branch":
        return f"{rng.randint(1, 9)}.{rng.randint(0, 20)}"
    if kind == "hours":
        return str(rng.choice([4, 8, 24, 48, 72]))
    if kind == "exit":
        return str(rng.randint(1, 40)) + rng.choice(["A", "B", ""])
    if kind == "quarter":
        return f"{rng.randint(1, 4)} {rng.randint(2020, 2030)}"
    if kind == "gate":
        return rng.choice("ABCDE") + str(rng.randint(1, 60))
    if kind == "kb":
        return fake.numerify("50#####")
    raise ValueError(kind)


def build_cases(per_locale: int = 2, negatives_per_carrier: int = 8, seed: int = SEED) -> list[dict[str, Any]]:
    """Every template filled ``per_locale`` times in each locale, plus the look-alike negatives.

    Each case: ``id``, ``text``, ``spans`` (``start``, ``end``, ``type``), ``locale`` (``neg`` for
    negatives), ``template`` (its index in Presidio's file, or ``neg:<kind>``) and ``split``.
    """

    templates = load_templates()
    cases: list[dict[str, Any]] = []
    for li, locale in enumerate(LOCALES):
        filler = _Filler(locale, seed * 100 + li)
        for k in range(per_locale):
            for ti, template in enumerate(templates):
                case = fill(template, filler)
                cases.append({"id": f"{locale}-{ti:03d}-{k}", **case, "locale": locale,
                              "template": ti, "split": split_of(template)})
    return cases + _negative_cases(LOCALES, seed, negatives_per_carrier, "neg")


def _negative_cases(locales: tuple[str, ...], seed: int, per_carrier: int, id_prefix: str) -> list[dict[str, Any]]:
    """The look-alike negatives: each carrier filled ``per_carrier`` times with values that look
    like PII and are not (Faker per locale, seeded ``seed + 7 + i``)."""
    from faker import Faker

    rng = random.Random(seed)
    fakes = [Faker(loc) for loc in locales]
    for i, fk in enumerate(fakes):
        fk.seed_instance(seed + 7 + i)
    cases: list[dict[str, Any]] = []
    for carrier, kind in _NEGATIVES:
        for k in range(per_carrier):
            text = carrier.replace("{v}", _negative_value(kind, fakes[k % len(fakes)], rng))
            cases.append({"id": f"{id_prefix}-{kind}-{k}", "text": text, "spans": [], "locale": "neg",
                          "template": f"neg:{kind}", "split": split_of(carrier)})
    return cases


# --- the fresh check (issue 15, round 3) ---------------------------------------------------------
# The held-out half above has been read (its misses were studied), so it is no longer unseen. This
# set was fixed before any change of that round and scored first on the code as it stood: the same
# public templates, values nobody tuned on. Faker in four locales the lab's PII code never used,
# with a new seed; and people from a second generator, the 3,000 FakeNameGenerator.com records
# that presidio-evaluator ships beside its templates (24 name sets: Czech, Hungarian, Finnish,
# Icelandic, Japanese, Chechen ... names), so a name list that happened to match Faker's would not
# carry it. The detector never reads either source.

FRESH_LOCALES: tuple[str, ...] = ("es_ES", "it_IT", "nl_NL", "en_GB")
FRESH_SEED = 2026
FNG = "fng"
"""Locale tag of the cases whose people come from FakeNameGenerator.com records."""

_FNG_SLOTS = _NAME_SLOTS | {"prefix", "prefix_male", "prefix_female", "email"}


def fng_people() -> list[dict[str, str]]:
    """The FakeNameGenerator.com records shipped with presidio-evaluator (``GivenName``,
    ``Surname``, ``Gender``, ``Title``, ``EmailAddress``, ``NameSet`` ...)."""
    import csv

    path = presidio_templates_path().parent / "FakeNameGenerator.com_3000.csv"
    if not path.exists():
        raise DataError(f"{path} is missing; run `make corpora`")
    with path.open(encoding="utf-8-sig", newline="") as fh:
        return [row for row in csv.DictReader(fh) if row.get("GivenName") and row.get("Surname")]


class _FngFiller(_Filler):
    """People (names, titles, e-mail) from FakeNameGenerator.com records; other slots from Faker."""

    def __init__(self, seed: int) -> None:
        super().__init__("en_US", seed)
        self.people = fng_people()
        self.by_gender = {g: [p for p in self.people if p["Gender"] == g] for g in ("male", "female")}
        self.used: set[str] = set()  # the records drawn (their ``Number``), so a later set can avoid them

    def value(self, slot: str) -> str:
        if slot not in _FNG_SLOTS:
            return super().value(slot)
        gender = "male" if slot.endswith("_male") else "female" if slot.endswith("_female") else None
        person = self.rng.choice(self.by_gender[gender] if gender else self.people)
        self.used.add(person["Number"])
        if slot.startswith("prefix"):
            return person["Title"] or "Mx."
        if slot == "email":
            return person["EmailAddress"]
        if slot.startswith("first_name"):
            return person["GivenName"]
        if slot.startswith("last_name"):
            return person["Surname"]
        return f"{person['GivenName']} {person['Surname']}"


def build_fresh_cases(seed: int = FRESH_SEED, negatives_per_carrier: int = 4) -> list[dict[str, Any]]:
    """The fresh check: every template once per :data:`FRESH_LOCALES` locale and once with
    FakeNameGenerator people (locale ``fng``), plus look-alike negatives with new values.

    Same fields as :func:`build_cases`; ``split`` still names the template's half, so the fresh
    figures can be read on held-out templates alone.
    """

    templates = load_templates()
    cases: list[dict[str, Any]] = []
    fillers: list[tuple[str, _Filler]] = [(loc, _Filler(loc, seed * 100 + i)) for i, loc in enumerate(FRESH_LOCALES)]
    fillers.append((FNG, _FngFiller(seed * 100 + 99)))
    for locale, filler in fillers:
        for ti, template in enumerate(templates):
            case = fill(template, filler)
            cases.append({"id": f"fresh-{locale}-{ti:03d}", **case, "locale": locale,
                          "template": ti, "split": split_of(template)})
    return cases + _negative_cases(FRESH_LOCALES, seed, negatives_per_carrier, "fresh-neg")


# --- the second fresh check (issue 15, round 4) ---------------------------------------------------
# The first fresh check was scored, its misses read and fixes made from them: it is seen. This one
# was fixed before any change of round 4 and scored once on the code as it stood (the first run),
# then once at the end (final); nothing in between was tuned on it. Faker in eight locales no PII
# code or check used before (Portuguese, Polish, Danish, Swedish, Czech, Austrian German, Swiss
# French, Australian English), a new seed, and FakeNameGenerator.com records that the first fresh
# check did not draw, now with their own postal addresses too (real street names from thirty
# countries, written by that generator, not by Faker), so an address vocabulary that happened to
# come from Faker's word lists would not carry them.

FRESH2_LOCALES: tuple[str, ...] = ("pt_PT", "pl_PL", "da_DK", "sv_SE", "cs_CZ", "de_AT", "fr_CH", "en_AU")
FRESH2_SEED = 4711
FNG2 = "fng2"
"""Locale tag of the second fresh check's FakeNameGenerator cases (people and addresses)."""

_FNG2_ADDRESS = {"building_number", "street_name", "city", "state", "state_abbr", "postcode", "zipcode",
                 "country", "address"}
_HOUSE_FIRST = re.compile(r"^(\d+[A-Za-z]?)\s+(.+)$")        # "1659 Hoog St"
_HOUSE_LAST = re.compile(r"^(.+?),?\s+(\d+[A-Za-z]?(?:[/-]\d+)?)$")  # "Via Pisanelli 104"
_CITY_FIRST_COUNTRIES = {"US", "CA", "AU", "GB", "NZ", "ZA", "CY", "UY", "BR"}


def _fng_street(record: dict[str, str]) -> tuple[str, str] | None:
    """(house number, street) of a FakeNameGenerator record, or None (P.O. boxes, no number)."""
    street = record.get("StreetAddress", "").strip()
    if "box" in street.lower():
        return None
    if m := _HOUSE_FIRST.match(street):
        return m.group(1), m.group(2)
    if m := _HOUSE_LAST.match(street):
        return m.group(2), m.group(1)
    return None


def fresh1_fng_numbers() -> set[str]:
    """The FakeNameGenerator records the first fresh check drew (replayed from its seed)."""
    filler = _FngFiller(FRESH_SEED * 100 + 99)
    # the first fresh check filled its four Faker locales first; the FNG filler has its own seed,
    # so replaying it alone draws the same people
    for template in load_templates():
        fill(template, filler)
    return filler.used


class _Fng2Filler(_FngFiller):
    """People, e-mail and postal addresses from FakeNameGenerator records the first fresh check
    did not draw; the other slots (phones, cards, ids ...) from Faker ``en_US``."""

    def __init__(self, seed: int, exclude: set[str]) -> None:
        super().__init__(seed)
        self.people = [p for p in self.people if p["Number"] not in exclude]
        self.by_gender = {g: [p for p in self.people if p["Gender"] == g] for g in ("male", "female")}
        self.places = [p for p in self.people if _fng_street(p) and p.get("City") and p.get("ZipCode")]
        self.place: dict[str, str] = {}
        self.place_slots: set[str] = set()
        self.places_used: set[str] = set()  # the address records drawn, so a later set can avoid them

    def value(self, slot: str) -> str:
        if slot not in _FNG2_ADDRESS:
            return super().value(slot)
        # one record per address: a slot seen twice starts the next record
        if not self.place or slot in self.place_slots or slot == "address":
            self.place = self.rng.choice(self.places)
            self.place_slots = set()
            self.places_used.add(self.place["Number"])
        self.place_slots.add(slot)
        rec = self.place
        house, street = _fng_street(rec) or ("", "")
        if slot == "building_number":
            return house
        if slot == "street_name":
            return street
        if slot == "city":
            return rec["City"]
        if slot in ("postcode", "zipcode"):
            return rec["ZipCode"]
        if slot in ("state", "state_abbr"):
            return rec["StateFull"] if slot == "state" and rec.get("StateFull") else rec["State"] or rec["City"]
        if slot == "country":
            return rec["CountryFull"]
        # the whole address, in the country's own order
        if rec["Country"] in ("US", "CA", "AU"):
            return f"{rec['StreetAddress']}\n{rec['City']}, {rec['State']} {rec['ZipCode']}"
        if rec["Country"] in _CITY_FIRST_COUNTRIES:
            return f"{rec['StreetAddress']}\n{rec['City']} {rec['ZipCode']}"
        return f"{rec['StreetAddress']}\n{rec['ZipCode']} {rec['City']}"


def build_fresh2_cases(seed: int = FRESH2_SEED, negatives_per_carrier: int = 4) -> list[dict[str, Any]]:
    """The second fresh check: every template once per :data:`FRESH2_LOCALES` locale and once
    with FakeNameGenerator people and addresses the first fresh check did not draw (locale
    ``fng2``), plus look-alike negatives with new values. Same fields as :func:`build_cases`."""

    return _fresh_check_cases("fresh2", FRESH2_LOCALES, seed, FNG2, fresh1_fng_numbers(), negatives_per_carrier)


def _fresh_check_cases(name: str, locales: tuple[str, ...], seed: int, fng_tag: str, fng_exclude: set[str],
                       negatives_per_carrier: int) -> list[dict[str, Any]]:
    """Every template once per Faker locale and once with FakeNameGenerator records not in
    ``fng_exclude`` (locale ``fng_tag``), plus look-alike negatives; ids ``<name>-<locale>-<n>``."""
    templates = load_templates()
    cases: list[dict[str, Any]] = []
    fillers: list[tuple[str, _Filler]] = [(loc, _Filler(loc, seed * 100 + i)) for i, loc in enumerate(locales)]
    fillers.append((fng_tag, _Fng2Filler(seed * 100 + 99, fng_exclude)))
    for locale, filler in fillers:
        for ti, template in enumerate(templates):
            case = fill(template, filler)
            cases.append({"id": f"{name}-{locale}-{ti:03d}", **case, "locale": locale,
                          "template": ti, "split": split_of(template)})
    return cases + _negative_cases(locales, seed, negatives_per_carrier, f"{name}-neg")


# --- the third fresh check (issue 15, round 5) ----------------------------------------------------
# fresh2 was scored and its misses read: it is seen. This one was fixed before any change of round
# 5 and scored once on the code as it stood (first), then once at the end (final). Faker in eight
# locales no earlier check used (Finnish, Norwegian, Hungarian, Romanian, Slovak, Belgian Dutch,
# New Zealand English, Croatian), a new seed, and FakeNameGenerator.com people and addresses that
# neither earlier fresh check drew. (en_IE was left out: Faker's en_IE writes US-format phones.)

FRESH3_LOCALES: tuple[str, ...] = ("fi_FI", "no_NO", "hu_HU", "ro_RO", "sk_SK", "nl_BE", "en_NZ", "hr_HR")
FRESH3_SEED = 9173
FNG3 = "fng3"
"""Locale tag of the third fresh check's FakeNameGenerator cases (people and addresses)."""


def fresh2_fng_numbers() -> set[str]:
    """The FakeNameGenerator records (people and addresses) the second fresh check drew (replayed)."""
    filler = _Fng2Filler(FRESH2_SEED * 100 + 99, fresh1_fng_numbers())
    for template in load_templates():
        fill(template, filler)
    return filler.used | filler.places_used


def build_fresh3_cases(seed: int = FRESH3_SEED, negatives_per_carrier: int = 4) -> list[dict[str, Any]]:
    """The third fresh check: every template once per :data:`FRESH3_LOCALES` locale and once
    with FakeNameGenerator people and addresses neither earlier fresh check drew (locale
    ``fng3``), plus look-alike negatives with new values. Same fields as :func:`build_cases`."""
    return _fresh_check_cases("fresh3", FRESH3_LOCALES, seed, FNG3, fresh1_fng_numbers() | fresh2_fng_numbers(),
                              negatives_per_carrier)



# --- the fourth fresh check (issue 15, round 6) ---------------------------------------------------
# fresh3 was scored and its misses read: it is seen. This one was fixed before any change of round
# 6 and scored once on the code as it stood (first), then once at the end (final). Faker in six
# locales no earlier check used (Swiss German, Irish English, Canadian English and French, Slovene,
# Greek), all six with address and person providers, a new seed, and FakeNameGenerator.com people
# and addresses none of the three earlier fresh checks drew. (en_IE, left out of fresh3 for its
# US-format phones, is kept here: the brief asked for it, and its phones are part of the test.)

FRESH4_LOCALES: tuple[str, ...] = ("de_CH", "en_IE", "en_CA", "fr_CA", "sl_SI", "el_GR")
FRESH4_SEED = 31337
FNG4 = "fng4"
"""Locale tag of the fourth fresh check's FakeNameGenerator cases (people and addresses)."""


def fresh3_fng_numbers() -> set[str]:
    """The FakeNameGenerator records (people and addresses) the third fresh check drew (replayed)."""
    filler = _Fng2Filler(FRESH3_SEED * 100 + 99, fresh1_fng_numbers() | fresh2_fng_numbers())
    for template in load_templates():
        fill(template, filler)
    return filler.used | filler.places_used


def build_fresh4_cases(seed: int = FRESH4_SEED, negatives_per_carrier: int = 4) -> list[dict[str, Any]]:
    """The fourth fresh check: every template once per :data:`FRESH4_LOCALES` locale and once
    with FakeNameGenerator people and addresses no earlier fresh check drew (locale ``fng4``),
    plus look-alike negatives with new values. Same fields as :func:`build_cases`."""
    used = fresh1_fng_numbers() | fresh2_fng_numbers() | fresh3_fng_numbers()
    return _fresh_check_cases("fresh4", FRESH4_LOCALES, seed, FNG4, used, negatives_per_carrier)


# --- the fifth fresh check (issue 15, round 7) ----------------------------------------------------
# fresh4 was scored and its misses read (its Greek names and addresses were 0): it is seen. This one
# was fixed before any change of round 7 and scored once on the code as it stood (first), then once
# at the end (final). Faker in six locales no earlier check used, each with person, address and
# phone providers: three in Cyrillic (Russian, Ukrainian, Macedonian), so a mechanism tuned on
# fresh4's Greek is tested on a script it never saw, and three in the Latin script (Azerbaijani,
# Mexican Spanish, Brazilian Portuguese). (lt_LT, lv_LV, et_EE, tr_TR and bg_BG were left out:
# Faker has no address provider for them and writes US addresses with local words.) A new seed,
# and FakeNameGenerator.com people and addresses none of the four earlier fresh checks drew.

FRESH5_LOCALES: tuple[str, ...] = ("ru_RU", "uk_UA", "mk_MK", "az_AZ", "es_MX", "pt_BR")
FRESH5_SEED = 60221
FNG5 = "fng5"
"""Locale tag of the fifth fresh check's FakeNameGenerator cases (people and addresses)."""


def fresh4_fng_numbers() -> set[str]:
    """The FakeNameGenerator records (people and addresses) the fourth fresh check drew (replayed)."""
    filler = _Fng2Filler(FRESH4_SEED * 100 + 99,
                         fresh1_fng_numbers() | fresh2_fng_numbers() | fresh3_fng_numbers())
    for template in load_templates():
        fill(template, filler)
    return filler.used | filler.places_used


def build_fresh5_cases(seed: int = FRESH5_SEED, negatives_per_carrier: int = 4) -> list[dict[str, Any]]:
    """The fifth fresh check: every template once per :data:`FRESH5_LOCALES` locale and once
    with FakeNameGenerator people and addresses no earlier fresh check drew (locale ``fng5``),
    plus look-alike negatives with new values. Same fields as :func:`build_cases`."""
    used = fresh1_fng_numbers() | fresh2_fng_numbers() | fresh3_fng_numbers() | fresh4_fng_numbers()
    return _fresh_check_cases("fresh5", FRESH5_LOCALES, seed, FNG5, used, negatives_per_carrier)


# --- the sixth fresh check (issue 15, round 8) ----------------------------------------------------
# fresh5 was scored and its misses read: it is seen. This one was fixed before any change of round 8
# and scored once on the code as it stood (first), then once at the end (final). Faker in six
# locales no earlier check used, each with person, address and phone providers: five in the Latin
# script, where the lab's users are (Argentine, Chilean and Colombian Spanish, Indonesian, Indian
# English), and one in a script no check used (Armenian, which has letter case, so its names and
# street words reach the rules through the transliterated view). (Every other Latin-script locale
# Faker 40 gives person, address and phone providers for was used by an earlier check.) A new seed,
# and FakeNameGenerator.com people and addresses none of the five earlier fresh checks drew.

FRESH6_LOCALES: tuple[str, ...] = ("es_AR", "es_CL", "es_CO", "id_ID", "en_IN", "hy_AM")
FRESH6_SEED = 81517
FNG6 = "fng6"
"""Locale tag of the sixth fresh check's FakeNameGenerator cases (people and addresses)."""


def fresh5_fng_numbers() -> set[str]:
    """The FakeNameGenerator records (people and addresses) the fifth fresh check drew (replayed)."""
    filler = _Fng2Filler(FRESH5_SEED * 100 + 99,
                         fresh1_fng_numbers() | fresh2_fng_numbers() | fresh3_fng_numbers() | fresh4_fng_numbers())
    for template in load_templates():
        fill(template, filler)
    return filler.used | filler.places_used


def build_fresh6_cases(seed: int = FRESH6_SEED, negatives_per_carrier: int = 4) -> list[dict[str, Any]]:
    """The sixth fresh check: every template once per :data:`FRESH6_LOCALES` locale and once
    with FakeNameGenerator people and addresses no earlier fresh check drew (locale ``fng6``),
    plus look-alike negatives with new values. Same fields as :func:`build_cases`."""
    used = (fresh1_fng_numbers() | fresh2_fng_numbers() | fresh3_fng_numbers() | fresh4_fng_numbers()
            | fresh5_fng_numbers())
    return _fresh_check_cases("fresh6", FRESH6_LOCALES, seed, FNG6, used, negatives_per_carrier)


# --- the seventh fresh check (issue 15, round 9) --------------------------------------------------
# fresh6 was scored and its misses read: it is seen. This one was fixed and committed before any
# change of round 9 and scored once on the code as it stood (first), then once at the end (final).
# Faker in six locales no earlier check used: three in the Latin script (Philippine English, whose
# people Faker draws from its English lists; Algerian French; Vietnamese, with its stacked
# diacritics) and three in scripts no check used and that have no letter case (Georgian, Hebrew,
# Korean), so a rule that leans on capitals or on Latin street words meets what it cannot lean on.
# Each has an address and a phone provider of its own in Faker 40 (its address layouts are the
# locale's, not the US layout with local words). A new seed, and FakeNameGenerator.com people and
# addresses none of the six earlier fresh checks drew.

FRESH7_LOCALES: tuple[str, ...] = ("en_PH", "fr_DZ", "vi_VN", "ka_GE", "he_IL", "ko_KR")
FRESH7_SEED = 93319
FNG7 = "fng7"
"""Locale tag of the seventh fresh check's FakeNameGenerator cases (people and addresses)."""


def fresh6_fng_numbers() -> set[str]:
    """The FakeNameGenerator records (people and addresses) the sixth fresh check drew (replayed)."""
    filler = _Fng2Filler(FRESH6_SEED * 100 + 99,
                         fresh1_fng_numbers() | fresh2_fng_numbers() | fresh3_fng_numbers() | fresh4_fng_numbers()
                         | fresh5_fng_numbers())
    for template in load_templates():
        fill(template, filler)
    return filler.used | filler.places_used


def build_fresh7_cases(seed: int = FRESH7_SEED, negatives_per_carrier: int = 4) -> list[dict[str, Any]]:
    """The seventh fresh check: every template once per :data:`FRESH7_LOCALES` locale and once
    with FakeNameGenerator people and addresses no earlier fresh check drew (locale ``fng7``),
    plus look-alike negatives with new values. Same fields as :func:`build_cases`."""
    used = (fresh1_fng_numbers() | fresh2_fng_numbers() | fresh3_fng_numbers() | fresh4_fng_numbers()
            | fresh5_fng_numbers() | fresh6_fng_numbers())
    return _fresh_check_cases("fresh7", FRESH7_LOCALES, seed, FNG7, used, negatives_per_carrier)


def split(cases: list[dict[str, Any]], which: str) -> list[dict[str, Any]]:
    """The cases of one half (``fit`` or ``heldout``)."""
    if which not in ("fit", "heldout"):
        raise ValueError(f"unknown split {which!r}; use 'fit' or 'heldout'")
    return [c for c in cases if c["split"] == which]


CLAIMED: tuple[str, ...] = ("EMAIL", "PHONE", "CARD", "IBAN", "NATIONAL_ID", "IP", "DOB")
"""The types the redactor claimed before NAME and ADDRESS were added (the headline group)."""


def report(cases: list[dict[str, Any]]) -> dict[str, Any]:
    """Span-exact (and overlap) scores of :func:`labkit.controls.pii.evaluate` on ``cases``:
    per type, the claimed-types micro total, per locale, and false positives on negatives."""
    def micro(rep: Any, table: str, types: tuple[str, ...]) -> dict[str, Any]:
        rows = getattr(rep, table)
        tp = sum(rows[t].tp for t in types if t in rows)
        fp = sum(rows[t].fp for t in types if t in rows)
        fn = sum(rows[t].fn for t in types if t in rows)
        return pii.TypeScore(tp=tp, fp=fp, fn=fn).as_dict()

    def block(subset: list[dict[str, Any]]) -> dict[str, Any]:
        rep = pii.evaluate(subset, max_errors=400)
        return {
            "cases": rep.cases,
            "claimed_types": {"exact": micro(rep, "exact", CLAIMED), "overlap": micro(rep, "overlap", CLAIMED)},
            "by_type": {t: {"exact": rep.exact[t].as_dict(), "overlap": rep.overlap[t].as_dict()}
                        for t in rep.exact},
            "errors": rep.errors,
        }

    out: dict[str, Any] = {"cases": len(cases), "all": block(cases), "by_locale": {}}
    for loc in sorted({c["locale"] for c in cases}):
        b = block([c for c in cases if c["locale"] == loc])
        b.pop("errors")
        out["by_locale"][loc] = b
    negs = [c for c in cases if c["locale"] == "neg"]
    flagged = [(c["text"], [(f.type, f.text) for f in pii.detect(c["text"])]) for c in negs]
    flagged = [x for x in flagged if x[1]]
    out["negatives"] = {"texts": len(negs), "flagged": len(flagged), "examples": flagged[:20]}
    return out


_AUDIT_TYPE = {"EMAIL": "email", "PHONE": "phone", "CARD": "card", "IBAN": "iban", "NATIONAL_ID": "national_id",
               "IP": "ip", "DOB": "date", "NAME": "name", "ADDRESS": "address"}


def audit_coverage(cases: list[dict[str, Any]], audit: Any) -> dict[str, Any]:
    """How many labelled values an independent audit (``audit(text) -> [(type, start, end)]``)
    sees in the raw texts: ``caught`` when any audit span overlaps the value, ``caught_same_type``
    when one of the matching type does. Also the share of negatives it flags.
    """
    per: dict[str, dict[str, float]] = {}  # counts, then a float recall per row
    for c in cases:
        spans = audit(c["text"])
        for s in c["spans"]:
            row = per.setdefault(s["type"], {"values": 0, "caught": 0, "caught_same_type": 0})
            row["values"] += 1
            hits = [a for a in spans if a[1] < s["end"] and s["start"] < a[2]]
            row["caught"] += bool(hits)
            row["caught_same_type"] += any(a[0] == _AUDIT_TYPE.get(s["type"]) for a in hits)
    total = {k: sum(r[k] for r in per.values()) for k in ("values", "caught", "caught_same_type")}
    for row in [*per.values(), total]:
        row["recall"] = round(row["caught"] / row["values"], 4) if row["values"] else 1.0
    negs = [c for c in cases if c["locale"] == "neg"]
    flagged = sum(bool(audit(c["text"])) for c in negs)
    return {"by_type": per, "total": total, "negatives": {"texts": len(negs), "flagged": flagged}}


def _occurs(value: str, text: str) -> bool:
    """``value`` stands in ``text`` as a whole (not inside a longer word; a literal ``\\n``
    escape before it counts as a separator)."""
    for m in re.finditer(re.escape(value), text):
        before = text[max(0, m.start() - 2):m.start()]
        after = text[m.end():m.end() + 1]
        if (not before[-1:].isalnum() or re.fullmatch(r"\\[ntr]", before)) and not after.isalnum():
            return True
    return False


def value_leaked(value: str, text: str, prompt: str) -> bool:
    """Whether a labelled ``value`` of ``text`` still reaches the provider in ``prompt``.

    Either it stands there as a whole (:func:`_occurs`), or it is glued to its neighbours, as a
    name is in scripts written without spaces ("请联系王小明先生", a Hebrew or Arabic one-letter
    prefix) and it was left as it is: it occurs in the prompt at least as often as in the text.
    (Counting occurrences keeps a value that was replaced from counting because the same letters
    stand inside a longer word elsewhere, "Ann" in "Annual": the prompt then holds fewer.)
    Before this second test (until round 18) glued values that got through were not counted.
    """
    if _occurs(value, prompt):
        return True
    found = prompt.count(value)
    return found > 0 and found >= text.count(value)


def gateway_leak(cases: list[dict[str, Any]], base_url: str, request_log: Any,
                 model: str = "lab-chat-2026-01", api_key: str = "pii-eval") -> dict[str, Any]:
    """Send each text as one user message through an OpenAI-compatible endpoint (the gateway,
    or the provider itself for raw requests) and read the provider's request log.

    Per labelled value: ``leaked`` when its text still reaches the ``prompt_text`` the
    provider logged (:func:`value_leaked`: as a whole word, or glued to its neighbours and untouched); ``audited`` when the provider's own audit
    (:func:`labkit.provider.requestlog.pii_audit`, run on that ``prompt_text``) has a span
    overlapping it. ``request_log`` returns the provider's log entries (newest last).
    """
    import openai

    client = openai.OpenAI(base_url=base_url, api_key=api_key, max_retries=2)
    per: dict[str, dict[str, float]] = {}  # counts, then float rates per row
    entries_with = {"requests": 0, "pii_seen": 0, "pii_types_any": 0}
    for case in cases:
        before = len(request_log())
        client.chat.completions.create(model=model, messages=[{"role": "user", "content": case["text"]}],
                                       temperature=0)
        new = [e for e in request_log()[before:] if e.get("endpoint") == "chat"]
        prompt = "\n".join(e.get("prompt_text") or "" for e in new)
        entries_with["requests"] += 1
        entries_with["pii_seen"] += any(e.get("pii_seen") for e in new)
        entries_with["pii_types_any"] += any(e.get("pii_types") for e in new)
        audit = pii_audit(prompt)
        for s in case["spans"]:
            value = case["text"][s["start"]:s["end"]]
            row = per.setdefault(s["type"], {"values": 0, "leaked": 0, "present": 0, "audited": 0})
            row["values"] += 1
            if not value_leaked(value, case["text"], prompt):
                continue
            row["leaked"] += 1
            row["present"] += 1
            pos = prompt.find(value)
            row["audited"] += any(a[1] < pos + len(value) and pos < a[2] for a in audit)
    total = {k: sum(r[k] for r in per.values()) for k in ("values", "leaked", "present", "audited")}
    for row in [*per.values(), total]:
        row["leak_rate"] = round(row["leaked"] / row["values"], 4) if row["values"] else 0.0
        row["audit_recall"] = round(row["audited"] / row["present"], 4) if row["present"] else 1.0
    claimed = {k: sum(per[t][k] for t in CLAIMED if t in per) for k in ("values", "leaked")}
    claimed["leak_rate"] = round(claimed["leaked"] / claimed["values"], 4) if claimed["values"] else 0.0
    return {"by_type": per, "total": total, "claimed_types": claimed, "entries": entries_with}


# --- the eighth fresh check (issue 15, round 10) --------------------------------------------------
# fresh7 was scored and its misses read: it is seen. This one was fixed and committed before any
# change of round 10 and scored once on the code as it stood (first), then once at the end (final).
# Faker in eight locales no earlier check used, each with an address and a phone provider of its own
# in Faker 40 (not the US layout with local words): seven in scripts without letter case that no
# check used (Algerian Arabic, Persian, Thai, Japanese, Simplified Chinese, Hindi in Devanagari,
# Bengali), so a name rule fitted on fresh7's Hebrew, Georgian and Korean meets scripts it never
# saw, and one in the Latin script (Malaysian English). A new seed, and FakeNameGenerator.com people
# and addresses none of the seven earlier fresh checks drew.

FRESH8_LOCALES: tuple[str, ...] = ("ar_DZ", "fa_IR", "th_TH", "ja_JP", "zh_CN", "hi_IN", "bn_BD", "en_MS")
FRESH8_SEED = 57203
FNG8 = "fng8"
"""Locale tag of the eighth fresh check's FakeNameGenerator cases (people and addresses)."""


def fresh7_fng_numbers() -> set[str]:
    """The FakeNameGenerator records (people and addresses) the seventh fresh check drew (replayed)."""
    filler = _Fng2Filler(FRESH7_SEED * 100 + 99,
                         fresh1_fng_numbers() | fresh2_fng_numbers() | fresh3_fng_numbers() | fresh4_fng_numbers()
                         | fresh5_fng_numbers() | fresh6_fng_numbers())
    for template in load_templates():
        fill(template, filler)
    return filler.used | filler.places_used


def build_fresh8_cases(seed: int = FRESH8_SEED, negatives_per_carrier: int = 4) -> list[dict[str, Any]]:
    """The eighth fresh check: every template once per :data:`FRESH8_LOCALES` locale and once
    with FakeNameGenerator people and addresses no earlier fresh check drew (locale ``fng8``),
    plus look-alike negatives with new values. Same fields as :func:`build_cases`."""
    used = (fresh1_fng_numbers() | fresh2_fng_numbers() | fresh3_fng_numbers() | fresh4_fng_numbers()
            | fresh5_fng_numbers() | fresh6_fng_numbers() | fresh7_fng_numbers())
    return _fresh_check_cases("fresh8", FRESH8_LOCALES, seed, FNG8, used, negatives_per_carrier)


# --- the ninth fresh check (issue 15, round 11) ---------------------------------------------------
# fresh8 was scored and its misses read: it is seen. This one was fixed and committed before any
# change of round 11 and scored once on the code as it stood (first), then once at the end (final).
# Faker 40 has few locales left that no check used and that have an address provider of their own;
# six of them: Traditional Chinese (Taiwan: postcode first, floors and lanes in Han characters),
# Marathi and Nepali (Devanagari, met in Hindi by fresh8, now with other words and Nepal's ward and
# municipality lines), Tamil (a script no check used), and two in the Latin script, Zulu (South
# African addresses, Zulu street words and names) and Bangladeshi English (`House No.`, `Studio`,
# town and division lines; Faker draws its people from the English lists). zu_ZA and en_BD have no
# phone provider of their own and write Faker's default layouts. A new seed, and FakeNameGenerator
# people and addresses none of the eight earlier fresh checks drew.

FRESH9_LOCALES: tuple[str, ...] = ("zh_TW", "mr_IN", "ne_NP", "ta_IN", "zu_ZA", "en_BD")
FRESH9_SEED = 70913
FNG9 = "fng9"
"""Locale tag of the ninth fresh check's FakeNameGenerator cases (people and addresses)."""


def fresh8_fng_numbers() -> set[str]:
    """The FakeNameGenerator records (people and addresses) the eighth fresh check drew (replayed)."""
    filler = _Fng2Filler(FRESH8_SEED * 100 + 99,
                         fresh1_fng_numbers() | fresh2_fng_numbers() | fresh3_fng_numbers() | fresh4_fng_numbers()
                         | fresh5_fng_numbers() | fresh6_fng_numbers() | fresh7_fng_numbers())
    for template in load_templates():
        fill(template, filler)
    return filler.used | filler.places_used


def build_fresh9_cases(seed: int = FRESH9_SEED, negatives_per_carrier: int = 4) -> list[dict[str, Any]]:
    """The ninth fresh check: every template once per :data:`FRESH9_LOCALES` locale and once
    with FakeNameGenerator people and addresses no earlier fresh check drew (locale ``fng9``),
    plus look-alike negatives with new values. Same fields as :func:`build_cases`."""
    used = (fresh1_fng_numbers() | fresh2_fng_numbers() | fresh3_fng_numbers() | fresh4_fng_numbers()
            | fresh5_fng_numbers() | fresh6_fng_numbers() | fresh7_fng_numbers() | fresh8_fng_numbers())
    return _fresh_check_cases("fresh9", FRESH9_LOCALES, seed, FNG9, used, negatives_per_carrier)


# --- the tenth fresh check (issue 15, part 1): written by hand -------------------------------------
# Every earlier check was Presidio's templates filled by Faker or FakeNameGenerator, so a detector
# tuned round after round meets the same sentence shapes and the same generators' values. This one
# was written by hand, without reading the detector or the earlier rounds' misses: chat messages,
# tickets, e-mail bodies and signatures, letters, forms, CSV/JSON/YAML records, log lines, meeting,
# CRM, HR and delivery notes, in English (US, UK, Indian, Australian, Nigerian, Philippine) and 17
# other languages in their own conventions, plus look-alike negatives. The marked source
# (``[[CODE|value]]`` around each value) is ``datasets/eval/pii_handwritten_fresh10_marked.txt``;
# ``loadtests/build_pii_handwritten.py fresh10`` turns it into the JSONL with exact offsets.
#
# Labelling rules (as :func:`fill` draws them): a NAME is the name as written without a title or an
# honorific (Mr., Frau, dott.ssa, Pak, 様, 님, जी stay outside), inflected or nicknamed forms
# included; an ADDRESS is one span from the house number or street to the postcode, town or country
# when they are contiguous (line breaks included), without a label or a postal mark such as 〒; a
# DOB is a date only where the text says it is a birth date; cards pass Luhn, IBANs mod 97, and
# national ids their own check (python-stdnum), with UK NINO and US SSN checked by format.

FRESH10_FILE = "eval/pii_handwritten_fresh10.jsonl"
FRESH10_MARKED = "eval/pii_handwritten_fresh10_marked.txt"
# fresh11: a second hand-written set, same rules as fresh10, weighted to names and addresses
# (written by another hand, without reading the detector or fresh10's texts beyond their format).
FRESH11_FILE = "eval/pii_handwritten_fresh11.jsonl"
FRESH11_MARKED = "eval/pii_handwritten_fresh11_marked.txt"
# fresh12: a third hand-written set, same rules, weighted to names, addresses and dates of birth in
# local layouts (written by a third hand, without reading the detector or earlier sets beyond format).
FRESH12_FILE = "eval/pii_handwritten_fresh12.jsonl"
FRESH12_MARKED = "eval/pii_handwritten_fresh12_marked.txt"
# fresh13: a fourth hand-written set, same rules, weighted to names (styles of writing them: "Surname,
# First", initials, inflected, family-name-first, non-Latin with and without cues) and local-layout
# addresses (written by a fourth hand, without reading the detector or earlier sets beyond format).
FRESH13_FILE = "eval/pii_handwritten_fresh13.jsonl"
FRESH13_MARKED = "eval/pii_handwritten_fresh13_marked.txt"
# fresh14: a fifth hand-written set, same rules, weighted to names and local-layout addresses in 33 other
# languages and 12 English varieties (written by a fifth hand, without reading the detector or earlier sets
# beyond format).
FRESH14_FILE = "eval/pii_handwritten_fresh14.jsonl"
FRESH14_MARKED = "eval/pii_handwritten_fresh14_marked.txt"
# fresh15: a sixth hand-written set, same rules, weighted to names and local-layout addresses in 33 other
# languages and 14 English varieties (written by a sixth hand, without reading the detector or earlier sets
# beyond format).
FRESH15_FILE = "eval/pii_handwritten_fresh15.jsonl"
FRESH15_MARKED = "eval/pii_handwritten_fresh15_marked.txt"
# fresh16: a seventh hand-written set, same rules, names in every style and local-layout addresses, phones and
# dates of birth (several calendars) in 40 other languages and 13 English varieties, written by a seventh hand
# without reading the detector or earlier sets beyond their format.
FRESH16_FILE = "eval/pii_handwritten_fresh16.jsonl"
FRESH16_MARKED = "eval/pii_handwritten_fresh16_marked.txt"
# fresh17: an eighth hand-written set, same rules, names in every style and local-layout addresses, phones and
# dates of birth in 46 other languages and 14 English varieties, in the genres business text comes in, written by an
# eighth hand without reading the detector or earlier sets beyond their format.
FRESH17_FILE = "eval/pii_handwritten_fresh17.jsonl"
FRESH17_MARKED = "eval/pii_handwritten_fresh17_marked.txt"
# fresh18: a ninth hand-written set, same rules, shaped like an enterprise's own text: 50 long texts (e-mail threads with
# quoted replies and signatures, minutes, call transcripts, HR letters, incident reports) and short ones (chat, SMS, CRM,
# forms, tickets, exports, invoices), 100 in 14 English varieties and 150 in 30 other languages, written by a ninth hand
# without reading the detector or earlier sets beyond their format.
FRESH18_FILE = "eval/pii_handwritten_fresh18.jsonl"
FRESH18_MARKED = "eval/pii_handwritten_fresh18_marked.txt"
# fresh19: a tenth hand-written set, same rules, weighted to what the earlier sets under-tested: 75 long texts (e-mail
# threads with quoted replies, minutes, call transcripts, HR letters, incident reports, CRM histories, chat exports)
# where a person is introduced once and then named by first name, surname, nickname and initials; addresses in many
# layouts; 110 texts in 14 English varieties and 140 in 28 other languages, 14 of them in no earlier set.
FRESH19_FILE = "eval/pii_handwritten_fresh19.jsonl"
FRESH19_MARKED = "eval/pii_handwritten_fresh19_marked.txt"
_MARK = re.compile(r"\[\[(N|A|P|E|C|I|ID|IP|D)\|(.+?)\]\]", re.S)
_MARK_TYPE = {"N": "NAME", "A": "ADDRESS", "P": "PHONE", "E": "EMAIL", "C": "CARD", "I": "IBAN",
              "ID": "NATIONAL_ID", "IP": "IP", "D": "DOB"}
_NINO = re.compile(r"(?!BG|GB|NK|KN|TN|NT|ZZ)[A-CEGHJ-PR-TW-Z][A-CEGHJ-NPR-TW-Z] ?\d{2} ?\d{2} ?\d{2} ?[A-D]")
_SSN = re.compile(r"(?!000|666|9\d\d)\d{3}-(?!00)\d{2}-(?!0000)\d{4}")
_EMAIL = re.compile(r"[\w.+-]+@[\w-]+(?:\.[\w-]+)+")


def parse_marked(source: str, id_prefix: str = "fresh10") -> list[dict[str, Any]]:
    """Cases from a marked source: blocks headed ``@@ <locale> <style>`` (negatives:
    ``@@ neg <style> <language>``), each value inside ``[[CODE|value]]``; the markers are removed
    and every span's offsets are computed from them. Ids are ``<id_prefix>-NNN`` in order."""
    cases: list[dict[str, Any]] = []
    for block in source.split("@@ ")[1:]:
        head, _, body = block.partition("\n")
        fields = head.split()
        body = body.strip()
        text_parts: list[str] = []
        spans: list[dict[str, Any]] = []
        pos = length = 0
        for m in _MARK.finditer(body):
            text_parts.append(body[pos:m.start()])
            length += m.start() - pos
            spans.append({"start": length, "end": length + len(m.group(2)), "type": _MARK_TYPE[m.group(1)]})
            text_parts.append(m.group(2))
            length += len(m.group(2))
            pos = m.end()
        text_parts.append(body[pos:])
        negative = fields[0] == "neg"
        locale = fields[0]
        lang = (fields[2] if negative else locale).split("_")[0]
        cases.append({"id": f"{id_prefix}-{len(cases) + 1:03d}", "text": "".join(text_parts), "spans": spans,
                      "locale": locale, "lang": lang, "style": fields[1]})
    return cases


def value_is_valid(kind: str, value: str) -> bool:
    """Whether a labelled value is well formed for its type: Luhn for cards (12-19 digits), mod 97
    for IBANs, the national id's own check digits (python-stdnum; UK NINO and US SSN by format),
    an address for IPs, one ``@`` and a dotted domain for e-mails; other types only need text."""
    from stdnum import iban, luhn  # lazy: only the set's validation needs python-stdnum
    from stdnum.br import cpf
    from stdnum.cn import ric
    from stdnum.es import dni
    from stdnum.fr import nir
    from stdnum.in_ import aadhaar
    from stdnum.it import codicefiscale
    from stdnum.nl import bsn
    from stdnum.pl import pesel
    from stdnum.se import personnummer
    from stdnum.tr import tckimlik

    if not value or value != value.strip():
        return False
    digits = re.sub(r"[ -]", "", value)
    if kind == "CARD":
        return digits.isdigit() and 12 <= len(digits) <= 19 and luhn.is_valid(digits)
    if kind == "IBAN":
        return bool(iban.is_valid(value))
    if kind == "NATIONAL_ID":
        checks = (cpf, ric, dni, nir, aadhaar, codicefiscale, bsn, pesel, personnummer, tckimlik)
        return (any(m.is_valid(value) for m in checks) or bool(_NINO.fullmatch(value))
                or bool(_SSN.fullmatch(value)))
    if kind == "IP":
        try:
            ipaddress.ip_address(value)
        except ValueError:
            return False
        return True
    if kind == "EMAIL":
        return bool(_EMAIL.fullmatch(value))
    return True


def check_cases(cases: list[dict[str, Any]]) -> list[str]:
    """Problems in a hand-labelled set: duplicate ids, spans out of order or overlapping, a span
    starting or ending in whitespace, a value failing :func:`value_is_valid`, a marker left in a
    text, a negative with spans. Empty when the set is sound."""
    problems: list[str] = []
    ids = [c["id"] for c in cases]
    problems += [f"duplicate id {i}" for i in sorted({i for i in ids if ids.count(i) > 1})]
    for c in cases:
        if "[[" in c["text"] or "]]" in c["text"]:
            problems.append(f"{c['id']}: marker left in the text")
        if c["locale"] == "neg" and c["spans"]:
            problems.append(f"{c['id']}: negative with spans")
        end = 0
        for s in c["spans"]:
            value = c["text"][s["start"]:s["end"]]
            if s["start"] < end or s["end"] <= s["start"]:
                problems.append(f"{c['id']}: span {s} overlaps or is empty")
            end = s["end"]
            if s["type"] not in _MARK_TYPE.values() or not value_is_valid(s["type"], value):
                problems.append(f"{c['id']}: invalid {s['type']} {value!r}")
    return problems


HANDWRITTEN: dict[str, tuple[str, str]] = {
    "fresh10": (FRESH10_FILE, FRESH10_MARKED),
    "fresh11": (FRESH11_FILE, FRESH11_MARKED),
    "fresh12": (FRESH12_FILE, FRESH12_MARKED),
    "fresh13": (FRESH13_FILE, FRESH13_MARKED),
    "fresh14": (FRESH14_FILE, FRESH14_MARKED),
    "fresh15": (FRESH15_FILE, FRESH15_MARKED),
    "fresh16": (FRESH16_FILE, FRESH16_MARKED),
    "fresh17": (FRESH17_FILE, FRESH17_MARKED),
    "fresh18": (FRESH18_FILE, FRESH18_MARKED),
    "fresh19": (FRESH19_FILE, FRESH19_MARKED),
}
"""The hand-written sets: name -> (the JSONL file, its marked source), under ``datasets/``."""


def build_handwritten_cases(name: str, path: Path | None = None) -> list[dict[str, Any]]:
    """A hand-written set of :data:`HANDWRITTEN` (``datasets/eval/pii_handwritten_<name>.jsonl``).
    Same fields as :func:`build_cases` (every case is ``heldout``; ``template`` is its style), plus
    ``lang`` and ``style``. Raises :class:`DataError` if the file is missing or unsound."""
    source = path if path is not None else datasets_dir() / HANDWRITTEN[name][0]
    if not source.is_file():
        raise DataError(f"no hand-written PII set at {source} (run loadtests/build_pii_handwritten.py {name})")
    cases = [json.loads(line) for line in source.read_text(encoding="utf-8").splitlines() if line.strip()]
    problems = check_cases(cases)
    if problems:
        raise DataError(f"{source}: {len(problems)} problems, first: {problems[0]}")
    return [{**c, "template": c["style"], "split": "heldout"} for c in cases]


def build_fresh10_cases(path: Path | None = None) -> list[dict[str, Any]]:
    """The tenth fresh check, the first hand-written set (:func:`build_handwritten_cases`)."""
    return build_handwritten_cases("fresh10", path)


def build_fresh11_cases(path: Path | None = None) -> list[dict[str, Any]]:
    """The eleventh fresh check, the second hand-written set, weighted to names and addresses."""
    return build_handwritten_cases("fresh11", path)


def build_fresh12_cases(path: Path | None = None) -> list[dict[str, Any]]:
    """The twelfth fresh check, the third hand-written set: names, addresses and dates of birth in
    local layouts (Persian, Bengali, Thai digits, Buddhist-era years, month names) weighted."""
    return build_handwritten_cases("fresh12", path)


def build_fresh13_cases(path: Path | None = None) -> list[dict[str, Any]]:
    """The thirteenth fresh check, the fourth hand-written set: names in the ways business text writes
    them and addresses in local layouts weighted, every claimed type present."""
    return build_handwritten_cases("fresh13", path)


def build_fresh14_cases(path: Path | None = None) -> list[dict[str, Any]]:
    """The fourteenth fresh check, the fifth hand-written set: names and addresses as business text
    writes them in many languages and scripts weighted, every claimed type present."""
    return build_handwritten_cases("fresh14", path)


def build_fresh15_cases(path: Path | None = None) -> list[dict[str, Any]]:
    """The fifteenth fresh check, the sixth hand-written set: names and addresses as business text
    writes them in many languages and scripts weighted, every claimed type present."""
    return build_handwritten_cases("fresh15", path)


def build_fresh16_cases(path: Path | None = None) -> list[dict[str, Any]]:
    """The sixteenth fresh check, the seventh hand-written set: names in every style (chat, signatures,
    rosters, "Surname, First", particles, transliterations) and local-layout addresses, phones and dates of
    birth in 41 languages and many scripts, every claimed type present."""
    return build_handwritten_cases("fresh16", path)


def build_fresh17_cases(path: Path | None = None) -> list[dict[str, Any]]:
    """The seventeenth fresh check, the eighth hand-written set: names in every style and local-layout addresses,
    phones and dates of birth in many languages and scripts, across the genres business text comes in (chat, e-mail,
    CRM, forms, tickets, transcripts, rosters, exports, OCR), every claimed type present."""
    return build_handwritten_cases("fresh17", path)


def build_fresh18_cases(path: Path | None = None) -> list[dict[str, Any]]:
    """The eighteenth fresh check, the ninth hand-written set: an enterprise's own text, 50 long texts (e-mail threads
    with quoted replies and signatures, minutes, call transcripts, HR letters, incident reports) beside short chat, SMS,
    CRM, form, ticket, export and invoice texts, 40 % English in 14 varieties and 30 other languages in their scripts,
    names in every realistic form, every claimed type present."""
    return build_handwritten_cases("fresh18", path)


def build_fresh19_cases(path: Path | None = None) -> list[dict[str, Any]]:
    """The nineteenth fresh check, the tenth hand-written set: 75 long texts (e-mail threads with quoted replies,
    minutes, call transcripts, HR letters, incident reports, CRM histories, chat exports) in which a person is named
    in full once and then by first name, surname, nickname or initials, beside short forms, SMS, chat, CRM notes and
    exports; 270+ addresses in many layouts; 110 English texts in 14 varieties and 28 other languages (14 in no
    earlier set) in their scripts; every claimed type present."""
    return build_handwritten_cases("fresh19", path)
