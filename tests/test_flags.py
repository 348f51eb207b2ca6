"""Feature flags: deterministic rollout, allow-lists, kill switch, shadow mode, audit, persistence."""

from __future__ import annotations

import multiprocessing
from pathlib import Path

import pytest

from labkit.controls.flags import FlagStore, bucket
from labkit.errors import InputError
from labkit.telemetry.events import read_events

USERS = [f"user-{i}" for i in range(5000)]


def test_rollout_is_deterministic_proportional_and_monotone() -> None:
    flags = FlagStore()
    flags.define("rag_v2", rollout=10, actor="ana")
    at10 = {u for u in USERS if flags.is_enabled("rag_v2", u)}
    assert at10 == {u for u in USERS if FlagStore().is_enabled("rag_v2", u)}  # same answer every time
    assert 0.08 < len(at10) / len(USERS) < 0.12
    flags.set_rollout("rag_v2", 30, actor="ana")
    at30 = {u for u in USERS if flags.is_enabled("rag_v2", u)}
    assert at10 < at30 and 0.27 < len(at30) / len(USERS) < 0.33  # raising only adds users
    flags.set_rollout("rag_v2", 0, actor="ana")
    assert not any(flags.is_enabled("rag_v2", u) for u in USERS[:500])
    flags.set_rollout("rag_v2", 100, actor="ana")
    assert all(flags.is_enabled("rag_v2", u) for u in USERS[:500])


def test_each_flag_has_its_own_population() -> None:
    a = {u for u in USERS if bucket("flag_a", u) < 20}
    b = {u for u in USERS if bucket("flag_b", u) < 20}
    overlap = len(a & b) / len(a)
    assert 0.1 < overlap < 0.3  # independent: about 20% of a is also in b, not all of it


def test_allow_lists_and_unknown_flags() -> None:
    flags = FlagStore()
    flags.define("agent_writes", rollout=0, groups=["pilot"], users=["u-9"], actor="ana")
    assert flags.decide("agent_writes", "u-1", groups=["pilot", "employee"]).reason == "allow_group"
    assert flags.decide("agent_writes", "u-9").reason == "allow_user"
    assert flags.decide("agent_writes", "u-1", groups=["employee"]).reason == "not_in_rollout"
    flags.allow("agent_writes", groups=["support_agent"], actor="ana")
    assert flags.is_enabled("agent_writes", "u-2", groups=["support_agent"])
    flags.disallow("agent_writes", users=["u-9"], actor="ana")
    assert not flags.is_enabled("agent_writes", "u-9")
    unknown = flags.decide("nope", "u-1")
    assert unknown.reason == "unknown_flag" and not unknown.selected  # fail safe: off


def test_kill_switch_overrides_everything_and_revive_restores() -> None:
    flags = FlagStore()
    flags.define("f", rollout=100, groups=["pilot"], users=["vip"], actor="ana")
    flags.kill("f", actor="ops", reason="hallucinations spiking")
    other = FlagStore()  # another process's view sees the kill immediately
    assert not other.is_enabled("f", "vip") and not other.is_enabled("f", "x", groups=["pilot"])
    assert not any(other.is_enabled("f", u) for u in USERS[:200])
    assert other.decide("f", "vip").reason == "killed"
    flags.revive("f", actor="ops", reason="fixed")
    assert other.is_enabled("f", "vip") and other.get("f").rollout == 100
    with pytest.raises(InputError, match="reason"):
        flags.kill("f", actor="ops", reason="")


def test_shadow_mode_serves_old_records_both_and_swallows_new_failures() -> None:
    flags = FlagStore()
    flags.define("answerer_v2", rollout=100, shadow=True, actor="ana")
    calls: list[str] = []

    def new() -> str:
        calls.append("new")
        return "v2 answer"

    def old() -> str:
        calls.append("old")
        return "v1 answer"

    assert flags.run("answerer_v2", "u-1", new=new, old=old) == "v1 answer"
    assert calls == ["old", "new"]
    (event,) = read_events("flag_shadow")
    assert event["old_result"] == "v1 answer" and event["new_result"] == "v2 answer" and event["match"] is False

    def broken() -> str:
        raise RuntimeError("v2 crashed")

    assert flags.run("answerer_v2", "u-1", new=broken, old=old) == "v1 answer"
    assert read_events("flag_shadow")[-1]["new_error"] == "RuntimeError: v2 crashed"
    # out of shadow: the new path is served and nothing is shadow-recorded
    flags.set_shadow("answerer_v2", False, actor="ana")
    assert flags.run("answerer_v2", "u-1", new=new, old=old) == "v2 answer"
    assert len(read_events("flag_shadow")) == 2
    # users outside the rollout run only the old path
    flags.set_rollout("answerer_v2", 0, actor="ana")
    calls.clear()
    assert flags.run("answerer_v2", "u-1", new=new, old=old) == "v1 answer" and calls == ["old"]


def test_every_change_is_audited() -> None:
    flags = FlagStore()
    flags.define("f", rollout=5, actor="ana", reason="pilot start")
    flags.set_rollout("f", 25, actor="ben", reason="metrics fine")
    flags.kill("f", actor="ops", reason="incident 42")
    history = flags.history("f")
    assert [(e["action"], e["actor"]) for e in history] == [("define", "ana"), ("set_rollout", "ben"), ("kill", "ops")]
    assert history[1]["changed"] == {"rollout": 25.0} and history[1]["before"]["rollout"] == 5.0
    assert history[2]["reason"] == "incident 42"


@pytest.mark.parametrize(("call", "message"), [
    (lambda s: s.define("Bad Name!", actor="a"), "flag names"),
    (lambda s: s.define("f", rollout=150, actor="a"), "rollout"),
    (lambda s: s.set_rollout("f", -1, actor="a"), "between 0 and 100"),
    (lambda s: s.set_rollout("missing", 10, actor="a"), "define it first"),
    (lambda s: s.define("g", actor=""), "actor"),
])
def test_bad_input_is_refused_and_leaves_state_unchanged(call, message: str) -> None:
    store = FlagStore()
    store.define("f", rollout=10, actor="a")
    with pytest.raises(InputError, match=message):
        call(store)
    assert [f.name for f in store.all()] == ["f"] and store.get("f").rollout == 10


def _allow_many(path: str, prefix: str) -> None:
    store = FlagStore(path)
    for i in range(25):
        store.allow("shared", users=[f"{prefix}-{i}"], actor=prefix)


def test_concurrent_writers_in_two_processes_lose_no_update(lab_var: Path) -> None:
    path = str(lab_var / "flags.sqlite")
    FlagStore(path).define("shared", actor="setup")
    ctx = multiprocessing.get_context("spawn")
    procs = [ctx.Process(target=_allow_many, args=(path, p)) for p in ("a", "b")]
    for p in procs:
        p.start()
    for p in procs:
        p.join(60)
    assert all(p.exitcode == 0 for p in procs)
    assert len(FlagStore(path).get("shared").users) == 50
