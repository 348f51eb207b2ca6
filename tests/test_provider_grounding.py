"""Grounded answering on the lab's own knowledge base: good enough for RAG evaluation, drift visible."""

from __future__ import annotations

import json
import re

import pytest
from openai import OpenAI

from labkit.provider.behaviour import ABSTAIN_PREFIX, terms
from labkit.provider.config import ProviderConfig
from labkit.provider.server import serve_in_thread
from labkit.settings import datasets_dir


def _load():
    root = datasets_dir()
    secs_path, q_path = root / "kb" / "sections.jsonl", root / "eval" / "retrieval_questions.jsonl"
    if not secs_path.exists() or not q_path.exists():
        pytest.skip("sample data not built (datasets/kb, datasets/eval); run `labkit data build`")
    sections = [json.loads(line) for line in secs_path.open()]
    questions = [json.loads(line) for line in q_path.open()]
    return sections, questions


def _prompt(sources: list[dict], question: str) -> str:
    return "\n".join(f'<source id="{s["section_id"]}">{s["text"]}</source>' for s in sources) + \
        "\nQuestion: " + question


def _top_sections(sections: list[dict], question: str, k: int = 4) -> list[dict]:
    qt = set(terms(question))
    return sorted(sections, key=lambda s: -len(qt & set(terms(s["text"]))))[:k]


def test_answers_from_relevant_sections_and_cites_them() -> None:
    sections, questions = _load()
    by_id: dict[tuple[str, int], dict] = {(s["section_id"], s["version"]): s for s in sections}
    answerable = [q for q in questions if q["answerable"]][:60]
    with serve_in_thread(ProviderConfig(hallucination_rate=0.0, injection_obedience=0.0)) as p:
        client = OpenAI(base_url=p.base_url, api_key="k", max_retries=0)
        good = cited = 0
        for q in answerable:
            srcs = [by_id[(r["section_id"], r["version"])] for r in q["relevant"] if (r["section_id"], r.get("version")) in by_id]
            distractors = _top_sections([s for s in sections if s not in srcs], q["question"], 2)
            text = client.chat.completions.create(model="lab-chat", messages=[
                {"role": "user", "content": _prompt(distractors + srcs, q["question"])}]).choices[0].message.content
            want = set(re.findall(r"\w+", q["answer"].lower()))
            got = set(re.findall(r"\w+", text.lower()))
            good += len(want & got) / max(1, len(want)) >= 0.8
            cited += any(f"[{s['section_id']}]" in text for s in srcs)
    assert good >= 0.9 * len(answerable)
    assert cited >= 0.9 * len(answerable)


def test_drifted_version_answers_more_unanswerable_questions() -> None:
    sections, questions = _load()
    unanswerable = [q for q in questions if not q["answerable"]]
    assert unanswerable
    abstained = {}
    with serve_in_thread(ProviderConfig(hallucination_rate=0.0, injection_obedience=0.0)) as p:
        client = OpenAI(base_url=p.base_url, api_key="k", max_retries=0)
        for model in ("lab-chat-2026-01", "lab-chat-2026-06"):
            n = 0
            for q in unanswerable:
                text = client.chat.completions.create(model=model, messages=[
                    {"role": "user", "content": _prompt(_top_sections(sections, q["question"]), q["question"])}
                ]).choices[0].message.content
                n += text.startswith(ABSTAIN_PREFIX)
            abstained[model] = n
    assert abstained["lab-chat-2026-01"] >= 0.7 * len(unanswerable)
    assert abstained["lab-chat-2026-06"] < abstained["lab-chat-2026-01"]
