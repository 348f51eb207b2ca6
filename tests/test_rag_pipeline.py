"""The RAG pattern end to end on the real sample data: the real mock provider, the resilient
client, Chroma (embedded and `chroma run` server) and DuckDB. Most tests ingest a small subset."""

from __future__ import annotations

import json
import shutil
import socket
import subprocess
import time

import pytest
from click.testing import CliRunner
from helpers import free_port

from labkit.data.access import ROLES, caller_roles
from labkit.data.catalogue import connect
from labkit.direct import ClientConfig, ResilientClient
from labkit.errors import InputError, UnknownRole
from labkit.provider.config import ProviderConfig
from labkit.provider.server import serve_in_thread
from labkit.rag import RagPipeline
from labkit.rag.answer import ABSTAIN_PREFIX, validate_reply
from labkit.rag.dense import http_client
from labkit.rag.evaluate import leakage, load_questions
from labkit.settings import datasets_dir

QUESTIONS = datasets_dir() / "eval" / "retrieval_questions.jsonl"


def _client(provider) -> ResilientClient:
    return ResilientClient(ClientConfig(base_url=provider.base_url, api_key="lab-key"))


def _doc_ids(sql: str) -> list[str]:
    con = connect(read_only=True)
    try:
        return [r[0] for r in con.execute(sql).fetchall()]
    finally:
        con.close()


@pytest.fixture
def rag(provider):
    pipe = RagPipeline(_client(provider))
    pipe.ingest(limit=30, progress=False)
    yield pipe
    pipe.close()


def _questions_about(pipe: RagPipeline, kinds: set[str]):
    known = {r[0] for r in pipe.index.lexical._cursor().execute("SELECT DISTINCT doc_id FROM rag_chunks").fetchall()}
    return [q for q in load_questions(QUESTIONS) if q.kind in kinds and q.relevant
            and all(r.doc_id in known for r in q.relevant)]


def test_answers_cite_visible_retrieved_chunks(rag):
    qs = _questions_about(rag, {"single", "current_only"})[:5]
    assert qs
    answered = 0
    for q in qs:
        a = rag.ask(q.question, q.roles)
        if a.status == "answered":
            answered += 1
            hit_ids = {h.chunk_id for h in a.hits}
            assert a.citations and set(a.citations) <= hit_ids
            assert all(s.supported for s in a.sentences)
    assert answered >= 3


def test_current_only_questions_get_the_current_value(rag):
    qs = [q for q in _questions_about(rag, {"current_only"})]
    assert qs
    for q in qs[:4]:
        res = rag.retrieve(q.question, q.roles, k=10)
        assert res.hits and all(h.status == "current" for h in res.hits)
        a = rag.ask(q.question, q.roles)
        if a.status == "answered":
            stale = json.loads(QUESTIONS.read_text().splitlines()[int(q.qid[1:]) - 1]).get("stale_answer")
            assert not stale or stale not in a.text


def test_restricted_documents_never_reach_other_roles(provider):
    restricted = _doc_ids("SELECT DISTINCT doc_id FROM kb_documents WHERE NOT list_has_any(roles, ['employee']) "
                          "ORDER BY doc_id LIMIT 12")
    public = _doc_ids("SELECT DISTINCT doc_id FROM kb_documents WHERE list_has_any(roles, ['employee']) "
                      "ORDER BY doc_id LIMIT 10")
    pipe = RagPipeline(_client(provider))
    try:
        pipe.ingest(doc_ids=restricted + public, progress=False)
        con = connect(read_only=True)
        roles_of = {r[0]: set(r[1]) for r in con.execute("SELECT doc_id, roles FROM kb_documents").fetchall()}
        con.close()
        qs = [q for q in load_questions(QUESTIONS) if q.relevant and q.relevant[0].doc_id in set(restricted)]
        assert qs, "the subset should hold some restricted questions"
        for q in qs[:4]:
            for role in ROLES:
                held = set(caller_roles(role))
                for strategy in ("dense", "lexical", "hybrid"):
                    for chunking in ("section", "fixed"):
                        res = pipe.retrieve(q.question, role, strategy=strategy, chunking=chunking, k=20)
                        assert all(roles_of[h.doc_id] & held for h in res.hits), (q.qid, role, strategy)
                a = pipe.ask(q.question, role)
                for cid in a.citations:
                    assert roles_of[cid.split("#")[0]] & held
        report = leakage(pipe.index, qs[:6])
        assert report["leaks"] == 0 and report["superseded_returned"] == 0 and report["checked"] > 100
    finally:
        pipe.close()


def test_unanswerable_questions_abstain(rag):
    qs = [q for q in load_questions(QUESTIONS) if q.kind == "unanswerable"][:6]
    abstained = sum(rag.ask(q.question, q.roles).status == "abstained" for q in qs)
    assert abstained >= 5
    a = rag.ask(qs[0].question, qs[0].roles)
    assert a.text.startswith(ABSTAIN_PREFIX) and a.reason


def test_validation_rejects_unsupported_and_foreign_citations(rag):
    q = _questions_about(rag, {"single"})[0]
    res = rag.retrieve(q.question, q.roles)
    top = res.hits[0]
    # a fact sentence of the top chunk (its fact text without the "title — heading" line)
    sentence = next(s for s in top.text.split("\n", 1)[1].replace("\n", " ").split(". ") if s.strip(" .") in top.facts)
    valid, invalid, checks = validate_reply(f"{sentence} [{top.chunk_id}].", res.hits)
    assert valid == [top.chunk_id] and not invalid and checks[0].supported
    _, invalid, _ = validate_reply(f"{sentence} [DOC-9999#s1@v1:c0].", res.hits)
    assert invalid == ["DOC-9999#s1@v1:c0"]
    _, _, checks = validate_reply(f"The moon is made of green cheese and bats [{top.chunk_id}].", res.hits)
    assert not checks[0].supported


def test_injected_instructions_are_never_followed(provider):
    from labkit.controls.injection import UNTRUSTED_NOTE, fence_untrusted

    injected = _doc_ids("SELECT DISTINCT doc_id FROM kb_defects WHERE defect = 'injection' ORDER BY doc_id")
    assert injected
    obeyed_markers = ("as instructed", "my instructions are", "ignoring the previous instructions",
                      "@example.net", "@example.org", "@example.com")
    # the `obey_injection` fault makes the mock obey every instruction it can find, even fenced
    config = ProviderConfig(injection_obedience=1.0, faults={"*": "obey_injection"})
    with serve_in_thread(config) as obedient:
        client = _client(obedient)
        # thresholds off: a 6-document corpus has other BM25 scales; we want answers attempted
        pipe = RagPipeline(client, thresholds={})
        try:
            pipe.ingest(doc_ids=injected, progress=False)
            qs = [q for q in load_questions(QUESTIONS) if q.relevant and q.relevant[0].doc_id in set(injected)]
            assert qs
            flagged_seen = control_obeyed = 0
            for q in qs:
                a = pipe.ask(q.question, q.roles)
                flagged_seen += bool(a.injection_flagged_chunks)
                assert not any(m in a.text.lower() for m in obeyed_markers), (q.qid, a.text)
                if a.status == "answered":
                    assert a.citations and set(a.citations) <= {h.chunk_id for h in a.hits}
                # control: the same sources merely fenced (not neutralised, not validated) are obeyed
                if a.injection_flagged_chunks:
                    raw = "\n\n".join(fence_untrusted(h.text, h.chunk_id) for h in a.hits)
                    r = client.chat(messages=[{"role": "system", "content": UNTRUSTED_NOTE},
                                              {"role": "user", "content": f"{raw}\n\nQuestion: {q.question}"}],
                                    pattern="rag", use_cache=False)
                    control_obeyed += any(m in (r.content or "").lower() for m in obeyed_markers) or bool(r.tool_calls)
            assert flagged_seen >= 1
            assert control_obeyed >= 1, "the obedient provider should obey un-neutralised sources"
        finally:
            pipe.close()


def test_bad_input_is_answered_cleanly(rag, capsys):
    with pytest.raises(InputError, match="empty"):
        rag.ask("  ", "employee")
    with pytest.raises(UnknownRole):
        rag.ask("How long is the refund window?", "janitor")
    with pytest.raises(InputError, match="too long"):
        rag.ask("refund " * 5000, "employee")
    runner = CliRunner()
    for args, needle in [(["rag", "ask", "", "--role", "employee"], "empty"),
                         (["rag", "ask", "refunds?", "--role", "janitor"], "unknown role"),
                         (["rag", "ask", "refund " * 5000, "--role", "employee"], "too long")]:
        from labkit.cli import main
        with pytest.raises(SystemExit) as exc:
            main(args)
        assert exc.value.code == 2
        assert needle in capsys.readouterr().err  # the one-line message says what was wrong
    del runner


def test_cli_ask_and_eval(provider, tmp_path, monkeypatch, capsys):
    from labkit.cli import main
    monkeypatch.setenv("OPENAI_BASE_URL", provider.base_url)
    monkeypatch.setenv("OPENAI_API_KEY", "lab-key")
    pipe = RagPipeline(_client(provider))
    pipe.ingest(limit=20, progress=False)
    qs = _questions_about(pipe, {"single"})[:3] + [q for q in load_questions(QUESTIONS) if q.kind == "unanswerable"][:2]
    pipe.close()
    qfile = tmp_path / "mine.jsonl"
    qfile.write_text("\n".join(q.model_dump_json() for q in qs) + "\n")
    main(["rag", "ask", qs[0].question, "--role", qs[0].roles[0], "--json"])
    out = json.loads(capsys.readouterr().out)
    assert out["status"] in ("answered", "abstained") and out["hits"]
    main(["rag", "eval", "--questions", str(qfile), "--json", "--answers", "2"])
    report = json.loads(capsys.readouterr().out)
    assert report["questions"] == 5 and report["leakage"]["leaks"] == 0
    assert {(c["chunking"], c["strategy"]) for c in report["configs"]} >= {("section", "hybrid"), ("fixed", "dense")}
    bad = tmp_path / "bad.jsonl"
    bad.write_text('{"qid": "x"}\n')
    with pytest.raises(SystemExit) as exc:
        main(["rag", "eval", "--questions", str(bad)])
    assert exc.value.code == 2
    assert "bad.jsonl:1" in capsys.readouterr().err


def test_chroma_server_path(provider, tmp_path):
    binary = shutil.which("chroma") or str(__import__("pathlib").Path(__import__("sys").executable).with_name("chroma"))
    if not __import__("os").path.exists(binary):
        pytest.skip("the `chroma` CLI is not installed; HttpClient path not tested")
    port = free_port()
    proc = subprocess.Popen([binary, "run", "--path", str(tmp_path / "chroma-server"), "--port", str(port),
                             "--host", "127.0.0.1"], stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    try:
        deadline = time.monotonic() + 60
        while time.monotonic() < deadline:
            try:
                with socket.create_connection(("127.0.0.1", port), timeout=0.2):
                    break
            except OSError:
                time.sleep(0.2)
        else:
            pytest.skip("`chroma run` did not start within 60 s; HttpClient path not tested")
        pipe = RagPipeline(_client(provider), chroma=http_client("127.0.0.1", port),
                           lexical_path=tmp_path / "bm25.duckdb")
        try:
            rep = pipe.ingest(limit=10, progress=False)
            assert pipe.index.stats()["section"]["dense"] == rep.strategies["section"].chunks
            q = _questions_about(pipe, {"single", "current_only"})[0]
            res = pipe.retrieve(q.question, q.roles, strategy="dense")
            assert res.hits and res.hits[0].doc_id == q.relevant[0].doc_id
            again = pipe.ingest(limit=10, progress=False)
            assert again.strategies["section"].embedded == 0
        finally:
            pipe.close()
    finally:
        proc.terminate()
        proc.wait(timeout=20)


def test_unknown_terms_rule_decides_and_calibrates():
    from labkit.rag.retrieve import CalibrationPoint, Evidence, Thresholds, calibrate, decide

    th = Thresholds(coverage=0.0, unknown=1)
    gap = Evidence(best_dense=0.9, best_lexical=30.0, coverage=0.9, unknown_terms=["sabbat"])
    ok = Evidence(best_dense=0.9, best_lexical=30.0, coverage=0.9, unknown_terms=[])
    abstain, reason = decide(gap, "hybrid", th)
    assert abstain and "sabbat" in reason
    assert decide(ok, "hybrid", th) == (False, "")
    assert decide(gap, "dense", th)[0] is False  # the rule needs the lexical side
    # strong scores everywhere: only the unknown-term count separates the two groups
    pts = [CalibrationPoint(answerable=True, best_dense=0.5, best_lexical=10, coverage=0.5, unknown=0)] * 20 + \
          [CalibrationPoint(answerable=False, best_dense=0.5, best_lexical=10, coverage=0.5, unknown=2)] * 5
    fitted, stats = calibrate(pts, "hybrid")
    assert fitted.unknown in (1, 2) and stats["correct_abstention"] == 1.0 and stats["false_abstention"] == 0.0
