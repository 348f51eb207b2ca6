"""The gateway's garbage-collector settings (round 15): start-up without full collections,
a young generation collected a tenth as often on the request path."""

from __future__ import annotations

import gc
from typing import Any

import pytest

import labkit.controls.pii as pii
from labkit.direct import gateway


@pytest.fixture
def restore_gc() -> Any:
    threshold, enabled, frozen = gc.get_threshold(), gc.isenabled(), gc.get_freeze_count()
    yield
    if not frozen:
        gc.unfreeze()  # what a test froze goes back to the collector (the test process was not frozen before)
    gc.set_threshold(*threshold)
    (gc.enable if enabled else gc.disable)()


def test_the_word_lists_load_with_the_collector_paused(monkeypatch: pytest.MonkeyPatch, restore_gc: Any) -> None:
    seen: list[bool] = []
    monkeypatch.setattr(pii, "warm_up", lambda: seen.append(gc.isenabled()))
    gc.enable()
    gateway._warm_redactor()
    assert seen == [False]          # no automatic collection while the lists are built
    assert gc.isenabled()           # and the collector is back on afterwards


def test_a_failing_warm_up_still_restores_the_collector(monkeypatch: pytest.MonkeyPatch, restore_gc: Any) -> None:
    def broken() -> None:
        raise RuntimeError("word list missing")

    monkeypatch.setattr(pii, "warm_up", broken)
    gc.enable()
    with pytest.raises(RuntimeError):
        gateway._warm_redactor()
    assert gc.isenabled()


def test_a_collector_switched_off_by_the_caller_stays_off(restore_gc: Any) -> None:
    gc.disable()
    with gateway._collector_paused():
        assert not gc.isenabled()
    assert not gc.isenabled()


def test_tuning_for_serving_raises_only_the_young_threshold(restore_gc: Any) -> None:
    gc.set_threshold(700, 10, 10)
    gateway.tune_collector_for_serving()
    assert gc.get_threshold() == (gateway._GEN0_THRESHOLD, 10, 10)
    assert gateway._GEN0_THRESHOLD >= 10 * 700
    gc.set_threshold(50_000, 10, 10)  # a process that set a higher one keeps it
    gateway.tune_collector_for_serving()
    assert gc.get_threshold()[0] == 50_000


def test_freezing_the_heap_alone_leaves_the_threshold(restore_gc: Any) -> None:
    gc.set_threshold(700, 10, 10)
    gateway._freeze_startup_heap()
    assert gc.get_threshold() == (700, 10, 10)


def test_requests_run_a_tenth_of_the_young_collections(restore_gc: Any) -> None:
    # a request-like allocation pattern (short-lived dicts and lists), collections counted by gc.callbacks
    def collections_for(threshold: int) -> int:
        gc.set_threshold(threshold, 10, 10)
        gc.collect()
        count = [0]

        def cb(phase: str, info: dict[str, Any]) -> None:
            if phase == "start" and info["generation"] == 0:
                count[0] += 1

        gc.callbacks.append(cb)
        kept: list[Any] = []
        try:
            for i in range(20_000):
                request = {"messages": [{"role": "user", "content": str(i)}], "headers": [(b"a", b"b")]}
                kept.append(request)  # outlives its request, as a queued event or a cache entry does
                del request
        finally:
            gc.callbacks.remove(cb)
        return count[0]

    default, raised = collections_for(700), collections_for(gateway._GEN0_THRESHOLD)
    assert default >= 5 * max(raised, 1)


# round 16: the threshold and the frozen heap are process-wide; only a serving gateway process sets them

def _no_redaction() -> gateway.GatewayConfig:
    return gateway.GatewayConfig(upstream="http://127.0.0.1:9/v1", api_key="k", redact_pii=False)


def test_a_gateway_served_in_a_thread_leaves_the_collector_alone(restore_gc: Any) -> None:
    gc.set_threshold(700, 10, 10)
    frozen = gc.get_freeze_count()
    with gateway.serve_in_thread(_no_redaction()):
        assert gc.get_threshold() == (700, 10, 10)
    assert gc.get_threshold() == (700, 10, 10) and gc.get_freeze_count() == frozen


def test_a_thread_gateway_tunes_the_collector_when_asked(restore_gc: Any, monkeypatch: pytest.MonkeyPatch) -> None:
    calls: list[int] = []
    monkeypatch.setattr(gateway, "tune_collector_for_serving", lambda: calls.append(1))
    with gateway.serve_in_thread(_no_redaction(), tune_gc=True):
        pass
    assert calls == [1]


def _close(app: Any) -> None:
    app.state.shutdown()
    app.state.executor.shutdown(wait=False)
    app.state.client.close()


def test_build_server_tunes_the_collector_unless_told_not_to(restore_gc: Any) -> None:
    gc.set_threshold(700, 10, 10)
    app, _ = gateway.build_server(_no_redaction(), "127.0.0.1", 0, tune_gc=False)
    assert gc.get_threshold() == (700, 10, 10)
    _close(app)
    app, _ = gateway.build_server(_no_redaction(), "127.0.0.1", 0)  # `labkit gateway serve`'s call
    assert gc.get_threshold()[0] == gateway._GEN0_THRESHOLD
    _close(app)
