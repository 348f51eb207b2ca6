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


# --- a request with the asker's situation in it (issue 14, round 3) -------------------------

_KB = (
    '<source id="DOC-0016#s3">PrismSense Developer Guide — Rate limits Each PrismSense API key may make '
    'up to 600 requests per minute.</source>\n'
    '<source id="DOC-0016#s5">PrismSense Developer Guide — Webhooks Webhook deliveries are retried '
    'for up to 24 hours.</source>\n'
    '<source id="DOC-0021#s2">PrismSense Product Manual — Sessions and sign-out PrismSense signs users '
    'out automatically after 30 minutes of inactivity.</source>\n'
    '<source id="DOC-0028#s4">FlowBoard Refund and Cancellation Policy — Cancellation notice Customers '
    'may cancel a FlowBoard subscription with 60 days of written notice.</source>\n'
    '<source id="DOC-0028#s2">FlowBoard Refund and Cancellation Policy — Refund window Customers may '
    'request a refund within 14 days of purchase.</source>\n'
)
# what labkit.rag.answer sends: the request in the sources' words, then the asker's own wording
_RATE = ("Question: building integration PrismSense mobile app throttle client spring release calls minute "
         "single API key\n"
         "As asked: I'm building an integration against PrismSense for our mobile app and need to throttle "
         "the client before the spring release. How many calls per minute does a single API key get?")
_NOTICE = ("Question: FlowBoard customer signed spring wants cancel Legal written notice owe rule\n"
           "As asked: We've got a FlowBoard customer who signed up in spring and now wants to cancel. "
           "Legal asked me how much written notice they owe us. What's the rule?")


def _ask_kb(client: OpenAI, sources: str, question: str) -> str:
    return client.chat.completions.create(model="lab-chat-2026-01", messages=[
        {"role": "user", "content": "Sources:\n" + sources + "\n" + question}]).choices[0].message.content


@pytest.fixture
def strict_client():
    with serve_in_thread(ProviderConfig(hallucination_rate=0.0, injection_obedience=0.0)) as p:
        yield OpenAI(base_url=p.base_url, api_key="k", max_retries=0)


def test_a_long_question_with_the_askers_situation_is_answered_from_the_right_source(strict_client) -> None:
    # the situation's words no source uses ("building", "throttle", "spring", "owe") are
    # context: before, they counted as unmatched question terms and the mock refused
    rate = _ask_kb(strict_client, _KB, _RATE)
    assert "600 requests per minute" in rate and "[DOC-0016#s3]" in rate and "DOC-0028" not in rate
    notice = _ask_kb(strict_client, _KB, _NOTICE)
    assert "60 days of written notice" in notice and "[DOC-0028#s4]" in notice
    # the same request always gets the same reply
    assert _ask_kb(strict_client, _KB, _RATE) == rate


def test_the_situation_does_not_excuse_sources_that_do_not_answer(strict_client) -> None:
    # an unrelated source: still refused, however the request is worded
    unrelated = '<source id="DOC-0099#s2">Hotel rates are capped at 180 euros per night.</source>\n'
    assert _ask_kb(strict_client, unrelated, _RATE).startswith(ABSTAIN_PREFIX)
    assert _ask_kb(strict_client, unrelated, _NOTICE).startswith(ABSTAIN_PREFIX)
    # a near miss: the same fact for another product. A name stays part of what is asked even
    # when only the situation mentions it
    other = _KB.replace("PrismSense", "HarborLink")
    assert _ask_kb(strict_client, other, _RATE).startswith(ABSTAIN_PREFIX)
    # the need itself is not in the sources (a price, where they state only the notice period)
    price = ("Question: FlowBoard customer cancel price extra seat\n"
             "As asked: A FlowBoard customer wants to cancel next spring. What is the price of an extra seat?")
    assert _ask_kb(strict_client, _KB, price).startswith(ABSTAIN_PREFIX)
    # what is asked is in no source, whatever the situation shares with them
    weather = ("Question: PrismSense integration spring release weather forecast\n"
               "As asked: I'm building a PrismSense integration for the spring release. "
               "What is the weather forecast?")
    assert _ask_kb(strict_client, _KB, weather).startswith(ABSTAIN_PREFIX)
    # an error code no source mentions: the sources are about other errors
    code = _KB.replace("Rate limits Each", "Error PS-1001 Error PS-1001 means the key expired. Each")
    assert _ask_kb(strict_client, code, "Question: What does error PS-2002 mean in PrismSense?").startswith(
        ABSTAIN_PREFIX)
