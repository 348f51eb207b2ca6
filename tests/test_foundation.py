"""The foundation: the CLI lists and documents every command, errors share one root."""

from __future__ import annotations

import inspect
import re
from pathlib import Path

import click
import pytest

import labkit.errors as errors
from labkit.cli import COMMANDS
from labkit.settings import REPO_ROOT, var_dir
from labkit.tokens import count_message_tokens, count_tokens


def test_every_error_derives_from_labkit_error_and_has_a_docstring() -> None:
    classes = [c for _, c in inspect.getmembers(errors, inspect.isclass) if issubclass(c, Exception)]
    assert len(classes) > 10
    for cls in classes:
        assert issubclass(cls, errors.LabkitError), cls
        assert cls.__doc__ and cls.__doc__.strip(), f"{cls.__name__} has no docstring"


@pytest.mark.parametrize("name", sorted(COMMANDS))
def test_every_cli_command_is_documented_in_the_readme(name: str) -> None:
    readme = (REPO_ROOT / "README.md").read_text()
    assert re.search(rf"labkit {name}\b", readme), f"`labkit {name}` is not documented in README.md"


def test_var_dir_follows_environment(lab_var: Path) -> None:
    assert var_dir() == lab_var.resolve()


def test_token_counting_is_deterministic_and_splits_long_words() -> None:
    assert count_tokens("Hello, world!") == 4
    assert count_tokens("internationalisation") == 5  # 20 characters in pieces of 4
    assert count_tokens("") == 0
    messages = [{"role": "user", "content": "Hello"}]
    assert count_message_tokens(messages) == count_message_tokens(list(messages))
    assert count_message_tokens(messages) == 4 + 1 + 2


def test_telemetry_survives_var_being_emptied_while_running(lab_var: Path) -> None:
    import shutil

    from labkit.telemetry.events import emit, read_events

    emit("probe", n=1)
    shutil.rmtree(lab_var / "telemetry")
    emit("probe", n=2)
    assert [e["n"] for e in read_events("probe")] == [2]


@click.command()
def _exits_with_three() -> None:
    click.get_current_context().exit(3)


def test_cli_passes_on_the_exit_code_of_a_command(monkeypatch: pytest.MonkeyPatch) -> None:
    # click's standalone_mode=False returns ctx.exit's code instead of exiting; a NO-GO
    # from `labkit run` must still reach the shell
    from labkit.cli import main

    monkeypatch.setitem(COMMANDS, "exit-three", ("test_foundation:_exits_with_three", "test"))
    with pytest.raises(SystemExit) as info:
        main(["exit-three"])
    assert info.value.code == 3


def test_cli_shows_labkit_errors_as_one_line(capsys: pytest.CaptureFixture[str]) -> None:
    from labkit.cli import main

    with pytest.raises(SystemExit) as info:
        main(["run", "--notebook", "no_such_phase"])
    assert info.value.code == 2
    err = capsys.readouterr().err
    assert err.startswith("error: unknown notebook") and "Traceback" not in err
