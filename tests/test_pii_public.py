"""PII on public data the lab did not write: the set, the detector's held-out floor, the provider's
independent audit, and what reaches the provider through the real gateway.

The set is built at test time from presidio-evaluator's templates (installed data-only by
`make corpora`, part of `make install`). The
floors below are the measured held-out figures rounded down (loadtests/RESULTS.md has them),
not the issue's targets: they catch regressions, the RESULTS file reports the misses.
"""

from __future__ import annotations

import ast
import json
import os
import re
import subprocess
import sys
from collections import Counter
from functools import cache
from pathlib import Path

import pytest

from labkit.controls import pii_public as pub
from labkit.provider.requestlog import RequestLog, pii_audit, pii_seen, pii_types
from labkit.settings import datasets_dir

pytest.importorskip("faker")
try:
    pub.presidio_templates_path()
except pub.DataError as exc:  # `make install` / `make corpora` put it in the corpora folder
    pytest.skip(str(exc), allow_module_level=True)


@cache
def cases() -> tuple[dict, ...]:
    return tuple(pub.build_cases())


def heldout() -> list[dict]:
    return pub.split(list(cases()), "heldout")


def test_set_is_public_three_locales_negatives_and_split_by_template() -> None:
    templates = pub.load_templates()
    assert len(templates) > 150 and any("{{person}}" in t for t in templates)
    cs = list(cases())
    assert {c["locale"] for c in cs} == {"en_US", "de_DE", "fr_FR", "neg"}
    fit, held = pub.split(cs, "fit"), pub.split(cs, "heldout")
    assert {c["template"] for c in fit}.isdisjoint({c["template"] for c in held})
    assert sum(c["locale"] == "neg" for c in held) >= 100
    types = {s["type"] for c in held for s in c["spans"]}
    assert {"NAME", "ADDRESS", "PHONE", "CARD", "EMAIL"} <= types
    for c in cs[:200]:
        for s in c["spans"]:
            assert c["text"][s["start"]:s["end"]].strip() == c["text"][s["start"]:s["end"]]
    # deterministic: the same seed gives the same texts
    assert [c["text"] for c in pub.build_cases()[:50]] == [c["text"] for c in cs[:50]]


def _same_texts_whatever_the_hash_seed(cases_expr: str) -> bool:
    """Whether ``cases_expr`` (over ``p`` = pii_public) gives the same texts and spans in two
    interpreters with different string-hash seeds."""
    code = ("import hashlib; from labkit.controls import pii_public as p; "
            f"print(hashlib.sha256(repr([(c['text'], c['spans']) for c in {cases_expr}]).encode()).hexdigest())")
    digests = {subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True,
                              env={**os.environ, "PYTHONHASHSEED": seed}).stdout for seed in ("1", "2")}
    return len(digests) == 1


def test_fresh_set_is_new_locales_a_second_generator_and_the_same_texts_every_run() -> None:
    fresh = pub.build_fresh_cases()
    assert {c["locale"] for c in fresh} == {*pub.FRESH_LOCALES, pub.FNG, "neg"}
    assert not set(pub.FRESH_LOCALES) & set(pub.LOCALES)
    # FakeNameGenerator people: their names are in the texts, labelled NAME
    people = {f"{p['GivenName']} {p['Surname']}" for p in pub.fng_people()}
    fng_names = [c["text"][s["start"]:s["end"]] for c in fresh if c["locale"] == pub.FNG
                 for s in c["spans"] if s["type"] == "NAME"]
    assert len(fng_names) > 100 and sum(n in people for n in fng_names) > 30
    # deterministic whatever the string-hash seed (it_IT's city list followed it) and the clock
    # (Faker's dates relative to today changed how many random draws a text took)
    assert _same_texts_whatever_the_hash_seed("p.build_fresh_cases() + p.build_cases()")


def test_second_fresh_set_is_new_locales_unused_people_and_the_same_texts_every_run() -> None:
    fresh2 = pub.build_fresh2_cases()
    assert {c["locale"] for c in fresh2} == {*pub.FRESH2_LOCALES, pub.FNG2, "neg"}
    # locales no earlier set used, and FakeNameGenerator records the first fresh check did not draw
    assert not set(pub.FRESH2_LOCALES) & {*pub.LOCALES, *pub.FRESH_LOCALES}
    used = pub.fresh1_fng_numbers()
    assert 100 < len(used) < 1000
    people = {p["Number"]: f"{p['GivenName']} {p['Surname']}" for p in pub.fng_people()}
    fng2_names = {c["text"][s["start"]:s["end"]] for c in fresh2 if c["locale"] == pub.FNG2
                  for s in c["spans"] if s["type"] == "NAME"}
    assert fng2_names & set(people.values())
    assert not fng2_names & {people[n] for n in used} - {people[n] for n in people if n not in used}
    # FakeNameGenerator's own postal addresses (their real street names), labelled ADDRESS
    fng2_addr = [c["text"][s["start"]:s["end"]] for c in fresh2 if c["locale"] == pub.FNG2
                 for s in c["spans"] if s["type"] == "ADDRESS"]
    streets = {p["StreetAddress"] for p in pub.fng_people()}
    assert len(fng2_addr) > 30 and sum(any(st in a for st in streets) for a in fng2_addr) > 10
    assert pub._fng_street({"StreetAddress": "Via Pisanelli 104"}) == ("104", "Via Pisanelli")
    assert pub._fng_street({"StreetAddress": "1659 Hoog St"}) == ("1659", "Hoog St")
    assert pub._fng_street({"StreetAddress": "P.O. Box 255"}) is None
    # deterministic whatever the string-hash seed
    assert _same_texts_whatever_the_hash_seed("p.build_fresh2_cases()")


def test_third_fresh_set_is_new_locales_unused_people_and_the_same_texts_every_run() -> None:
    fresh3 = pub.build_fresh3_cases()
    assert {c["locale"] for c in fresh3} == {*pub.FRESH3_LOCALES, pub.FNG3, "neg"}
    assert all(c["id"].startswith("fresh3-") for c in fresh3)
    # locales no earlier set used, and FakeNameGenerator records neither earlier fresh check drew
    assert not set(pub.FRESH3_LOCALES) & {*pub.LOCALES, *pub.FRESH_LOCALES, *pub.FRESH2_LOCALES}
    used = pub.fresh1_fng_numbers() | pub.fresh2_fng_numbers()
    assert len(used) > len(pub.fresh1_fng_numbers())
    people = {p["Number"]: f"{p['GivenName']} {p['Surname']}" for p in pub.fng_people()}
    fng3_names = {c["text"][s["start"]:s["end"]] for c in fresh3 if c["locale"] == pub.FNG3
                  for s in c["spans"] if s["type"] == "NAME"}
    assert fng3_names & set(people.values())
    assert not fng3_names & {people[n] for n in used} - {people[n] for n in people if n not in used}
    # every type is there in every Faker locale's texts (phones included)
    for loc in pub.FRESH3_LOCALES:
        types = {s["type"] for c in fresh3 if c["locale"] == loc for s in c["spans"]}
        assert {"PHONE", "EMAIL", "NAME", "ADDRESS"} <= types, (loc, types)
    # deterministic whatever the string-hash seed
    assert _same_texts_whatever_the_hash_seed("p.build_fresh3_cases()")


def test_second_fresh_set_floor_for_the_detector() -> None:
    # measured on fresh2's final run (its first was before any round-4 change): names R 0.952 ->
    # 0.982, addresses 0.166 -> 0.521 (target 0.85 missed), national ids 0.556 -> 1.000
    rep = pub.report(pub.build_fresh2_cases())
    by_type = rep["all"]["by_type"]
    assert by_type["NAME"]["exact"]["recall"] >= 0.95, by_type["NAME"]
    assert by_type["ADDRESS"]["exact"]["recall"] >= 0.45, by_type["ADDRESS"]
    assert by_type["NATIONAL_ID"]["exact"]["recall"] >= 0.9, by_type["NATIONAL_ID"]
    assert rep["all"]["claimed_types"]["exact"]["precision"] >= 0.95
    assert rep["negatives"]["flagged"] <= 0.05 * rep["negatives"]["texts"], rep["negatives"]["examples"]


def test_fresh_set_floor_for_the_detector() -> None:
    # measured on the fresh set's one unseen final run: names 0.904 (0.880 before), claimed types
    # P 1.000 R 0.972; 0.915 after the Latin Extended fix its misses showed (a seen figure)
    rep = pub.report(pub.build_fresh_cases())
    claimed = rep["all"]["claimed_types"]["exact"]
    assert claimed["precision"] >= 0.95 and claimed["recall"] >= 0.95, claimed
    assert rep["all"]["by_type"]["NAME"]["exact"]["recall"] >= 0.90, rep["all"]["by_type"]["NAME"]
    assert rep["negatives"]["flagged"] <= 0.05 * rep["negatives"]["texts"], rep["negatives"]["examples"]


def test_labelling_rules() -> None:
    f = pub._Filler("en_US", 1)
    r = pub.fill("Mr. {{name}} lives at {{building_number}} {{street_name}}, {{city}}", f)
    kinds = [(s["type"], r["text"][s["start"]:s["end"]]) for s in r["spans"]]
    assert [k for k, _ in kinds] == ["NAME", "ADDRESS"] and "," in kinds[1][1]
    plain = pub.fill("It's like that since {{date_of_birth}}", f)
    assert plain["spans"] == []  # a date with no birth cue is not a DOB
    born = pub.fill("She was born on {{date_of_birth}}.", f)
    assert [s["type"] for s in born["spans"]] == ["DOB"]
    with pytest.raises(ValueError):
        pub.split([], "test")


def test_heldout_floor_for_the_detector() -> None:
    rep = pub.report(heldout())
    claimed = rep["all"]["claimed_types"]["exact"]
    assert claimed["recall"] >= 0.97 and claimed["precision"] >= 0.95, claimed
    by_type = rep["all"]["by_type"]
    assert by_type["NAME"]["exact"]["recall"] >= 0.90, by_type["NAME"]  # measured 0.906 (0.878 before round 3)
    assert by_type["ADDRESS"]["exact"]["recall"] >= 0.83, by_type["ADDRESS"]
    assert by_type["ADDRESS"]["overlap"]["recall"] >= 0.95, by_type["ADDRESS"]
    assert rep["negatives"]["flagged"] <= 0.05 * rep["negatives"]["texts"], rep["negatives"]["examples"]


def test_provider_audit_is_independent_of_the_control() -> None:
    src = Path(sys.modules[RequestLog.__module__].__file__).read_text()
    imported = {n.module for n in ast.walk(ast.parse(src)) if isinstance(n, ast.ImportFrom) and n.module}
    imported |= {a.name for n in ast.walk(ast.parse(src)) if isinstance(n, ast.Import) for a in n.names}
    assert not any(m.startswith("labkit.controls") for m in imported), imported
    # and importing it does not pull the control in
    code = "import sys, labkit.provider.requestlog; print('labkit.controls.pii' in sys.modules)"
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True).stdout
    assert out.strip() == "False"


def test_provider_audit_catches_what_raw_requests_carry() -> None:
    cov = pub.audit_coverage(heldout(), pii_audit)
    assert cov["total"]["recall"] >= 0.95, cov["by_type"]
    assert all(row["recall"] >= 0.9 for row in cov["by_type"].values()), cov["by_type"]


def test_request_log_records_types_per_entry() -> None:
    log = RequestLog(size=10)
    e1 = log.add({"prompt_text": "Mail jane@corp.com, she was born 14.03.1985 in Leeds and lives at 12 Baker Street"})
    e2 = log.add({"prompt_text": "Mail <EMAIL_1>, she was born <DOB_1> and lives at <ADDRESS_1>"})
    assert e1["pii_seen"] is True and {"email", "date", "address", "name"} <= set(e1["pii_types"])
    assert e2["pii_seen"] is False and e2["pii_types"] == []
    assert pii_types("Dr. Ama Mensah") == ["name"] and not pii_seen("Dr. Ama Mensah")  # names: types only


@pytest.mark.parametrize(("text", "kind", "value"), [
    ("founders: Woźniak, Hill and Brown", "name", "Woźniak"),          # Latin Extended-A letters
    ("here is Jędrzej's address", "name", "Jędrzej"),
    ("His social security number is CSRRLD91E67D208G", "national_id", "CSRRLD91E67D208G"),  # codice fiscale
    ("Here's my SSN: ZZ529697T", "national_id", "ZZ529697T"),           # NINO-shaped, any final letter
])
def test_provider_audit_sees_what_the_fresh_set_leaked_past_it(text: str, kind: str, value: str) -> None:
    # the five values the fresh check's final run found reaching the provider unaudited
    start = text.index(value)
    assert any(t == kind and s <= start and start + len(value) <= e for t, s, e in pii_audit(text)), pii_audit(text)


@pytest.mark.parametrize(("value", "text", "prompt", "leaked"), [
    ("Ann", "Ann wrote the Annual report", "Ann wrote the Annual report", True),           # untouched, whole word
    ("Ann", "Ann wrote the Annual report", "<NAME_1> wrote the Annual report", False),     # replaced; "Annual" is not her
    ("王小明", "请联系王小明先生", "请联系王小明先生", True),                                 # glued in a script without spaces
    ("王小明", "请联系王小明先生", "请联系<NAME_1>先生", False),
    ("דנה", "שלחו לדנה כהן", "שלחו לדנה כהן", True),                                    # a Hebrew one-letter prefix
    ("Ann", "Ann and Ann", "<NAME_1> and Ann", True),                                      # one of two mentions left whole
    ("Li", "Li signs the Lisbon lease", "<NAME_1> signs the Lisbon lease", False),
])
def test_a_value_counts_as_leaked_when_it_reaches_the_provider_whole_or_glued(value: str, text: str, prompt: str,
                                                                              leaked: bool) -> None:
    # until round 18 only whole words counted: a name glued to its neighbours went through uncounted
    assert pub.value_leaked(value, text, prompt) is leaked


def test_public_texts_through_the_real_gateway_reach_the_provider_redacted(provider) -> None:
    from labkit.direct.gateway import GatewayConfig, serve_in_thread

    texts = [c for c in heldout() if c["locale"] != "neg"]
    config = GatewayConfig.load(None, upstream=provider.base_url)
    with serve_in_thread(config) as gw:
        res = pub.gateway_leak(texts, gw.base_url, provider.request_log)
    claimed = res["claimed_types"]
    assert claimed["leaked"] <= 0.01 * claimed["values"], res["by_type"]
    assert res["total"]["leak_rate"] <= 0.05, res["by_type"]  # measured 0.044 (0.058 before round 3): names
    assert res["total"]["audit_recall"] >= 0.95  # the audit sees what did get through
    assert res["entries"]["pii_seen"] <= 0.03 * res["entries"]["requests"]


def test_cli_evaluates_a_public_half(capsys: pytest.CaptureFixture[str]) -> None:
    import json

    from labkit.cli import main

    main(["pii", "eval", "--public", "heldout", "--json"])
    data = json.loads(capsys.readouterr().out)
    assert data["cases"] == len(heldout()) and "NAME" in data["exact"]
    with pytest.raises(SystemExit) as exc:
        main(["pii", "eval", "--public", "heldout", "--cases", "x.jsonl"])
    assert exc.value.code == 2


def test_fourth_fresh_set_is_new_locales_unused_people_and_the_same_texts_every_run() -> None:
    fresh4 = pub.build_fresh4_cases()
    assert {c["locale"] for c in fresh4} == {*pub.FRESH4_LOCALES, pub.FNG4, "neg"}
    assert all(c["id"].startswith("fresh4-") for c in fresh4)
    # locales no earlier set used, and FakeNameGenerator records no earlier fresh check drew
    assert not set(pub.FRESH4_LOCALES) & {*pub.LOCALES, *pub.FRESH_LOCALES, *pub.FRESH2_LOCALES,
                                          *pub.FRESH3_LOCALES}
    used = pub.fresh1_fng_numbers() | pub.fresh2_fng_numbers() | pub.fresh3_fng_numbers()
    assert pub.fresh3_fng_numbers() - pub.fresh1_fng_numbers() - pub.fresh2_fng_numbers()
    people = {p["Number"]: f"{p['GivenName']} {p['Surname']}" for p in pub.fng_people()}
    fng4_names = {c["text"][s["start"]:s["end"]] for c in fresh4 if c["locale"] == pub.FNG4
                  for s in c["spans"] if s["type"] == "NAME"}
    assert fng4_names & set(people.values())
    assert not fng4_names & {people[n] for n in used} - {people[n] for n in people if n not in used}
    # every type is there in every Faker locale's texts (phones included)
    for loc in pub.FRESH4_LOCALES:
        types = {s["type"] for c in fresh4 if c["locale"] == loc for s in c["spans"]}
        assert {"PHONE", "EMAIL", "NAME", "ADDRESS"} <= types, (loc, types)
    # deterministic whatever the string-hash seed
    assert _same_texts_whatever_the_hash_seed("p.build_fresh4_cases()")


def test_fifth_fresh_set_is_new_locales_and_scripts_unused_people_and_the_same_texts_every_run() -> None:
    fresh5 = pub.build_fresh5_cases()
    assert {c["locale"] for c in fresh5} == {*pub.FRESH5_LOCALES, pub.FNG5, "neg"}
    assert all(c["id"].startswith("fresh5-") for c in fresh5)
    # locales no earlier set used, and FakeNameGenerator records no earlier fresh check drew
    assert not set(pub.FRESH5_LOCALES) & {*pub.LOCALES, *pub.FRESH_LOCALES, *pub.FRESH2_LOCALES,
                                          *pub.FRESH3_LOCALES, *pub.FRESH4_LOCALES}
    used = (pub.fresh1_fng_numbers() | pub.fresh2_fng_numbers() | pub.fresh3_fng_numbers()
            | pub.fresh4_fng_numbers())
    assert pub.fresh4_fng_numbers() - pub.fresh1_fng_numbers() - pub.fresh2_fng_numbers() - pub.fresh3_fng_numbers()
    people = {p["Number"]: f"{p['GivenName']} {p['Surname']}" for p in pub.fng_people()}
    fng5_names = {c["text"][s["start"]:s["end"]] for c in fresh5 if c["locale"] == pub.FNG5
                  for s in c["spans"] if s["type"] == "NAME"}
    assert fng5_names & set(people.values())
    assert not fng5_names & {people[n] for n in used} - {people[n] for n in people if n not in used}
    # every type is there in every Faker locale's texts; the Cyrillic locales' names are Cyrillic
    for loc in pub.FRESH5_LOCALES:
        types = {s["type"] for c in fresh5 if c["locale"] == loc for s in c["spans"]}
        assert {"PHONE", "EMAIL", "NAME", "ADDRESS"} <= types, (loc, types)
    for loc in ("ru_RU", "uk_UA", "mk_MK"):
        names = [c["text"][s["start"]:s["end"]] for c in fresh5 if c["locale"] == loc
                 for s in c["spans"] if s["type"] == "NAME"]
        assert all(any("\u0400" <= ch <= "\u04ff" for ch in n) for n in names), loc
    # deterministic whatever the string-hash seed
    assert _same_texts_whatever_the_hash_seed("p.build_fresh5_cases()")


def test_sixth_fresh_set_is_new_locales_unused_people_and_the_same_texts_every_run() -> None:
    fresh6 = pub.build_fresh6_cases()
    assert {c["locale"] for c in fresh6} == {*pub.FRESH6_LOCALES, pub.FNG6, "neg"}
    assert all(c["id"].startswith("fresh6-") for c in fresh6)
    # locales no earlier set used, and FakeNameGenerator records no earlier fresh check drew
    assert not set(pub.FRESH6_LOCALES) & {*pub.LOCALES, *pub.FRESH_LOCALES, *pub.FRESH2_LOCALES,
                                          *pub.FRESH3_LOCALES, *pub.FRESH4_LOCALES, *pub.FRESH5_LOCALES}
    used = (pub.fresh1_fng_numbers() | pub.fresh2_fng_numbers() | pub.fresh3_fng_numbers()
            | pub.fresh4_fng_numbers() | pub.fresh5_fng_numbers())
    assert pub.fresh5_fng_numbers() - (pub.fresh1_fng_numbers() | pub.fresh2_fng_numbers()
                                       | pub.fresh3_fng_numbers() | pub.fresh4_fng_numbers())
    people = {p["Number"]: f"{p['GivenName']} {p['Surname']}" for p in pub.fng_people()}
    fng6_names = {c["text"][s["start"]:s["end"]] for c in fresh6 if c["locale"] == pub.FNG6
                  for s in c["spans"] if s["type"] == "NAME"}
    assert fng6_names & set(people.values())
    assert not fng6_names & {people[n] for n in used} - {people[n] for n in people if n not in used}
    # every type is there in every Faker locale's texts; the Armenian names are in Armenian letters
    for loc in pub.FRESH6_LOCALES:
        types = {s["type"] for c in fresh6 if c["locale"] == loc for s in c["spans"]}
        assert {"PHONE", "EMAIL", "NAME", "ADDRESS"} <= types, (loc, types)
    names = [c["text"][s["start"]:s["end"]] for c in fresh6 if c["locale"] == "hy_AM"
             for s in c["spans"] if s["type"] == "NAME"]
    assert all(any("\u0530" <= ch <= "\u058f" for ch in n) for n in names)
    # deterministic whatever the string-hash seed
    assert _same_texts_whatever_the_hash_seed("p.build_fresh6_cases()")


def test_seventh_fresh_set_is_new_locales_unused_people_and_the_same_texts_every_run() -> None:
    fresh7 = pub.build_fresh7_cases()
    assert pub.FRESH7_SEED == 93319
    assert pub.FRESH7_LOCALES == ("en_PH", "fr_DZ", "vi_VN", "ka_GE", "he_IL", "ko_KR")
    assert {c["locale"] for c in fresh7} == {*pub.FRESH7_LOCALES, pub.FNG7, "neg"}
    assert all(c["id"].startswith("fresh7-") for c in fresh7)
    # counts: every template once per locale (210 each), 120 look-alike negatives, 55 addresses each
    per_locale = {loc: sum(c["locale"] == loc for c in fresh7) for loc in (*pub.FRESH7_LOCALES, pub.FNG7)}
    assert set(per_locale.values()) == {210} and sum(c["locale"] == "neg" for c in fresh7) == 120
    for loc in (*pub.FRESH7_LOCALES, pub.FNG7):
        assert sum(s["type"] == "ADDRESS" for c in fresh7 if c["locale"] == loc for s in c["spans"]) == 55
    # locales no earlier set used, and FakeNameGenerator records no earlier fresh check drew
    assert not set(pub.FRESH7_LOCALES) & {*pub.LOCALES, *pub.FRESH_LOCALES, *pub.FRESH2_LOCALES,
                                          *pub.FRESH3_LOCALES, *pub.FRESH4_LOCALES, *pub.FRESH5_LOCALES,
                                          *pub.FRESH6_LOCALES}
    used = (pub.fresh1_fng_numbers() | pub.fresh2_fng_numbers() | pub.fresh3_fng_numbers()
            | pub.fresh4_fng_numbers() | pub.fresh5_fng_numbers() | pub.fresh6_fng_numbers())
    assert pub.fresh6_fng_numbers() - (used - pub.fresh6_fng_numbers())
    people = {p["Number"]: f"{p['GivenName']} {p['Surname']}" for p in pub.fng_people()}
    fng7_names = {c["text"][s["start"]:s["end"]] for c in fresh7 if c["locale"] == pub.FNG7
                  for s in c["spans"] if s["type"] == "NAME"}
    assert fng7_names & set(people.values())
    assert not fng7_names & {people[n] for n in used} - {people[n] for n in people if n not in used}
    # every type is there in every Faker locale's texts; addresses are in the locale's own script
    for loc in pub.FRESH7_LOCALES:
        types = {s["type"] for c in fresh7 if c["locale"] == loc for s in c["spans"]}
        assert {"PHONE", "EMAIL", "NAME", "ADDRESS"} <= types, (loc, types)
    script = {"ka_GE": ("\u10a0", "\u10ff"), "he_IL": ("\u0590", "\u05ff"), "ko_KR": ("\uac00", "\ud7af")}
    for loc, (lo, hi) in script.items():
        addresses = [c["text"][s["start"]:s["end"]] for c in fresh7 if c["locale"] == loc
                     for s in c["spans"] if s["type"] == "ADDRESS"]
        assert sum(any(lo <= ch <= hi for ch in a) for a in addresses) > len(addresses) // 2, loc
    # deterministic whatever the string-hash seed
    assert _same_texts_whatever_the_hash_seed("p.build_fresh7_cases()")


def test_eighth_fresh_set_is_new_locales_unused_people_and_the_same_texts_every_run() -> None:
    fresh8 = pub.build_fresh8_cases()
    assert pub.FRESH8_SEED == 57203
    assert pub.FRESH8_LOCALES == ("ar_DZ", "fa_IR", "th_TH", "ja_JP", "zh_CN", "hi_IN", "bn_BD", "en_MS")
    assert {c["locale"] for c in fresh8} == {*pub.FRESH8_LOCALES, pub.FNG8, "neg"}
    assert all(c["id"].startswith("fresh8-") for c in fresh8)
    # counts: every template once per locale (210 each), 120 look-alike negatives, 55 addresses each
    per_locale = {loc: sum(c["locale"] == loc for c in fresh8) for loc in (*pub.FRESH8_LOCALES, pub.FNG8)}
    assert set(per_locale.values()) == {210} and sum(c["locale"] == "neg" for c in fresh8) == 120
    for loc in (*pub.FRESH8_LOCALES, pub.FNG8):
        assert sum(s["type"] == "ADDRESS" for c in fresh8 if c["locale"] == loc for s in c["spans"]) == 55
    # locales no earlier set used, and FakeNameGenerator records no earlier fresh check drew
    assert not set(pub.FRESH8_LOCALES) & {*pub.LOCALES, *pub.FRESH_LOCALES, *pub.FRESH2_LOCALES,
                                          *pub.FRESH3_LOCALES, *pub.FRESH4_LOCALES, *pub.FRESH5_LOCALES,
                                          *pub.FRESH6_LOCALES, *pub.FRESH7_LOCALES}
    used = (pub.fresh1_fng_numbers() | pub.fresh2_fng_numbers() | pub.fresh3_fng_numbers()
            | pub.fresh4_fng_numbers() | pub.fresh5_fng_numbers() | pub.fresh6_fng_numbers()
            | pub.fresh7_fng_numbers())
    assert pub.fresh7_fng_numbers() - (used - pub.fresh7_fng_numbers())
    people = {p["Number"]: f"{p['GivenName']} {p['Surname']}" for p in pub.fng_people()}
    fng8_names = {c["text"][s["start"]:s["end"]] for c in fresh8 if c["locale"] == pub.FNG8
                  for s in c["spans"] if s["type"] == "NAME"}
    assert fng8_names & set(people.values())
    assert not fng8_names & {people[n] for n in used} - {people[n] for n in people if n not in used}
    for loc in pub.FRESH8_LOCALES:
        types = {s["type"] for c in fresh8 if c["locale"] == loc for s in c["spans"]}
        assert {"PHONE", "EMAIL", "NAME", "ADDRESS"} <= types, (loc, types)
    # names are in the locale's own script, which has no letter case (en_MS aside)
    script = {"ar_DZ": ("\u0600", "\u06ff"), "fa_IR": ("\u0600", "\u06ff"), "th_TH": ("\u0e00", "\u0e7f"),
              "ja_JP": ("\u4e00", "\u9fff"), "zh_CN": ("\u4e00", "\u9fff"), "hi_IN": ("\u0900", "\u097f"),
              "bn_BD": ("\u0980", "\u09ff")}
    for loc, (lo, hi) in script.items():
        names = [c["text"][s["start"]:s["end"]] for c in fresh8 if c["locale"] == loc
                 for s in c["spans"] if s["type"] == "NAME"]
        assert names and sum(any(lo <= ch <= hi for ch in n) for n in names) > len(names) // 2, loc
    assert _same_texts_whatever_the_hash_seed("p.build_fresh8_cases()")


def test_ninth_fresh_set_is_new_locales_unused_people_and_the_same_texts_every_run() -> None:
    fresh9 = pub.build_fresh9_cases()
    assert pub.FRESH9_SEED == 70913
    assert pub.FRESH9_LOCALES == ("zh_TW", "mr_IN", "ne_NP", "ta_IN", "zu_ZA", "en_BD")
    assert {c["locale"] for c in fresh9} == {*pub.FRESH9_LOCALES, pub.FNG9, "neg"}
    assert all(c["id"].startswith("fresh9-") for c in fresh9)
    # counts: every template once per locale (210 each), 120 look-alike negatives, 55 addresses each
    per_locale = {loc: sum(c["locale"] == loc for c in fresh9) for loc in (*pub.FRESH9_LOCALES, pub.FNG9)}
    assert set(per_locale.values()) == {210} and sum(c["locale"] == "neg" for c in fresh9) == 120
    for loc in (*pub.FRESH9_LOCALES, pub.FNG9):
        assert sum(s["type"] == "ADDRESS" for c in fresh9 if c["locale"] == loc for s in c["spans"]) == 55
    # locales no earlier set used, and FakeNameGenerator records no earlier fresh check drew
    assert not set(pub.FRESH9_LOCALES) & {*pub.LOCALES, *pub.FRESH_LOCALES, *pub.FRESH2_LOCALES,
                                          *pub.FRESH3_LOCALES, *pub.FRESH4_LOCALES, *pub.FRESH5_LOCALES,
                                          *pub.FRESH6_LOCALES, *pub.FRESH7_LOCALES, *pub.FRESH8_LOCALES}
    used = (pub.fresh1_fng_numbers() | pub.fresh2_fng_numbers() | pub.fresh3_fng_numbers()
            | pub.fresh4_fng_numbers() | pub.fresh5_fng_numbers() | pub.fresh6_fng_numbers()
            | pub.fresh7_fng_numbers() | pub.fresh8_fng_numbers())
    assert pub.fresh8_fng_numbers() - (used - pub.fresh8_fng_numbers())
    people = {p["Number"]: f"{p['GivenName']} {p['Surname']}" for p in pub.fng_people()}
    fng9_names = {c["text"][s["start"]:s["end"]] for c in fresh9 if c["locale"] == pub.FNG9
                  for s in c["spans"] if s["type"] == "NAME"}
    assert fng9_names & set(people.values())
    assert not fng9_names & {people[n] for n in used} - {people[n] for n in people if n not in used}
    for loc in pub.FRESH9_LOCALES:
        types = {s["type"] for c in fresh9 if c["locale"] == loc for s in c["spans"]}
        assert {"PHONE", "EMAIL", "NAME", "ADDRESS"} <= types, (loc, types)
    # addresses are in the locale's own script (Han, Devanagari, Tamil; Latin for zu_ZA and en_BD)
    script = {"zh_TW": ("\u4e00", "\u9fff"), "mr_IN": ("\u0900", "\u097f"), "ne_NP": ("\u0900", "\u097f"),
              "ta_IN": ("\u0b80", "\u0bff"), "zu_ZA": ("A", "z"), "en_BD": ("A", "z")}
    for loc, (lo, hi) in script.items():
        addresses = [c["text"][s["start"]:s["end"]] for c in fresh9 if c["locale"] == loc
                     for s in c["spans"] if s["type"] == "ADDRESS"]
        assert sum(any(lo <= ch <= hi for ch in a) for a in addresses) > len(addresses) // 2, loc
    assert _same_texts_whatever_the_hash_seed("p.build_fresh9_cases()")


def test_tenth_fresh_set_is_the_hand_written_file_with_exact_spans_and_valid_check_digits() -> None:
    fresh10 = pub.build_fresh10_cases()
    # the committed JSONL is exactly what the marked source gives (offsets computed from the markers)
    marked = (datasets_dir() / pub.FRESH10_MARKED).read_text(encoding="utf-8")
    assert [{k: c[k] for k in ("id", "text", "spans", "locale", "lang", "style")} for c in fresh10] \
        == pub.parse_marked(marked)
    ids = [c["id"] for c in fresh10]
    assert len(ids) == len(set(ids)) and all(i.startswith("fresh10-") for i in ids)
    assert {c["split"] for c in fresh10} == {"heldout"} and all(c["template"] == c["style"] for c in fresh10)
    # offsets, overlaps, Luhn, mod 97, national-id check digits
    assert pub.check_cases(fresh10) == []
    for c in fresh10:
        for s in c["spans"]:
            value = c["text"][s["start"]:s["end"]]
            assert value and value == value.strip() and "[[" not in value, (c["id"], s)
    # counts by type: the brief's floors
    types = Counter(s["type"] for c in fresh10 for s in c["spans"])
    assert types["NAME"] >= 200 and types["ADDRESS"] >= 90 and types["PHONE"] >= 80 and types["EMAIL"] >= 60
    assert all(10 <= types[t] <= 40 for t in ("CARD", "IBAN", "NATIONAL_ID", "IP", "DOB")), types
    # 160+ texts with PII, 40+ negatives without spans; about 40% English, 12+ other languages
    positives = [c for c in fresh10 if c["locale"] != "neg"]
    assert len(positives) >= 160 and len(fresh10) - len(positives) >= 40
    assert all(c["spans"] for c in positives)
    langs = Counter(c["lang"] for c in positives)
    assert 0.35 <= langs["en"] / len(positives) <= 0.45
    assert len(set(langs) - {"en"}) >= 12 and min(langs.values()) >= 5, langs
    # English in six national styles; non-Latin scripts present (Cyrillic, Arabic, Devanagari, Han, Hangul)
    assert {"en_US", "en_GB", "en_IN", "en_AU", "en_NG", "en_PH"} <= {c["locale"] for c in positives}
    for lo, hi in (("\u0400", "\u04ff"), ("\u0600", "\u06ff"), ("\u0900", "\u097f"), ("\u4e00", "\u9fff"),
                   ("\uac00", "\ud7af")):
        assert any(lo <= ch <= hi for c in positives for s in c["spans"] if s["type"] == "NAME"
                   for ch in c["text"][s["start"]:s["end"]])
    assert len({c["style"] for c in fresh10}) >= 12


def test_check_cases_flags_bad_check_digits_overlaps_and_labelled_negatives() -> None:
    good = pub.parse_marked("@@ en_US chat\ncard [[C|4111 1111 1111 1111]] iban [[I|GB82 WEST 1234 5698 7654 32]]"
                            " ssn [[ID|123-45-6789]]\n@@ neg chat en\norder 4711")
    assert pub.check_cases(good) == []
    bad_card = pub.parse_marked("@@ en_US chat\ncard [[C|4111 1111 1111 1112]]")
    bad_iban = pub.parse_marked("@@ en_GB chat\niban [[I|GB83 WEST 1234 5698 7654 32]]")
    bad_id = pub.parse_marked("@@ nl_NL chat\nbsn [[ID|123456789]]")
    assert all(len(pub.check_cases(c)) == 1 for c in (bad_card, bad_iban, bad_id))
    overlap = [{"id": "x-1", "text": "Ana Ruiz", "locale": "es_ES",
                "spans": [{"start": 0, "end": 8, "type": "NAME"}, {"start": 4, "end": 8, "type": "NAME"}]}]
    negative = [{"id": "x-2", "text": "Ana", "locale": "neg", "spans": [{"start": 0, "end": 3, "type": "NAME"}]}]
    assert pub.check_cases(overlap) and pub.check_cases(negative)
    assert pub.check_cases(good + good)[0].startswith("duplicate id")


def test_eleventh_fresh_set_is_the_second_hand_written_file_weighted_to_names_and_addresses() -> None:
    fresh11 = pub.build_fresh11_cases()
    # the committed JSONL is exactly what the marked source gives (offsets computed from the markers)
    marked = (datasets_dir() / pub.FRESH11_MARKED).read_text(encoding="utf-8")
    assert [{k: c[k] for k in ("id", "text", "spans", "locale", "lang", "style")} for c in fresh11] \
        == pub.parse_marked(marked, "fresh11")
    ids = [c["id"] for c in fresh11]
    assert len(ids) == len(set(ids)) and all(i.startswith("fresh11-") for i in ids)
    assert {c["split"] for c in fresh11} == {"heldout"} and all(c["template"] == c["style"] for c in fresh11)
    # offsets, overlaps, Luhn, mod 97, national-id check digits
    assert pub.check_cases(fresh11) == []
    for c in fresh11:
        for s in c["spans"]:
            value = c["text"][s["start"]:s["end"]]
            assert value and value == value.strip() and "[[" not in value, (c["id"], s)
    # no text of fresh10 is reused
    fresh10_texts = {c["text"] for c in pub.build_fresh10_cases()}
    assert not fresh10_texts & {c["text"] for c in fresh11}
    # counts by type: names and addresses weighted, the other types about 150 spans together
    types = Counter(s["type"] for c in fresh11 for s in c["spans"])
    assert types["NAME"] >= 300 and types["ADDRESS"] >= 120, types
    others = sum(n for t, n in types.items() if t not in ("NAME", "ADDRESS"))
    assert 120 <= others <= 200 and all(types[t] >= 5 for t in ("CARD", "IBAN", "NATIONAL_ID", "IP", "DOB")), types
    # 200+ texts with PII, 50+ negatives without spans, some of them in non-Latin scripts
    positives = [c for c in fresh11 if c["locale"] != "neg"]
    negatives = [c for c in fresh11 if c["locale"] == "neg"]
    assert len(positives) >= 200 and len(negatives) >= 50 and all(c["spans"] for c in positives)
    assert sum(any(ord(ch) > 0x36f and ch.isalpha() for ch in c["text"]) for c in negatives) >= 15
    # English at most 40%, 22+ other languages with 5+ texts each, the ones fresh10 lacked included
    langs = Counter(c["lang"] for c in positives)
    assert langs["en"] / len(positives) <= 0.40
    assert len(set(langs) - {"en"}) >= 22 and min(langs.values()) >= 5, langs
    assert {"th", "he", "fa", "el", "uk", "cs", "ro", "hu", "fi", "da", "no", "ms", "tl", "sw", "bn", "ta"} <= set(langs)
    assert {"en_US", "en_GB", "en_IN", "en_AU", "en_NG", "en_PH", "en_ZA", "en_CA", "en_IE", "en_SG"} \
        <= {c["locale"] for c in positives}
    # names and addresses in non-Latin scripts: Thai, Hebrew, Arabic/Persian, Greek, Cyrillic, Bengali,
    # Tamil, Devanagari, Han, Kana, Hangul
    for lo, hi in (("\u0e00", "\u0e7f"), ("\u0590", "\u05ff"), ("\u0600", "\u06ff"), ("\u0370", "\u03ff"),
                   ("\u0400", "\u04ff"), ("\u0980", "\u09ff"), ("\u0b80", "\u0bff"), ("\u0900", "\u097f"),
                   ("\u4e00", "\u9fff"), ("\u30a0", "\u30ff"), ("\uac00", "\ud7af")):
        for kind in ("NAME", "ADDRESS"):
            assert any(lo <= ch <= hi for c in positives for s in c["spans"] if s["type"] == kind
                       for ch in c["text"][s["start"]:s["end"]]), (lo, kind)
    assert len({c["style"] for c in fresh11}) >= 20


def test_twelfth_fresh_set_is_the_third_hand_written_file_with_local_dates_of_birth() -> None:
    fresh12 = pub.build_fresh12_cases()
    # the committed JSONL is byte for byte what the marked source gives (offsets computed from the markers)
    marked = (datasets_dir() / pub.FRESH12_MARKED).read_text(encoding="utf-8")
    rebuilt = pub.parse_marked(marked, "fresh12")
    assert (datasets_dir() / pub.FRESH12_FILE).read_text(encoding="utf-8") \
        == "".join(json.dumps(c, ensure_ascii=False) + "\n" for c in rebuilt)
    assert pub.HANDWRITTEN["fresh12"] == (pub.FRESH12_FILE, pub.FRESH12_MARKED)
    ids = [c["id"] for c in fresh12]
    assert len(ids) == len(set(ids)) and all(i.startswith("fresh12-") for i in ids)
    assert {c["split"] for c in fresh12} == {"heldout"} and all(c["template"] == c["style"] for c in fresh12)
    # offsets, overlaps, Luhn, mod 97, national-id check digits; values without surrounding blanks
    assert pub.check_cases(fresh12) == []
    values = [(c, s, c["text"][s["start"]:s["end"]]) for c in fresh12 for s in c["spans"]]
    assert all(v and v == v.strip() and "[[" not in v for _, _, v in values)
    # titles and honorifics stay outside name spans
    titles = ("Mr ", "Mr. ", "Mrs ", "Ms ", "Dr ", "Dr. ", "Mme ", "Frau ", "Herr ", "Sra. ", "Dona ", "Pak ",
              "Bu ", "Encik ", "Puan ", "Shri ", "Ate ", "Aling ", "Familie ", "Fam. ", "dhr. ", "κυρία ",
              "آقای ", "خانم ", "श्री ", "श्रीमती ", "คุณ", "นาย", "মোছাম্মৎ ")
    assert not [v for _, s, v in values if s["type"] == "NAME" and v.startswith(titles)]
    # no text of the earlier hand-written sets is reused
    earlier = {c["text"] for c in pub.build_fresh10_cases()} | {c["text"] for c in pub.build_fresh11_cases()}
    assert not earlier & {c["text"] for c in fresh12}
    # counts by type: names, addresses and dates of birth weighted, every claimed type present
    types = Counter(s["type"] for c in fresh12 for s in c["spans"])
    assert types["NAME"] >= 400 and types["ADDRESS"] >= 125 and types["DOB"] >= 40, types
    assert all(types[t] >= 8 for t in ("PHONE", "EMAIL", "CARD", "IBAN", "NATIONAL_ID", "IP")), types
    # dates of birth in local digits (Arabic-Indic, Persian, Devanagari, Bengali, Thai) and local calendars
    dobs = [v for _, s, v in values if s["type"] == "DOB"]
    for digit in ("\u0661", "\u06f1", "\u0967", "\u09e7", "\u0e51"):
        assert any(digit in v for v in dobs), digit
    assert "๒๕๓๔" in "".join(dobs) and any(v.startswith("昭和") for v in dobs)
    # 250+ texts with PII, 60+ negatives without spans, 15+ of them in non-Latin scripts
    positives = [c for c in fresh12 if c["locale"] != "neg"]
    negatives = [c for c in fresh12 if c["locale"] == "neg"]
    assert len(positives) >= 250 and len(negatives) >= 60 and all(c["spans"] for c in positives)
    assert sum(any(ord(ch) > 0x36f and ch.isalpha() for ch in c["text"]) for c in negatives) >= 15
    assert len({c["lang"] for c in negatives} - {"en"}) >= 25
    # English at most 40% in 10+ national varieties, 30+ other languages with 5+ texts each
    langs = Counter(c["lang"] for c in positives)
    assert langs["en"] / len(positives) <= 0.40
    assert len(set(langs) - {"en"}) >= 30 and min(langs.values()) >= 5, langs
    assert {"zh", "ja", "ko", "ar", "he", "fa", "hi", "bn", "th", "ta", "ru", "uk", "el", "tl", "sw", "ms", "vi",
            "tr"} <= set(langs)
    assert len({c["locale"] for c in positives if c["lang"] == "en"}) >= 10
    # names and addresses in non-Latin scripts: Thai, Hebrew, Arabic/Persian, Greek, Cyrillic, Bengali,
    # Tamil, Devanagari, Han, Kana, Hangul
    for lo, hi in (("\u0e00", "\u0e7f"), ("\u0590", "\u05ff"), ("\u0600", "\u06ff"), ("\u0370", "\u03ff"),
                   ("\u0400", "\u04ff"), ("\u0980", "\u09ff"), ("\u0b80", "\u0bff"), ("\u0900", "\u097f"),
                   ("\u4e00", "\u9fff"), ("\u30a0", "\u30ff"), ("\uac00", "\ud7af")):
        for kind in ("NAME", "ADDRESS"):
            assert any(lo <= ch <= hi for _, s, v in values if s["type"] == kind for ch in v), (lo, kind)
    assert len({c["style"] for c in fresh12}) >= 20


def test_thirteenth_fresh_set_is_the_fourth_hand_written_file_weighted_to_names_and_addresses() -> None:
    fresh13 = pub.build_fresh13_cases()
    # the committed JSONL is byte for byte what the marked source gives (offsets computed from the markers)
    marked = (datasets_dir() / pub.FRESH13_MARKED).read_text(encoding="utf-8")
    rebuilt = pub.parse_marked(marked, "fresh13")
    assert (datasets_dir() / pub.FRESH13_FILE).read_text(encoding="utf-8") \
        == "".join(json.dumps(c, ensure_ascii=False) + "\n" for c in rebuilt)
    assert pub.HANDWRITTEN["fresh13"] == (pub.FRESH13_FILE, pub.FRESH13_MARKED)
    ids = [c["id"] for c in fresh13]
    assert len(ids) == len(set(ids)) and all(i.startswith("fresh13-") for i in ids)
    assert {c["split"] for c in fresh13} == {"heldout"} and all(c["template"] == c["style"] for c in fresh13)
    # offsets, overlaps, Luhn, mod 97, national-id check digits; values without surrounding blanks
    assert pub.check_cases(fresh13) == []
    values = [(c, s, c["text"][s["start"]:s["end"]]) for c in fresh13 for s in c["spans"]]
    assert all(v and v == v.strip() and "[[" not in v for _, _, v in values)
    # titles and honorifics stay outside name spans
    titles = ("Mr ", "Mr. ", "Mrs ", "Ms ", "Ms. ", "Miss ", "Dr ", "Dr. ", "Mme ", "Frau ", "Herr ", "Hr. ",
              "Sra. ", "Dña. ", "don ", "Dona ", "Seu ", "dott. ", "avv. ", "Eng. ", "Engr. ", "Ing. ", "Mgr. ", "Pan ",
              "pani ", "panem ", "Pak ", "Bu ", "mas ", "kak ", "Encik ", "Puan ", "Shri ", "Alhaji ", "Mdm ", "Ate ",
              "ate ", "kuya ", "Aling ", "Ka ", "Gng. ", "Bw. ", "Bi. ", "Familie ", "Fam. ", "dhr. ", "Dhr. ",
              "mevr. ", "tante ", "Mamie ", "κυρία ", "κ. ", "пане ", "баба ", "آقای ", "خانم ", "السيد ", "عمو ",
              "גב' ", "श्री ", "श्रीमती ", "திருமதி ", "คุณ", "นาย", "นางสาว", "น้อง", "พี่", "ป้า", "bé ")
    assert not [v for _, s, v in values if s["type"] == "NAME" and v.startswith(titles)]
    assert not [v for _, s, v in values if s["type"] == "NAME" and v.endswith(("様", "さん", "님", "씨", "先生", "女士", "经理"))]
    # no text of the earlier hand-written sets is reused
    earlier = {c["text"] for name in ("fresh10", "fresh11", "fresh12") for c in pub.build_handwritten_cases(name)}
    assert not earlier & {c["text"] for c in fresh13}
    # counts by type: names and addresses weighted, every claimed type present
    types = Counter(s["type"] for c in fresh13 for s in c["spans"])
    assert types["NAME"] >= 500 and types["ADDRESS"] >= 140, types
    assert sum(types[t] for t in ("PHONE", "EMAIL", "CARD", "IBAN", "NATIONAL_ID", "IP", "DOB")) >= 150, types
    assert all(types[t] >= 9 for t in ("PHONE", "EMAIL", "CARD", "IBAN", "NATIONAL_ID", "IP", "DOB")), types
    # the ways business text writes names: "Surname, First", initials, all caps, lower-case chat
    names = [v for _, s, v in values if s["type"] == "NAME"]
    assert sum(", " in v for v in names) >= 10
    assert sum(any(len(w) == 2 and w[0].isupper() and w[1] == "." for w in v.split()) for v in names) >= 15
    assert sum(v.isupper() and len(v) > 3 for v in names) >= 8
    assert sum(v.islower() for v in names) >= 25
    # 280+ texts with PII, 70+ negatives without spans, 20+ of them in non-Latin scripts
    positives = [c for c in fresh13 if c["locale"] != "neg"]
    negatives = [c for c in fresh13 if c["locale"] == "neg"]
    assert len(positives) >= 280 and len(negatives) >= 70 and all(c["spans"] for c in positives)
    assert sum(any(ord(ch) > 0x36f and ch.isalpha() for ch in c["text"]) for c in negatives) >= 20
    assert len({c["lang"] for c in negatives} - {"en"}) >= 30
    # English at most a third in 10+ national varieties, 33 other languages with 5+ texts each
    langs = Counter(c["lang"] for c in positives)
    assert langs["en"] / len(positives) <= 0.33
    assert len(set(langs) - {"en"}) >= 33 and min(langs.values()) >= 5, langs
    assert len({c["locale"] for c in positives if c["lang"] == "en"}) >= 10
    # names and addresses in non-Latin scripts: Thai, Hebrew, Arabic/Persian, Greek, Cyrillic, Bengali,
    # Tamil, Devanagari, Han, Hangul; names in Katakana
    for lo, hi in (("\u0e00", "\u0e7f"), ("\u0590", "\u05ff"), ("\u0600", "\u06ff"), ("\u0370", "\u03ff"),
                   ("\u0400", "\u04ff"), ("\u0980", "\u09ff"), ("\u0b80", "\u0bff"), ("\u0900", "\u097f"),
                   ("\u4e00", "\u9fff"), ("\uac00", "\ud7af")):
        for kind in ("NAME", "ADDRESS"):
            assert any(lo <= ch <= hi for _, s, v in values if s["type"] == kind for ch in v), (lo, kind)
    assert any("\u30a0" <= ch <= "\u30ff" for v in names for ch in v)
    assert len({c["style"] for c in fresh13}) >= 25


def _hand_written_set(name: str, earlier_sets: tuple[str, ...]) -> tuple[list[dict], list[tuple[dict, dict, str]]]:
    """The checks every hand-written set passes (fresh14 on): the committed JSONL is byte for byte what its
    marked source gives, ids unique, every case held out, offsets and check digits valid, no value with
    blanks around it, and no text or claimed value of an earlier hand-written set reused. Returns the cases
    and every (case, span, value)."""
    cases = pub.build_handwritten_cases(name)
    file, marked_file = pub.HANDWRITTEN[name]
    # the committed JSONL is byte for byte what the marked source gives (offsets computed from the markers)
    rebuilt = pub.parse_marked((datasets_dir() / marked_file).read_text(encoding="utf-8"), name)
    assert (datasets_dir() / file).read_text(encoding="utf-8") \
        == "".join(json.dumps(c, ensure_ascii=False) + "\n" for c in rebuilt)
    ids = [c["id"] for c in cases]
    assert len(ids) == len(set(ids)) and all(i.startswith(f"{name}-") for i in ids)
    assert {c["split"] for c in cases} == {"heldout"} and all(c["template"] == c["style"] for c in cases)
    # offsets, overlaps, Luhn, mod 97, national-id check digits; values without surrounding blanks
    assert pub.check_cases(cases) == []
    values = [(c, s, c["text"][s["start"]:s["end"]]) for c in cases for s in c["spans"]]
    assert all(v and v == v.strip() and "[[" not in v for _, _, v in values)
    # no text of the earlier hand-written sets is reused, nor any of their claimed values
    earlier = [c for other in earlier_sets for c in pub.build_handwritten_cases(other)]
    assert not {c["text"] for c in earlier} & {c["text"] for c in cases}
    claimed = ("PHONE", "EMAIL", "CARD", "IBAN", "NATIONAL_ID", "IP")
    earlier_values = {c["text"][s["start"]:s["end"]] for c in earlier for s in c["spans"] if s["type"] in claimed}
    assert not earlier_values & {v for _, s, v in values if s["type"] in claimed}
    return cases, values


def _spread_of_languages_and_scripts(cases: list[dict], values: list[tuple[dict, dict, str]]) -> None:
    """240+ texts with PII, 55+ negatives (15+ in non-Latin scripts, 30+ languages), English at most a quarter
    in 10+ national varieties, 33 other languages with 5+ texts each, names and addresses in ten non-Latin
    scripts, a Katakana name, 25+ styles."""
    positives = [c for c in cases if c["locale"] != "neg"]
    negatives = [c for c in cases if c["locale"] == "neg"]
    assert len(positives) >= 240 and len(negatives) >= 55 and all(c["spans"] for c in positives)
    assert sum(any(ord(ch) > 0x36f and ch.isalpha() for ch in c["text"]) for c in negatives) >= 15
    assert len({c["lang"] for c in negatives} - {"en"}) >= 30
    langs = Counter(c["lang"] for c in positives)
    assert langs["en"] / len(positives) <= 0.25
    assert len(set(langs) - {"en"}) >= 33 and min(langs.values()) >= 5, langs
    assert len({c["locale"] for c in positives if c["lang"] == "en"}) >= 10
    # Thai, Hebrew, Arabic/Persian, Greek, Cyrillic, Bengali, Tamil, Devanagari, Han, Hangul
    for lo, hi in (("\u0e00", "\u0e7f"), ("\u0590", "\u05ff"), ("\u0600", "\u06ff"), ("\u0370", "\u03ff"),
                   ("\u0400", "\u04ff"), ("\u0980", "\u09ff"), ("\u0b80", "\u0bff"), ("\u0900", "\u097f"),
                   ("\u4e00", "\u9fff"), ("\uac00", "\ud7af")):
        for kind in ("NAME", "ADDRESS"):
            assert any(lo <= ch <= hi for _, s, v in values if s["type"] == kind for ch in v), (lo, kind)
    assert any("\u30a0" <= ch <= "\u30ff" for _, s, v in values if s["type"] == "NAME" for ch in v)
    assert len({c["style"] for c in cases}) >= 25


def test_fourteenth_fresh_set_is_the_fifth_hand_written_file_weighted_to_names_and_addresses() -> None:
    fresh14, values = _hand_written_set("fresh14", ("fresh10", "fresh11", "fresh12", "fresh13"))
    assert pub.HANDWRITTEN["fresh14"] == (pub.FRESH14_FILE, pub.FRESH14_MARKED)
    assert pub.build_fresh14_cases() == fresh14
    # titles, honorifics and kinship cues stay outside name spans
    titles = ("Mr ", "Mr. ", "Mrs ", "Mrs. ", "Ms ", "Miss ", "Dr ", "Dr. ", "Hr. ", "Fr. ", "Frau ", "Herr ",
              "Mag. ", "Ing. ", "M. ", "Mme ", "Maître ", "don ", "Dona ", "Seu ", "dott. ", "avv. ", "sig. ",
              "Pan ", "Pani ", "pani ", "Bapak ", "Ibu ", "pak ", "mas ", "kak ", "Encik ", "Bw. ", "mama ",
              "Mama ", "Alhaji ", "Mdm ", "Ma'am ", "Aling ", "kuya ", "Tita ", "ate ", "nea ", "farmor ",
              "bestemor ", "ome ", "Mevrouw ", "Mevr. ", "dhr. ", "Fam. ", "frau ", "la ", "κυρία ", "κύριε ",
              "пане ", "السيد ", "أستاذ ", "آقای ", "خانم ", "סבתא ", "श्री ", "श्रीमती ", "திருமதி ", "คุณ",
              "นาย", "นางสาว", "พี่", "ป้า", "bé ", "bà ", "anh ", "chị ")
    assert not [v for _, s, v in values if s["type"] == "NAME" and v.startswith(titles)]
    assert not [v for _, s, v in values if s["type"] == "NAME"
                and v.endswith(("様", "さん", "くん", "님", "씨", "先生", "女士", "总", " abla", " Bey", " jí"))]
    # counts by type: names and addresses weighted, every claimed type present
    types = Counter(s["type"] for c in fresh14 for s in c["spans"])
    assert types["NAME"] >= 450 and types["ADDRESS"] >= 130, types
    assert types["PHONE"] >= 50 and types["DOB"] >= 50, types
    assert all(types[t] >= 10 for t in ("EMAIL", "CARD", "IBAN", "NATIONAL_ID", "IP")), types
    # the ways business text writes names: "Surname, First", initials, all caps, lower-case chat
    names = [v for _, s, v in values if s["type"] == "NAME"]
    assert sum(", " in v for v in names) >= 10
    assert sum(any(len(w) == 2 and w[0].isupper() and w[1] == "." for w in v.split()) for v in names) >= 10
    assert sum(v.isupper() and len(v) > 3 for v in names) >= 10
    assert sum(v.islower() for v in names) >= 40
    _spread_of_languages_and_scripts(fresh14, values)


def test_fifteenth_fresh_set_is_the_sixth_hand_written_file_weighted_to_names_and_addresses() -> None:
    fresh15, values = _hand_written_set("fresh15", ("fresh10", "fresh11", "fresh12", "fresh13", "fresh14"))
    assert pub.HANDWRITTEN["fresh15"] == (pub.FRESH15_FILE, pub.FRESH15_MARKED)
    assert pub.build_fresh15_cases() == fresh15
    # titles, honorifics and kinship cues stay outside name spans
    titles = ("Mr ", "Mr. ", "Mrs ", "Mrs. ", "Ms ", "Ms. ", "Miss ", "Dr ", "Dr. ", "dr ", "dr. ", "Hr. ", "Frau ",
              "frau ", "Herr ", "Mag. ", "Ing. ", "M. ", "Mme ", "Chief ", "Smt. ", "Aunt ", "Mama ", "Oma ", "Papa ",
              "señora ", "zio ", "dona ", "seu ", "Sr. ", "Sra. ", "pani ", "tanti ", "domnul ", "Bapak ", "Pak ",
              "mas ", "kak ", "Encik ", "mzee ", "Ate ", "Aling ", "ninang ", "Lola ", "chị ", "anh ", "la ", "il ",
              "κυρία ", "κ. ", "пане ", "السيد ", "آقای ", "श्री ", "திரு. ", "คุณ", "นางสาว", "พี่")
    assert not [v for _, s, v in values if s["type"] == "NAME" and v.startswith(titles)]
    assert not [v for _, s, v in values if s["type"] == "NAME"
                and v.endswith(("様", "さん", "くん", "님", "씨", "先生", "总", "課長", " Bey", " जी", " di"))]
    # counts by type: names and addresses weighted, every claimed type present
    types = Counter(s["type"] for c in fresh15 for s in c["spans"])
    assert types["NAME"] >= 500 and types["ADDRESS"] >= 140, types
    assert types["PHONE"] >= 80 and types["DOB"] >= 50, types
    assert all(types[t] >= 10 for t in ("EMAIL", "CARD", "IBAN", "NATIONAL_ID", "IP")), types
    # the ways business text writes names: "Surname, First", initials, all caps, lower-case chat
    names = [v for _, s, v in values if s["type"] == "NAME"]
    assert sum(", " in v for v in names) >= 20
    assert sum(any(len(w) == 2 and w[0].isupper() and w[1] == "." for w in v.split()) for v in names) >= 10
    assert sum(v.isupper() and len(v) > 3 for v in names) >= 15
    assert sum(v.islower() for v in names) >= 100
    _spread_of_languages_and_scripts(fresh15, values)
    # addresses with Arabic-Indic, Persian, Bengali and Thai digits
    for digit in ("\u0662", "\u06f1", "\u09e7", "\u0e51"):
        assert any(digit in v for _, s, v in values if s["type"] == "ADDRESS"), digit


def test_sixteenth_fresh_set_is_the_seventh_hand_written_file_names_in_every_style() -> None:
    fresh16, values = _hand_written_set("fresh16", ("fresh10", "fresh11", "fresh12", "fresh13", "fresh14", "fresh15"))
    assert pub.HANDWRITTEN["fresh16"] == (pub.FRESH16_FILE, pub.FRESH16_MARKED)
    assert pub.build_fresh16_cases() == fresh16
    # titles, honorifics and kinship cues stay outside name spans
    titles = ("Mr ", "Mr. ", "Mrs ", "Ms ", "Ms. ", "Dr ", "Dr. ", "dr ", "Mdm ", "Alhaji ", "Chief ", "Frau ", "Herr ",
              "Mag. ", "M. ", "Mme ", "M0NSIEUR ", "Lic. ", "don ", "vó ", "tia ", "mano ", "dott. ", "pana ", "pani ",
              "Pani ", "paní ", "domnule ", "farmor ", "Opa ", "oma ", "tante ", "Mevr. ", "Encik ", "kak ", "tita ",
              "kuya ", "ate ", "Gng. ", "Bi. ", "mzee ", "Ìyá ", "Yth. ", "Bapak ", "bé ", "chị ", "anh ", "κυρία ",
              "κ. ", "пане ", "آقای ", "خانم ", "أستاذ ", "السيدة ", "גב' ", "செல்வி ", "ወ/ሮ ", "คุณ", "นาย")
    assert not [v for _, s, v in values if s["type"] == "NAME" and v.startswith(titles)]
    assert not [v for _, s, v in values if s["type"] == "NAME"
                and v.endswith(("様", "さん", "くん", "님", "씨", "女士", "主任", "先生", " Hanım", " abla", " जी",
                                " भैया", " గారు", " صاحب", " 드림"))]
    # counts by type: names weighted, every claimed type present
    types = Counter(s["type"] for c in fresh16 for s in c["spans"])
    assert types["NAME"] >= 650 and types["ADDRESS"] >= 170, types
    assert types["PHONE"] >= 170 and types["DOB"] >= 80, types
    assert all(types[t] >= 10 for t in ("EMAIL", "CARD", "IBAN", "NATIONAL_ID", "IP")), types
    # the ways business text writes names: "Surname, First", initials, all caps, lower-case chat
    names = [v for _, s, v in values if s["type"] == "NAME"]
    assert sum(", " in v for v in names) >= 30
    assert sum(any(len(w) == 2 and w[0].isupper() and w[1] == "." for w in v.split()) for v in names) >= 20
    assert sum(v.isupper() and len(v) > 3 for v in names) >= 15
    assert sum(v.islower() for v in names) >= 150
    _spread_of_languages_and_scripts(fresh16, values)
    # 40 other languages; names and addresses also in Georgian, Ethiopic, Armenian and Telugu scripts
    langs = Counter(c["lang"] for c in fresh16 if c["locale"] != "neg")
    assert len(set(langs) - {"en"}) >= 40 and min(langs.values()) >= 5, langs
    for lo, hi in (("\u10a0", "\u10ff"), ("\u1200", "\u137f"), ("\u0530", "\u058f"), ("\u0c00", "\u0c7f")):
        for kind in ("NAME", "ADDRESS"):
            assert any(lo <= ch <= hi for _, s, v in values if s["type"] == kind for ch in v), (lo, kind)
    # addresses with Arabic-Indic, Persian and Bengali digits
    for digit in ("\u0661", "\u06f1", "\u09e7"):
        assert any(digit in v for _, s, v in values if s["type"] == "ADDRESS"), digit


def test_seventeenth_fresh_set_is_the_eighth_hand_written_file_in_the_genres_business_text_comes_in() -> None:
    fresh17, values = _hand_written_set(
        "fresh17", ("fresh10", "fresh11", "fresh12", "fresh13", "fresh14", "fresh15", "fresh16"))
    assert pub.HANDWRITTEN["fresh17"] == (pub.FRESH17_FILE, pub.FRESH17_MARKED)
    assert pub.build_fresh17_cases() == fresh17
    # titles, honorifics and kinship cues stay outside name spans
    titles = ("Mr ", "Mr. ", "Mrs ", "Ms ", "Ms. ", "Dr ", "Dr. ", "Chief ", "Hajiya ", "Auntie ", "Nana ", "Mzee ",
              "Smt. ", "Frau ", "frau ", "Herr ", "Mag. ", "Hr. ", "M. ", "Madame ", "mamie ", "Lic. ", "dott.ssa ",
              "sig.ra ", "zia ", "seu ", "Dona ", "Sr. ", "meneer ", "nonkel ", "Ing. ", "pani ", "nea ", "farmor ",
              "mormor ", "bestefar ", "κυρία ", "κ. ", "баба ", "teta ", "gospođo ", "أم ", "السيد ", "آقای ", "خانم ",
              "মোছাঃ ", "श्री. ", "นางสาว", "คุณ", "พี่", "chị ", "anh ", "Bapak ", "Ibu ", "mbak ", "Tuan ", "Hajah ",
              "Awang ", "Gng. ", "tita ", "ለአቶ ")
    assert not [v for _, s, v in values if s["type"] == "NAME" and v.startswith(titles)]
    assert not [v for _, s, v in values if s["type"] == "NAME"
                and v.endswith(("様", "さん", "くん", "님", "女士", " Hanım", " Bey", " जी", " గారు", " صاحب", " آپا",
                                " 드림", " 기사님"))]
    # counts by type: names weighted, every claimed type present
    types = Counter(s["type"] for c in fresh17 for s in c["spans"])
    assert types["NAME"] >= 500 and types["ADDRESS"] >= 150, types
    assert types["PHONE"] >= 150 and types["DOB"] >= 60, types
    assert all(types[t] >= 15 for t in ("EMAIL", "CARD", "IBAN", "NATIONAL_ID", "IP")), types
    # the ways business text writes names: "Surname, First", initials, all caps, lower-case chat
    names = [v for _, s, v in values if s["type"] == "NAME"]
    assert sum(", " in v for v in names) >= 20
    assert sum(any(len(w) == 2 and w[0].isupper() and w[1] == "." for w in v.split()) for v in names) >= 10
    assert sum(v.isupper() and len(v) > 3 for v in names) >= 40
    assert sum(v.islower() for v in names) >= 50
    _spread_of_languages_and_scripts(fresh17, values)
    # 45 other languages with 5+ texts each; negatives in as many languages, 20+ of them in non-Latin scripts
    langs = Counter(c["lang"] for c in fresh17 if c["locale"] != "neg")
    assert len(set(langs) - {"en"}) >= 45 and min(langs.values()) >= 5, langs
    negatives = [c for c in fresh17 if c["locale"] == "neg"]
    assert len({c["lang"] for c in negatives} - {"en"}) >= 45
    assert sum(any(ord(ch) > 0x36f and ch.isalpha() for ch in c["text"]) for c in negatives) >= 20
    # names and addresses also in Georgian, Ethiopic, Armenian and Telugu scripts; a name in Katakana
    for lo, hi in (("\u10a0", "\u10ff"), ("\u1200", "\u137f"), ("\u0530", "\u058f"), ("\u0c00", "\u0c7f")):
        for kind in ("NAME", "ADDRESS"):
            assert any(lo <= ch <= hi for _, s, v in values if s["type"] == kind for ch in v), (lo, kind)
    # addresses with Arabic-Indic, Persian, Bengali and Thai digits
    for digit in ("\u0662", "\u06f1", "\u09e7", "\u0e51"):
        assert any(digit in v for _, s, v in values if s["type"] == "ADDRESS"), digit
    # dates of birth in other calendars: Hijri, Jalali, Japanese era, Buddhist era, Ethiopian
    dobs = [v for _, s, v in values if s["type"] == "DOB"]
    for mark in ("هـ", "AH", "۱۳۷۲", "平成", "๒๕๓๖", "ዓ.ም."):
        assert any(mark in v for v in dobs), mark
    # the genres: 30+ styles, structured exports among them
    styles = {c["style"] for c in fresh17}
    assert len(styles) >= 30 and {"json", "yaml", "xml", "sql_dump", "csv", "vcard", "calendar_invite"} <= styles


def test_fresh18_the_eighteenth_fresh_set_is_the_ninth_hand_written_file_shaped_like_an_enterprises_own_text() -> None:
    fresh18, values = _hand_written_set(
        "fresh18", ("fresh10", "fresh11", "fresh12", "fresh13", "fresh14", "fresh15", "fresh16", "fresh17"))
    assert pub.HANDWRITTEN["fresh18"] == (pub.FRESH18_FILE, pub.FRESH18_MARKED)
    assert pub.build_fresh18_cases() == fresh18
    # titles, honorifics and kinship cues stay outside name spans
    titles = ("Mr ", "Mr. ", "Mrs ", "Mrs. ", "Ms ", "Ms. ", "MS. ", "Dr ", "Dr. ", "Miss ", "Alhaji ", "Hajiya ", "Mzee ",
              "Mama ", "Auntie ", "Kuya ", "Ma'am ", "sir ", "Frau ", "Herr ", "Herrn ", "Mag. ", "Mme ",
              "Don ", "Lic. ", "Ing. ", "ing. ", "Seu ", "sig. ", "dott.ssa ", "Pan ", "Pani ", "Mevr. ", "mnr. ", "oom ",
              "gospa ", "sếp ", "κυρία ", "κ. ", "السيد ", "الأستاذ ", "श्रीमती ", "คุณ", "นางสาว", "พี่", "น้อง")
    assert not [v for _, s, v in values if s["type"] == "NAME" and v.startswith(titles)]
    assert not [v for _, s, v in values if s["type"] == "NAME"
                and v.endswith(("様", "さん", "部長", "님", "经理", "工", " Hanım", " Bey", " ji", " जी", " ज्यू", "ครับ"))]
    # 300 texts: 250 with PII, 50 look-alike negatives (23 in non-Latin scripts, English and 30 other languages)
    positives = [c for c in fresh18 if c["locale"] != "neg"]
    negatives = [c for c in fresh18 if c["locale"] == "neg"]
    assert len(positives) == 250 and len(negatives) == 50 and all(c["spans"] for c in positives)
    assert sum(any(ord(ch) > 0x36f and ch.isalpha() for ch in c["text"]) for c in negatives) >= 20
    assert len({c["lang"] for c in negatives} - {"en"}) >= 30
    # 100 English texts in 10+ varieties, 150 in 25+ other languages (10+ outside the earlier sets' usual list)
    langs = Counter(c["lang"] for c in positives)
    assert langs["en"] == 100 and len({c["locale"] for c in positives if c["lang"] == "en"}) >= 10
    assert sum(n for lang, n in langs.items() if lang != "en") == 150
    assert len(set(langs) - {"en"}) >= 25 and min(langs.values()) >= 5, langs
    usual = set("de fr es pt pl tr ja ko it nl cs sk ro hu fi sv da nb el ru uk bg sr hr lt lv et ar he fa ur hi bn ta te "
                "mr th vi id ms tl zh ka am sw hy".split())
    assert len(set(langs) - usual - {"en"}) >= 10
    # the genres: 50+ long texts (threads, minutes, transcripts, HR letters, incident reports, 150+ words; CJK and
    # Thai counted at two characters a word), the rest short business texts and exports
    long_styles = {"email_thread", "meeting_minutes", "hr_letter", "call_transcript", "incident_report"}
    dense = re.compile(r"[\u3040-\u30ff\u4e00-\u9fff\u0e00-\u0e7f]")

    def words(text: str) -> int:
        return len(dense.sub(" ", text).split()) + len(dense.findall(text)) // 2

    long_texts = [c for c in positives if c["style"] in long_styles]
    assert len(long_texts) >= 50 and all(150 <= words(c["text"]) <= 400 for c in long_texts)
    styles = {c["style"] for c in fresh18}
    assert len(styles) >= 20 and {"json", "xml", "csv", "sql_dump", "vcard", "log", "invoice", "sms"} <= styles
    # counts by type: names weighted, every claimed type present
    types = Counter(s["type"] for c in fresh18 for s in c["spans"])
    assert types["NAME"] >= 900 and types["ADDRESS"] >= 120, types
    assert types["PHONE"] >= 170 and types["DOB"] >= 50, types
    assert all(types[t] >= 10 for t in ("EMAIL", "CARD", "IBAN", "NATIONAL_ID", "IP")), types
    # the ways business text writes names: "Surname, First", initials, all caps, lower case, @mentions, names that are
    # also common words, names inside e-mail quote headers
    names = [v for _, s, v in values if s["type"] == "NAME"]
    assert sum(", " in v for v in names) >= 10
    assert sum(any(len(w) == 2 and w[0].isupper() and w[1] == "." for w in v.split()) for v in names) >= 10
    assert sum(v.isupper() and len(v) > 3 for v in names) >= 10
    assert sum(v.islower() for v in names) >= 20
    assert sum(c["text"][s["start"] - 1] == "@" for c, s, _ in values if s["type"] == "NAME" and s["start"]) >= 5
    common = {"Rose", "Hope", "Will", "Summer", "Grace", "Mark", "Bill", "Sunny", "Wolf", "Fischer", "Baker", "Rosa",
              "Angel", "Jade"}
    assert common <= {w for v in names for w in re.findall(r"\w+", v)}
    quote_header = re.compile(r"(wrote|escreveu|va escriure|geskryf|skrifaði)\b[^\n]*\n>")
    assert sum(bool(quote_header.search(c["text"])) for c in fresh18) >= 5
    # names and addresses in eleven non-Latin scripts (Thai, Hebrew, Arabic, Greek, Cyrillic, Devanagari, Han,
    # Hangul, Sinhala, Malayalam, Kana), a Katakana name; native digits in addresses and dates of birth
    for lo, hi in (("\u0e00", "\u0e7f"), ("\u0590", "\u05ff"), ("\u0600", "\u06ff"), ("\u0370", "\u03ff"),
                   ("\u0400", "\u04ff"), ("\u0900", "\u097f"), ("\u4e00", "\u9fff"), ("\uac00", "\ud7af"),
                   ("\u0d80", "\u0dff"), ("\u0d00", "\u0d7f"), ("\u30a0", "\u30ff")):
        for kind in ("NAME", "ADDRESS"):
            assert any(lo <= ch <= hi for _, s, v in values if s["type"] == kind for ch in v), (lo, kind)
    for digit in ("\u0662", "\u0e51"):
        assert any(digit in v for _, s, v in values if s["type"] == "ADDRESS"), digit
    dobs = [v for _, s, v in values if s["type"] == "DOB"]
    for mark in ("هـ", "平成", "๒๕๓๙", "२०५०"):
        assert any(mark in v for v in dobs), mark


def test_fresh19_the_nineteenth_fresh_set_is_the_tenth_hand_written_file_weighted_to_long_texts_and_addresses() -> None:
    earlier_sets = ("fresh10", "fresh11", "fresh12", "fresh13", "fresh14", "fresh15", "fresh16", "fresh17", "fresh18")
    fresh19, values = _hand_written_set("fresh19", earlier_sets)
    assert pub.HANDWRITTEN["fresh19"] == (pub.FRESH19_FILE, pub.FRESH19_MARKED)
    assert pub.build_fresh19_cases() == fresh19
    names = [v for _, s, v in values if s["type"] == "NAME"]
    # titles, honorifics and attached honorific suffixes stay outside name spans
    titles = ("Mr ", "Mr. ", "Mrs ", "Ms ", "Dr ", "Herr ", "Frau ", "Mme ", "Don ", "Pan ", "Pani ", "السيد ")
    assert not [v for v in names if v.startswith(titles)]
    assert not [v for v in names if v.endswith(("さん", "님", " ji", "जी", "ਜੀ", "ભાઈ", "ಅವರ"))]
    # 300 texts: 250 with PII, 50 look-alike negatives (15+ in non-Latin scripts, English and 30 other languages)
    positives = [c for c in fresh19 if c["locale"] != "neg"]
    negatives = [c for c in fresh19 if c["locale"] == "neg"]
    assert len(positives) == 250 and len(negatives) == 50 and all(c["spans"] for c in positives)
    assert sum(any(ord(ch) > 0x36f and ch.isalpha() for ch in c["text"]) for c in negatives) >= 15
    assert len({c["lang"] for c in negatives} - {"en"}) >= 30
    # 110 English texts in 12+ varieties; 140 in 28 other languages with 5-6 texts each, 10+ of them in no earlier
    # set (read from the earlier sets' language fields, not their texts)
    langs = Counter(c["lang"] for c in positives)
    assert langs["en"] == 110 and len({c["locale"] for c in positives if c["lang"] == "en"}) >= 12
    others = {lang: n for lang, n in langs.items() if lang != "en"}
    assert sum(others.values()) == 140 and len(others) >= 28 and set(others.values()) <= {5, 6}, langs
    earlier_langs = {c["lang"] for name in earlier_sets for c in pub.build_handwritten_cases(name)}
    assert len(set(others) - earlier_langs) >= 10, set(others) - earlier_langs
    # 70+ long texts of 150-400 words (CJK and Thai counted at two characters a word)
    long_styles = {"email_thread", "meeting_minutes", "hr_letter", "call_transcript", "incident_report",
                   "crm_history", "chat_log"}
    dense = re.compile(r"[\u3040-\u30ff\u4e00-\u9fff\u0e00-\u0e7f]")

    def words(text: str) -> int:
        return len(dense.sub(" ", text).split()) + len(dense.findall(text)) // 2

    long_texts = [c for c in positives if c["style"] in long_styles]
    assert len(long_texts) >= 70 and all(150 <= words(c["text"]) <= 400 for c in long_texts)
    assert len({c["style"] for c in long_texts}) == 7
    styles = {c["style"] for c in fresh19}
    assert {"json", "csv", "vcard", "sms", "form", "chat", "crm_note", "ticket", "delivery_note", "invoice"} <= styles
    # counts by type: names and addresses weighted, every claimed type present
    types = Counter(s["type"] for c in fresh19 for s in c["spans"])
    assert types["NAME"] >= 900 and types["ADDRESS"] >= 170, types
    assert types["PHONE"] >= 150 and types["DOB"] >= 50 and types["EMAIL"] >= 50, types
    assert all(types[t] >= 10 for t in ("CARD", "IBAN", "NATIONAL_ID", "IP")), types
    # a person named in full once, then by a shorter form (first name, surname, nickname, initials) in the same text
    def shortened(case: dict) -> bool:
        vals = [case["text"][s["start"]:s["end"]] for s in case["spans"] if s["type"] == "NAME"]
        fulls = [v for v in vals if " " in v]
        return any(v != f and v in f.split() for v in vals for f in fulls)
    assert sum(shortened(c) for c in long_texts) >= 60
    # name forms: "Surname, First", initials, all caps, lower case, @mentions (the @ outside), possessives,
    # speaker labels, names in From/To/Cc headers and in quote headers
    assert sum(", " in v for v in names) >= 20
    assert sum(bool(re.fullmatch(r"[A-Z]{2}|([A-Z]\.){2}|[A-Z]\. \S+|\S+ [A-Z]\.", v)) for v in names) >= 20
    assert sum(v.isupper() and len(v) > 3 for v in names) >= 30
    assert sum(v.islower() for v in names) >= 60
    after = [(c["text"][s["start"] - 1:s["start"]], c["text"][s["end"]:s["end"] + 2]) for c, s, _ in values
             if s["type"] == "NAME"]
    assert sum(before == "@" for before, _ in after) >= 20
    assert sum(tail == "'s" for _, tail in after) >= 20
    assert sum(tail == ": " for _, tail in after) >= 100
    assert sum(bool(re.search(r"^(From|To|Cc): \S", c["text"], re.M)) for c in fresh19) >= 5
    assert sum(bool(re.search(r"wrote:\n>|:\n> ", c["text"])) for c in fresh19) >= 25
    # names in 8+ non-Latin scripts: Cyrillic, Arabic, Devanagari, Bengali, Gurmukhi, Gujarati, Kannada, Myanmar,
    # Khmer, Lao, Han, Kana, Hangul
    scripts = (("\u0400", "\u04ff"), ("\u0600", "\u06ff"), ("\u0900", "\u097f"), ("\u0980", "\u09ff"),
               ("\u0a00", "\u0a7f"), ("\u0a80", "\u0aff"), ("\u0c80", "\u0cff"), ("\u1000", "\u109f"),
               ("\u1780", "\u17ff"), ("\u0e80", "\u0eff"), ("\u4e00", "\u9fff"), ("\u3040", "\u30ff"),
               ("\uac00", "\ud7af"))
    for lo, hi in scripts:
        for kind in ("NAME", "ADDRESS"):
            assert any(lo <= ch <= hi for _, s, v in values if s["type"] == kind for ch in v), (lo, kind)
    # addresses in many layouts: across lines, PO boxes, care-of, units and floors, landmarks, native digits
    addresses = [v for _, s, v in values if s["type"] == "ADDRESS"]
    assert sum("\n" in v for v in addresses) >= 15
    assert sum(bool(re.search(r"PO Box|P\.O\. Box|Postfach|Case postale|Casilla|Postbus|Skrytka|а/я|а/с|PK \d", v))
               for v in addresses) >= 15
    assert sum(bool(re.search(r"\bc/o\b|C/o|z\. H\.|t\.a\.v\.", v)) for v in addresses) >= 5
    assert sum(bool(re.search(r"\b(Near|near|Opp\.|opposite|behind|Behind|beside|off)\b", v)) for v in addresses) >= 15
    assert sum(bool(re.search(r"\b(Unit|Flat|Apt|Suite|Level|Floor|floor|Blk)\b|#\d", v)) for v in addresses) >= 20
    assert sum(bool(re.search(r"\b(RR|Rural Route|RD) ?\d", v)) for v in addresses) >= 2
    for digit in ("\u0662", "\u06f1", "\u09e8", "\u096a", "\u0ae7", "\u0ce8", "\u0a6b", "\u1041", "\u17e2", "\u0ed1"):
        assert any(digit in v for v in addresses), digit
    addresses_in_exports = [c for c, s, _ in values if s["type"] == "ADDRESS" and c["style"] in ("json", "csv", "vcard")]
    assert len(addresses_in_exports) >= 20
    dobs = [v for _, s, v in values if s["type"] == "DOB"]
    for mark in ("هـ", "昭和", "۱۳", "১৯", "१९"):
        assert any(mark in v for v in dobs), mark
