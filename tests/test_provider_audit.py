"""The provider's own PII audit (labkit/provider/requestlog.py): the lab's evidence that nothing
reached the provider. It must see at least what the control it audits can miss, so it is broad on
purpose; these tests pin the round-11 additions: scripts without letter case, titles, inner capitals.
"""

from __future__ import annotations

from labkit.provider.requestlog import RequestLog, pii_audit, pii_seen


def _seen(text: str, kind: str) -> set[str]:
    return {text[s:e] for k, s, e in pii_audit(text) if k == kind}


def test_every_run_of_a_caseless_script_is_a_possible_name() -> None:
    # no capital can mark a name in these scripts: the audit counts their letters, marks included
    cases = {
        "Hi 淑敏, I'm contacting you": "淑敏",
        "ரமேஷ் had given the keys": "ரமேஷ்",          # Tamil vowel sign and virama inside the word
        "Hi श्रेष्‍ठ, thanks": "श्रेष्‍ठ",                  # a zero-width joiner inside the word
        "Hi გალინა, see you": "გალინა",               # Georgian Mkhedruli is lower case, not caseless
        "Hi 준혁, see you": "준혁",
        "Hi עופרי, see you": "עופרי",
        "Hi ปรมินทร์, see you": "ปรมินทร์",
        "Hi 𠀋𠂉, see you": "𠀋𠂉",                       # CJK Extension B, above U+FFFF
    }
    for text, name in cases.items():
        assert name in _seen(text, "name"), text


def test_a_caseless_stretch_with_a_number_is_a_possible_address() -> None:
    text = "I'll meet you at ორბელების ქ. 49, დმანისი after the call"
    assert "ორბელების ქ. 49, დმანისი" in _seen(text, "address")
    thai = "ส่งไปที่ 59/04 ถ.นะวะมันดร ต.เขาขาว ชลบุรี ครับ"
    assert any("59/04" in a and "ถ.นะวะมันดร" in a for a in _seen(thai, "address"))
    # caseless words without a number are names, not addresses
    assert not _seen("Hi 淑敏, I'm contacting you", "address")


def test_latin_text_is_read_as_before() -> None:
    assert not [k for k, _, _ in pii_audit("all good, the account is closed")]
    assert not _seen("Über die Rechnung sprechen wir morgen.", "name") - {"Über", "Rechnung"}
    assert "ª" not in "".join(_seen("1ª planta, 2º piso", "name"))   # ordinal signs are no letters


def test_a_title_does_not_end_the_sentence_before_a_name() -> None:
    # "Cook" and "Wall" are everyday words: at a sentence start they were let go, after "Dr." too
    assert "Cook" in _seen("For my take on Dr. Cook, see below.", "name")
    assert "Wall" in _seen("Dr. Wall flew to Paris.", "name")
    assert "Wall" not in _seen("The report is done. Wall paint is next.", "name")


def test_a_name_with_an_inner_capital_is_one_word() -> None:
    assert "McAdory" in _seen("Mary McAdory from Shore Road called", "name")
    assert "DeShawn" in _seen("ask DeShawn about it", "name")


def test_identifier_flag_is_unchanged_by_names_in_any_script() -> None:
    # pii_seen is about identifier shapes only: caseless words never set it
    assert not pii_seen("Hi 淑敏, I'm contacting you about the order")
    assert pii_seen("淑敏 的邮箱 shumin@example.tw")
    entry = RequestLog(size=2).add({"status": 200, "prompt_text": "Hi 淑敏"})
    assert entry["pii_seen"] is False and "name" in entry["pii_types"]


def test_the_audit_can_be_switched_off_and_says_so() -> None:
    # only to measure the provider's own cost (bench_gateway --no-provider-audit): an entry then
    # says "not audited" (None), never False, which would read as "no PII seen"
    entry = RequestLog(size=2, audit=False).add({"status": 200, "prompt_text": "mail anna@example.com"})
    assert entry["pii_seen"] is None and entry["pii_types"] is None
    assert RequestLog(size=2).add({"status": 200, "prompt_text": "mail anna@example.com"})["pii_seen"] is True


def test_a_provider_without_the_audit_records_none_through_the_real_sdk() -> None:
    import openai

    from labkit.provider.config import ProviderConfig
    from labkit.provider.server import serve_in_thread

    for audit, expected in ((False, None), (True, True)):
        with serve_in_thread(ProviderConfig(pii_audit=audit)) as running:
            sdk = openai.OpenAI(base_url=running.base_url, api_key="k", max_retries=0)
            sdk.chat.completions.create(model="lab-chat-2026-01",
                                        messages=[{"role": "user", "content": "mail anna@example.com"}])
            assert running.request_log()[-1]["pii_seen"] is expected


def test_the_cli_flag_turns_the_audit_off(monkeypatch) -> None:  # type: ignore[no-untyped-def]
    from click.testing import CliRunner

    from labkit.commands import provider as command

    seen = []
    # the command builds its config, then serves: stop it where it would serve and read the config
    monkeypatch.setattr(command, "create_app", lambda config: seen.append(config) or (_ for _ in ()).throw(SystemExit(0)))
    CliRunner().invoke(command.provider, ["serve", "--no-pii-audit", "--port", "0"])
    CliRunner().invoke(command.provider, ["serve", "--port", "0"])
    assert [c.pii_audit for c in seen] == [False, True]


def test_names_without_a_leading_capital_are_possible_names() -> None:
    # round 14 (seen fresh10's leaks the audit missed): names in capitals, and chat written in lower case
    assert {"JOHN", "PAUL", "MENDOZA"} <= _seen("NAME: JOHN PAUL R. MENDOZA\nBIRTHDATE: <DOB_1>", "name")
    assert "DUBOIS" in _seen("Nom : DUBOIS\nPrénom : <NAME_1>", "name")
    assert {"fede", "marco"} <= _seen("ciao fede! mi giri l'iban di marco? trovato: <IBAN_1> grazie", "name")
    assert "mathilde" in _seen("slt c mathilde, tu peux m'envoyer le RIB de ta boite", "name")  # "RIB" is no name's capital
    # common English words in a lower-case line are not names; a line with a capitalised word keeps the old rule
    assert not _seen("all good, the account is closed", "name")
    assert "shazza" not in _seen("Hello, shazza here", "name")
    assert not _seen("<NAME_1> called about <PHONE_1>", "name")      # placeholders are not words


def test_dates_written_with_words_between_the_numbers() -> None:
    assert _seen("It's ngày 05 tháng 02 năm 1946", "date") == {"05 tháng 02 năm 1946"}
    assert _seen("nacido el 5 de febrero de 1946", "date") == {"5 de febrero de 1946"}
