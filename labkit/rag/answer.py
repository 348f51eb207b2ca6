"""Answering from retrieved chunks, with citations that are checked and sentences that must
be supported, or an abstention that says why.

The prompt gives each retrieved chunk as ``<source id="CHUNK_ID">text</source>`` inside an
untrusted-data fence (``labkit.controls.injection.fence_untrusted``), which records the
injection detector's flags on the fence. In a flagged chunk, every sentence the detector
flags on its own is replaced by a placeholder before the model sees it: the information
around it stays usable, the instruction does not travel. The system prompt says text in the
fence is data and never instructions.

The model's reply is then validated, because a model (or the mock at full obedience) may
still follow an instruction or invent a fact:

- every ``[id]`` citation must be a chunk retrieved for this caller (retrieval only ever
  returns chunks the caller may see, so this also proves the caller may see it);
- every sentence must cite at least one chunk and be supported by the cited text: the share
  of its content terms (same analyser as BM25) found in the cited chunks must reach
  ``SUPPORT_THRESHOLD``. Only a chunk's **fact text** counts as support (its heading line and
  its non-boilerplate sentences, :mod:`labkit.rag.profile`): "Keep this page open while you
  walk a customer through the steps" is in every manual and answers nothing;
- every cited chunk must be about what the question names: a sentence citing the rate limit
  of another product (or the allowance of another country, or another version) than the one
  asked is refused, however well it is supported;
- a reply that fails any check is flagged and replaced by an abstention, with the reason.

The sources sent to the model are the chunks' fact texts. The question line carries the
question rewritten as a standalone request in the knowledge base's words (its content words
plus the knowledge base's words for them, no asking words: :meth:`labkit.rag.retrieve.
Retriever.focus`), followed by the asker's own wording, so a model that matches words sees the
vocabulary the sources use, and a model that reads sees what was really asked.

It does not retrieve (``labkit.rag.retrieve``) and calls the model only through the
resilient client.

Example:
    >>> support_score("Hotels are capped at 180 euros.", ["Hotel rates are capped at 180 euros per night."])
    1.0
    >>> citations_in("Economy is required [DOC-0001#s1@v1:c0].")
    ['DOC-0001#s1@v1:c0']
"""

from __future__ import annotations

import re
import time
from typing import Any, Literal

from pydantic import BaseModel, Field

from labkit.controls.injection import UNTRUSTED_NOTE, detect_injection, fence_untrusted
from labkit.rag.lexical import analyze
from labkit.rag.retrieve import Hit, Retrieval

ABSTAIN_PREFIX = "I cannot answer"
SUPPORT_THRESHOLD = 0.6
DEFAULT_CHAT_MODEL = "lab-chat-2026-01"
REMOVED = "[instruction removed by the injection filter]"

_CITATION = re.compile(r"\[([A-Za-z0-9_.#:/@-]+)\]")
_SENTENCE = re.compile(r"(?<=[.!?])\s+|(?<=\])\s+(?=[A-Z])")

SYSTEM_PROMPT = (
    "You answer employees' questions using only the sources provided. "
    "Cite the source id in square brackets after every sentence, like [DOC-0001#s1@v1:c0]. "
    f"If the sources do not contain the answer, reply with text starting '{ABSTAIN_PREFIX}'. "
    + UNTRUSTED_NOTE
)


class SentenceCheck(BaseModel):
    """One answer sentence: what it cites and how well the cited text supports it."""

    sentence: str
    citations: list[str]
    support: float
    supported: bool


class Answer(BaseModel):
    """The outcome of asking: an answer with citations, or an abstention and why."""

    question: str
    roles: list[str]
    status: Literal["answered", "abstained"]
    text: str
    reason: str = ""
    citations: list[str] = Field(default_factory=list)
    invalid_citations: list[str] = Field(default_factory=list)
    sentences: list[SentenceCheck] = Field(default_factory=list)
    flagged: bool = Field(False, description="the model's reply failed validation and was replaced")
    model_reply: str | None = None
    injection_flagged_chunks: list[str] = Field(default_factory=list)
    hits: list[Hit] = Field(default_factory=list)
    strategy: str = ""
    chunking: str = ""
    retrieval_ms: float = 0.0
    total_ms: float = 0.0
    model: str | None = None
    cost: float = 0.0


def citations_in(text: str) -> list[str]:
    """Chunk ids cited as ``[id]`` in ``text``, in order, without repeats."""
    seen: list[str] = []
    for cid in _CITATION.findall(text or ""):
        if cid not in seen:
            seen.append(cid)
    return seen


def support_score(sentence: str, cited_texts: list[str]) -> float:
    """Share of the sentence's content terms that occur in the cited texts (1.0 if it has none)."""
    terms = set(analyze(_CITATION.sub(" ", sentence)))
    if not terms:
        return 1.0
    pool: set[str] = set()
    for text in cited_texts:
        pool.update(analyze(text))
    return len(terms & pool) / len(terms)


def neutralise(text: str) -> tuple[str, list[str]]:
    """Replace the sentences the injection detector flags on their own; returns the reasons."""
    reasons: list[str] = []
    out: list[str] = []
    for sentence in re.split(r"(?<=[.!?])\s+|\n+", text):
        verdict = detect_injection(sentence)
        if verdict.flagged:
            reasons.extend(r for r in verdict.reasons if r not in reasons)
            out.append(REMOVED)
        else:
            out.append(sentence)
    return " ".join(out), reasons


def build_messages(question: str, hits: list[Hit], *, asked: str | None = None) -> tuple[list[dict[str, str]], list[str]]:
    """The chat messages for ``question`` over ``hits``, and the ids of injection-flagged chunks.

    ``asked``, when it differs, is the asker's own wording, given after the rewritten question.
    """
    blocks: list[str] = []
    flagged: list[str] = []
    for hit in hits:
        verdict = detect_injection(hit.text)
        text = hit.facts or hit.text
        if verdict.flagged:
            flagged.append(hit.chunk_id)
            text, _ = neutralise(text)
        blocks.append(fence_untrusted(text, hit.chunk_id, verdict))
    user = "Sources:\n" + "\n\n".join(blocks) + f"\n\nQuestion: {question}"
    if asked and asked.strip() != question.strip():
        user += f"\nAs asked: {' '.join(asked.split())}"
    return [{"role": "system", "content": SYSTEM_PROMPT}, {"role": "user", "content": user}], flagged


def split_sentences(text: str) -> list[str]:
    """Answer sentences (a citation right after a full stop stays with its sentence)."""
    parts = [p.strip() for p in _SENTENCE.split(text.strip()) if p.strip()]
    merged: list[str] = []
    for p in parts:
        # "[ID]" alone (citation placed after the full stop) belongs to the previous sentence
        if merged and not _CITATION.sub("", p).strip(" .;,"):
            merged[-1] += " " + p
        else:
            merged.append(p)
    return merged


def validate_reply(reply: str, hits: list[Hit]) -> tuple[list[str], list[str], list[SentenceCheck]]:
    """(valid citations, invalid citations, per-sentence support) of a model reply."""
    by_id = {h.chunk_id: h for h in hits}
    cited = citations_in(reply)
    valid = [c for c in cited if c in by_id]
    invalid = [c for c in cited if c not in by_id]
    checks: list[SentenceCheck] = []
    for sentence in split_sentences(reply):
        ids = [c for c in citations_in(sentence) if c in by_id]
        score = support_score(sentence, [by_id[c].facts or by_id[c].text for c in ids]) if ids else 0.0
        if not ids and not analyze(_CITATION.sub(" ", sentence)):
            score = 1.0  # nothing to support ("Yes.") is not a claim
        checks.append(SentenceCheck(sentence=sentence, citations=ids, support=round(score, 3),
                                    supported=score >= SUPPORT_THRESHOLD))
    return valid, invalid, checks


def by_id_about(hits: list[Hit], chunk_id: str) -> bool:
    """Whether the retrieved chunk ``chunk_id`` is about what the question names."""
    return any(h.chunk_id == chunk_id and h.about_question for h in hits)


def abstention_text(reason: str) -> str:
    """The text shown when the system abstains."""
    return f"{ABSTAIN_PREFIX} this safely from the documents you can access ({reason})."


def answer(retrieval: Retrieval, client: Any, *, model: str = DEFAULT_CHAT_MODEL,
           started: float | None = None) -> Answer:
    """Answer ``retrieval.question`` from its hits through the resilient ``client``, validated."""
    t0 = started if started is not None else time.perf_counter() - retrieval.latency_ms / 1000
    base: dict[str, Any] = dict(question=retrieval.question, roles=retrieval.roles, hits=retrieval.hits,
                strategy=retrieval.strategy, chunking=retrieval.chunking, retrieval_ms=retrieval.latency_ms)
    if retrieval.abstain or not retrieval.hits:
        reason = retrieval.reason or "no visible chunk matched the question"
        return Answer(status="abstained", text=abstention_text(reason), reason=reason,
                      total_ms=(time.perf_counter() - t0) * 1000, **base)
    messages, flagged_chunks = build_messages(retrieval.focus or retrieval.normalised or retrieval.question,
                                              retrieval.hits, asked=retrieval.question)
    result = client.chat(messages=messages, model=model, pattern="rag", temperature=0.0)
    reply = (result.content or "").strip()
    common: dict[str, Any] = dict(model_reply=reply, injection_flagged_chunks=flagged_chunks,
                  model=getattr(result, "model_served", None), cost=float(getattr(result, "cost", 0.0) or 0.0), **base)
    if getattr(result, "status", "ok") == "cannot_answer" or not reply or reply.startswith(ABSTAIN_PREFIX):
        reason = "the model found no support in the sources"
        return Answer(status="abstained", text=abstention_text(reason), reason=reason,
                      total_ms=(time.perf_counter() - t0) * 1000, **common)
    valid, invalid, checks = validate_reply(reply, retrieval.hits)
    problems: list[str] = []
    if invalid:
        problems.append("cites chunks that were not retrieved for this caller: " + ", ".join(invalid))
    unsupported = [c for c in checks if not c.supported]
    if unsupported:
        problems.append(f"{len(unsupported)} of {len(checks)} sentences not supported by the cited text")
    if not valid:
        problems.append("cites no retrieved chunk")
    off_topic = [c for c in valid if not by_id_about(retrieval.hits, c)]
    if off_topic:
        named = ", ".join(v for vals in retrieval.entities.values() for v in vals)
        problems.append(f"cites {', '.join(off_topic)}, which is not about {named or 'what was asked'}")
    if problems:
        reason = "answer failed validation: " + "; ".join(problems)
        return Answer(status="abstained", text=abstention_text(reason), reason=reason, flagged=True,
                      citations=valid, invalid_citations=invalid, sentences=checks,
                      total_ms=(time.perf_counter() - t0) * 1000, **common)
    return Answer(status="answered", text=reply, citations=valid, sentences=checks,
                  total_ms=(time.perf_counter() - t0) * 1000, **common)
