"""Read a user's JSON lines file into pydantic models, with errors that name the line.

The lab's evaluation commands (``labkit pii eval``, ``labkit injection eval``) read files a
team brings; a bad line must say which line and which field, never show a traceback. This is
the one place that does that. It does not stream: evaluation files are small.

Example:
    >>> import tempfile, pydantic
    >>> class Case(pydantic.BaseModel):
    ...     id: int
    >>> path = tempfile.mktemp(suffix=".jsonl"); _ = open(path, "w").write('{"id": 1}\\n{"id": "x"}\\n')
    >>> read_models(path, Case)
    Traceback (most recent call last):
    ...
    labkit.errors.InputError: ...:2: id: Input should be a valid integer, unable to parse string as an integer
"""

from __future__ import annotations

from pathlib import Path
from typing import TypeVar

from pydantic import BaseModel, ValidationError

from labkit.errors import InputError

M = TypeVar("M", bound=BaseModel)


def read_models(path: str | Path, model: type[M], what: str = "cases") -> list[M]:
    """Every non-blank line of ``path`` as a ``model``; InputError names the file, line and field."""
    path = Path(path)
    if not path.is_file():
        raise InputError(f"{path}: no such file")
    items: list[M] = []
    with path.open(encoding="utf-8") as fh:
        for lineno, line in enumerate(fh, 1):
            if not line.strip():
                continue
            try:
                items.append(model.model_validate_json(line))
            except ValidationError as exc:
                first = exc.errors()[0]
                where = ".".join(str(p) for p in first["loc"]) or "line"
                raise InputError(f"{path}:{lineno}: {where}: {first['msg']}") from None
    if not items:
        raise InputError(f"{path}: no {what}")
    return items
