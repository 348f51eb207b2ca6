"""The public API: ``from labkit import ...`` and each pattern package's face.

Modelled on httpx's ``tests/test_exported_members.py``: a public name cannot appear, vanish or
be renamed without ``__all__`` (and this file) saying so, and every name in ``__all__``
resolves. ``import labkit`` must stay cheap: the ``labkit`` command imports it on every start.
"""

from __future__ import annotations

import importlib
import inspect
import subprocess
import sys

import pytest

import labkit
import labkit.errors

# The top-level API, spelled out: changing it is a decision, so it is a diff here too.
EXPECTED = [
    "Agent", "AgentConfig", "AgentPaused", "ApprovalRequired", "AsyncResilientClient", "BackgroundJobs",
    "BudgetExceeded", "CallDeferred", "CallResult", "ClientConfig", "ConfigError", "DataError", "InputError",
    "JobError", "LabkitError", "ModelClient", "ProviderError", "ProviderTimeout", "ProviderUnavailable",
    "RagPipeline", "RateLimited", "RedactionFailed", "ResilientClient", "ServiceSettings", "StreamInterrupted",
    "ToolNotPermitted", "ValidationFailed", "create_app", "job_kind", "open_queue",
]
PATTERN_PACKAGES = ["labkit.direct", "labkit.rag", "labkit.jobs", "labkit.agent"]


def test_all_is_the_expected_list_and_sorted() -> None:
    assert labkit.__all__ == sorted(labkit.__all__)
    assert sorted(labkit.__all__) == sorted(EXPECTED)


@pytest.mark.parametrize("name", EXPECTED)
def test_every_public_name_resolves(name: str) -> None:
    value = getattr(labkit, name)
    assert value is not None
    assert inspect.isclass(value) or callable(value)


def test_public_members_are_exactly_the_exported_ones() -> None:
    # after resolving every lazy name, the module's public members are __all__ and nothing else
    for name in labkit.__all__:
        getattr(labkit, name)
    public = {n for n, v in vars(labkit).items() if not n.startswith("_") and not inspect.ismodule(v)}
    public -= {"annotations", "importlib", "Any", "TYPE_CHECKING"}  # the module's own imports
    assert public == set(labkit.__all__)


@pytest.mark.parametrize("package", PATTERN_PACKAGES)
def test_each_pattern_package_exports_its_face(package: str) -> None:
    module = importlib.import_module(package)
    exported = getattr(module, "__all__", None)
    assert exported, f"{package} has no __all__"
    public = {n for n, v in vars(module).items() if not n.startswith("_") and not inspect.ismodule(v)}
    public -= {"annotations"}
    assert public == set(exported), f"{package}: public names not in __all__: {sorted(public - set(exported))}"
    for name in exported:
        assert getattr(module, name) is not None


def test_unknown_names_are_a_clear_attribute_error() -> None:
    with pytest.raises(AttributeError, match="no attribute 'AsyncAI'"):
        labkit.AsyncAI  # noqa: B018 - the old name of BackgroundJobs is gone, not aliased


def test_import_labkit_stays_cheap() -> None:
    code = ("import sys, labkit; heavy = [m for m in ('openai', 'chromadb', 'duckdb', 'fastapi', 'pandas') "
            "if m in sys.modules]; print(','.join(heavy))")
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True, timeout=60)
    assert out.stdout.strip() == "", f"import labkit pulled in: {out.stdout.strip()}"


def test_the_error_tree_in_the_docstring_matches_the_classes() -> None:
    """labkit/errors.py draws the hierarchy (httpx's _exceptions.py style); it must stay true."""
    doc = labkit.errors.__doc__ or ""
    tree = [line for line in doc.split("::", 1)[1].splitlines() if line.startswith("    ")]
    parents: dict[str, str] = {}
    stack: list[tuple[int, str]] = []
    for line in tree:
        stripped = line.lstrip(" │├└─")
        if not stripped or not stripped[0].isupper():
            continue
        name = stripped.split()[0]
        depth = len(line) - len(stripped)
        while stack and stack[-1][0] >= depth:
            stack.pop()
        if stack:
            parents[name] = stack[-1][1]
        stack.append((depth, name))
    classes = {n: c for n, c in vars(labkit.errors).items()
               if inspect.isclass(c) and issubclass(c, labkit.errors.LabkitError)}
    assert set(parents) | {"LabkitError"} == set(classes), "classes missing from (or extra in) the drawn tree"
    for name, parent in parents.items():
        assert classes[name].__bases__[0].__name__ == parent, f"{name} is drawn under {parent}"
