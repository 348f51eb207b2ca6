"""Warm-up: what the controls and the RAG normaliser load lazily is loaded before a server serves.

Each check runs in a fresh interpreter (a subprocess): in this test process some other test has
long since loaded the lists, so "loaded after start-up" would pass whatever start-up did.

Why it matters: the service warmed the PII lists (~3 s of CPU) but not the RAG question
normaliser's place and word lists (~0.9 s), the secret scanner's plugins or the national-id
validators, so the first RAG question, copilot call and agent answer paid them, several at once
under concurrent load. The phase-3 notebook's smoke load run (4-20 requests per endpoint, so its
p95 is nearly the slowest request) measured those first requests and failed its gate on CI.
"""

from __future__ import annotations

import subprocess
import sys
import textwrap

# Every cached loader that takes no argument in these modules: loaded, or named in the failure.
_CHECK = """
import inspect, json
import labkit.controls.pii as pii
import labkit.controls.pii_address as pii_address
import labkit.controls.pii_address_vocab as pii_address_vocab
import labkit.controls.pii_dob as pii_dob
import labkit.controls.pii_names as pii_names
import labkit.controls.secrets as secrets
import labkit.controls.injection_model as injection_model
import labkit.rag.normalize as normalize

def cold():
    out = []
    for mod in (pii, pii_address, pii_address_vocab, pii_dob, pii_names, secrets, injection_model, normalize):
        for name, fn in vars(mod).items():
            info = getattr(fn, "cache_info", None)
            if info is None or getattr(fn, "__module__", None) != mod.__name__:
                continue
            if inspect.signature(fn).parameters:
                continue  # per-argument caches (word frequencies) fill as words come
            if info().currsize == 0:
                out.append(f"{mod.__name__}.{name}")
    return sorted(out)

before = cold()
{start}
print(json.dumps({"before": before, "after": cold(),
                  "stdnum": pii._stdnum.cache_info().currsize,
                  "id_formats": len({m for _g, _r, m in pii._ID_FORMATS} | {m for _c, m in pii._CHECKED_IDS})}))
"""


def _run(start: str) -> dict:
    import json

    code = _CHECK.replace("{start}", textwrap.dedent(start))
    done = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, timeout=240)
    assert done.returncode == 0, done.stderr[-2000:]
    return json.loads(done.stdout.strip().splitlines()[-1])


def test_pii_warm_up_loads_every_list_a_later_text_could_need() -> None:
    result = _run("pii.warm_up()")
    # the check can fail: in a fresh process these loaders are cold
    assert "labkit.controls.pii_names._wide_gazetteer" in result["before"]
    assert "labkit.controls.pii_address._generic" in result["before"]
    left = [n for n in result["after"] if n.startswith("labkit.controls.pii")]
    assert left == [], f"still loaded on first use after pii.warm_up(): {left}"
    # every national-id validator imported: the format table's and the labelled ids' (round 13)
    assert result["stdnum"] == result["id_formats"]


def test_a_redaction_after_warm_up_loads_nothing_new() -> None:
    # a text that loaded the wide name lists (1.5 s) inside a RAG question before any warm-up
    result = _run("""
        pii.warm_up()
        import labkit.controls.pii_names as n
        misses = [f.cache_info().misses for f in n._LOADERS]
        pii.redact("Can I expense a taxi in Lisbon? Klothilde Guibert, ul. Długa 5, 00-238 Warszawa")
        assert [f.cache_info().misses for f in n._LOADERS] == misses
    """)
    assert not [n for n in result["after"] if n.startswith("labkit.controls.pii")]


def test_normaliser_warm_up_loads_places_and_words() -> None:
    result = _run("normalize.warm_up()")
    assert {"labkit.rag.normalize._places", "labkit.rag.normalize._english"} <= set(result["before"])
    assert not [n for n in result["after"] if n.startswith("labkit.rag.normalize")]


def test_service_start_up_warms_every_control_and_the_normaliser() -> None:
    # provider down: the RAG pipeline's build fails (reported by /readyz), the local lists still load
    result = _run("""
        from fastapi.testclient import TestClient
        from labkit.service import ServiceSettings, create_app
        app = create_app(ServiceSettings(provider_url="http://127.0.0.1:9/v1", embedded_workers=0, warm_rag=True))
        with TestClient(app) as c:
            assert c.get("/healthz").status_code == 200
    """)
    assert "labkit.controls.secrets._vendor_patterns" in result["before"]
    assert result["after"] == [], f"loaded on first use after the service started: {result['after']}"


def test_gateway_that_redacts_warms_the_pii_lists() -> None:
    result = _run("""
        from labkit.direct.gateway import GatewayConfig, create_app
        create_app(GatewayConfig(base_url="http://127.0.0.1:9/v1", redact_pii=True))
    """)
    assert not [n for n in result["after"] if n.startswith("labkit.controls.pii")]
