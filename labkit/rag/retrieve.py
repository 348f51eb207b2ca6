"""Retrieval: dense, lexical and hybrid (score or rank fusion), with abstention.

- ``dense``: cosine similarity in Chroma; ``lexical``: BM25 in DuckDB; ``hybrid``: one of two
  fusions, chosen and weighted per chunking on the labelled question sets
  (:func:`labkit.rag.evaluate.calibrate_fusion`):

  - ``zscore`` (section chunking since round 4b): each list's scores standardised over its own
    candidates (``(s - mean) / std``), weighted and summed (CombSUM of z-scores). A BM25 top
    that stands clear of the rest counts strongly; a flat one (four salary-band sections of
    four countries tied on "salary band", retention schedules sharing "retention schedule")
    gives them all about the same z, and the dense similarity decides between them. Rank
    fusion cannot see that: it gives the first of a tie rank 1, picked by id.
  - ``rrf``: weighted reciprocal rank fusion (``w / (60 + rank)`` summed over both lists,
    Cormack et al. 2009), optionally with a document-context list.
- The caller's roles and the status filter are applied inside each store's query (a Chroma
  ``where``, an SQL ``WHERE``) and once more when chunk rows are read: a chunk the caller may
  not see can never be ranked, fused, returned or quoted.
- Abstention looks at the best RAW evidence (the top cosine similarity and the top BM25
  score), never at the fused RRF score, which only says how items rank against each other,
  not whether any of them is good. Thresholds are calibrated on the labelled questions by
  :func:`calibrate` and kept in ``labkit/rag/thresholds.json`` so runs are reproducible.

It does not call the chat model (``labkit.rag.answer``).

Example:
    >>> rrf([["a", "b"], ["b", "c"]])
    [('b', 0.03252247488101534), ('a', 0.01639344262295082), ('c', 0.016129032258064516)]
    >>> [c for c, _ in zscore_fusion([[("a", .9), ("b", .5), ("c", .4)], [("b", 9.), ("c", 9.), ("a", 2.)]])]
    ['b', 'a', 'c']
"""

from __future__ import annotations

import json
import re
import time
from collections.abc import Sequence
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Literal

import numpy as np
from pydantic import BaseModel, Field

from labkit.data.access import ROLES, caller_roles
from labkit.errors import ConfigError, InputError
from labkit.rag.abstention import FEATURES, TARGET_CORRECT, AbstentionModel, choose_cut, features, fit_model
from labkit.rag.index import RagIndex
from labkit.rag.lexical import analyze
from labkit.rag.normalize import Normalised, find_places, normalise
from labkit.tokens import count_tokens

Strategy = Literal["dense", "lexical", "hybrid"]
RETRIEVERS: tuple[str, ...] = ("dense", "lexical", "hybrid")
RRF_K = 60
MAX_QUESTION_TOKENS = 512
MAX_K = 50
THRESHOLDS_PATH = Path(__file__).with_name("thresholds.json")
#: calibrate(objective="balanced"): settings within this much correct-minus-false abstention
#: of the best count as equally good (about one standard error of a rate on 40 questions / 2)
BALANCED_TOLERANCE = 0.03
_POOL = ThreadPoolExecutor(max_workers=4, thread_name_prefix="labkit-rag")
_TOKEN = re.compile(r"[A-Za-z0-9]+")
_CODE = re.compile(r"\b[A-Z]{2,}-\d{2,}\b|(?<![\w/])/[a-z0-9][\w.-]*(?:/[\w.-]+)+")
_VERSION = re.compile(r"(?<![\d.,])\d+\.\d+(?:\.\d+)?(?![\d.,]*\d)")
# A question about what a document said before it changed ("Before the PayHub refund policy was
# updated...", "the old RavenCast troubleshooting guide"): callers see current versions only, so
# the retriever has nothing to answer it from, and the current text would answer another
# question. "used to" is left out: "the limit used to be tiny" asks for today's limit.
_ASKS_EARLIER = re.compile(
    r"\bbefore\b[^.?!]{0,80}?\b(?:was|were|got|had\s+been)\s+(?:last\s+)?(?:updated|revised|changed|amended|rewritten|replaced)\b"
    r"|\b(?:old|older|previous|earlier|former|original|outdated|superseded|prior)\s+(?:[\w-]+\s+){0,3}?"
    r"(?:version|edition|guide|manual|policy|document|guidance|rules|handbook|schedule|release\s+notes|procedure|runbook|standard)s?\b",
    re.I)
#: Words people ask with, whatever the topic (the issue's "get, give, want, often"): never a
#: concept the evidence must find. General English, not learned from questions.
ASKING_WORDS = frozenset((
    "many much long soon often quick quickly need needs needed allowed allow allows get gets got give "
    "want wants know tell someone somebody anyone anybody still exactly now currently please happen "
    "happens able can could would like sure just really actually thing things way kind sort ask asks "
    "asking asked question answer help find look say says said go going much long time us").split())
ASKING_TERMS = frozenset(analyze(" ".join(sorted(ASKING_WORDS))))


class Hit(BaseModel):
    """One retrieved chunk with its scores (raw scores are None when that retriever missed it)."""

    chunk_id: str
    doc_id: str
    section_id: str
    version: int
    status: str
    covers: list[str] = Field(default_factory=list, description="every section the chunk's text spans")
    updated_at: str = ""
    title: str = ""
    text: str
    score: float = Field(description="the score the strategy ranked by (cosine, BM25, fused z-score or RRF)")
    dense_score: float | None = None
    lexical_score: float | None = None
    rank: int
    facts: str = Field("", description="the chunk's fact text: heading line and non-boilerplate sentences")
    about_question: bool = Field(True, description="about the product / place / version the question names")


class Evidence(BaseModel):
    """The best raw scores of a retrieval, the input of the abstention decision."""

    best_dense: float | None = None
    best_lexical: float | None = None
    coverage: float | None = Field(None, description="share of the query's idf mass in the best-covering chunk")
    unknown_terms: list[str] = Field(default_factory=list, description=(
        "question terms no visible chunk contains, minus the question vocabulary (words people ask with, "
        "learned from answerable calibration questions): a topic the knowledge base does not cover"))
    entities: dict[str, list[str]] = Field(default_factory=dict, description="products, places, versions named")
    missing: list[str] = Field(default_factory=list, description="named products no visible fact is about")
    stated: list[str] = Field(default_factory=list, description=(
        "identifiers the question names (error codes, API paths) that a visible fact chunk about it states"))
    concepts: list[list[str]] = Field(default_factory=list, description="the question's content terms")


class Thresholds(BaseModel):
    """Abstention thresholds for one (chunking, strategy): abstain below these raw scores.

    ``rule`` says how hybrid combines similarity and BM25: ``all`` abstains only when both
    are below their thresholds, ``any`` when either is. Independently, a ``coverage`` below
    its threshold abstains (lexical and hybrid): the question names something no visible
    chunk mentions.
    """

    dense: float | None = None
    lexical: float | None = None
    coverage: float | None = None
    unknown: int | None = Field(None, description="abstain when at least this many unknown terms (lexical, hybrid)")
    rule: Literal["all", "any"] = "all"
    model: AbstentionModel | None = Field(None, description=(
        "a fitted combined score (labkit.rag.abstention); when set it decides instead of the cuts above"))


class Retrieval(BaseModel):
    """The outcome of one retrieval: hits (best first), evidence, and whether to abstain."""

    question: str
    roles: list[str]
    strategy: str
    chunking: str
    k: int
    hits: list[Hit]
    evidence: Evidence
    abstain: bool
    reason: str = ""
    latency_ms: float = 0.0
    normalised: str = Field("", description="the question as rewritten for retrieval")
    focus: str = Field("", description="the question in the knowledge base's words, for the prompt")
    entities: dict[str, list[str]] = Field(default_factory=dict)


@dataclass(frozen=True)
class _ChunkInfo:
    facts: str
    terms: frozenset[str]
    factful: bool
    subject: str
    kind: str
    text: str


def _places_written(norm: Normalised) -> list[str]:
    return list(norm.place_words)


def _place_names(norm: Normalised) -> list[str]:
    # the region each place word stands for, in the same order as norm.place_words, as
    # normalisation resolved it in the question (looking a city up again on its own failed:
    # a lone "Stockholm" opens a "sentence", where only country names count, so the prompt
    # kept "Stockholm" while the sources say "Nordics")
    if len(norm.place_names) == len(norm.place_words):
        return list(norm.place_names)
    return [(find_places(w, norm.places) or [w])[0] for w in norm.place_words]


_NAME_PART = re.compile(r"[A-Z][a-z]+")


def unknown_products(text: str, products: dict[str, str], vocabulary: frozenset[str] | set[str]) -> list[str]:
    """Words of ``text`` that name a product the knowledge base does not have: made of two or
    more parts of its product names ("MapleLink", "harborflow": Maple-, -Link, Harbor-, -Flow
    all occur in product names), not a product name itself and no word of the corpus. Near
    misses are asked this way ("the refund window for HarborFlow"), and no chunk can be about
    them; a product the knowledge base names, or a word it uses, never counts.

    Example:
        >>> unknown_products("MapleLink vs harborflow vs HarborLink refund", {"harborlink": "HarborLink",
        ...                  "maplebridge": "MapleBridge", "flownest": "FlowNest"}, frozenset({"refund"}))
        ['MapleLink', 'harborflow']
    """
    parts = {p.lower() for name in products.values() for p in _NAME_PART.findall(name)}
    out: list[str] = []
    for token in re.findall(r"[A-Za-z]+", text):
        low = token.lower()
        if low in products or low in vocabulary or token in out:
            continue
        camel = _NAME_PART.findall(token)
        if len(camel) >= 2 and "".join(camel) == token:
            if all(p.lower() in parts for p in camel):
                out.append(token)
        elif token.islower() and any(low[:i] in parts and low[i:] in parts for i in range(3, len(low) - 2)):
            out.append(token)
    return out


def answerable_first(ranked: Sequence[tuple[str, float]], infos: dict[str, _ChunkInfo],
                     fits: dict[str, bool]) -> list[tuple[str, float]]:
    """``ranked`` (visible rows only) with the chunks that can answer first: about what the
    question names and stating a fact. A "Purpose and scope" section that only repeats the
    product name, or the same section of another product's manual, comes after them; each
    group keeps the strategy's order."""
    order = {cid: n for n, (cid, _) in enumerate(ranked)}
    return sorted((p for p in ranked if p[0] in infos),
                  key=lambda p: (not fits[p[0]], not infos[p[0]].factful, order[p[0]]))


def rrf(rankings: Sequence[Sequence[str]], k: int = RRF_K,
        weights: Sequence[float] | None = None) -> list[tuple[str, float]]:
    """Reciprocal rank fusion of several ranked id lists, best first (ties by id).

    ``weights`` (one per list, default 1.0) scale each list's ``1 / (k + rank)``.
    """
    scores: dict[str, float] = {}
    for n, ranking in enumerate(rankings):
        w = 1.0 if weights is None else weights[n]
        for rank, item in enumerate(ranking, start=1):
            scores[item] = scores.get(item, 0.0) + w / (k + rank)
    return sorted(scores.items(), key=lambda kv: (-kv[1], kv[0]))


def zscore_fusion(scored: Sequence[Sequence[tuple[str, float]]],
                  weights: Sequence[float] | None = None) -> list[tuple[str, float]]:
    """Score fusion: each list's scores as z-scores over that list's candidates, weighted and
    summed, best first (ties by id). An item a list did not return gets that list's lowest
    z (it scored below everything the list did return).

    Why z-scores and not ranks: the two scales differ (cosine 0.4-0.9, BM25 2-30) and so does
    their spread per question. Standardising per list and per question keeps what ranks
    throw away, how far the top stands from the rest: four BM25 sections tied at 20.25 get the
    same z and the cosine orders them; a BM25 top at 11.3 over a runner-up at 9.2 keeps its
    lead. (Min-max scaling measured the same within noise; z-scores do not hinge on one
    outlier at either end.)
    """
    total: dict[str, float] = {}
    floors: list[float] = []
    zs: list[dict[str, float]] = []
    for pairs in scored:
        values = np.array([v for _, v in pairs], dtype=float)
        if len(values) == 0:
            zs.append({})
            floors.append(0.0)
            continue
        sd = float(values.std()) or 1.0  # one candidate, or all tied: every z is 0
        mean = float(values.mean())
        zs.append({cid: (v - mean) / sd for cid, v in pairs})
        floors.append(float((values.min() - mean) / sd))
    ids = dict.fromkeys(cid for pairs in scored for cid, _ in pairs)
    for cid in ids:
        total[cid] = sum((1.0 if weights is None else weights[n]) * z.get(cid, floors[n])
                         for n, z in enumerate(zs))
    return sorted(total.items(), key=lambda kv: (-kv[1], kv[0]))


def fuse(fusion: Fusion, dense: Sequence[tuple[str, float]], lexical: Sequence[tuple[str, float]],
         doc_context: bool = True) -> list[tuple[str, float]]:
    """The hybrid ranking of the two raw rankings under ``fusion`` (method and weights)."""
    if fusion.method == "zscore":
        return zscore_fusion([dense, lexical], [fusion.dense, fusion.lexical])
    lists = [[i for i, _ in dense], [i for i, _ in lexical]]
    weights = [fusion.dense, fusion.lexical]
    if doc_context and fusion.doc > 0:
        lists.append(document_ranking(rrf(lists, weights=weights)))
        weights.append(fusion.doc)
    return rrf(lists, weights=weights)


def document_ranking(fused: Sequence[tuple[str, float]]) -> list[str]:
    """The fused candidates re-ordered by their document's best position, then their own.

    Used as a third list in hybrid fusion ("document context"): sections of the document
    that matched best move up together, so the introduction of the right policy outranks
    the same-named section of another product's policy.

    Example:
        >>> document_ranking([("A#s3@v1:c0", .3), ("B#s3@v1:c0", .2), ("A#s1@v1:c0", .1)])
        ['A#s3@v1:c0', 'A#s1@v1:c0', 'B#s3@v1:c0']
    """
    doc_pos: dict[str, int] = {}
    for pos, (cid, _) in enumerate(fused):
        doc_pos.setdefault(cid.split("#", 1)[0], pos)
    order = {cid: pos for pos, (cid, _) in enumerate(fused)}
    return sorted(order, key=lambda cid: (doc_pos[cid.split("#", 1)[0]], order[cid]))


class Fusion(BaseModel):
    """How hybrid fuses dense and lexical for one chunking: ``rrf`` scales each list's
    ``1 / (60 + rank)`` by its weight, ``zscore`` each list's standardised score
    (:func:`zscore_fusion`).

    Chosen on the labelled question sets (:func:`labkit.rag.evaluate.calibrate_fusion`);
    ``doc`` weighs RRF's document-context list (0 switches it off; not used by ``zscore``).
    """

    method: Literal["rrf", "zscore"] = "rrf"
    dense: float = 1.0
    lexical: float = 1.0
    doc: float = 1.0


def load_fusion(path: Path | None = None) -> dict[str, Fusion]:
    """Calibrated fusion weights per chunking from the thresholds file (empty if none)."""
    target = path or THRESHOLDS_PATH
    if not target.exists():
        return {}
    try:
        raw = json.loads(target.read_text())
        return {key: Fusion(**value) for key, value in raw.get("fusion", {}).items()}
    except (ValueError, TypeError) as exc:
        raise ConfigError(f"{target}: not a valid thresholds file ({exc})") from exc


def load_question_vocabulary(path: Path | None = None) -> frozenset[str]:
    """Analysed terms that answerable calibration questions use but no chunk contains
    ("many", "long", "caus"...): asking words, not a topic, so not evidence of a gap."""
    target = path or THRESHOLDS_PATH
    if not target.exists():
        return frozenset()
    try:
        return frozenset(json.loads(target.read_text()).get("question_vocabulary", []))
    except (ValueError, TypeError) as exc:
        raise ConfigError(f"{target}: not a valid thresholds file ({exc})") from exc


def load_thresholds(path: Path | None = None) -> dict[str, Thresholds]:
    """The calibrated thresholds, keyed ``"<chunking>/<strategy>"`` (empty if not calibrated)."""
    target = path or THRESHOLDS_PATH
    if not target.exists():
        return {}
    try:
        raw = json.loads(target.read_text())
        return {key: Thresholds(**value) for key, value in raw.get("thresholds", {}).items()}
    except (ValueError, TypeError) as exc:
        raise ConfigError(f"{target}: not a valid thresholds file ({exc})") from exc


def decide(evidence: Evidence, strategy: str, thresholds: Thresholds | None) -> tuple[bool, str]:
    """Whether to abstain on ``evidence`` and a one-line reason."""
    if evidence.missing:
        return True, f"no document you can access states this for {', '.join(evidence.missing)}"
    if evidence.best_dense is None and evidence.best_lexical is None:
        return True, "no visible chunk about what the question names matched it"
    if evidence.stated and not evidence.missing:
        # an identifier ("VP-3404", "/v1/export") is the most specific evidence there is: a
        # chunk about what the question names states it, so the topic is covered whatever the
        # similarity of a two-word query (an identifier no chunk states is in ``missing``)
        return False, ""
    if thresholds is None:
        return False, ""
    if thresholds.model is not None:
        m = thresholds.model
        values = features(strategy, evidence.best_dense, evidence.best_lexical, evidence.coverage)
        p = m.probability(values)
        if p >= m.cut:
            return False, ""
        shown = {"dense": f"similarity {evidence.best_dense or 0.0:.3f}",
                 "lexical": f"BM25 {evidence.best_lexical or 0.0:.2f}",
                 "coverage": f"coverage {evidence.coverage or 0.0:.0%}"}
        return True, (f"evidence too weak: P(answerable) {p:.2f} < {m.cut:.2f} from best "
                      + ", ".join(shown[f] for f in m.features))
    weak: list[str] = []
    checks: list[bool] = []
    if strategy in ("dense", "hybrid") and thresholds.dense is not None:
        low = (evidence.best_dense or 0.0) < thresholds.dense
        checks.append(low)
        if low:
            weak.append(f"best similarity {evidence.best_dense or 0.0:.3f} < {thresholds.dense:.3f}")
    if strategy in ("lexical", "hybrid") and thresholds.lexical is not None:
        low = (evidence.best_lexical or 0.0) < thresholds.lexical
        checks.append(low)
        if low:
            weak.append(f"best BM25 {evidence.best_lexical or 0.0:.2f} < {thresholds.lexical:.2f}")
    abstain = bool(checks) and (all(checks) if thresholds.rule == "all" else any(checks))
    if (strategy in ("lexical", "hybrid") and thresholds.unknown is not None
            and len(evidence.unknown_terms) >= thresholds.unknown):
        abstain = True
        weak.insert(0, f"no visible chunk mentions {', '.join(evidence.unknown_terms)}")
    if strategy in ("lexical", "hybrid") and thresholds.coverage is not None:
        cov = evidence.coverage or 0.0
        if cov < thresholds.coverage:
            abstain = True
            weak.insert(0, f"best chunk covers {cov:.0%} of the question's terms < {thresholds.coverage:.0%}")
    return abstain, ("evidence too weak: " + "; ".join(weak)) if abstain else ""


def check_question(question: str) -> str:
    """The question, stripped; empty or oversized questions are refused with a clear message."""
    if not isinstance(question, str) or not question.strip():
        raise InputError("the question is empty")
    n = count_tokens(question)
    if n > MAX_QUESTION_TOKENS:
        raise InputError(f"the question is too long ({n} tokens; at most {MAX_QUESTION_TOKENS})")
    return question.strip()


class Retriever:
    """Ranks chunks of a :class:`RagIndex` for a caller, and decides whether to abstain."""

    def __init__(self, index: RagIndex, *, thresholds: dict[str, Thresholds] | None = None,
                 candidates: int = 50, doc_context: bool = True,
                 fusion: dict[str, Fusion] | None = None, question_vocabulary: Sequence[str] | None = None) -> None:
        self.index = index
        self.question_vocabulary = (load_question_vocabulary() if question_vocabulary is None
                                    else frozenset(question_vocabulary))
        self.doc_context = doc_context
        self.thresholds = load_thresholds() if thresholds is None else thresholds
        # calibrated weights when the caller gives none; plain RRF (all 1.0) when uncalibrated
        self.fusion = load_fusion() if fusion is None else fusion
        self.candidates = candidates
        self._norm_cache: dict[tuple[str, str], Normalised] = {}
        self._info_cache: dict[tuple[str, str], tuple[Any, _ChunkInfo]] = {}

    def warm_up(self, chunking: str = "section") -> None:
        """Load before the first question what every question reads: the normalisation data
        (place names, word lists), and every current chunk's row and fact profile (about a
        second for the default knowledge base; otherwise the first questions pay for it)."""
        self.normalised("warm up in Berlin", chunking)
        visible = self.index.lexical.visible_ids(chunking, ROLES)
        for row in self.index.lexical.fetch(chunking, visible, ROLES).values():
            self._chunk_info(chunking, row)

    def normalised(self, question: str, chunking: str = "section") -> Normalised:
        """``question`` rewritten toward the knowledge base's words (:mod:`labkit.rag.normalize`)."""
        profile = self.index.profile(chunking)
        key = (chunking, question)
        hit = self._norm_cache.get(key)
        if hit is None:
            hit = normalise(question, vocabulary=profile.vocabulary, places=profile.places())
            if len(self._norm_cache) > 4096:
                self._norm_cache.clear()
            self._norm_cache[key] = hit
        return hit

    def raw(self, question: str, roles: Sequence[str], *, chunking: str = "section",
            include_superseded: bool = False, depth: int | None = None,
            vector: Sequence[float] | None = None) -> tuple[list[tuple[str, float]], list[tuple[str, float]]]:
        """Both raw rankings (dense, lexical) of the normalised question, visible chunks only."""
        n = depth or self.candidates
        text = self.normalised(question, chunking).text
        if vector is None:
            vector = self.index.embed([text])[0]
        dense = self._dense(chunking, vector, roles, n, include_superseded)
        lexical = self.index.lexical.search(chunking, text, roles, n, include_superseded=include_superseded)
        return dense, lexical

    def _dense(self, chunking: str, vector: Sequence[float], roles: Sequence[str], n: int,
               include_superseded: bool) -> list[tuple[str, float]]:
        # the ids the caller may see filter the vector search (cheaper than Chroma's metadata
        # ``where``, same ranking); they come from the chunk table the BM25 query filters on
        visible = self.index.lexical.visible_ids(chunking, roles, include_superseded=include_superseded)
        return self.index.dense[chunking].search(vector, roles, n, include_superseded=include_superseded,
                                                 visible=visible)

    def entities(self, norm: Normalised, chunking: str = "section") -> dict[str, list[str]]:
        """What the question names: products, places (as the knowledge base names them),
        versions ("7.10") and identifiers (error codes "CS-2255", API paths "/v1/export"). A
        chunk about another product or place, or that does not contain the version or the
        identifier, cannot answer it."""
        products = self.index.profile(chunking).products()
        named: list[str] = []
        for token in _TOKEN.findall(norm.base):
            name = products.get(token.lower())
            if name and name not in named:
                named.append(name)
        versions = list(dict.fromkeys(_VERSION.findall(norm.original)))
        codes = list(dict.fromkeys(m.group(0) for m in _CODE.finditer(norm.original)))
        profile = self.index.profile(chunking)
        return {"products": named, "places": list(norm.places), "versions": versions, "codes": codes,
                "unknown_products": unknown_products(norm.base or norm.original, products, profile.vocabulary)}

    def judge(self, norm: Normalised, chunking: str, rows: dict[str, dict[str, Any]]
              ) -> tuple[dict[str, list[str]], dict[str, _ChunkInfo], dict[str, bool]]:
        """The question's entities, each candidate row's fact profile, and whether it is
        about what the question names."""
        entities = self.entities(norm, chunking)
        infos = {cid: self._chunk_info(chunking, row) for cid, row in rows.items()}
        fits = {cid: self.compatible(info, entities) for cid, info in infos.items()}
        return entities, infos, fits

    def _chunk_info(self, chunking: str, row: dict[str, Any]) -> _ChunkInfo:
        key = (chunking, row["chunk_id"])
        profile = self.index.profile(chunking)
        cached = self._info_cache.get(key)
        # a re-ingest may change a chunk's text under the same id, or the corpus profile
        info = cached[1] if cached is not None and cached[0] is profile and cached[1].text == row["text"] else None
        if info is None:
            facts = profile.fact_sentences(row["doc_id"], row["text"])
            title = row.get("title") or ""
            factful = [s for s in facts if not (title and s.startswith(title))]
            subject, kind = profile.subjects.get(row["doc_id"], ("", "topic"))
            info = _ChunkInfo(facts=" ".join(facts), terms=frozenset(analyze(" ".join(facts))),
                              factful=bool(factful), subject=subject, kind=kind, text=row["text"])
            if len(self._info_cache) > 200_000:
                self._info_cache.clear()
            self._info_cache[key] = (profile, info)
        return info

    @staticmethod
    def compatible(info: _ChunkInfo, entities: dict[str, list[str]]) -> bool:
        """Whether a chunk can be about what the question names: a product (place) document
        must be about a product (place) the question names; a named version must appear; a
        chunk about another identifier (error ``KW-2466`` when ``KW-2554`` is asked) cannot
        answer, while one that names no identifier can answer the question's other part
        ("what does HL-4522 mean, and what is the notice period?").

        Example:
            >>> info = _ChunkInfo("", frozenset(), True, "HarborLink", "product", "Error HL-4466 means ...")
            >>> named = {"products": ["HarborLink"], "places": [], "versions": [], "codes": ["HL-4522"]}
            >>> Retriever.compatible(info, named)
            False
        """
        if info.kind == "product" and entities["products"] and info.subject not in entities["products"]:
            return False
        if info.kind == "place" and entities["places"] and info.subject not in entities["places"]:
            return False
        if entities["versions"] and not any(v in info.text for v in entities["versions"]):
            return False
        codes = entities.get("codes") or []
        if not codes or any(c.lower() in info.text.lower() for c in codes):
            return True
        return not _CODE.search(info.text)

    def concepts(self, norm: Normalised, entities: dict[str, list[str]]) -> list[frozenset[str]]:
        """The question's content, one set of alternative terms per concept: named entities,
        stop words and asking words left out; an everyday phrase and the knowledge base's
        words for it ("money back" / refund) are one concept."""
        skip = set(self.question_vocabulary) | ASKING_TERMS
        for name in entities["products"] + entities["places"]:
            skip.update(analyze(name))
        for place in _places_written(norm):
            skip.update(analyze(place))
        grouped: list[frozenset[str]] = []
        used: set[str] = set()
        for asked, kb_words in norm.equivalents:
            alts = frozenset(analyze(asked)) | frozenset(analyze(kb_words))
            # an everyday phrase the map gives knowledge-base words for is a concept even when
            # its own words are in the learned question vocabulary ("money back" -> refund:
            # "money" and "back" occur in no chunk, so round 3 dropped the refund concept);
            # only a phrase of asking words ("how fast" -> within) is not
            content = set(analyze(asked)) - ASKING_TERMS
            if (content or not analyze(asked)) and alts - skip:
                grouped.append(alts - skip)
                used.update(analyze(asked))
        for term in dict.fromkeys(analyze(_VERSION.sub(" ", norm.base))):
            # a small number is the asker's situation ("12 times", "180,000 EUR"), not a
            # topic; four digits and more are codes and years ("CS-2255", "2027")
            if term.isdigit() and len(term) <= 3:
                continue
            # a single letter is no concept ("w/o" -> "w", "o")
            if len(term) == 1 and not term.isdigit():
                continue
            if term not in skip and term not in used:
                grouped.append(frozenset({term}))
        # one concept once: a word the question writes and the map also adds ("discount")
        return [g for n, g in enumerate(grouped) if g and g not in grouped[:n]]

    @staticmethod
    def kb_words_used(kb_words: str, source_terms: frozenset[str] | set[str], source_text: str = "") -> list[str]:
        """The words of ``kb_words`` the sources use, one per stem: "approval approved" for
        "sign off" is one concept, and naming it twice in the prompt made it count twice
        against the words the sources hold. Of two forms of one stem, the one the sources
        write literally wins ("approved" when they say "must be approved").

        Example:
            >>> Retriever.kb_words_used("approval approved", {"approv"}, "It must be approved by the CFO.")
            ['approved']
        """
        lowered = source_text.lower()
        by_stem: dict[tuple[str, ...], str] = {}
        for w in kb_words.split():
            stems = tuple(analyze(w))
            if not stems or not set(stems) <= source_terms:
                continue
            literal = bool(lowered) and re.search(rf"(?<![\w-]){re.escape(w.lower())}(?![\w-])", lowered) is not None
            if stems not in by_stem or (literal and not re.search(
                    rf"(?<![\w-]){re.escape(by_stem[stems].lower())}(?![\w-])", lowered)):
                by_stem[stems] = w
        return list(by_stem.values())

    def focus(self, norm: Normalised, source_terms: frozenset[str] | set[str] = frozenset(),
              source_text: str = "") -> str:
        """The question as a standalone request in the sources' words, for the prompt.

        An everyday phrase whose knowledge-base equivalent the retrieved sources use is
        replaced by it ("hang on to" -> "keeps", "Warsaw" -> "Poland"); then asking words
        ("how many", "still", "get") and the asker's own small quantities ("12 times") go.
        Words no source contains stay: a question about something the sources do not state
        still finds no answer.

        Example:
            >>> Retriever.focus_of("How long does QuartzDesk hang on to nightly backups?")
            'QuartzDesk hang nightly backups'
        """
        text = norm.base or norm.original
        pairs = list(norm.equivalents) + [(w, p) for w, p in zip(norm.place_words, _place_names(norm))]
        for asked, kb_words in sorted(pairs, key=lambda p: -len(p[0])):
            used = self.kb_words_used(kb_words, source_terms, source_text)
            if used:
                text = re.sub(rf"(?<![\w-]){re.escape(asked)}(?![\w-])", " ".join(used), text, flags=re.I)
        return self.focus_of(text, self.question_vocabulary)

    @staticmethod
    def focus_of(text: str, vocabulary: frozenset[str] | Sequence[str] = ()) -> str:
        """See :meth:`focus`."""
        skip = set(vocabulary)
        words: list[str] = []
        for word in re.findall(r"[\w./-]+", text):
            terms = analyze(word)
            # asking words as written or inflected ("tells", "wanting"), not by stem:
            # "allowance" shares the stem of "allow" but is what a question about a meal
            # allowance asks for
            bare = word.lower().strip(".,;:?!")
            if bare in ASKING_WORDS or re.sub(r"(?:ing|ed|es|s)$", "", bare) in ASKING_WORDS:
                continue
            if not terms or all(t in skip or (t.isdigit() and len(t) <= 3 and "." not in word) for t in terms):
                continue
            if word not in words:
                words.append(word.strip(".,;:?!"))
        return " ".join(w for w in words if w)

    def retrieve(self, question: str, role: str | Sequence[str], *, strategy: str = "hybrid",
                 chunking: str = "section", k: int = 5, include_superseded: bool = False) -> Retrieval:
        """The top ``k`` chunks for ``question`` that a caller with ``role`` may see."""
        started = time.perf_counter()
        question = check_question(question)
        roles = caller_roles(role)
        if strategy not in RETRIEVERS:
            raise InputError(f"unknown retrieval strategy {strategy!r}; choose one of {', '.join(RETRIEVERS)}")
        if chunking not in self.index.strategies:
            raise InputError(f"chunking {chunking!r} is not indexed; have {', '.join(self.index.strategies)}")
        if not 1 <= int(k) <= MAX_K:
            raise InputError(f"k must be between 1 and {MAX_K}")
        norm = self.normalised(question, chunking)
        text = norm.text
        depth = max(self.candidates, k)
        dense: list[tuple[str, float]] = []
        lexical: list[tuple[str, float]] = []
        unseen: list[str] = []
        # both lists are always computed: the evidence for abstaining needs both raw scores
        # whatever the ranking strategy (the two stores answer in parallel, releasing the GIL)
        future = _POOL.submit(self.index.lexical.search_with_evidence, chunking, text, roles, depth,
                              include_superseded=include_superseded)
        if strategy != "lexical" or self.thresholds.get(f"{chunking}/{strategy}", Thresholds()).dense is not None:
            vector = self.index.embed([text])[0]
            dense = self._dense(chunking, vector, roles, depth, include_superseded)
        lexical, _, unseen = future.result()
        dense_by = dict(dense)
        lex_by = dict(lexical)
        if strategy == "dense":
            ranked = list(dense)
        elif strategy == "lexical":
            ranked = list(lexical)
        else:
            ranked = fuse(self.fusion.get(chunking) or Fusion(), dense, lexical, self.doc_context)
        pool_ids = list(dict.fromkeys([i for i, _ in ranked] + [i for i, _ in dense] + [i for i, _ in lexical]))
        rows = self.index.lexical.fetch(chunking, pool_ids, roles, include_superseded=include_superseded)
        entities, infos, fits = self.judge(norm, chunking, rows)
        # rank: chunks that can answer (state a fact, about what the question names) first; a
        # "Purpose and scope" section that only repeats the product name, or the same section
        # of another product's manual, after them, each group in the strategy's order
        ranked = answerable_first(ranked, infos, fits)
        hits: list[Hit] = []
        for chunk_id, score in ranked[:k]:
            row = rows[chunk_id]
            hits.append(Hit(chunk_id=chunk_id, doc_id=row["doc_id"], section_id=row["section_id"],
                            version=row["version"], status=row["status"], updated_at=row["updated_at"] or "",
                            covers=list(row.get("covers") or [row["section_id"]]),
                            title=row["title"] or "", text=row["text"], score=score,
                            dense_score=dense_by.get(chunk_id), lexical_score=lex_by.get(chunk_id),
                            rank=len(hits) + 1, facts=infos[chunk_id].facts, about_question=fits[chunk_id]))
        evidence = self._evidence(norm, entities, infos, fits, dense_by, lex_by, unseen, strategy)
        if not include_superseded and _ASKS_EARLIER.search(question):
            evidence.missing.append("an earlier version (only current versions are searched)")
        abstain, reason = decide(evidence, strategy, self.thresholds.get(f"{chunking}/{strategy}"))
        return Retrieval(question=question, roles=roles, strategy=strategy, chunking=chunking, k=k,
                         hits=hits, evidence=evidence, abstain=abstain, reason=reason,
                         latency_ms=(time.perf_counter() - started) * 1000, normalised=text,
                         entities=entities,
                         focus=self.focus(norm, frozenset().union(*(infos[h.chunk_id].terms for h in hits)),
                                          " ".join(infos[h.chunk_id].facts for h in hits)))

    def _evidence(self, norm: Normalised, entities: dict[str, list[str]], infos: dict[str, _ChunkInfo],
                  fits: dict[str, bool], dense_by: dict[str, float], lex_by: dict[str, float],
                  unseen: list[str], strategy: str) -> Evidence:
        """The raw evidence, taken over the chunks that could answer: about what the question
        names, stating a fact. With several named products, each needs its own evidence and
        the weakest counts (a comparison of two products needs both)."""
        concepts = self.concepts(norm, entities)
        able = [cid for cid, ok in fits.items() if ok and infos[cid].factful]

        def cover(cid: str) -> float:
            if not concepts:
                return 1.0
            terms = infos[cid].terms
            return sum(1 for alts in concepts if alts & terms) / len(concepts)

        def best(cids: list[str]) -> tuple[float | None, float | None, float]:
            d = [dense_by[c] for c in cids if c in dense_by]
            lx = [lex_by[c] for c in cids if c in lex_by]
            return (max(d) if d else None, max(lx) if lx else None, max((cover(c) for c in cids), default=0.0))

        groups = [[c for c in able if infos[c].kind != "product" or infos[c].subject == p]
                  for p in entities["products"]] or [able]
        scored = [best(g) for g in groups]
        missing = [p for p, g in zip(entities["products"], groups) if not g]
        # a product name built like the knowledge base's (Maple + Link) that it does not have:
        # the facts found are about other products
        missing += entities.get("unknown_products") or []
        # an identifier the question names must be stated somewhere: chunks that name no
        # identifier may answer another part of the question, never what the code means
        codes = entities.get("codes") or []
        stated = [c for c in codes if any(c.lower() in infos[cid].text.lower() for cid in able)]
        if codes and not stated:
            missing += codes
        return Evidence(best_dense=min((s[0] for s in scored if s[0] is not None), default=None)
                        if all(s[0] is not None for s in scored) else None,
                        best_lexical=min((s[1] for s in scored if s[1] is not None), default=None)
                        if all(s[1] is not None for s in scored) else None,
                        coverage=min(s[2] for s in scored) if scored else 0.0,
                        unknown_terms=[t for t in unseen if t not in self.question_vocabulary
                                       and t not in ASKING_TERMS],
                        entities=entities, missing=missing, stated=stated,
                        concepts=[sorted(c) for c in concepts])


# --- calibration ---------------------------------------------------------------------

class CalibrationPoint(BaseModel):
    """One labelled question's raw evidence: should the system answer it, and how strong was it."""

    answerable: bool
    best_dense: float | None = None
    best_lexical: float | None = None
    coverage: float | None = None
    unknown: int = 0
    decided: bool = Field(False, description="another rule already abstains (a named product or code no chunk states)")
    stated: bool = Field(False, description="names an identifier a visible chunk states (never abstains)")


def _cuts(values: np.ndarray, most: int = 40) -> list[float]:
    # midpoints between observed values (the threshold sits between two questions, not on
    # one), thinned to at most `most` cut points, plus "abstain never"
    vals = np.unique(values)
    mids = list((vals[:-1] + vals[1:]) / 2) if len(vals) > 1 else []
    step = max(1, len(mids) // most)
    return [float(vals[0]) - 1e-9] + mids[::step] + [float(vals[-1]) + 1e-9]


def calibrate_model(points: Sequence[CalibrationPoint], strategy: str, *,
                    target: float = TARGET_CORRECT) -> tuple[Thresholds, dict[str, float]]:
    """The combined abstention score of ``strategy`` (:mod:`labkit.rag.abstention`) fitted on
    ``points``: a logistic model over the strategy's evidence features, fitted on the questions
    no other rule decides, and the lowest cut that abstains on ``target`` of the unanswerable
    ones (those the entity rule abstains on count). Questions naming a stated identifier never
    abstain and are left out of the fit.

    Example:
        >>> pts = [CalibrationPoint(answerable=True, best_dense=0.6 + i / 100, best_lexical=9 + i) for i in range(20)]
        >>> pts += [CalibrationPoint(answerable=False, best_dense=0.2 + i / 50, best_lexical=1 + i) for i in range(10)]
        >>> th, rates = calibrate_model(pts, "hybrid")
        >>> rates["false_abstention"], rates["correct_abstention"] >= 0.95
        (0.0, True)
    """
    if strategy not in FEATURES:
        raise InputError(f"unknown retrieval strategy {strategy!r}")
    if not points:
        raise InputError("cannot calibrate abstention on an empty question set")
    names = FEATURES[strategy]
    X = np.array([[features(strategy, p.best_dense, p.best_lexical, p.coverage)[f] for f in names] for p in points])
    answerable = np.array([p.answerable for p in points])
    decided = np.array([p.decided for p in points])
    stated = np.array([p.stated and not p.decided for p in points])
    free = ~decided & ~stated
    model = fit_model(X[free], answerable[free], names)
    prob = np.array([model.probability(dict(zip(names, row))) for row in X])
    prob[stated] = 1.0
    cut, rates = choose_cut(prob, answerable, decided, target=target)
    model = model.model_copy(update={"cut": cut, "fitted": rates})
    return Thresholds(model=model), rates


def calibrate(points: Sequence[CalibrationPoint], strategy: str, *,
              max_false_abstention: float = 0.05, objective: str = "correct",
              use_unknown: bool = True) -> tuple[Thresholds, dict[str, float]]:
    """Thresholds that abstain on as many unanswerable questions as possible while abstaining
    on at most ``max_false_abstention`` of the answerable ones.

    ``use_unknown=False`` leaves the unknown-term rule out of the search: one word no chunk
    contains ("hammering", "Kraków") decides nothing on questions people write by hand (issue
    14: it caused every false abstention of the first natural run). ``objective="balanced"`` ranks the settings that meet the cap by correct minus false
    abstention first (Youden's J): it does not buy the last correct abstention on the fitted
    questions with false ones, which held-out questions punish.

    Searches a grid of cut points per raw score (similarity; BM25 and coverage for lexical
    and hybrid; both combination rules for hybrid), vectorised with numpy. Among settings
    that meet the false-abstention cap, the most correct abstentions win, then the fewest
    false ones, then the lowest thresholds (least likely to refuse unseen good questions).

    Example:
        >>> pts = [CalibrationPoint(answerable=True, best_dense=0.8), CalibrationPoint(answerable=False, best_dense=0.2)]
        >>> calibrate(pts, "dense")[0].dense
        0.5
    """
    if not points:
        raise InputError("cannot calibrate abstention on an empty question set")
    answerable = np.array([p.answerable for p in points])
    dense = np.array([p.best_dense or 0.0 for p in points])
    lex = np.array([p.best_lexical or 0.0 for p in points])
    cov = np.array([p.coverage or 0.0 for p in points])
    unk = np.array([p.unknown for p in points])
    # "at least u unknown terms" cut points; None never abstains on them
    u_cuts: list[tuple[int | None, np.ndarray]] = [(None, np.zeros(len(points), dtype=bool))]
    if use_unknown:
        u_cuts += [(u, unk >= u) for u in range(1, 5)]
    n_ans, n_una = max(1, int(answerable.sum())), max(1, int((~answerable).sum()))
    never = np.zeros(len(points), dtype=bool)
    best: tuple[tuple[float, float, float], Thresholds, dict[str, float]] | None = None
    kept: list[tuple[float, float, float, Thresholds, dict[str, float]]] = []

    def consider(abstain: np.ndarray, th: Thresholds) -> None:
        nonlocal best
        false = float((abstain & answerable).sum()) / n_ans
        if false > max_false_abstention + 1e-12:
            return
        correct = float((abstain & ~answerable).sum()) / n_una if (~answerable).any() else 1.0
        key = (correct - false if objective == "balanced" else correct, -false, -((th.dense or 0.0) + (th.lexical or 0.0) / 100 + (th.coverage or 0.0)
                                   + (1.0 / th.unknown if th.unknown else 0.0)))
        stats = {"correct_abstention": round(correct, 4), "false_abstention": round(false, 4)}
        if objective == "balanced":
            kept.append((correct - false, false, correct, th, stats))
        if best is None or key > best[0]:
            best = (key, th, stats)

    def r6(x: float) -> float:
        return round(float(x), 6)

    if strategy == "dense":
        for td in _cuts(dense, 200):
            consider(dense < td, Thresholds(dense=r6(td)))
    elif strategy == "lexical":
        for tu, hu in u_cuts:
            for tc in _cuts(cov):
                low_c = cov < tc
                for tl in _cuts(lex):
                    consider(hu | low_c | (lex < tl), Thresholds(lexical=r6(tl), coverage=r6(tc), unknown=tu))
    else:
        d_cuts, l_cuts, c_cuts = _cuts(dense, 30), _cuts(lex, 30), _cuts(cov, 30)
        d_masks = [(td, dense < td) for td in d_cuts]
        l_masks = [(tl, lex < tl) for tl in l_cuts]
        for tu, hu in u_cuts:
            for tc in c_cuts:
                low_c = hu | (cov < tc)
                for td, ld in d_masks:
                    for tl, ll in l_masks:
                        consider(low_c | (ld & ll), Thresholds(dense=r6(td), lexical=r6(tl), coverage=r6(tc),
                                                               unknown=tu, rule="all"))
                        consider(low_c | ld | ll, Thresholds(dense=r6(td), lexical=r6(tl), coverage=r6(tc),
                                                             unknown=tu, rule="any"))
    if best is None:  # unreachable: the lowest cuts never abstain
        consider(never, Thresholds())
    assert best is not None
    if objective == "balanced" and kept:
        # the "one standard error" rule: of the settings whose correct-minus-false is within
        # BALANCED_TOLERANCE of the best, the one that abstains least on answerable questions
        # (then the most correct): the fitted optimum sits on the edge of the answerable
        # questions it saw, and held-out ones fall on both sides of that edge
        top = max(k[0] for k in kept)
        near = [k for k in kept if k[0] >= top - BALANCED_TOLERANCE]
        choice = min(near, key=lambda k: (k[1], -k[2], -k[0]))
        return choice[3], choice[4]
    return best[1], best[2]


def save_thresholds(thresholds: dict[str, Thresholds], path: Path | None = None, *, note: str = "",
                    fusion: dict[str, Fusion] | None = None, question_vocabulary: Sequence[str] | None = None) -> Path:
    """Write calibrated thresholds and fusion weights (atomically: a temp file renamed over the old one)."""
    target = path or THRESHOLDS_PATH
    payload = {"note": note or "calibrated by labkit.rag.evaluate.calibrate_all on the lab's evaluation set",
               "thresholds": {k: v.model_dump() for k, v in sorted(thresholds.items())}}
    if question_vocabulary is not None:
        payload["question_vocabulary"] = sorted(question_vocabulary)
    if fusion:
        payload["fusion"] = {k: v.model_dump() for k, v in sorted(fusion.items())}
        # the fusion's own provenance (written by bench_rag --fit-fusion) stays while the fusion
        # saved is the one already there: refitting abstention does not re-choose the fusion
        try:
            old = json.loads(target.read_text()) if target.exists() else {}
            same = {k: Fusion(**v).model_dump() for k, v in old.get("fusion", {}).items()} == payload["fusion"]
        except (ValueError, TypeError):
            old, same = {}, False
        if old.get("fusion_note") and same:
            payload["fusion_note"] = old["fusion_note"]
    tmp = target.with_suffix(".tmp")
    tmp.write_text(json.dumps(payload, indent=2) + "\n")
    tmp.replace(target)
    return target
