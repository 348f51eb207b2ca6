"""Feature flags for a controlled rollout: percentage rollout, allow-lists, kill switch, shadow mode.

The source document's Phase 3 deploys "to a small user group or limited production traffic
through feature flags". This module is that flag store, small enough to read in one sitting:

- **percentage rollout** — each user falls in a bucket ``0 <= b < 100`` from a hash of the
  flag name and user id. The same user always gets the same answer, raising the percentage
  only adds users (nobody who had the feature loses it), and each flag has its own population.
- **allow-lists** — named users and groups (e.g. ``pilot``, ``support_agent``) get the feature
  whatever the percentage.
- **kill switch** — a killed flag is off for everyone, allow-lists included, until revived.
- **shadow mode** — the new path runs for the selected users but its result is not shown: the
  old path's answer is returned and both are recorded (telemetry ``flag_shadow``) so they can be
  compared before anyone sees the new one.
- **audit** — every change emits a ``flag_change`` telemetry event (who, what, before, after,
  why); :meth:`FlagStore.history` reads them back.

State lives in SQLite (``var/flags.sqlite``, WAL) so several local processes — the notebook,
the service, workers — see one truth, and a kill takes effect on the very next check (there is
no cache to expire). It does not do remote flag services, targeting rules on arbitrary
attributes, or multivariate flags; hand-written because the well-kept libraries
(LaunchDarkly, Unleash, OpenFeature providers) need a server this lab does not run.

Example:
    >>> import os, tempfile; os.environ["LABKIT_VAR"] = tempfile.mkdtemp()
    >>> flags = FlagStore()
    >>> _ = flags.define("rag_v2", rollout=0, groups=["pilot"], actor="ana")
    >>> flags.is_enabled("rag_v2", "u-1", groups=["pilot"]), flags.is_enabled("rag_v2", "u-1")
    (True, False)
    >>> _ = flags.kill("rag_v2", actor="ops", reason="bad answers")
    >>> flags.is_enabled("rag_v2", "u-1", groups=["pilot"])
    False
"""

from __future__ import annotations

import hashlib
import json
import re
import sqlite3
import time
from collections.abc import Callable, Iterable, Iterator
from contextlib import contextmanager
from datetime import UTC, datetime
from pathlib import Path
from typing import Any, Literal, TypeVar

from pydantic import BaseModel, Field, field_validator

from labkit.errors import InputError
from labkit.settings import var_dir
from labkit.sqlitewal import enable_wal
from labkit.telemetry.events import emit, read_events

T = TypeVar("T")

_NAME = re.compile(r"^[a-z0-9][a-z0-9_.-]{0,63}$")


class Flag(BaseModel):
    """One flag's state, as stored."""

    name: str
    description: str = ""
    rollout: float = Field(default=0.0, ge=0.0, le=100.0, description="percent of users (0-100)")
    groups: list[str] = Field(default_factory=list)
    users: list[str] = Field(default_factory=list)
    killed: bool = False
    shadow: bool = False
    updated_at: str = ""
    updated_by: str = ""

    @field_validator("name")
    @classmethod
    def _name_ok(cls, v: str) -> str:
        if not _NAME.match(v):
            raise ValueError("flag names are lower-case letters, digits, '_', '.', '-' (max 64)")
        return v


Reason = Literal["killed", "allow_user", "allow_group", "rollout", "not_in_rollout", "unknown_flag"]


class Decision(BaseModel):
    """Whether the new path is selected for a user, why, and whether only in shadow."""

    flag: str
    user_id: str
    selected: bool
    show_new: bool
    shadow: bool
    reason: Reason
    bucket: float


def bucket(flag: str, user_id: str) -> float:
    """The user's stable bucket in ``[0, 100)`` for ``flag`` (SHA-256 of ``flag:user``).

    Example:
        >>> bucket("rag_v2", "u-1") == bucket("rag_v2", "u-1")
        True
        >>> 0 <= bucket("rag_v2", "u-1") < 100
        True
    """
    digest = hashlib.sha256(f"{flag}:{user_id}".encode()).digest()
    return int.from_bytes(digest[:8], "big") % 1_000_000 / 10_000


class FlagStore:
    """Flags persisted in SQLite under ``var/``; every change audited through telemetry."""

    def __init__(self, path: str | Path | None = None) -> None:
        self.path = Path(path) if path is not None else var_dir() / "flags.sqlite"
        self.path.parent.mkdir(parents=True, exist_ok=True)
        with self._conn() as db:
            enable_wal(db)
            db.execute("CREATE TABLE IF NOT EXISTS flags (name TEXT PRIMARY KEY, state TEXT NOT NULL)")

    @contextmanager
    def _conn(self) -> Iterator[sqlite3.Connection]:
        db = sqlite3.connect(self.path, timeout=10, isolation_level=None)
        try:
            yield db
        finally:
            db.close()

    # --- reading ----------------------------------------------------------------------

    def get(self, name: str) -> Flag | None:
        """The flag named ``name``, or None."""
        with self._conn() as db:
            row = db.execute("SELECT state FROM flags WHERE name = ?", (name,)).fetchone()
        return Flag.model_validate_json(row[0]) if row else None

    def all(self) -> list[Flag]:
        """Every flag, by name."""
        with self._conn() as db:
            rows = db.execute("SELECT state FROM flags ORDER BY name").fetchall()
        return [Flag.model_validate_json(r[0]) for r in rows]

    def decide(self, name: str, user_id: str, groups: Iterable[str] = ()) -> Decision:
        """Decide for one user; an unknown flag is off (fail safe), a killed flag is off for all.

        Example:
            >>> import os, tempfile; os.environ["LABKIT_VAR"] = tempfile.mkdtemp()
            >>> s = FlagStore(); _ = s.define("f", rollout=100, shadow=True)
            >>> d = s.decide("f", "u-7"); (d.selected, d.show_new, d.reason)
            (True, False, 'rollout')
        """
        user_id = str(user_id)
        b = bucket(name, user_id)
        flag = self.get(name)
        if flag is None:
            return Decision(flag=name, user_id=user_id, selected=False, show_new=False, shadow=False,
                            reason="unknown_flag", bucket=b)
        if flag.killed:
            reason: Reason = "killed"
            selected = False
        elif user_id in flag.users:
            reason, selected = "allow_user", True
        elif set(groups) & set(flag.groups):
            reason, selected = "allow_group", True
        elif b < flag.rollout:
            reason, selected = "rollout", True
        else:
            reason, selected = "not_in_rollout", False
        return Decision(flag=name, user_id=user_id, selected=selected, show_new=selected and not flag.shadow,
                        shadow=selected and flag.shadow, reason=reason, bucket=b)

    def is_enabled(self, name: str, user_id: str, groups: Iterable[str] = ()) -> bool:
        """True when ``user_id`` should *see* the new path (selected and not in shadow mode)."""
        return self.decide(name, user_id, groups).show_new

    def run(self, name: str, user_id: str, new: Callable[[], T], old: Callable[[], T],
            groups: Iterable[str] = (), compare: Callable[[T, T], bool] | None = None) -> T:
        """Run the path the flag selects; in shadow mode run both, return old, record both.

        A failure of the new path in shadow mode is recorded and swallowed — the user sees
        the old answer — but a failure of the path actually served propagates.

        Example:
            >>> import os, tempfile; os.environ["LABKIT_VAR"] = tempfile.mkdtemp()
            >>> s = FlagStore(); _ = s.define("g", rollout=100, shadow=True)
            >>> s.run("g", "u-1", new=lambda: "new", old=lambda: "old")
            'old'
            >>> [e["new_result"] for e in read_events("flag_shadow")]
            ['new']
        """
        decision = self.decide(name, user_id, groups)
        if decision.show_new:
            return new()
        if not decision.shadow:
            return old()
        t0 = time.perf_counter()
        served = old()
        old_ms = (time.perf_counter() - t0) * 1000
        t1 = time.perf_counter()
        error: str | None = None
        shadow_result: Any = None
        try:
            shadow_result = new()
        except Exception as exc:  # the shadow path must never hurt the user
            error = f"{type(exc).__name__}: {exc}"
        new_ms = (time.perf_counter() - t1) * 1000
        same = None if error else (compare(served, shadow_result) if compare else served == shadow_result)
        emit("flag_shadow", flag=name, user_id=decision.user_id, old_result=_short(served),
             new_result=_short(shadow_result), match=same, new_error=error,
             old_ms=round(old_ms, 3), new_ms=round(new_ms, 3))
        return served

    # --- changing (each change audited) -----------------------------------------------

    def define(self, name: str, *, rollout: float = 0.0, groups: Iterable[str] = (), users: Iterable[str] = (),
               shadow: bool = False, description: str = "", actor: str = "system", reason: str = "") -> Flag:
        """Create or replace a flag (not killed). Returns the stored flag."""
        try:
            flag = Flag(name=name, rollout=rollout, groups=sorted(set(groups)), users=sorted(set(map(str, users))),
                        shadow=shadow, description=description)
        except ValueError as exc:
            raise InputError(f"flag {name!r}: {_first_error(exc)}") from None
        return self._write(name, lambda _old: flag, actor, reason, action="define")

    def set_rollout(self, name: str, percent: float, *, actor: str, reason: str = "") -> Flag:
        """Set the percentage of users (0-100) who get the feature."""
        if not isinstance(percent, (int, float)) or not 0 <= percent <= 100:
            raise InputError(f"flag {name!r}: rollout must be a percentage between 0 and 100, got {percent!r}")
        return self._update(name, actor, reason, "set_rollout", rollout=float(percent))

    def allow(self, name: str, *, groups: Iterable[str] = (), users: Iterable[str] = (), actor: str,
              reason: str = "") -> Flag:
        """Add groups and/or users to the allow-lists."""
        add_g, add_u = set(groups), set(map(str, users))
        return self._update(name, actor, reason, "allow", lambda f: {
            "groups": sorted(set(f.groups) | add_g), "users": sorted(set(f.users) | add_u)})

    def disallow(self, name: str, *, groups: Iterable[str] = (), users: Iterable[str] = (), actor: str,
                 reason: str = "") -> Flag:
        """Remove groups and/or users from the allow-lists."""
        rm_g, rm_u = set(groups), set(map(str, users))
        return self._update(name, actor, reason, "disallow", lambda f: {
            "groups": sorted(set(f.groups) - rm_g), "users": sorted(set(f.users) - rm_u)})

    def set_shadow(self, name: str, on: bool, *, actor: str, reason: str = "") -> Flag:
        """Turn shadow mode on (run new, show old, record both) or off (show new)."""
        return self._update(name, actor, reason, "set_shadow", shadow=bool(on))

    def kill(self, name: str, *, actor: str, reason: str) -> Flag:
        """The kill switch: off for everyone, allow-lists included, from the next check on."""
        if not reason:
            raise InputError("a kill needs a reason (it goes to the audit trail)")
        return self._update(name, actor, reason, "kill", killed=True)

    def revive(self, name: str, *, actor: str, reason: str) -> Flag:
        """Undo a kill; rollout, allow-lists and shadow mode are as they were before it."""
        return self._update(name, actor, reason, "revive", killed=False)

    def history(self, name: str | None = None) -> list[dict[str, Any]]:
        """The audited changes (oldest first), for one flag or all."""
        return [e for e in read_events("flag_change") if name is None or e.get("flag") == name]

    def _update(self, name: str, actor: str, reason: str, action: str,
                changes: Callable[[Flag], dict[str, Any]] | None = None, **fixed: Any) -> Flag:
        # ``changes`` sees the current row inside the write transaction, so read-modify-write
        # updates (adding to an allow-list) from several processes never lose one another.
        def apply(old: Flag | None) -> Flag:
            if old is None:
                raise InputError(f"no flag named {name!r}; define it first")
            return old.model_copy(update={**fixed, **(changes(old) if changes else {})})
        return self._write(name, apply, actor, reason, action)

    def _write(self, name: str, change: Callable[[Flag | None], Flag], actor: str, reason: str,
               action: str) -> Flag:
        if not actor:
            raise InputError("flag changes need an actor (who made the change) for the audit trail")
        with self._conn() as db:
            # BEGIN IMMEDIATE: read-modify-write is atomic across processes
            db.execute("BEGIN IMMEDIATE")
            try:
                row = db.execute("SELECT state FROM flags WHERE name = ?", (name,)).fetchone()
                old = Flag.model_validate_json(row[0]) if row else None
                new = change(old)
                new = new.model_copy(update={"updated_at": datetime.now(UTC).isoformat(),
                                             "updated_by": actor})
                db.execute("INSERT OR REPLACE INTO flags (name, state) VALUES (?, ?)", (name, new.model_dump_json()))
                db.execute("COMMIT")
            except BaseException:
                db.execute("ROLLBACK")
                raise
        before = old.model_dump(exclude={"updated_at", "updated_by"}) if old else None
        after = new.model_dump(exclude={"updated_at", "updated_by"})
        changed = {k: after[k] for k in after if before is None or before[k] != after[k]}
        emit("flag_change", flag=name, action=action, actor=actor, reason=reason, changed=changed,
             before=before, after=after)
        return new


def _short(value: Any, limit: int = 500) -> Any:
    if isinstance(value, (int, float, bool)) or value is None:
        return value
    text = value if isinstance(value, str) else json.dumps(value, default=str)
    return text if len(text) <= limit else text[: limit - 3] + "..."


def _first_error(exc: Exception) -> str:
    errors = getattr(exc, "errors", None)
    if callable(errors):
        first = errors()[0]
        return f"{'.'.join(map(str, first['loc']))}: {first['msg']}"
    return str(exc)
