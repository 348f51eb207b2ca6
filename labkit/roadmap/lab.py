"""The notebooks' handle on the lab: the provider (embedded or attached), a client, an env check.

Every roadmap notebook starts the same way: with ``provider_url == ""`` it starts the mock
provider inside the kernel (:func:`labkit.provider.server.serve_in_thread`), otherwise it
attaches to the URL it was given (``labkit run`` passes the provider it started). Either way
the notebook drives the provider's admin paths over HTTP (``/lab/faults``, ``/lab/alias``),
so a notebook behaves the same against the embedded provider and an attached one.

It does not manage real providers: against OpenAI or Azure the admin paths do not exist and
the fault and drift drills are reported as not possible (:attr:`LabProvider.is_mock`).

Every notebook's set-up cell is one call, :func:`setup`: it picks the provider (an explicit URL,
else ``LABKIT_LAB_PROVIDER_URL`` exported by ``labkit lab`` / ``labkit run``, else the embedded
one), turns on inline plots in a kernel, quiets third-party warnings and sets readable pandas
display options. It does not import the heavy pattern modules.

Example:
    >>> with attach_provider("") as lab:
    ...     lab.set_fault("*", "status=503")
    ...     lab.faults()
    ...     lab.clear_faults()
    {'*': 'status=503'}
"""

from __future__ import annotations

import contextlib
import importlib
import importlib.metadata
import importlib.util
import logging
import os
import shutil
import sys
import threading
import time
import warnings
from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass, field
from typing import Any, TypeVar

import httpx

from labkit.direct import ClientConfig, ResilientClient
from labkit.errors import ConfigError, InputError, LabkitError
from labkit.provider.catalog import MODELS
from labkit.provider.config import ProviderConfig
from labkit.provider.server import serve_in_thread
from labkit.roadmap.gates import format_value, in_kernel
from labkit.settings import datasets_dir, var_dir


@dataclass
class LabProvider:
    """A provider the notebook talks to: its base URL, and the embedded server if we own it."""

    base_url: str
    api_key: str = "lab-key"
    embedded: Any = None
    _stack: contextlib.ExitStack = field(default_factory=contextlib.ExitStack, repr=False)

    @property
    def root(self) -> str:
        """The URL without ``/v1`` (where the admin paths live)."""
        return self.base_url.rstrip("/").rsplit("/v1", 1)[0]

    @property
    def is_mock(self) -> bool:
        """True when the admin paths answer (the lab's mock provider)."""
        try:
            return httpx.get(self.root + "/lab/health", timeout=5).status_code == 200
        except httpx.HTTPError:
            return False

    def _admin(self, method: str, path: str, **kw: Any) -> dict[str, Any]:
        try:
            resp = httpx.request(method, self.root + path, timeout=10, **kw)
        except httpx.HTTPError as exc:
            raise ConfigError(f"provider admin {path} unreachable at {self.root}: {exc}") from None
        if resp.status_code >= 400:
            raise InputError(f"provider admin {path}: HTTP {resp.status_code} {resp.text[:200]}")
        return resp.json()

    def set_fault(self, model: str, spec: str) -> None:
        """Inject a fault for ``model`` (``*``: every model), grammar of labkit.provider.faults."""
        self._admin("POST", "/lab/faults", json={"model": model, "fault": spec})

    def set_fault_everywhere(self, spec: str) -> None:
        """Inject ``spec`` on every catalogue model by name.

        A model's own entry wins over ``*`` in the provider, so this holds even when a load
        profile later sets its own ``*`` fault (latency) on the same provider.
        """
        for model in MODELS:
            self.set_fault(model, spec)

    def faults(self) -> dict[str, str]:
        """The faults in force, model -> spec."""
        return self._admin("GET", "/lab/faults")["faults"]

    def clear_faults(self) -> None:
        """Remove every injected fault."""
        self._admin("DELETE", "/lab/faults")

    def aliases(self) -> dict[str, str]:
        """Moving aliases and the dated model each points at now."""
        return self._admin("GET", "/lab/alias")["aliases"]

    def move_alias(self, alias: str = "lab-chat", target: str | None = None) -> str:
        """Move a moving alias (model drift); returns the new target."""
        body: dict[str, Any] = {"alias": alias}
        if target:
            body["target"] = target
        return self._admin("POST", "/lab/alias", json=body)["target"]

    def client(self, **config: Any) -> Any:
        """A :class:`ResilientClient` on this provider (``config``: ClientConfig fields)."""
        return ResilientClient(ClientConfig(base_url=self.base_url, api_key=self.api_key, **config))

    def close(self) -> None:
        """Stop the embedded provider (an attached one is left running)."""
        self._stack.close()

    def __enter__(self) -> LabProvider:
        return self

    def __exit__(self, *exc: Any) -> None:
        self.close()


def attach_provider(provider_url: str = "", *, api_key: str | None = None, latency: str = "none",
                    seed: int = 0, injection_obedience: float | None = None) -> LabProvider:
    """Start the embedded provider (``provider_url == ""``) or attach to ``provider_url``.

    ``latency`` ("none" | "realistic") and ``seed`` only apply to the embedded provider.
    """
    key = api_key or os.environ.get("OPENAI_API_KEY", "lab-key")
    if provider_url:
        if not provider_url.rstrip("/").endswith("/v1"):
            raise InputError(f"provider_url must end in /v1, got {provider_url!r}")
        return LabProvider(provider_url.rstrip("/"), key)
    extra = {} if injection_obedience is None else {"injection_obedience": injection_obedience}
    config = ProviderConfig(latency=latency, seed=seed, **extra)
    stack = contextlib.ExitStack()
    running = stack.enter_context(serve_in_thread(config))
    return LabProvider(running.base_url, key, embedded=running, _stack=stack)


# the environment variable `labkit lab` and `labkit run` export for the kernels they start
PROVIDER_ENV = "LABKIT_LAB_PROVIDER_URL"
INLINE_BACKEND = "module://matplotlib_inline.backend_inline"


def setup(provider_url: str = "", seed: int = 0, latency: str = "none", **kw: Any) -> LabProvider:
    """The one set-up call of every notebook: a provider, inline plots, quiet warnings, tables.

    ``provider_url`` wins; when empty, ``LABKIT_LAB_PROVIDER_URL`` (exported by ``labkit lab``
    and ``labkit run``) is attached to; when that is unset too, the mock provider starts in
    this kernel with ``seed`` and ``latency``. ``kw`` goes to :func:`attach_provider`
    (``api_key``, ``injection_obedience``). Prints one line saying which provider.

    Example:
        >>> lab = setup("")  # doctest: +ELLIPSIS
        provider: embedded mock provider at http://127.0.0.1:.../v1 (seed 0, latency none)
        >>> lab.close()
    """
    url = provider_url or os.environ.get(PROVIDER_ENV, "")
    if not url:  # starting takes seconds on a busy machine: say so first, finish the line after
        print("provider: embedded mock provider", end="", flush=True)
    lab = attach_provider(url, seed=seed, latency=latency, **kw)
    inline_plots()
    quiet_warnings()
    readable_tables()
    if lab.embedded is not None:
        print(f" at {lab.base_url} (seed {seed}, latency {latency})")
    else:
        source = "provider_url" if provider_url else PROVIDER_ENV
        print(f"provider: attached to {lab.base_url} (from {source}; its own seed and latency apply)")
    return lab


def inline_plots() -> str:
    """Make ``plt.show()`` and a cell's last figure draw inline in a kernel; returns the backend.

    In a kernel the backend becomes matplotlib-inline (even if ``MPLBACKEND=Agg`` was exported
    to it), so figures land in the notebook as image/png. Outside a kernel nothing changes:
    matplotlib's own default (Agg when headless) is right for scripts and tests. It never
    selects Agg in a kernel — that is what made plots vanish silently, and a later switch back
    needed a kernel restart.
    """
    import matplotlib

    if not in_kernel():
        return str(matplotlib.get_backend())
    from IPython import get_ipython

    shell = get_ipython()
    if matplotlib.get_backend() != INLINE_BACKEND:
        shell.run_line_magic("matplotlib", "inline")
    return str(matplotlib.get_backend())


def quiet_warnings() -> None:
    """Hide third-party deprecation and library chatter; labkit's own warnings still show."""
    for category in (DeprecationWarning, PendingDeprecationWarning, FutureWarning, ResourceWarning, UserWarning):
        warnings.filterwarnings("ignore", category=category)
    warnings.filterwarnings("default", module=r"labkit(\.|$)")
    for name in ("httpx", "httpcore", "chromadb", "urllib3", "opentelemetry"):
        logging.getLogger(name).setLevel(logging.WARNING)


def human_number(value: float) -> str:
    """A float as a person reads it: ``1,500`` not ``1.5e+03``, ``0.95``, ``12.3``.

    Example:
        >>> [human_number(v) for v in (1500.0, 0.95, 12.345, 0.0004, 2.0)]
        ['1,500', '0.95', '12.3', '0.0004', '2']
    """
    return format_value(value)


def readable_tables() -> None:
    """pandas display options for people: no scientific notation, wide enough columns."""
    import pandas as pd

    pd.set_option("display.float_format", human_number)
    pd.set_option("display.max_colwidth", 100)
    pd.set_option("display.max_columns", 30)
    pd.set_option("display.width", 160)


def readable(value: Any) -> Any:
    """One table cell for people: lists joined, dicts as ``key: value``, None as a dash.

    Numbers stay numbers (pandas formats them with :func:`human_number`), so columns still sort.

    Example:
        >>> readable(["lab-chat-2026-01"]), readable({"ok": 3, "pending_approval": 2}), readable(None)
        ('lab-chat-2026-01', 'ok: 3, pending_approval: 2', '–')
    """
    if value is None:
        return "–"
    if isinstance(value, Mapping):
        return ", ".join(f"{k}: {format_value(v)}" for k, v in value.items()) or "–"
    if isinstance(value, (list, tuple, set, frozenset)):
        return ", ".join(str(readable(v)) for v in value) or "–"
    return value


def table(rows: Iterable[Mapping[str, Any]], columns: list[str] | None = None,
          rename: Mapping[str, str] | None = None) -> Any:
    """Rows as a pandas DataFrame with readable cells (no raw dicts or lists); ``columns`` picks and orders."""
    import pandas as pd

    frame = pd.DataFrame([{k: readable(v) for k, v in row.items()} for row in rows])
    if columns is not None:
        frame = frame[[c for c in columns if c in frame.columns]]
    return frame.rename(columns=dict(rename or {}))


def record(values: Mapping[str, Any], labels: Mapping[str, str] | None = None) -> Any:
    """One record as a two-column table (what, value), values formatted for people.

    ``labels`` renames (and, when given, selects and orders) the fields.

    Example:
        >>> record({"p95_ms": 1520.0, "consistent": True}, {"p95_ms": "p95 latency (ms)", "consistent": "consistent"})
                          value
        p95 latency (ms)  1,520
        consistent          yes
    """
    import pandas as pd

    keys = list(labels) if labels else list(values)
    names = [labels.get(k, k) if labels else k for k in keys]
    cells = []
    for k in keys:
        v = readable(values.get(k))
        cells.append(format_value(v) if isinstance(v, (bool, int, float)) else v)
    return pd.DataFrame({"value": cells}, index=names)


T = TypeVar("T")


def with_progress(label: str, fn: Callable[..., T], *args: Any, expected_s: float = 10.0, **kwargs: Any) -> T:
    """Run ``fn(*args, **kwargs)`` with a ``tqdm.auto`` bar that moves while it works.

    For calls that cannot report progress themselves (a load run, a data profile): ``fn`` runs
    in a worker thread and this thread advances the bar by elapsed seconds (``expected_s`` is
    the bar's length; it may overrun). Returns what ``fn`` returned, or raises what it raised.
    """
    from tqdm.auto import tqdm

    box: dict[str, Any] = {}

    def work() -> None:
        try:
            box["value"] = fn(*args, **kwargs)
        except BaseException as exc:  # handed back to the caller's thread below
            box["error"] = exc

    worker = threading.Thread(target=work, name=f"labkit-{label}", daemon=True)
    started = time.monotonic()
    with tqdm(total=round(expected_s, 1), desc=label, unit="s",
              bar_format="{desc}: {bar}| {n:.0f} s (about {total:.0f} s expected)") as bar:
        worker.start()
        while worker.is_alive():
            worker.join(0.5)
            elapsed = time.monotonic() - started
            bar.total = max(bar.total, round(elapsed, 1))
            bar.n = round(elapsed, 1)
            bar.refresh()
    if "error" in box:
        raise box["error"]
    return box["value"]


# modules the lab needs, by what they are for (the environment check of notebook 00)
REQUIRED_MODULES: dict[str, str] = {
    "openai": "the official SDK the resilient client wraps", "duckdb": "sample data, BM25, telemetry",
    "chromadb": "vectors for RAG", "pandas": "tables", "matplotlib": "plots", "papermill": "headless notebooks",
    "locust": "load tests", "redis": "distributed job backend client", "fastapi": "the lab service",
    "tenacity": "retries", "pydantic": "boundaries",
}
OPTIONAL_TOOLS: dict[str, str] = {"redis-server": "distributed queue (Phase 4 scale-out)",
                                  "chroma": "Chroma server (Phase 4 scale-out)"}


def environment_check() -> list[dict[str, Any]]:
    """One row per requirement: what, found, detail, required. Never raises.

    Example:
        >>> rows = environment_check()
        >>> any(r["what"] == "python >= 3.10" and r["ok"] for r in rows)
        True
    """
    rows: list[dict[str, Any]] = [{"what": "python >= 3.10", "ok": sys.version_info >= (3, 10),
                                   "detail": sys.version.split()[0], "required": True}]
    for name, why in REQUIRED_MODULES.items():
        # find, never import: importing locust would monkey-patch this process with gevent
        found = importlib.util.find_spec(name) is not None
        try:
            version = importlib.metadata.version({"redis": "redis", "chromadb": "chromadb"}.get(name, name))
        except importlib.metadata.PackageNotFoundError:
            version = "?"
        rows.append({"what": f"module {name}", "ok": found, "detail": f"{version if found else 'missing'}: {why}",
                     "required": True})
    try:
        folder = var_dir()
        folder.mkdir(parents=True, exist_ok=True)
        probe = folder / ".write-probe"
        probe.write_text("ok")
        probe.unlink()
        rows.append({"what": "var/ writable", "ok": True, "detail": str(folder), "required": True})
    except (OSError, LabkitError) as exc:
        rows.append({"what": "var/ writable", "ok": False, "detail": str(exc), "required": True})
    manifest = datasets_dir() / "manifest.json"
    rows.append({"what": "sample datasets", "ok": datasets_dir().is_dir() and any(datasets_dir().iterdir()),
                 "detail": str(datasets_dir()) + (" (manifest)" if manifest.exists() else ""), "required": True})
    for tool, why in OPTIONAL_TOOLS.items():
        exe = shutil.which(tool, path=os.pathsep.join([os.path.dirname(sys.executable), os.environ.get("PATH", "")]))
        rows.append({"what": f"tool {tool}", "ok": exe is not None, "detail": exe or f"absent: {why}",
                     "required": False})
    return rows
