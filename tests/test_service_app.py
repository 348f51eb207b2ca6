"""The service skeleton: API keys and roles, size limits, JSON errors, probes and metrics."""

from __future__ import annotations

from pathlib import Path

import pytest
from fastapi.testclient import TestClient

from labkit.errors import ConfigError
from labkit.service import ServiceSettings, create_app
from labkit.service.auth import ROLES, KeyStore


@pytest.fixture
def client() -> TestClient:
    app = create_app(ServiceSettings(provider_url="http://127.0.0.1:9/v1", max_body_bytes=4096,
                                     embedded_workers=0, warm_rag=False))
    with TestClient(app) as c:
        yield c


def test_every_role_has_a_demo_key_and_whoami_names_it(client: TestClient) -> None:
    for role in ROLES:
        r = client.get("/whoami", headers={"Authorization": f"Bearer lab-key-{role}"})
        assert r.status_code == 200, r.text
        assert r.json()["role"] == role
        assert "employee" in r.json()["roles"]
    # the X-API-Key header works too
    assert client.get("/whoami", headers={"X-API-Key": "lab-key-hr"}).json()["role"] == "hr"


def test_missing_and_invalid_keys_get_401_with_a_clear_json_message(client: TestClient) -> None:
    r = client.get("/whoami")
    assert r.status_code == 401
    assert r.headers["www-authenticate"] == "Bearer"
    assert r.json()["error"]["type"] == "not_authenticated"
    assert "missing API key" in r.json()["error"]["message"]
    r = client.get("/whoami", headers={"Authorization": "Bearer lab-key-nobody"})
    assert r.status_code == 401 and r.json()["error"]["message"] == "invalid API key"


def test_oversized_bodies_get_413_declared_or_chunked(client: TestClient) -> None:
    r = client.post("/jobs", content=b"x" * 5000, headers={"Content-Type": "application/json"})
    assert r.status_code == 413
    assert "exceeds the limit of 4096 bytes" in r.json()["error"]["message"]

    def chunks():
        for _ in range(10):
            yield b"y" * 1000

    r = client.post("/jobs", content=chunks(), headers={"Authorization": "Bearer lab-key-hr", "Content-Type": "application/json"})
    assert r.status_code == 413
    assert "chunked" in r.json()["error"]["message"]
    # still healthy afterwards
    assert client.get("/healthz").status_code == 200


def test_unknown_route_and_method_use_the_json_error_shape(client: TestClient) -> None:
    r = client.get("/no/such/thing")
    assert r.status_code == 404 and r.json()["error"]["type"] == "not_found"
    r = client.delete("/healthz")
    assert r.status_code == 405 and r.json()["error"]["type"] == "method_not_allowed"


def test_readyz_reports_each_check_and_fails_without_a_provider(client: TestClient) -> None:
    r = client.get("/readyz")
    assert r.status_code == 503
    checks = r.json()["checks"]
    assert checks["provider"]["ok"] is False
    assert "unreachable" in checks["provider"]["detail"]
    assert checks["sqlite"]["ok"] is True


def test_readyz_reports_each_patterns_own_readiness(tmp_path: Path) -> None:
    # Route modules are imported explicitly, so "importable" is no longer a check; what can
    # fail at run time is: the RAG warm-up (provider down) and the embedded job workers.
    app = create_app(ServiceSettings(provider_url="http://127.0.0.1:9/v1", embedded_workers=1, warm_rag=True))
    with TestClient(app) as c:
        checks = c.get("/readyz").json()["checks"]
        assert checks["pattern:rag"]["ok"] is False and "warm-up failed" in checks["pattern:rag"]["detail"]
        assert checks["pattern:jobs"]["ok"] is True, checks["pattern:jobs"]
        app.state.resources["embedded_worker"][0].stop()
        app.state.resources["embedded_worker"][1].join(timeout=10)
        checks = c.get("/readyz").json()["checks"]
        assert checks["pattern:jobs"] == {"ok": False, "detail": "embedded workers not running"}
    assert set(c.app.state.mounted) == {"direct", "rag", "jobs", "agent", "copilot", "gateway"}


def test_metrics_count_requests_by_route_template(client: TestClient) -> None:
    client.get("/healthz")
    client.get("/whoami")
    text = client.get("/metrics").text
    assert 'labkit_http_requests_total{method="GET",route="/healthz",status="200"} 1.0' in text
    assert 'route="/whoami",status="401"' in text
    assert "labkit_http_request_duration_seconds_bucket" in text


def test_key_file_maps_keys_to_users_and_rejects_bad_roles(tmp_path: Path) -> None:
    good = tmp_path / "keys.yaml"
    good.write_text("keys:\n  - {key: s3cret, user_id: ann, name: Ann, role: legal}\n")
    store = KeyStore.from_file(good)
    assert store.lookup("s3cret").role == "legal"
    assert store.lookup("lab-key-legal") is None  # demo keys are off when a file is given
    bad = tmp_path / "bad.yaml"
    bad.write_text("keys:\n  - {key: k, user_id: bob, role: pirate}\n")
    with pytest.raises(ConfigError, match="unknown role 'pirate'"):
        KeyStore.from_file(bad)
    with pytest.raises(ConfigError, match="cannot read key file"):
        KeyStore.from_file(tmp_path / "missing.yaml")


def test_malformed_and_invalid_bodies_get_422_with_one_line_messages(client: TestClient) -> None:
    h = {"Authorization": "Bearer lab-key-hr", "Content-Type": "application/json"}
    r = client.post("/jobs", content=b"{not json", headers=h)
    assert r.status_code == 422 and r.json()["error"]["type"] == "invalid_request"
    r = client.post("/jobs", json={"kind": "mine-bitcoin"}, headers=h)
    assert r.status_code == 422
    assert "body.kind" in r.json()["error"]["message"] and "\n" not in r.json()["error"]["message"]
    r = client.post("/jobs", json={"kind": "summarise", "priority": "high"}, headers=h)
    assert r.status_code == 422 and "body.priority" in r.json()["error"]["message"]


def test_role_that_may_not_submit_a_kind_gets_403(client: TestClient) -> None:
    r = client.post("/jobs", json={"kind": "extract_invoice"}, headers={"Authorization": "Bearer lab-key-hr"})
    assert r.status_code == 403
    assert r.json()["error"]["message"] == "role 'hr' may not submit extract_invoice jobs (allowed: finance)"
    r = client.post("/jobs", json={"kind": "extract_invoice"}, headers={"Authorization": "Bearer lab-key-finance"})
    assert r.status_code == 202
