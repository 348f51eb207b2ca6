"""Output validation against pydantic models and JSON schemas, and the repair feedback."""

from __future__ import annotations

import json

import pytest
from pydantic import BaseModel, Field

from labkit.controls.validation import extract_json, repair_message, repair_messages, strip_code_fences, validate_output
from labkit.errors import LabkitError, ValidationFailed


class Ticket(BaseModel):
    ticket_id: str = Field(pattern=r"^TCK-\d{6}$")
    priority: int = Field(ge=1, le=4)
    tags: list[str] = []


SCHEMA = {
    "type": "object",
    "required": ["account_id", "sentiment"],
    "properties": {
        "account_id": {"type": "string", "pattern": "^ACC-\\d{5}$"},
        "sentiment": {"enum": ["positive", "neutral", "negative"]},
        "score": {"type": "number", "minimum": 0, "maximum": 1},
    },
    "additionalProperties": False,
}


@pytest.mark.parametrize("text", [
    '{"ticket_id": "TCK-000123", "priority": 2}',
    '```json\n{"ticket_id": "TCK-000123", "priority": 2}\n```',
    '```\n{"ticket_id": "TCK-000123", "priority": 2}\n```',
    'Here is the result:\n{"ticket_id": "TCK-000123", "priority": 2}\nLet me know!',
])
def test_pydantic_model_parses_through_fences_and_prose(text: str) -> None:
    assert validate_output(text, Ticket) == Ticket(ticket_id="TCK-000123", priority=2)


def test_pydantic_failure_lists_every_field_as_repair_feedback() -> None:
    with pytest.raises(ValidationFailed) as info:
        validate_output('{"ticket_id": "T-1", "priority": 9}', Ticket)
    exc = info.value
    assert isinstance(exc, LabkitError)
    assert exc.feedback.splitlines() == [
        "- ticket_id: String should match pattern '^TCK-\\d{6}$'",
        "- priority: Input should be less than or equal to 4",
    ]
    assert "\n" not in str(exc) and str(exc).startswith("output does not match Ticket:")
    assert exc.raw == '{"ticket_id": "T-1", "priority": 9}'


def test_json_schema_returns_plain_value_and_reports_paths() -> None:
    assert validate_output('{"account_id": "ACC-00042", "sentiment": "neutral"}', SCHEMA) == {
        "account_id": "ACC-00042", "sentiment": "neutral"}
    with pytest.raises(ValidationFailed) as info:
        validate_output('{"account_id": "ACC-42", "score": 3, "extra": 1}', SCHEMA)
    fb = info.value.feedback
    assert "- account_id: 'ACC-42' does not match" in fb
    assert "- score: 3 is greater than the maximum of 1" in fb
    assert "'sentiment' is a required property" in fb
    assert "Additional properties are not allowed ('extra' was unexpected)" in fb


def test_not_json_at_all_and_bad_inputs() -> None:
    with pytest.raises(ValidationFailed, match="not valid JSON"):
        validate_output("I cannot answer that.", Ticket)
    with pytest.raises(ValidationFailed, match="expected text"):
        validate_output(None, Ticket)  # type: ignore[arg-type]
    with pytest.raises(ValidationFailed, match="schema itself is invalid"):
        validate_output("{}", {"type": "no-such-type"})
    with pytest.raises(ValidationFailed, match="pydantic model class or a JSON-schema dict"):
        validate_output("{}", "Ticket")  # type: ignore[arg-type]


def test_feedback_is_capped_so_the_repair_prompt_stays_small() -> None:
    schema = {"type": "object", "properties": {f"f{i}": {"type": "integer"} for i in range(20)}}
    bad = json.dumps({f"f{i}": "x" for i in range(20)})
    with pytest.raises(ValidationFailed) as info:
        validate_output(bad, schema)
    lines = info.value.feedback.splitlines()
    assert len(lines) == 9 and lines[-1] == "- ... and 12 more problems"
    assert len(info.value.errors) == 20


def test_repair_messages_carry_answer_feedback_and_schema() -> None:
    with pytest.raises(ValidationFailed) as info:
        validate_output('{"priority": 1}', Ticket)
    msgs = repair_messages([{"role": "user", "content": "extract"}], '{"priority": 1}', info.value, Ticket)
    assert [m["role"] for m in msgs] == ["user", "assistant", "user"]
    assert msgs[1]["content"] == '{"priority": 1}'
    assert "- ticket_id: Field required" in msgs[2]["content"]
    assert '"ticket_id"' in msgs[2]["content"].split("The JSON schema is: ")[1]
    # a plain ValidationFailed (without .feedback) still makes a usable message
    assert "- boom" in repair_message(ValidationFailed("boom"))


def test_helpers() -> None:
    assert strip_code_fences("plain") == "plain"
    assert strip_code_fences("```json\n[1, 2]\n```") == "[1, 2]"
    assert extract_json("noise [1, 2] noise") == [1, 2]
    assert extract_json("{bad} then {\"ok\": true}") == {"ok": True}


def test_json_past_the_integer_digit_limit_is_a_clear_failure() -> None:
    # json.loads raises a plain ValueError (no .msg, no position) for an integer longer than
    # Python's digit limit; this used to escape as an AttributeError
    with pytest.raises(ValidationFailed, match="not valid JSON") as info:
        extract_json("1" * 5000)
    assert "digits" in info.value.feedback


class Invoice(BaseModel):
    invoice_id: str = Field(pattern=r"^INV-\d{4}$")
    currency: str = Field(min_length=3, max_length=3)


def test_validates_the_mock_providers_real_extraction_output(provider) -> None:
    from openai import OpenAI

    client = OpenAI(base_url=provider.base_url, api_key="lab-key", max_retries=0)
    schema = Invoice.model_json_schema()

    def extract(text: str) -> str:
        resp = client.chat.completions.create(
            model="lab-chat-2026-01", messages=[{"role": "user", "content": f"Extract the invoice.\n{text}"}],
            response_format={"type": "json_schema", "json_schema": {"name": "invoice", "schema": schema}})
        return resp.choices[0].message.content

    good = extract("Invoice ID: INV-0042\nCurrency: EUR")
    assert validate_output(good, Invoice) == Invoice(invoice_id="INV-0042", currency="EUR")
    assert validate_output(good, schema)["currency"] == "EUR"
    with pytest.raises(ValidationFailed) as info:
        validate_output(extract("Invoice ID: INV-0042"), Invoice)  # the mock leaves currency empty
    assert info.value.feedback.startswith("- currency:")


def test_resilient_client_uses_it_for_output_models(provider) -> None:
    from labkit.direct import ClientConfig, ResilientClient

    client = ResilientClient(ClientConfig(base_url=provider.base_url, api_key="lab-key"))
    ok = client.chat(messages=[{"role": "user", "content": "Extract the invoice.\nInvoice ID: INV-0042\nCurrency: EUR"}],
                     model="lab-chat-2026-01", output_model=Invoice)
    assert ok.parsed == Invoice(invoice_id="INV-0042", currency="EUR")
    bad = client.chat(messages=[{"role": "user", "content": "Extract the invoice.\nInvoice ID: INV-0042"}],
                      model="lab-chat-2026-01", output_model=Invoice)
    assert bad.parsed is None and bad.status != "ok"  # invalid even after the repair: no parsed value
