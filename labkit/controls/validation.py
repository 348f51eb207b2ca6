"""Output validation: parse a model's text against a pydantic model or a JSON schema.

What it does: :func:`validate_output` takes the raw text a model returned and either returns
the parsed value (a pydantic instance, or the plain JSON value for a schema dict) or raises
:class:`~labkit.errors.ValidationFailed` whose message lists what is wrong, field by field, in
words a model can act on. That message is the repair feedback: the Direct API client sends it
back once ("your answer did not validate: ...") before falling back. :func:`repair_messages`
builds that follow-up turn for callers who run the loop themselves.

Models often wrap JSON in Markdown fences or a sentence ("Here is the JSON: {...}"), so the
parser strips fences and, failing a clean parse, decodes the first JSON value in the text.

What it does not do: call the model, retry, or judge whether the content is *true* — only
whether it has the promised shape. JSON-schema checks use :mod:`jsonschema` (Draft 2020-12).

Example:
    >>> from pydantic import BaseModel
    >>> class Invoice(BaseModel):
    ...     invoice_id: str
    ...     total: float
    >>> validate_output('```json\\n{"invoice_id": "INV-1", "total": "12.5"}\\n```', Invoice)
    Invoice(invoice_id='INV-1', total=12.5)
    >>> try:
    ...     validate_output('{"invoice_id": "INV-1"}', Invoice)
    ... except ValidationFailed as exc:
    ...     print(exc.feedback)
    - total: Field required
"""

from __future__ import annotations

import json
import re
from typing import Any, TypeVar, overload

from pydantic import BaseModel, ValidationError

from labkit.errors import ValidationFailed

M = TypeVar("M", bound=BaseModel)

_FENCE = re.compile(r"^\s*```[\w-]*[ \t]*\n?(.*?)\n?```\s*$", re.S)
_MAX_ERRORS = 8  # enough for a repair, short enough to keep the repair prompt small


def strip_code_fences(text: str) -> str:
    """Remove one surrounding Markdown code fence (```json ... ```), if any.

    Example:
        >>> strip_code_fences('```json\\n{"a": 1}\\n```')
        '{"a": 1}'
    """
    m = _FENCE.match(text)
    return m.group(1).strip() if m else text.strip()


def extract_json(text: str) -> Any:
    """The JSON value in ``text``: the whole text, else inside a fence, else the first ``{``/``[``.

    Raises ValidationFailed (with ``.feedback``) when there is no JSON value at all.

    Example:
        >>> extract_json('Sure! Here it is: {"a": [1, 2]} Hope that helps.')
        {'a': [1, 2]}
    """
    if not isinstance(text, str):
        raise _failed(f"expected text, got {type(text).__name__}", ["- the answer was not text"], text)
    body = strip_code_fences(text)
    try:
        return json.loads(body)
    except ValueError as first:
        decoder = json.JSONDecoder()
        for m in re.finditer(r"[{\[]", body):
            try:
                value, _ = decoder.raw_decode(body[m.start():])
                return value
            except ValueError:
                continue
        # a plain ValueError (say, an integer past Python's digit limit) has no position
        if isinstance(first, json.JSONDecodeError):
            reason = f"{first.msg} at line {first.lineno} column {first.colno}"
        else:
            reason = str(first)
        raise _failed("output is not valid JSON",
                      [f"- the answer is not valid JSON ({reason}); reply with one JSON value only"],
                      text) from None


def _failed(summary: str, lines: list[str], raw: Any) -> ValidationFailed:
    shown = lines[:_MAX_ERRORS]
    if len(lines) > _MAX_ERRORS:
        shown.append(f"- ... and {len(lines) - _MAX_ERRORS} more problems")
    feedback = "\n".join(shown)
    exc = ValidationFailed(f"{summary}: " + "; ".join(line.removeprefix("- ") for line in shown))
    exc.feedback = feedback  # type: ignore[attr-defined]
    exc.errors = lines  # type: ignore[attr-defined]
    exc.raw = raw  # type: ignore[attr-defined]
    return exc


def _loc(parts: Any) -> str:
    return ".".join(str(p) for p in parts) or "(root)"


@overload
def validate_output(text: str, model_or_schema: type[M]) -> M: ...
@overload
def validate_output(text: str, model_or_schema: dict[str, Any]) -> Any: ...


def validate_output(text: str, model_or_schema: type[BaseModel] | dict[str, Any]) -> Any:
    """Parse ``text`` and check it against a pydantic model class or a JSON-schema dict.

    Returns the model instance (pydantic) or the parsed JSON value (schema). Raises
    ValidationFailed; its ``.feedback`` lists each problem on its own line as
    ``- path: message``, ready to send back to the model.

    Example:
        >>> schema = {"type": "object", "required": ["label"],
        ...           "properties": {"label": {"enum": ["billing", "outage"]}}}
        >>> validate_output('{"label": "outage"}', schema)
        {'label': 'outage'}
        >>> try:
        ...     validate_output('{"label": "other"}', schema)
        ... except ValidationFailed as exc:
        ...     print(exc)
        output does not match the schema: label: 'other' is not one of ['billing', 'outage']
    """
    value = extract_json(text)
    if isinstance(model_or_schema, type) and issubclass(model_or_schema, BaseModel):
        try:
            return model_or_schema.model_validate(value)
        except ValidationError as exc:
            lines = [f"- {_loc(e['loc'])}: {e['msg']}" for e in exc.errors()]
            raise _failed(f"output does not match {model_or_schema.__name__}", lines, text) from None
    if isinstance(model_or_schema, dict):
        # lazy: importing jsonschema costs ~4 s (its format checkers build an RFC 3987 grammar);
        # every process that makes model calls imports this module, few ever validate a schema dict
        import jsonschema

        try:
            validator_cls = jsonschema.validators.validator_for(model_or_schema, default=jsonschema.Draft202012Validator)
            validator_cls.check_schema(model_or_schema)
        except jsonschema.SchemaError as exc:
            # the caller's schema is broken, not the model's answer: say so plainly
            raise ValidationFailed(f"the JSON schema itself is invalid: {exc.message}") from None
        errors = sorted(validator_cls(model_or_schema).iter_errors(value), key=lambda e: list(map(str, e.absolute_path)))
        if errors:
            lines = [f"- {_loc(e.absolute_path)}: {e.message}" for e in errors]
            raise _failed("output does not match the schema", lines, text)
        return value
    raise ValidationFailed(
        f"validate_output needs a pydantic model class or a JSON-schema dict, got {type(model_or_schema).__name__}")


def schema_of(model_or_schema: type[BaseModel] | dict[str, Any]) -> dict[str, Any]:
    """The JSON schema for a pydantic model class (or the schema dict itself).

    Example:
        >>> schema_of({"type": "object"})
        {'type': 'object'}
    """
    if isinstance(model_or_schema, dict):
        return model_or_schema
    return model_or_schema.model_json_schema()


def repair_message(error: ValidationFailed, model_or_schema: type[BaseModel] | dict[str, Any] | None = None) -> str:
    """The user turn that asks the model to fix its answer, from a ValidationFailed.

    Example:
        >>> try:
        ...     validate_output("not json", {"type": "object"})
        ... except ValidationFailed as exc:
        ...     print(repair_message(exc).splitlines()[0])
        Your previous answer did not validate:
    """
    feedback = getattr(error, "feedback", None) or f"- {error}"
    parts = ["Your previous answer did not validate:", feedback]
    if model_or_schema is not None:
        parts.append("The JSON schema is: " + json.dumps(schema_of(model_or_schema), separators=(",", ":")))
    parts.append("Reply again with only the corrected JSON, no prose and no code fences.")
    return "\n".join(parts)


def repair_messages(messages: list[dict[str, Any]], answer: str | None, error: ValidationFailed,
                    model_or_schema: type[BaseModel] | dict[str, Any] | None = None) -> list[dict[str, Any]]:
    """``messages`` plus the invalid answer and the repair request: the one repair attempt.

    Example:
        >>> try:
        ...     validate_output("{}", {"type": "object", "required": ["a"]})
        ... except ValidationFailed as exc:
        ...     msgs = repair_messages([{"role": "user", "content": "give a"}], "{}", exc)
        >>> [m["role"] for m in msgs], "'a' is a required property" in msgs[-1]["content"]
        (['user', 'assistant', 'user'], True)
    """
    return [*messages, {"role": "assistant", "content": answer or ""},
            {"role": "user", "content": repair_message(error, model_or_schema)}]
