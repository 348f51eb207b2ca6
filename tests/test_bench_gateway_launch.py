"""bench_gateway's fairness (round 17): every gateway it compares is started the same way.

Before round 17 the bench started the current gateway with ``labkit gateway serve`` in the provider's
var folder and the baseline with ``build_server`` in ``python -c`` in a folder of its own; an A/A run
of that bench (one code as both) could not tell the launch from the code. These tests pin the launch:
one function builds every gateway's command, the current and the baseline differ only in their
``labkit`` copy and their folder, the documented CLI is the same shape, and two gateways started so
(an A/A pair, real processes against the real mock provider, called with the real SDK) answer alike,
each writing only into its own folder.
"""

from __future__ import annotations

import importlib.util
import sys
from pathlib import Path
from types import ModuleType

import pytest

LOADTESTS = Path(__file__).resolve().parents[1] / "loadtests"


@pytest.fixture()
def bench(monkeypatch: pytest.MonkeyPatch) -> ModuleType:
    monkeypatch.syspath_prepend(str(LOADTESTS))  # its sibling _locust_runner, as when run as a script
    spec = importlib.util.spec_from_file_location("bench_gateway_launch", LOADTESTS / "bench_gateway.py")
    assert spec and spec.loader
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def test_current_and_baseline_differ_only_in_their_copy_and_folder(bench: ModuleType, tmp_path: Path) -> None:
    current = bench.gateway_launch(tmp_path / "src-gateway", "http://u/v1", tmp_path / "var-gateway")
    before = bench.gateway_launch(tmp_path / "src-before", "http://u/v1", tmp_path / "var-before")
    swap = {str(tmp_path / "src-before"): str(tmp_path / "src-gateway")}
    assert [swap.get(a, a) for a in before.argv] == current.argv  # the same launcher, the same arguments
    assert current.argv[:3] == [sys.executable, "-c", bench.GATEWAY_MAIN] and current.argv[-1] == "--port"
    assert (current.cwd, before.cwd) == (tmp_path / "src-gateway", tmp_path / "src-before")
    # the same environment but for the folder and the import path
    differ = {k for k in current.env.keys() | before.env.keys() if current.env.get(k) != before.env.get(k)}
    assert differ == {"LABKIT_VAR", "PYTHONPATH"}
    assert current.env["LABKIT_VAR"] == str(tmp_path / "var-gateway") != before.env["LABKIT_VAR"]
    assert current.env["PYTHONPATH"] == str(tmp_path / "src-gateway")


def test_the_cli_launch_is_the_same_shape(bench: ModuleType, tmp_path: Path) -> None:
    config = tmp_path / "gw.yaml"
    script = bench.gateway_launch(tmp_path / "src", "http://u/v1", tmp_path / "var", config)
    cli = bench.gateway_launch(tmp_path / "src", "http://u/v1", tmp_path / "var", config, cli=True)
    assert cli.argv[:3] == [sys.executable, "-m", "labkit.cli"] and cli.argv[-1] == "--port"
    assert cli.argv[3:5] == ["gateway", "serve"] and str(config) in cli.argv and "http://u/v1" in cli.argv
    assert (cli.cwd, cli.env, cli.var) == (script.cwd, script.env, script.var)
    assert str(config) in script.argv  # the config reaches GATEWAY_MAIN too ("" when there is none)
    assert bench.gateway_launch(tmp_path / "src", "http://u/v1", tmp_path / "var").argv[5] == ""


def test_every_gateway_runs_from_its_own_copy(bench: ModuleType, tmp_path: Path) -> None:
    root = bench.gateway_source(None, tmp_path / "a")
    assert (root / "labkit" / "direct" / "gateway.py").read_text() == \
        (bench.REPO / "labkit" / "direct" / "gateway.py").read_text()
    assert not list(root.rglob("__pycache__"))  # no copy starts with compiled files another lacks
    assert bench.gateway_source(".", tmp_path / "b") == tmp_path / "b"


def test_paired_ratios_of_an_aa_run_centre_on_one(bench: ModuleType) -> None:
    runs = [{"gateway_cpu_ms_per_req": c, "rps": r} for c, r in ((0.4, 800), (0.5, 700), (0.45, 760))]
    same = bench.paired_ratios(runs, runs)
    assert same["cpu_per_req_ratio_by_round"] == [1.0, 1.0, 1.0] and same["rps_ratio_median"] == 1.0
    cheaper = bench.paired_ratios(runs, [{**r, "gateway_cpu_ms_per_req": r["gateway_cpu_ms_per_req"] * 2} for r in runs])
    assert cheaper["cpu_per_req_ratio_median"] == 0.5
    with pytest.raises(ValueError):  # rounds are paired: a missing round is an error, not a silent skip
        bench.paired_ratios(runs, runs[:2])


def test_main_starts_every_gateway_through_serve_gateway(bench: ModuleType) -> None:
    """No second launch path: main() names each gateway target only through serve_gateway."""
    import inspect

    source = inspect.getsource(bench.main)
    for target in ("gateway", "gateway_sdk", "gateway_cli", "gateway_before"):
        assert f'serve_gateway("{target}"' in source, target
    assert '"gateway", "serve"' not in source  # the CLI only through gateway_launch(cli=True)


def test_an_aa_pair_of_gateways_answers_alike_each_in_its_own_folder(bench: ModuleType, provider: object,
                                                                    tmp_path: Path) -> None:
    import openai

    from labkit.serving import stop_processes

    provider_url = provider.base_url.removesuffix("/v1")  # type: ignore[attr-defined]
    procs = []
    try:
        served = {}
        for name, ref, cli in (("gateway", None, False), ("gateway_before", ".", False), ("gateway_cli", None, True)):
            proc, url = bench.serve_gateway(name, ref, provider_url, tmp_path, cli=cli)
            procs.append(proc)
            served[name] = url
        answers = {}
        for name, url in served.items():
            sdk = openai.OpenAI(base_url=url + "/v1", api_key="bench-key", max_retries=0)
            answers[name] = sdk.chat.completions.create(
                model="lab-chat-2026-01", temperature=0,
                messages=[{"role": "user", "content": "Labels: billing, technical\nMy invoice is wrong."}])
        contents = {a.choices[0].message.content for a in answers.values()}
        assert len(contents) == 1 and contents != {None}
    finally:
        stop_processes(procs)
    for name in served:  # each gateway wrote its telemetry (one call each) into its own folder
        lines = (tmp_path / f"var-{name}" / "telemetry").glob("call-*.jsonl")
        assert sum(len(path.read_text().splitlines()) for path in lines) == 1, name
        assert (tmp_path / f"src-{name}" / "labkit").is_dir()
    assert not list(tmp_path.glob("var/**/call-*.jsonl"))  # nothing in the test's own (shared) folder
