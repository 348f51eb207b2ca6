"""Every label in the hand-written natural question sets checked against the knowledge base.

``datasets/eval/natural_questions.jsonl`` (issue 14, item 2) is written by hand, not generated:
these tests are what keeps its labels honest. ``natural_questions_fresh.jsonl`` (qids ``F0001``...)
is a second hand-written set, written later from the knowledge base's text alone, by someone who
had not seen the RAG code, its tuning or the first set's questions: nobody tuned on it.
``natural_questions_fresh2.jsonl`` (qids ``G0001``...) is a third such set, written the same way by
another independent writer and held back for a single scoring run; ``natural_questions_fresh3.jsonl``
(qids ``H0001``...) is a fourth, by a further independent writer, also for one scoring run;
``natural_questions_fresh4.jsonl`` (qids ``K0001``...) is a fifth, by yet another independent writer
who saw neither the RAG code nor any earlier set's questions, held back for one untuned run. All sets get the same
per-question checks; each has its own shape test. For each answerable question, the ``answer`` (each
of its ``|``-separated parts) must be stated in a grade-2 section of the labelled document
version, every grade-2 section must state one of the parts, labels point at current versions,
the asker's role may read every labelled document (``labkit.data.access``, the rule RAG applies)
and a ``current_only`` question's ``stale_answer`` is what the superseded version says. For
unanswerables: no labels, and a near miss points at a real section holding the fact for another
product, country, role or version (for a role near miss: a section the asker may not read).

This module reads the committed JSON-lines files only (no DuckDB, no RAG index); it does not
measure retrieval (that is ``labkit rag eval --questions``).
"""

from __future__ import annotations

import json
import re
from collections import Counter
from functools import cache
from pathlib import Path
from typing import Any

import pytest

from labkit.data.access import ROLES, caller_roles, can_read
from labkit.rag.evaluate import load_questions
from labkit.settings import datasets_dir

KINDS = {"single", "multi", "restricted", "current_only", "unanswerable"}
ANSWERABLE_KINDS = KINDS - {"unanswerable"}
STYLES = {"keyword", "conversational", "contraction", "abbreviation", "synonym", "place", "typo", "plain"}
AXES = {"product", "country", "role", "version"}


TUNED = "natural_questions.jsonl"
FRESH = "natural_questions_fresh.jsonl"
FRESH2 = "natural_questions_fresh2.jsonl"
FRESH3 = "natural_questions_fresh3.jsonl"
FRESH4 = "natural_questions_fresh4.jsonl"
FILES = (TUNED, FRESH, FRESH2, FRESH3, FRESH4)


def _path(name: str = TUNED) -> Path:
    return datasets_dir() / "eval" / name


@cache
def _questions(name: str = TUNED) -> tuple[dict[str, Any], ...]:
    lines = _path(name).read_text(encoding="utf-8").splitlines()
    return tuple(json.loads(line) for line in lines if line.strip())


def _all_questions() -> list[dict[str, Any]]:
    return [q for name in FILES for q in _questions(name)]


@cache
def _kb() -> tuple[dict[tuple[str, int], dict[str, Any]], dict[tuple[str, int, str], str]]:
    folder = datasets_dir() / "kb"
    docs = {}
    for line in (folder / "documents.jsonl").read_text(encoding="utf-8").splitlines():
        d = json.loads(line)
        docs[(d["doc_id"], d["version"])] = d
    sections = {}
    for line in (folder / "sections.jsonl").read_text(encoding="utf-8").splitlines():
        s = json.loads(line)
        sections[(s["doc_id"], s["version"], s["section_id"])] = s["text"]
    return docs, sections


def _current_version(doc_id: str) -> int:
    docs, _ = _kb()
    current = [v for (d, v), row in docs.items() if d == doc_id and row["status"] == "current"]
    assert len(current) == 1, f"{doc_id}: expected one current version, found {current}"
    return current[0]


def _states(text: str, value: str) -> bool:
    """Whether ``text`` states ``value`` as a whole value ("5%" is not stated by "15%")."""
    return re.search(r"(?<![\w,.])" + re.escape(value) + r"(?!\w)", text) is not None


def _answerable() -> list[dict[str, Any]]:
    return [q for q in _all_questions() if q["answerable"]]


def _unanswerable() -> list[dict[str, Any]]:
    return [q for q in _all_questions() if not q["answerable"]]


def _ids(rows: list[dict[str, Any]]) -> list[str]:
    return [q["qid"] for q in rows]


def test_file_shape_and_counts() -> None:
    qs = _questions(TUNED)
    assert len(qs) >= 220
    _check_rows(qs, r"N\d{4}")
    kinds = Counter(q["kind"] for q in qs)
    assert all(kinds[k] >= 25 for k in KINDS), kinds
    share = kinds["unanswerable"] / len(qs)
    assert 0.25 <= share <= 0.35, share
    near = [q for q in qs if not q["answerable"] and q["near_miss_of"]]
    assert len(near) >= 0.4 * kinds["unanswerable"]
    # a near miss for every answerable kind, and every style used across kinds
    assert {q["near_miss_of"]["kind"] for q in near} == ANSWERABLE_KINDS
    styles = Counter(q["style"] for q in qs)
    assert all(styles[s] >= 10 for s in STYLES - {"plain"}), styles
    for style in STYLES - {"plain"}:
        assert len({q["kind"] for q in qs if q["style"] == style}) >= 3, style
    # no two questions worded the same
    texts = Counter(q["question"].strip().lower() for q in qs)
    assert max(texts.values()) == 1


def _check_rows(qs: list[dict], qid_pattern: str, allowed: set[str] | None = None) -> None:
    """Every row: a unique qid of the set's pattern, the required fields (and, if given, no field
    outside ``allowed``), a known kind, style and roles, answerable exactly when not unanswerable."""
    qids = [q["qid"] for q in qs]
    assert len(set(qids)) == len(qids), "duplicate qids"
    assert all(re.fullmatch(qid_pattern, qid) for qid in qids)
    required = {"qid", "question", "roles", "relevant", "answerable", "kind", "answer", "style", "near_miss_of"}
    for q in qs:
        assert required <= q.keys(), (q["qid"], required - q.keys())
        if allowed is not None:
            assert q.keys() <= allowed, (q["qid"], q.keys() - allowed)
        assert q["kind"] in KINDS and q["style"] in STYLES, q["qid"]
        assert q["question"].strip() and q["roles"], q["qid"]
        assert all(role in ROLES for role in q["roles"]), q["qid"]
        assert q["answerable"] == (q["kind"] != "unanswerable"), q["qid"]


def _normalised(text: str) -> str:
    return " ".join(re.findall(r"[a-z0-9]+", text.lower()))


def test_fresh_file_shape_and_counts() -> None:
    """The fresh set: its own qids, the issue's kinds, near misses on every axis, styles spread."""
    qs = _questions(FRESH)
    assert len(qs) >= 100
    # exactly the tuned set's fields (stale_answer only on current_only questions)
    _check_rows(qs, r"F\d{4}", allowed=set().union(*(q.keys() for q in _questions(TUNED))))
    kinds = Counter(q["kind"] for q in qs)
    assert all(kinds[k] >= 12 for k in ANSWERABLE_KINDS), kinds
    share = kinds["unanswerable"] / len(qs)
    assert 0.25 <= share <= 0.35, share
    near = [q for q in qs if not q["answerable"] and q["near_miss_of"]]
    assert len(near) >= 15
    assert {q["near_miss_of"]["kind"] for q in near} == ANSWERABLE_KINDS
    assert {q["near_miss_of"]["axis"] for q in near} == AXES
    styles = Counter(q["style"] for q in qs)
    assert all(styles[s] >= 8 for s in STYLES - {"plain"}), styles
    for style in STYLES - {"plain"}:
        assert len({q["kind"] for q in qs if q["style"] == style}) >= 3, style
    # every answerable kind is asked in at least four styles
    for kind in ANSWERABLE_KINDS:
        assert len({q["style"] for q in qs if q["kind"] == kind}) >= 4, kind
    texts = Counter(_normalised(q["question"]) for q in qs)
    assert max(texts.values()) == 1


def _check_held_back_set(qs: list[dict[str, Any]], *, qid: str, rows: int, per_kind: int,
                         share: tuple[float, float], docs: int) -> tuple[Counter[str], list[dict[str, Any]]]:
    """What every held-back hand-written set must hold: its own qids, every answerable kind, about
    a third unanswerable (three in four of them near misses, on every axis), styles spread over
    kinds, many documents, no question twice. Returns the kind counts and the near misses."""
    assert len(qs) >= rows
    _check_rows(qs, qid, allowed=set().union(*(q.keys() for q in _questions(TUNED))))
    kinds = Counter(q["kind"] for q in qs)
    assert all(kinds[k] >= per_kind for k in ANSWERABLE_KINDS), kinds
    unanswerable = kinds["unanswerable"] / len(qs)
    assert share[0] <= unanswerable <= share[1], unanswerable
    near = [q for q in qs if not q["answerable"] and q["near_miss_of"]]
    assert len(near) >= 0.75 * kinds["unanswerable"]
    assert {q["near_miss_of"]["axis"] for q in near} == AXES
    styles = Counter(q["style"] for q in qs)
    assert all(styles[s] >= 10 for s in STYLES), styles
    for kind in ANSWERABLE_KINDS:
        assert len({q["style"] for q in qs if q["kind"] == kind}) >= 6, kind
    # spread over many documents, not a handful
    assert len({r["doc_id"] for q in qs for r in q["relevant"]}) >= docs
    texts = Counter(_normalised(q["question"]) for q in qs)
    assert max(texts.values()) == 1
    return kinds, near


def test_fresh2_file_shape_and_counts() -> None:
    """The second fresh set: near misses of every kind, role near misses from several askers and on
    documents nobody may read, every style asked of four kinds or more."""
    qs = _questions(FRESH2)
    _, near = _check_held_back_set(qs, qid=r"G\d{4}", rows=120, per_kind=15, share=(0.30, 0.36), docs=70)
    assert {q["near_miss_of"]["kind"] for q in near} == ANSWERABLE_KINDS
    # role near misses: several askers, and documents that list no role at all (readable by nobody)
    role_near = [q for q in near if q["near_miss_of"]["axis"] == "role"]
    assert len({r for q in role_near for r in q["roles"]}) >= 5
    docs, _ = _kb()
    assert any(not docs[(q["near_miss_of"]["doc_id"], q["near_miss_of"]["version"])]["roles"] for q in role_near)
    for style in STYLES:
        assert len({q["kind"] for q in qs if q["style"] == style}) >= 4, style


def test_fresh3_file_shape_and_counts() -> None:
    """The third fresh set: the shape every held-back set has."""
    _check_held_back_set(_questions(FRESH3), qid=r"H\d{4}", rows=100, per_kind=12, share=(0.30, 0.38), docs=60)


def test_fresh4_file_shape_and_counts() -> None:
    """The fourth fresh set: the shape every held-back set has."""
    _check_held_back_set(_questions(FRESH4), qid=r"K\d{4}", rows=100, per_kind=12, share=(0.30, 0.40), docs=60)


# the hand-written sets in the order they were written; each must be new against all before it
_WRITTEN = (TUNED, FRESH, FRESH2, FRESH3, FRESH4)


@pytest.mark.parametrize("index", range(1, len(_WRITTEN)), ids=_WRITTEN[1:])
def test_each_fresh_set_asks_no_earlier_question_again(index: int) -> None:
    """No question of a fresh set is a question of an earlier set again (case and punctuation aside)."""
    seen = {_normalised(q["question"]) for name in _WRITTEN[:index] for q in _questions(name)}
    again = [q["qid"] for q in _questions(_WRITTEN[index]) if _normalised(q["question"]) in seen]
    assert again == []


@pytest.mark.parametrize("name", (FRESH, FRESH2, FRESH3, FRESH4))
def test_fresh_non_role_near_misses_are_readable(name: str) -> None:
    """A product, country or version near miss points at a section the asker may read (else it is a role case)."""
    docs, _ = _kb()
    for q in _questions(name):
        near = q["near_miss_of"]
        if q["answerable"] or near is None or near["axis"] == "role":
            continue
        doc_roles = docs[(near["doc_id"], near["version"])]["roles"]
        assert any(can_read(doc_roles, caller_roles(role)) for role in q["roles"]), q["qid"]


@pytest.mark.parametrize("name", FILES)
def test_the_rag_loader_accepts_the_file(name: str) -> None:
    loaded = load_questions(_path(name))
    assert [q.qid for q in loaded] == [q["qid"] for q in _questions(name)]


@pytest.mark.parametrize("q", _answerable(), ids=_ids(_answerable()))
def test_answer_is_stated_in_a_grade2_section(q: dict[str, Any]) -> None:
    docs, sections = _kb()
    parts = [p.strip() for p in q["answer"].split("|")]
    assert all(parts), f"{q['qid']}: empty answer part"
    assert q["relevant"], f"{q['qid']}: answerable without labels"
    grade2 = []
    for r in q["relevant"]:
        assert r["grade"] in (1, 2), q["qid"]
        assert r["section_id"].startswith(r["doc_id"] + "#"), q["qid"]
        key = (r["doc_id"], r["version"], r["section_id"])
        assert key in sections, f"{q['qid']}: no section {key}"
        assert r["version"] == _current_version(r["doc_id"]), f"{q['qid']}: {key} is not the current version"
        if r["grade"] == 2:
            grade2.append(sections[key])
    assert grade2, f"{q['qid']}: no grade-2 section"
    for part in parts:
        assert any(_states(text, part) for text in grade2), f"{q['qid']}: {part!r} is in no grade-2 section"
    for text in grade2:
        assert any(_states(text, part) for part in parts), f"{q['qid']}: a grade-2 section states none of {parts}"
    # the asker may read every labelled document
    doc_ids = {r["doc_id"] for r in q["relevant"]}
    assert any(all(can_read(docs[(d, _current_version(d))]["roles"], caller_roles(role)) for d in doc_ids)
               for role in q["roles"]), f"{q['qid']}: none of {q['roles']} may read {sorted(doc_ids)}"


@pytest.mark.parametrize("q", _answerable(), ids=_ids(_answerable()))
def test_kind_specific_labels(q: dict[str, Any]) -> None:
    docs, sections = _kb()
    graded = {r["doc_id"] for r in q["relevant"] if r["grade"] == 2}
    if q["kind"] == "multi":
        assert len(graded) >= 2, f"{q['qid']}: a multi question needs two documents"
    if q["kind"] == "restricted":
        for d in graded:
            doc_roles = docs[(d, _current_version(d))]["roles"]
            assert doc_roles and "employee" not in doc_roles, f"{q['qid']}: {d} is readable by all staff"
    if q["kind"] == "current_only":
        stale = q.get("stale_answer") or ""
        assert stale and stale != q["answer"], q["qid"]
        older = []
        for r in q["relevant"]:
            older += [text for (d, v, s), text in sections.items()
                      if d == r["doc_id"] and s == r["section_id"] and v != r["version"]
                      and docs[(d, v)]["status"] == "superseded"]
        assert any(_states(text, stale) for text in older), f"{q['qid']}: no superseded section states {stale!r}"
        current = [sections[(r["doc_id"], r["version"], r["section_id"])] for r in q["relevant"]]
        assert not any(_states(text, stale) for text in current), f"{q['qid']}: the current section still says {stale!r}"
    else:
        assert "stale_answer" not in q, q["qid"]
    assert q["near_miss_of"] is None, q["qid"]


@pytest.mark.parametrize("q", _unanswerable(), ids=_ids(_unanswerable()))
def test_unanswerable_labels(q: dict[str, Any]) -> None:
    docs, sections = _kb()
    assert q["relevant"] == [] and q["answer"] == "", q["qid"]
    near = q["near_miss_of"]
    if near is None:
        return
    assert near["kind"] in ANSWERABLE_KINDS and near["axis"] in AXES, q["qid"]
    key = (near["doc_id"], near["version"], near["section_id"])
    assert key in sections, f"{q['qid']}: near miss points at no section {key}"
    if near["axis"] == "role":
        doc_roles = docs[(near["doc_id"], near["version"])]["roles"]
        assert not any(can_read(doc_roles, caller_roles(role)) for role in q["roles"]), (
            f"{q['qid']}: {q['roles']} may read {near['doc_id']}, so this is no role near miss")
    if near["axis"] == "version":
        # the asked-for version is not what the knowledge base serves: either a superseded
        # document version, or a product release the release notes do not describe
        status = docs[(near["doc_id"], near["version"])]["status"]
        asked = re.findall(r"\d+\.\d+", q["question"])
        assert status == "superseded" or (asked and not any(v in sections[key] for v in asked)), q["qid"]
