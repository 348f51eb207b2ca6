"""What the knowledge base is about: each document's subject, its boilerplate, its words.

Computed from the indexed chunks themselves (so it holds for any corpus, not only the lab's),
and used by retrieval, abstention and answer checking:

- **subject** of a document: what its title is about, with the document type taken off
  ("SwiftNest Sales Playbook" -> ``SwiftNest``; "Remote Work Policy: Poland" -> ``Poland``;
  copy markers such as "Copy of" and "- imported" dropped). Its **kind** is ``place`` when
  the subject is a country or region (CLDR territory names, :data:`labkit.rag.normalize.REGIONS`),
  ``product`` when it is one CamelCase word, ``topic`` otherwise ("CRM system").
- **boilerplate**: sentences that say nothing about the subject. A sentence is compared across
  documents with the subject and title masked; it is boilerplate when its masked form occurs in
  at least 10% of the documents, or (when it names neither the subject nor any number) in at
  least half of the documents of its type. So "Keep this page open while you walk a customer
  through the steps." and a runbook's "Rollback is preferred over a forward fix" are
  boilerplate, while "SwiftNest trials last 30 days" (same template, other products, other
  numbers) and "To fix it, sign out and sign in again" (a fifth of the troubleshooting guides)
  are facts. The rule reads the corpus only, never questions.
- **fact text** of a chunk: its heading line and its non-boilerplate sentences: what is
  embedded, indexed for BM25, sent to the model, and allowed to count as an answer.
- **vocabulary**: every word of the corpus (lower case), for typo correction.

It does not search or rank anything.

Example:
    >>> p = build_profile([("D1", "SwiftNest Sales Playbook", "SwiftNest trials last 30 days. Keep this page open."),
    ...                    ("D2", "HarborBoard Sales Playbook", "HarborBoard trials last 14 days. Keep this page open."),
    ...                    ("D3", "QuartzDesk Sales Playbook", "QuartzDesk trials last 21 days. Keep this page open.")])
    >>> p.subjects["D1"], p.fact_sentences("D1", "SwiftNest trials last 30 days. Keep this page open.")
    (('SwiftNest', 'product'), ['SwiftNest trials last 30 days.'])
"""

from __future__ import annotations

import hashlib
import json
import re
from collections import defaultdict
from collections.abc import Iterable
from dataclasses import dataclass, field

from labkit.rag.normalize import REGIONS, _territories, fold

_COPY = re.compile(r"^\s*copy of\s+|\s*\((?:copy|draft)\)\s*$|\s*-\s*imported\s*$", re.I)
_SENT = re.compile(r"(?<=[.!?])\s+|\n+")
_CAMEL = re.compile(r"^[A-Z][a-z0-9]+(?:[A-Z][a-z0-9]+)+$")
_WORD = re.compile(r"[a-z0-9]+(?:-[a-z0-9]+)*")
_DIGIT = re.compile(r"\d")
SHARE_OF_ALL = 0.10
SHARE_OF_TYPE = 0.5
MIN_DOCS = 3


def split_title(title: str) -> tuple[str, str]:
    """(document type, subject) of a title.

    Example:
        >>> split_title("Remote Work Policy: Poland"), split_title("Copy of PayHub Release Notes")
        (('Remote Work Policy', 'Poland'), ('Release Notes', 'PayHub'))
    """
    t = _COPY.sub("", title or "").strip()
    if ": " in t:
        kind, subject = t.split(": ", 1)
        return kind.strip(), subject.strip()
    first, _, rest = t.partition(" ")
    return rest.strip(), first.strip()


def subject_kind(subject: str) -> str:
    """``place``, ``product`` or ``topic``."""
    places = {fold(n) for n in _territories().values()} | set(REGIONS)
    if fold(subject) in places or fold(subject.removeprefix("the ")) in places:
        return "place"
    if _CAMEL.match(subject):
        return "product"
    return "topic"


def sentences(text: str) -> list[str]:
    """Sentences and lines of ``text``."""
    return [s.strip() for s in _SENT.split(text or "") if s.strip()]


def _mask(sentence: str, title: str, subject: str) -> str:
    out = sentence
    for name in sorted({title, _COPY.sub("", title).strip(), subject}, key=len, reverse=True):
        if name:
            out = out.replace(name, "<S>")
    return " ".join(out.split())


@dataclass
class Profile:
    """Subjects, boilerplate templates and vocabulary of one index."""

    subjects: dict[str, tuple[str, str]] = field(default_factory=dict)
    titles: dict[str, str] = field(default_factory=dict)
    boilerplate: frozenset[str] = frozenset()
    vocabulary: frozenset[str] = frozenset()

    def places(self) -> set[str]:
        """Every place subject (the region names the knowledge base uses)."""
        return {s for s, k in self.subjects.values() if k == "place"}

    def products(self) -> dict[str, str]:
        """lower-case product name -> product name."""
        return {s.lower(): s for s, k in self.subjects.values() if k == "product"}

    def is_boilerplate(self, doc_id: str, sentence: str) -> bool:
        """Whether ``sentence`` of document ``doc_id`` is boilerplate (a chunk's "title —
        heading" line never is: it says what the chunk is about)."""
        title = self.titles.get(doc_id, "")
        if title and sentence.startswith(title):
            return False
        subject = self.subjects.get(doc_id, ("", ""))[0]
        return _mask(sentence, title, subject) in self.boilerplate

    def fact_sentences(self, doc_id: str, text: str) -> list[str]:
        """The sentences of ``text`` that are not boilerplate (a heading line stays)."""
        return [s for s in sentences(text) if not self.is_boilerplate(doc_id, s)]

    def fact_text(self, doc_id: str, text: str) -> str:
        """``text`` without its boilerplate sentences."""
        return " ".join(self.fact_sentences(doc_id, text))

    def digest(self) -> str:
        """A short hash of the boilerplate set (part of each chunk's index hash)."""
        return hashlib.blake2b("\n".join(sorted(self.boilerplate)).encode(), digest_size=6).hexdigest()

    def to_json(self) -> str:
        """Serialised for the index's metadata table."""
        return json.dumps({"subjects": self.subjects, "titles": self.titles,
                           "boilerplate": sorted(self.boilerplate), "vocabulary": sorted(self.vocabulary)})

    @classmethod
    def from_json(cls, raw: str) -> Profile:
        """The inverse of :meth:`to_json`."""
        data = json.loads(raw)
        return cls(subjects={k: (v[0], v[1]) for k, v in data["subjects"].items()}, titles=data["titles"],
                   boilerplate=frozenset(data["boilerplate"]), vocabulary=frozenset(data["vocabulary"]))


def build_profile(chunks: Iterable[tuple[str, str, str]]) -> Profile:
    """The profile of a corpus given as ``(doc_id, title, text)`` rows (chunks or sections)."""
    titles: dict[str, str] = {}
    subjects: dict[str, tuple[str, str]] = {}
    by_template: dict[str, set[str]] = defaultdict(set)
    vocab: set[str] = set()
    rows = list(chunks)
    for doc_id, title, _ in rows:
        if doc_id not in titles:
            titles[doc_id] = title or ""
            _, subject = split_title(title or "")
            subjects[doc_id] = (subject, subject_kind(subject))
    doc_type = {d: split_title(t)[0].lower() for d, t in titles.items()}
    type_size: dict[str, int] = defaultdict(int)
    for d in titles:
        type_size[doc_type[d]] += 1
    for doc_id, title, text in rows:
        vocab.update(_WORD.findall((text or "").lower()))
        subject = subjects[doc_id][0]
        for s in sentences(text):
            if title and s.startswith(title):
                continue  # the "title — heading" line of a chunk
            by_template[_mask(s, title or "", subject)].add(doc_id)
    n_docs = max(1, len(titles))
    boiler: set[str] = set()
    for template, docs in by_template.items():
        if len(docs) < MIN_DOCS:
            continue
        if len(docs) >= max(MIN_DOCS, SHARE_OF_ALL * n_docs):
            boiler.add(template)
            continue
        if "<S>" in template or _DIGIT.search(template):
            continue
        per_type: dict[str, int] = defaultdict(int)
        for d in docs:
            per_type[doc_type[d]] += 1
        if any(n >= max(MIN_DOCS, SHARE_OF_TYPE * type_size[t]) for t, n in per_type.items()):
            boiler.add(template)
    return Profile(subjects=subjects, titles=titles, boilerplate=frozenset(boiler), vocabulary=frozenset(vocab))
