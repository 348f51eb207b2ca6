"""Chunking: split knowledge-base documents into retrievable pieces with their metadata.

Two strategies, both measured by the evaluation (``labkit.rag.evaluate``):

- ``fixed``: windows of a fixed number of tokens with an overlap, counted with the lab's
  deterministic tokenizer (``labkit.tokens``) so chunk sizes agree with the provider's usage.
  Windows are cut on sentence boundaries where possible, so a chunk never starts mid-word.
- ``section``: one chunk per section heading (long sections are split further with the fixed
  rule), which keeps a chunk about one topic.

Every chunk carries the metadata retrieval filters on: document id, section id, version,
status, ``updated_at`` and roles, plus a content hash used by incremental re-ingestion.
Chunk ids are derived from (doc_id, version, section, chunk index), so re-chunking the same
document yields the same ids and an upsert replaces instead of duplicating.

It does not read the database (``labkit.rag.index`` does) and does not embed anything.

Example:
    >>> doc = DocumentIn(doc_id="DOC-0001", version=2, title="Leave policy", status="current",
    ...                  roles=["employee"], updated_at="2026-01-05T00:00:00",
    ...                  sections=[SectionIn(section_id="DOC-0001#s1", heading="Annual leave",
    ...                                      text="Staff get 25 days. Carry-over is 5 days.")])
    >>> [c.chunk_id for c in chunk_document(doc, "section")]
    ['DOC-0001#s1@v2:c0']
"""

from __future__ import annotations

import hashlib
import re
from datetime import datetime
from typing import Literal

from pydantic import BaseModel, Field

from labkit.errors import InputError
from labkit.tokens import count_tokens

ChunkStrategy = Literal["fixed", "section"]
STRATEGIES: tuple[str, ...] = ("fixed", "section")

# defaults chosen so a section of the sample KB usually fits one fixed window too; the
# evaluation compares both strategies on the same questions
DEFAULT_CHUNK_TOKENS = 160
DEFAULT_OVERLAP_TOKENS = 32

_SENTENCE = re.compile(r"(?<=[.!?])\s+")


class SectionIn(BaseModel):
    """One section of a document as read from ``kb_sections``."""

    section_id: str
    heading: str = ""
    text: str
    ordinal: int = 0


class DocumentIn(BaseModel):
    """One version of a document as read from ``kb_documents`` (with its sections)."""

    doc_id: str
    version: int
    title: str = ""
    status: str = "current"
    roles: list[str] = Field(default_factory=list)
    updated_at: str | datetime | None = None
    department: str | None = None
    sections: list[SectionIn] = Field(default_factory=list)
    body: str | None = None


class Chunk(BaseModel):
    """A retrievable piece of a document, with the metadata retrieval filters on."""

    chunk_id: str
    doc_id: str
    version: int
    section_id: str
    chunk_index: int
    status: str
    roles: list[str]
    updated_at: str
    title: str = ""
    heading: str = ""
    text: str
    content_hash: str
    n_tokens: int
    covers: list[str] = Field(default_factory=list, description="every section the text spans, in order")


def content_hash(*parts: str) -> str:
    """A short, stable hash of the chunk text and the metadata that matters for filtering."""
    digest = hashlib.sha256("\x1f".join(parts).encode()).hexdigest()
    return digest[:16]


def chunk_id_for(doc_id: str, version: int, section_id: str, index: int) -> str:
    """The deterministic chunk id: section id (which starts with the doc id), version, index."""
    base = section_id if section_id.startswith(doc_id) else f"{doc_id}#{section_id}"
    return f"{base}@v{version}:c{index}"


def split_fixed(text: str, size: int = DEFAULT_CHUNK_TOKENS,
                overlap: int = DEFAULT_OVERLAP_TOKENS) -> list[str]:
    """Split ``text`` into windows of about ``size`` tokens overlapping by ``overlap`` tokens.

    Windows are built from whole sentences (a sentence longer than ``size`` is cut on word
    boundaries), so the overlap is "the last sentences worth at most ``overlap`` tokens".

    Example:
        >>> split_fixed("One two. Three four. Five six.", size=6, overlap=3)
        ['One two. Three four.', 'Three four. Five six.']
    """
    if size <= 0 or overlap < 0 or overlap >= size:
        raise InputError(f"chunk size must be > 0 and overlap in [0, size); got size={size}, overlap={overlap}")
    pieces: list[tuple[str, int]] = []
    for sentence in _SENTENCE.split(text.strip()):
        if not sentence:
            continue
        n = count_tokens(sentence)
        if n <= size:
            pieces.append((sentence, n))
            continue
        # an over-long sentence: cut on words so no window exceeds the size
        words, current_n = sentence.split(), 0
        current: list[str] = []
        for word in words:
            wn = count_tokens(word)
            if current and current_n + wn > size:
                pieces.append((" ".join(current), current_n))
                current, current_n = [], 0
            current.append(word)
            current_n += wn
        if current:
            pieces.append((" ".join(current), current_n))
    windows: list[str] = []
    start = 0
    while start < len(pieces):
        end, total = start, 0
        while end < len(pieces) and (total + pieces[end][1] <= size or end == start):
            total += pieces[end][1]
            end += 1
        windows.append(" ".join(p for p, _ in pieces[start:end]))
        if end >= len(pieces):
            break
        # step back over whole sentences worth at most `overlap` tokens, but always advance
        back, back_n = end, 0
        while back - 1 > start and back_n + pieces[back - 1][1] <= overlap:
            back -= 1
            back_n += pieces[back][1]
        start = back
    return windows


def _iso(value: str | datetime | None) -> str:
    if value is None:
        return ""
    return value.isoformat() if isinstance(value, datetime) else str(value)


def chunk_document(doc: DocumentIn, strategy: str = "section", *, size: int = DEFAULT_CHUNK_TOKENS,
                   overlap: int = DEFAULT_OVERLAP_TOKENS) -> list[Chunk]:
    """Chunk one document version with ``strategy`` (``fixed`` or ``section``).

    ``fixed`` runs the token windows over the whole document (sections joined in order, each
    window keeping the id of the section it starts in); ``section`` keeps one chunk per
    section, splitting only sections longer than ``size``. The title and heading are part of
    the indexed text because questions often name them.
    """
    if strategy not in STRATEGIES:
        raise InputError(f"unknown chunking strategy {strategy!r}; choose one of {', '.join(STRATEGIES)}")
    sections = sorted(doc.sections, key=lambda s: s.ordinal)
    if not sections and doc.body:
        sections = [SectionIn(section_id=f"{doc.doc_id}#s1", heading=doc.title, text=doc.body, ordinal=1)]
    roles = sorted(set(doc.roles))
    updated = _iso(doc.updated_at)
    chunks: list[Chunk] = []

    def add(section: SectionIn, index: int, text: str, covers: list[str] | None = None) -> None:
        indexed = f"{doc.title} — {section.heading}\n{text}" if section.heading else f"{doc.title}\n{text}"
        chunks.append(Chunk(
            chunk_id=chunk_id_for(doc.doc_id, doc.version, section.section_id, index),
            doc_id=doc.doc_id, version=doc.version, section_id=section.section_id,
            chunk_index=index, status=doc.status, roles=roles, updated_at=updated,
            title=doc.title, heading=section.heading, text=indexed,
            content_hash=content_hash(indexed, doc.status, ",".join(roles), updated),
            n_tokens=count_tokens(indexed), covers=covers or [section.section_id],
        ))

    if strategy == "section":
        for section in sections:
            for i, window in enumerate(split_fixed(section.text, size, overlap) or [""]):
                if window.strip():
                    add(section, i, window)
        return chunks

    # fixed: windows over the whole document; remember where each sentence came from so a
    # window is attributed to the section it starts in (section ids are the relevance labels)
    counters: dict[str, int] = {}
    owner: list[tuple[str, SectionIn]] = []
    for section in sections:
        for sentence in _SENTENCE.split(section.text.strip()):
            if sentence:
                owner.append((sentence, section))
    if not owner:
        return chunks
    joined = " ".join(s for s, _ in owner)
    cursor = 0
    starts: list[tuple[int, SectionIn]] = []
    for sentence, section in owner:
        pos = joined.find(sentence, cursor)
        starts.append((pos, section))
        cursor = pos + len(sentence)
    search_from = 0
    for window in split_fixed(joined, size, overlap):
        pos = joined.find(window[:40], search_from)
        pos = max(pos, 0)
        search_from = pos + 1
        section = starts[0][1]
        covers: list[str] = []
        for start, sec in starts:
            if start <= pos:
                section = sec
            elif start >= pos + len(window):
                break
            if start >= pos and sec.section_id not in covers:
                covers.append(sec.section_id)
        if section.section_id not in covers:
            covers.insert(0, section.section_id)
        index = counters.get(section.section_id, 0)
        counters[section.section_id] = index + 1
        add(section, index, window, covers)
    return chunks
