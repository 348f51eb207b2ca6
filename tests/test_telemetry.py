"""Telemetry: DuckDB views over the event files, summaries, alert rules, Prometheus metrics, CLI."""

from __future__ import annotations

import json
import os
import random
from datetime import UTC, datetime
from pathlib import Path

from click.testing import CliRunner

from labkit.direct import ClientConfig, ResilientClient
from labkit.telemetry.alerts import AlertRule, evaluate, load_rules
from labkit.telemetry.events import emit, iso_utc, read_events
from labkit.telemetry.metrics import ModelCallMetrics
from labkit.telemetry.views import connect, summary

ASK = [{"role": "user", "content": "Summarise: Telemetry is one event per call. Alerts read it."}]


def test_views_exist_and_are_empty_without_files():
    con = connect()
    for view in ("calls", "attempts", "alerts", "version_drift", "breaker", "validation", "safety"):
        assert con.execute(f"SELECT count(*) FROM {view}").fetchone()[0] == 0
    assert summary() == []
    assert evaluate() == []


def test_real_calls_land_in_the_views_and_summary(provider):
    client = ResilientClient(ClientConfig(base_url=provider.base_url, retry={"base_s": 0.01}))
    client.chat(ASK, model="lab-chat-2026-01")
    client.chat(ASK, model="lab-chat-2026-01")  # cache hit
    client.chat(ASK, model="lab-mini-2026-03", pattern="rag", extra_headers={"X-Lab-Fault": "status=503;times=1"})
    con = connect()
    assert con.execute("SELECT count(*) FROM calls").fetchone()[0] == 3
    assert con.execute("SELECT count(*) FROM attempts WHERE status = 'error'").fetchone()[0] == 1
    rows = {(r["pattern"], r["model_served"]): r for r in summary()}
    direct = rows[("direct", "lab-chat-2026-01")]
    assert direct["calls"] == 2 and direct["cache_hit_rate"] == 0.5 and direct["cost_usd"] > 0
    assert rows[("rag", "lab-mini-2026-03")]["avg_attempts"] == 2
    by_status = summary(by="status")
    assert by_status[0]["status"] == "ok"


def test_alert_rules_fire_over_their_windows_and_are_emitted():
    for ms in (50, 60, 70, 4000, 5000):
        emit("call", pattern="direct", status="ok", latency_ms=ms, cost=0.5)
    for _ in range(5):
        emit("call", pattern="rag", status="cannot_answer", latency_ms=10, cost=0.0)
    emit("breaker", route="lab-chat-2026-01", old="closed", new="open")
    emit("safety", pattern="agent", flag="injection_detected", source="tool_output", score=0.9)
    rules = [
        AlertRule(name="latency", metric="p95_latency_ms", threshold=1000, pattern="direct"),
        AlertRule(name="latency-rag", metric="p95_latency_ms", threshold=1000, pattern="rag"),
        AlertRule(name="errors", metric="error_rate", threshold=0.3, min_calls=5),
        AlertRule(name="cost", metric="cost_per_hour", threshold=10, window_s=600),
        AlertRule(name="breaker", metric="breaker_open", threshold=1),
        AlertRule(name="safety", metric="safety_flags", threshold=1),
        AlertRule(name="drift", metric="version_drift", threshold=1),
    ]
    fired = {a.rule: a for a in evaluate(rules)}
    assert set(fired) == {"latency", "errors", "cost", "breaker", "safety"}
    assert fired["errors"].value == 0.5
    assert fired["cost"].value == 2.5 * 3600 / 600
    assert {e["rule"] for e in read_events("alert")} == set(fired)


def test_alert_windows_exclude_old_events(lab_var: Path):
    path = lab_var / "telemetry"
    path.mkdir(exist_ok=True)
    old = {"event_id": "x", "kind": "breaker", "ts": "2020-01-01T00:00:00+00:00", "unix_ts": 1577836800.0,
           "route": "m", "old": "closed", "new": "open"}
    (path / "breaker-2020-01-01.jsonl").write_text(json.dumps(old) + "\n")
    assert evaluate([AlertRule(name="b", metric="breaker_open", threshold=1, window_s=300)]) == []
    assert evaluate([AlertRule(name="b", metric="breaker_open", threshold=1, window_s=10**10)])


def test_rules_file_and_clear_errors(tmp_path: Path):
    good = tmp_path / "rules.yaml"
    good.write_text("- {name: slow, metric: p95_latency_ms, threshold: 2000, window_s: 60}\n")
    assert load_rules(str(good))[0].name == "slow"
    bad = tmp_path / "bad.yaml"
    bad.write_text("- {name: x, metric: nonsense, threshold: 1}\n")
    from labkit.cli import cli
    from labkit.errors import ConfigError

    result = CliRunner().invoke(cli, ["telemetry", "alerts", "--rules", str(bad)])
    assert isinstance(result.exception, ConfigError) and "metric" in str(result.exception)


def test_metrics_follow_the_client(provider):
    client = ResilientClient(ClientConfig(base_url=provider.base_url))
    metrics = ModelCallMetrics()
    metrics.attach(client)
    client.chat(ASK, model="lab-mini-2026-03")
    client.chat(ASK, model="lab-mini-2026-03")
    text = metrics.render()[0].decode()
    assert 'labkit_model_calls_total{model="lab-mini-2026-03",pattern="direct",status="ok"} 2.0' in text
    assert 'labkit_model_cache_hits_total{pattern="direct"} 1.0' in text
    assert 'labkit_breaker_state{route="lab-mini-2026-03"} 0.0' in text


def test_telemetry_cli_summary_and_alerts():
    emit("call", pattern="direct", model_served="lab-mini-2026-03", status="ok", latency_ms=9000, cost=0.01)
    runner = CliRunner()
    from labkit.cli import cli

    out = runner.invoke(cli, ["telemetry", "summary"])
    assert out.exit_code == 0 and "lab-mini-2026-03" in out.output and "p95_ms" in out.output
    out = runner.invoke(cli, ["telemetry", "summary", "--json"])
    assert json.loads(out.output)[0]["calls"] == 1
    rules = Path(os.environ["LABKIT_VAR"]) / "r.yaml"
    rules.write_text("- {name: slow, metric: p95_latency_ms, threshold: 1000}\n")
    out = runner.invoke(cli, ["telemetry", "alerts", "--rules", str(rules), "--fail-on-alert"])
    assert out.exit_code == 1 and "ALERT slow" in out.output


def test_events_keep_numbers_and_survive_a_deleted_file(tmp_path, monkeypatch):
    """The event file stays open between events: a file deleted under it (labkit reset) is
    re-created, not written into the void; numbers of any float/int type stay numbers."""
    import numpy as np

    from labkit.telemetry.events import telemetry_dir

    class Ratio(float):
        pass

    monkeypatch.setenv("LABKIT_VAR", str(tmp_path / "var"))
    emit("unit", share=Ratio(0.25), n=np.int64(3), where=tmp_path)
    for path in telemetry_dir().glob("unit-*.jsonl"):
        path.unlink()
    emit("unit", share=np.float32(0.5), n=4, where=tmp_path)
    got = read_events("unit")
    assert [(e["share"], e["n"]) for e in got] == [(0.5, 4)]  # the first line went with the file
    assert got[0]["where"] == str(tmp_path)
    emit("unit", share=Ratio(0.75), n=5)
    assert [e["share"] for e in read_events("unit")] == [0.5, 0.75]


def test_events_after_the_folder_was_moved_land_in_a_new_file(tmp_path, monkeypatch):
    """The runner archives var/telemetry by renaming it: the held file moved with it, so the next
    event must open a new file at the old path, not append to the archive."""
    from labkit.telemetry.events import telemetry_dir

    monkeypatch.setenv("LABKIT_VAR", str(tmp_path / "var"))
    emit("unit", n=1)
    folder = telemetry_dir()
    folder.rename(tmp_path / "archived")
    folder.mkdir()
    emit("unit", n=2)
    assert [e["n"] for e in read_events("unit")] == [2]
    assert "\"n\":2" not in "".join(p.read_text() for p in (tmp_path / "archived").glob("*.jsonl"))


def test_events_follow_labkit_var_back_and_forth_without_asking_for_the_folder(tmp_path, monkeypatch):
    """The event's path is remembered per LABKIT_VAR text (round 15): switching the variable
    moves the next event to the other folder and back, and once a folder is known an event no
    longer looks it up (telemetry_dir is not on the per-event path)."""
    import labkit.telemetry.events as events

    first, second = tmp_path / "a", tmp_path / "b"
    for folder, n in ((first, 1), (second, 2), (first, 3)):
        monkeypatch.setenv("LABKIT_VAR", str(folder))
        emit("unit", n=n)
    monkeypatch.setattr(events, "telemetry_dir", lambda: (_ for _ in ()).throw(AssertionError("looked up")))
    emit("unit", n=4)
    monkeypatch.undo()

    def written(folder: Path) -> list[int]:
        return [json.loads(line)["n"] for p in sorted((folder / "telemetry").glob("unit-*.jsonl"))
                for line in p.read_text().splitlines()]

    assert written(first) == [1, 3, 4]
    assert written(second) == [2]


def test_event_timestamps_are_datetimes_isoformat_to_the_microsecond():
    # iso_utc formats only the microseconds per event (the second's text is shared): it must
    # say what datetime.isoformat() says, with six digits even when they are zero
    rng = random.Random(7)
    for i in range(20_000):
        now = rng.uniform(1.6e9, 1.9e9) if i % 2 else round(rng.uniform(1.6e9, 1.9e9), rng.randint(0, 6))
        expected = datetime.fromtimestamp(now, tz=UTC).isoformat()
        if "." not in expected:
            expected = expected.replace("+00:00", ".000000+00:00")
        assert iso_utc(now) == expected, now
    assert iso_utc(1767225599.9999996) == "2026-01-01T00:00:00.000000+00:00"  # rounds into the next second
