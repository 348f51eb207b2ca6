"""The mock's deterministic "model": what it says for a chat request.

Given the parsed request body, the served model's catalogue entry and a per-request hash,
:func:`respond` returns a :class:`Reply` (text or tool calls, finish reason, and flags such
as ``hallucinated`` or ``obeyed_injection``). The same body always gives the same reply:
every "random" decision is drawn from the request hash, so a rate (hallucination, injection
obedience) applies across requests while each request is reproducible.

The prompt conventions it understands (the contract every other part codes against):

- ``<source id="ID">text</source>`` anywhere: answer the question from the best-matching
  sentences, each cited inline as ``[ID]``; abstain with :data:`ABSTAIN_PREFIX` when no
  sentence clears the grounding threshold (except at the hallucination rate, where it
  invents a plausible unsupported sentence). A system prompt that talks about sources or
  context with no source given also abstains.
- a line ``Labels: a, b, c``: reply with exactly one of the labels.
- "summarise"/"summarize"/"summary" in the system or user prompt: the 1-3 most central
  sentences, in order.
- ``response_format`` ``json_schema`` (or ``json_object`` with a JSON schema in the
  prompt): a JSON object of the schema's properties, filled from ``Key: value`` lines
  (several per line when separated by ``|``; the exact label beats one that merely contains
  the name, so "Subtotal" is not "total") and patterns (ids, e-mails, IBANs, company names,
  dates picked by their label words, amounts with a currency), typed to the schema: numbers
  in any common layout (``1,250.50``, ``1 250,50``, ``1.250,50``, ``EUR 1250.50``,
  ``-42.5``; see :func:`parse_number`), ``format: date`` as ISO (:func:`parse_date`),
  currency symbols as ISO codes.
- ``tools``: pick the tool that best matches each part of the latest user request (words
  in the tool's name weigh three times words in its description; a read verb such as show,
  list, find, what, review picks a read tool, a write verb such as create, update, set,
  draft, send, fill a write tool, and a read request never calls a write tool), fill the
  arguments from the conversation, call the next one not yet called, and answer in text
  once tool results cover the request.
- instructions inside sources, tool results, fenced untrusted text or text pasted below the
  user's request are obeyed at the configured rate, as a weak real model would: any
  imperative addressed to the model, in en/de/fr/es/it, that has something to act on
  (:func:`labkit.provider.attacker.find_instructions`), sent to the nearest
  offered tool or to an invented one; "say X" and "reveal your instructions" after an
  override are answered in text. Text fenced by ``labkit.controls.injection`` is obeyed half
  as often, a quarter as often when the system prompt says fenced text is data.

It is not a language model: it never paraphrases, and its "understanding" is word overlap
with light stemming and a small synonym table. The drifted ``lab-chat-2026-06`` grounds
less (lower threshold) and adds ``verbosity`` unsupported filler sentences, so a regression
suite can measure the difference.

Example:
    >>> from labkit.provider.catalog import MODELS
    >>> body = {"messages": [{"role": "user", "content":
    ...     '<source id="DOC-1">Refunds take 5 days. Offices close at 6.</source> How long do refunds take?'}]}
    >>> respond(body, MODELS["lab-chat-2026-01"], b"x").content
    'Refunds take 5 days [DOC-1].'
"""

from __future__ import annotations

import json
import re
from dataclasses import dataclass, field
from functools import lru_cache
from hashlib import blake2b
from typing import Any

from labkit.provider import attacker
from labkit.provider.attacker import _FENCE as _FENCE  # re-exported: tests read the fence pattern here
from labkit.provider.attacker import has_injection
from labkit.provider.catalog import ModelSpec

ABSTAIN_PREFIX = "I cannot answer"
ABSTAIN_TEXT = f"{ABSTAIN_PREFIX} that from the provided sources."

_SOURCE = re.compile(r"<source\s+id\s*=\s*[\"']([^\"']+)[\"'][^>]*>(.*?)</source>", re.S | re.I)
_LABELS = re.compile(r"^\s*(?:labels|categories|classes)\s*:\s*(.+)$", re.I | re.M)
_SUMMARY = re.compile(r"\bsummari[sz]e|\bsummary\b|\btl;?dr\b", re.I)
_GROUNDED = re.compile(r"\b(?:sources?|context|passages?)\b", re.I)
_SENT = re.compile(r"(?<=[.!?])\s+(?=[A-Z0-9\"'(\[])")
_WORD = re.compile(r"[a-z0-9]+(?:[-'][a-z0-9]+)*")
_KV = re.compile(r"^\s*([A-Za-z][\w ./#()-]{0,40}?)\s*[:=]\s*(.+?)\s*$", re.M)
_QUOTED = re.compile(r"\"([^\"]{1,200})\"|“([^”]{1,200})”|'([^']{2,200})'")
_EMAIL = re.compile(r"[\w.+-]+@[\w-]+\.[\w.-]*\w")
_PHONE = re.compile(r"\+?\d[\d ().-]{7,}\d")
_MONTHS = {m: i + 1 for i, m in enumerate(
    "jan feb mar apr may jun jul aug sep oct nov dec".split())}
_MONTH_RX = r"(?:jan|feb|mar|apr|may|jun|jul|aug|sep|sept|oct|nov|dec)[a-z]*\.?"
_DATE = re.compile(
    r"\b(?P<iso>\d{4}-\d{2}-\d{2})(?P<time>[T ]\d{2}:\d{2}(?::\d{2})?)?\b"
    r"|\b(?P<a>\d{1,2})(?P<sep>[/.])(?P<b>\d{1,2})(?P=sep)(?P<y>\d{4})\b"
    rf"|\b(?P<d1>\d{{1,2}})(?:st|nd|rd|th)?\s+(?P<m1>{_MONTH_RX})\s+(?P<y1>\d{{4}})\b"
    rf"|\b(?P<m2>{_MONTH_RX})\s+(?P<d2>\d{{1,2}})(?:st|nd|rd|th)?,?\s+(?P<y2>\d{{4}})\b", re.I)
# A number: either digit groups with ONE consistent thousands separator (1,250.50 / 1.250,50 /
# 1 250,50 / 1'250.50) or plain digits with an optional decimal point or comma (1250.50,
# 12,5). The grouped form must come first but only matches real groups of three, so "1250.50"
# is never cut to "125" (the bug the old single alternation had). A sign needs no word char
# before it, so the "-0001" in INV-87878-0001 is not a negative number.
_NUMBER = re.compile(
    r"(?:(?<![\w-])(?P<sign>[-+\u2212])\s?)?(?:[$€£¥₹]\s?)?(?<![\w.,])(?<!\w-)"
    r"(?P<num>\d{1,3}(?P<sep>[,.'\u00a0\u202f ])\d{3}(?:(?P=sep)\d{3})*(?:(?!(?P=sep))[.,]\d+)?"
    r"|\d+(?:[.,]\d+)?)(?![\d])")
_CURRENCY_SYMBOLS = {"$": "USD", "€": "EUR", "£": "GBP", "¥": "JPY", "₹": "INR", "₩": "KRW", "₽": "RUB",
                     "₺": "TRY", "₪": "ILS"}
_CURRENCY_CODES = frozenset(
    "USD EUR GBP CHF JPY CNY CAD AUD NZD SEK NOK DKK PLN CZK HUF RON BGN INR SGD HKD ZAR BRL MXN "
    "TRY AED SAR KRW RUB ILS THB MYR IDR PHP".split())
_CODES_RX = "|".join(sorted(_CURRENCY_CODES))
_CURRENCY = re.compile(r"(?<![A-Za-z])(" + _CODES_RX + r")(?![A-Za-z])|([$€£¥₹₩₽₺₪])")
# an amount that says it is money: a currency code or symbol right before or after the number
_AMOUNT = re.compile(
    r"(?:(?<![A-Za-z])(?:" + _CODES_RX + r")\s?|[$€£¥₹]\s?)[-+\u2212]?\d[\d,.'\u00a0 ]*\d"
    r"|[-+\u2212]?\d[\d,.'\u00a0 ]*\d\s?(?:(?:" + _CODES_RX + r")(?![A-Za-z])|[€$£])")
_IBAN = re.compile(r"\b[A-Z]{2}\d{2}(?: ?[A-Z0-9]{4}){2,7}(?: ?[A-Z0-9]{1,3})?\b")
_COMPANY = re.compile(
    r"(?<![\w])((?:[A-Z][\w&'.-]*[ \t]+){1,5}(?:Ltd|Limited|Inc|LLC|LLP|GmbH|plc|PLC|AG|SA|SAS|SARL|BV|NV"
    r"|Corp|Corporation|Co|Company|KG|Oy|AB|AS|SpA|Srl)\.?)(?![\w])")
# label words that point at one date of several ("dated ..., payable by ...")
_DATE_CUES = {
    "due": ("due", "payable", "deadline", "pay", "payment", "expire", "expiry"),
    "payment": ("due", "payable", "pay", "payment"),
    "issue": ("issue", "issued", "dated", "invoice", "date"),
    "invoice": ("issue", "issued", "dated", "invoice"),
    "start": ("start", "from", "begin", "effective"),
    "end": ("end", "until", "expire", "expiry", "through"),
    "birth": ("birth", "born", "dob"),
}
_COMPANY_FIELDS = ("vendor", "supplier", "seller", "merchant", "company", "issuer", "payee", "biller",
                   "organisation", "organization", "business")
_IDS = {
    "account": re.compile(r"\bACC-\d{5}\b"),
    "ticket": re.compile(r"\bTCK-\d{6}\b"),
    "doc": re.compile(r"\bDOC-\d{4}(?:#s\d+)?\b"),
    "invoice": re.compile(r"\bINV-[\w-]+\b"),
    "contact": re.compile(r"\bCON-\d+\b"),
    "user": re.compile(r"\bU(?:SR)?-\d+\b"),
}
_GENERIC_ID = re.compile(r"\b[A-Z]{2,5}-\d{3,}(?:#s\d+)?\b")

_STOP = frozenset(
    "a an and are as at be been by can could did do does for from had has have how i if in "
    "into is it its me my no not of on or our please should so than that the their them then "
    "there these this those to us was we were what when where which who whom why will with "
    "would you your about any all also just tell give show know need want many much".split()
)
# a few verb families, so "look up" finds get_account and "open a ticket" finds create_ticket
_SYNONYMS = {
    "look": "get", "lookup": "get", "find": "get", "fetch": "get", "retrieve": "get",
    "show": "get", "read": "get", "check": "get", "details": "get", "info": "get",
    "open": "create", "file": "create", "raise": "create", "log": "create", "new": "create",
    "add": "create", "submit": "create", "make": "create",
    "email": "send", "mail": "send", "notify": "send", "message": "send", "forward": "send",
    "change": "update", "modify": "update", "set": "update", "edit": "update", "escalate": "update",
    "remove": "delete", "cancel": "delete", "close": "update", "refund": "refund",
    "review": "get", "view": "get", "display": "get", "see": "get", "inspect": "get",
    "search": "search", "query": "search", "lookup_": "search",
}
_CLASS_HINTS = {
    "billing": "invoice invoices charge charged payment refund bill billed price overcharged card",
    "technical": "error bug crash broken login password outage fail failing slow timeout api",
    "account": "address profile username access permission settings update details",
    "complaint": "unhappy disappointed terrible angry poor complain",
    "positive": "great good excellent love happy thanks thank wonderful",
    "negative": "bad terrible awful hate angry poor unhappy disappointed",
    "urgent": "urgent immediately asap outage down critical",
    "security": "phishing breach password hacked suspicious fraud",
}
_FILLER = [
    "This approach is widely regarded as best practice across the industry.",
    "Many organisations have found this to be a significant improvement over previous processes.",
    "It is also worth noting that policies of this kind are reviewed regularly.",
    "Teams generally report high satisfaction with this arrangement.",
    "In most cases, exceptions can be approved by a senior manager.",
]


@dataclass
class Reply:
    """What the mock model answers: text or tool calls, and what it did along the way."""

    content: str | None
    tool_calls: list[dict[str, Any]] = field(default_factory=list)
    finish_reason: str = "stop"
    task: str = "chat"
    hallucinated: bool = False
    obeyed_injection: bool = False
    citations: list[str] = field(default_factory=list)


# --------------------------------------------------------------------------------------
# small text helpers


@lru_cache(maxsize=200_000)
def _stem(word: str) -> str:
    for suffix in ("ing", "ies", "ed", "es", "s"):
        if len(word) > len(suffix) + 3 and word.endswith(suffix):
            return word[: -len(suffix)] + ("y" if suffix == "ies" else "")
    return word


def terms(text: str) -> list[str]:
    """Content words of ``text``: lower case, stop words dropped, lightly stemmed."""
    return [_stem(w) for w in _WORD.findall(text.lower()) if w not in _STOP]


def _unit(request_hash: bytes, salt: str) -> float:
    """A uniform number in [0, 1) fixed by the request and the decision's name."""
    digest = blake2b(request_hash + salt.encode(), digest_size=8).digest()
    return int.from_bytes(digest, "little") / 2**64


def text_of(content: Any) -> str:
    """The text of a message's ``content`` (a string or a list of content parts)."""
    if content is None:
        return ""
    if isinstance(content, str):
        return content
    if isinstance(content, list):
        return " ".join(str(p.get("text", "")) for p in content if isinstance(p, dict))
    return str(content)


def sentences(text: str) -> list[str]:
    """Split ``text`` into sentences (and lines), dropping empties."""
    out: list[str] = []
    for line in re.split(r"\n\s*\n|\n(?=\s*[-*#\d])", text):
        for sent in _SENT.split(line.strip()):
            sent = " ".join(sent.split())
            if len(sent) > 1:
                out.append(sent)
    return out


def _cite(sentence: str, source_id: str) -> str:
    body = sentence.rstrip()
    end = ""
    if body and body[-1] in ".!?":
        body, end = body[:-1], body[-1]
    return f"{body} [{source_id}]{end or '.'}"


# --------------------------------------------------------------------------------------
# the conversation, parsed once


@dataclass
class _Conv:
    messages: list[dict[str, Any]]
    system: str
    user: str  # latest user message, sources stripped
    user_raw: str
    sources: list[tuple[str, str]]
    tool_results: list[tuple[str, str]]  # (tool name, content) after the latest user turn
    called: list[str]  # tool names called after the latest user turn
    all_text: str


def _parse(body: dict[str, Any]) -> _Conv:
    messages = body.get("messages") or []
    system_parts, sources, tool_results, called = [], [], [], []
    last_user_idx = -1
    for i, m in enumerate(messages):
        if m.get("role") == "user":
            last_user_idx = i
    user_raw = ""
    id_to_name: dict[str, str] = {}
    texts = []
    for i, m in enumerate(messages):
        role = m.get("role")
        text = text_of(m.get("content"))
        texts.append(text)
        for sid, stext in _SOURCE.findall(text):
            sources.append((sid.strip(), stext.strip()))
        if role in ("system", "developer"):
            system_parts.append(text)
        if i == last_user_idx:
            user_raw = text
        if role == "assistant":
            for call in m.get("tool_calls") or []:
                fn = (call or {}).get("function") or {}
                id_to_name[str(call.get("id"))] = str(fn.get("name", ""))
                if i > last_user_idx:
                    called.append(str(fn.get("name", "")))
        if role == "tool" and i > last_user_idx:
            tool_results.append((id_to_name.get(str(m.get("tool_call_id")), m.get("name", "") or ""), text))
    user = _SOURCE.sub(" ", user_raw).strip()
    return _Conv(messages, "\n".join(system_parts), user, user_raw, sources, tool_results, called,
                 "\n".join(texts))


# --------------------------------------------------------------------------------------
# tasks


def _grounding_threshold(spec: ModelSpec) -> float:
    return 0.5 * spec.grounding if spec.grounding < 1.0 else 0.5


def _question(conv: _Conv) -> str:
    """The question asked: the ``Question:`` line when there is one (with an ``As asked:``
    line right after it, the asker's own wording), else the whole user message."""
    match = re.search(r"(?:^|\n)\s*question\s*:\s*(.+(?:\n\s*as asked\s*:.+)?)", conv.user, re.I)
    return match.group(1).strip() if match else conv.user


_ASKED = re.compile(r"\n\s*as asked\s*:\s*", re.I)
# what opens a request for information: a question word, or an auxiliary verb that starts a
# yes/no question ("Does either of them need ...", "and can it be extended")
_WH = frozenset("what which how who whom whose when where why".split())
_AUX = frozenset("is are was were do does did can could should would will may might must has have had "
                 "shall am".split())
_LEADING = frozenset("and or but so then also".split())
_CLAUSE = re.compile(r"(?<=[.!?;:])\s+|,\s+|\s+[-–—]\s+")


def _asks(clause: str) -> bool:
    words = re.findall(r"[a-z]+", clause.lower().replace("’", "'").replace("'", " "))
    while words and words[0] in _LEADING:
        words = words[1:]
    if not words:
        return False
    # "how", "what" and "which" ask wherever they stand ("Legal asked me how much notice ...",
    # "above what amount ..."); "when"/"where"/"who" inside a clause are usually conjunctions
    # ("... seeing SK-1021 when they upload files")
    return words[0] in _WH or words[0] in _AUX or bool({"how", "what", "which"} & set(words[1:4]))


def _names(text: str) -> set[str]:
    """Terms of ``text`` written as names: a capital inside the word (PrismSense, HB-8974,
    RM), a digit, or a capital that does not open a sentence (Okta, Stockholm)."""
    out: set[str] = set()
    for m in re.finditer(r"[A-Za-z0-9][\w'-]*", text):
        word = m.group(0)
        before = text[: m.start()].rstrip()
        opens = not before or before[-1] in ".!?:\n"
        if any(c.isupper() for c in word[1:]) or any(c.isdigit() for c in word) or \
                (word[0].isupper() and not opens and word != "I"):
            out.update(terms(word))
    return out


_COINED = re.compile(r"\b(?:[A-Za-z]*[a-z][A-Z][\w-]*|[A-Za-z]{2,}-?\d[\w-]*)")


def coined_names(text: str) -> set[str]:
    """Terms of product-like names and identifiers in ``text``: a capital after a small letter
    (PrismSense, DataShift) or two letters or more joined to digits (HB-8974, SK-1021; not a
    version "v9.0"). Acronyms (API, SSO, EU) and plain capitalised words are not counted:
    sources often write them out.

    Example:
        >>> sorted(coined_names("Is error HB-8974 in PrismSense about the API?"))
        ['hb-8974', 'prismsense']
    """
    return {t for m in _COINED.finditer(text) for t in terms(m.group(0))}


def context_terms(asked: str) -> tuple[set[str], set[str]]:
    """(terms of the asker's situation, terms written as names) in ``asked``.

    A request is read clause by clause: clauses that ask (open with a question word or an
    auxiliary verb, or carry "how"/"what"/"which" near their start) state the information
    need; the others ("I'm building an integration and need to throttle our client.", "Before
    I open a ticket with IT,") describe the asker's situation. A term only the situation uses
    is context. When no clause asks (a keyword query, "RM discount limit on AtlasKit?"), every
    term is the need and nothing is context.

    Example:
        >>> ctx, names = context_terms("We use PrismSense in spring. How many calls per minute does a key get?")
        >>> sorted(ctx), sorted(names)
        (['prismsense', 'spring', 'use'], ['prismsense'])
    """
    clauses = [c for c in _CLAUSE.split(asked.strip()) if c.strip()]
    asking = [c for c in clauses if _asks(c)]
    if not asking:
        return set(), _names(asked)
    need = {t for c in asking for t in terms(c)}
    situation = {t for c in clauses if c not in asking for t in terms(c)}
    return situation - need, _names(asked)


def grounded_answer(question: str, sources: list[tuple[str, str]], spec: ModelSpec,
                    request_hash: bytes, hallucination_rate: float) -> Reply:
    """Answer ``question`` from the sources' sentences with citations, or abstain.

    ``question`` is the request; an ``As asked:`` line after it (the asker's own wording, see
    :func:`_question`) is read for what is situation and what is asked
    (:func:`context_terms`). A term of the asker's situation that no source contains
    ("throttle", "spring", "the screen shows") is context, not part of the information need,
    and is left out of the match, as a reader would leave it; a situation term some source
    does contain is optional: it counts for a sentence that holds it (the situation often names
    the topic: "ClearGuard and OnyxFlow both include some seats. How many does each include?")
    and never against one that does not. Every name is required (a
    product, place or code named only in the situation and found in no source must still be
    matched: the sources may be about another one). Every term of an asking clause counts,
    found in a source or not. A product-like name or identifier (:func:`coined_names`) that
    no source mentions means the sources are about something else: no answer.
    """
    parts = _ASKED.split(question, maxsplit=1)
    question, asked = parts[0].strip(), (parts[1] if len(parts) > 1 else parts[0]).strip()
    # a single letter is no content word ("w/o", "a/b testing")
    q = list(dict.fromkeys(t for t in terms(question) if len(t) > 1 or t.isdigit()))
    cands: list[tuple[str, str, set[str]]] = []
    follows: dict[int, int] = {}  # candidate index -> the next sentence of the same source
    for sid, text in sources:
        sents = sentences(text)
        for j, sent in enumerate(sents):
            if j + 1 < len(sents):
                follows[len(cands)] = len(cands) + 1
            cands.append((sid, sent, set(terms(sent))))
    optional: set[str] = set()
    if q and cands:
        situation, names = context_terms(asked)
        anywhere = set().union(*(c[2] for c in cands))
        # a request that is all situation and nothing the sources hold keeps its terms (and
        # is refused below): there is no information need left to answer
        q = [t for t in q if t not in situation or t in names or t in anywhere] or q
        # situation terms some source contains are optional: they count for a sentence that
        # holds them ("ClearGuard and OnyxFlow both include some seats. How many ...") and
        # never against one that does not ("keeps", "changed", "team" in "One of our
        # customers keeps seeing SK-1021 ... they haven't changed anything": those words
        # occur in other sources, and counting them as needed left the sentence that
        # explains SK-1021 under half the request)
        optional = {t for t in q if t in situation and t not in names}
        if len(optional) == len(q):
            optional = set()
        # a product or identifier the request names that no source mentions: the sources are
        # about something else (another product's rate limit, another error code)
        if any(t not in anywhere for t in coined_names(question + " " + asked) & set(q)):
            q = []
    chosen: list[tuple[str, str]] = []
    if q and cands:
        n = len(cands)
        df = {t: sum(1 for c in cands if t in c[2]) for t in q}
        # idf over sentences: a term every sentence shares says little about which one answers.
        # A term no source contains ("provider" in "which SSO provider ...", answered by the
        # name "OneLogin") is weighed like the rarest term that does occur, not above it: with
        # a few dozen sentences, "absent" is no stronger evidence than "in one sentence", and
        # weighing it higher let two such words veto a sentence that states the answer.
        idf = {t: 1.0 + (n / (1 + max(1, df[t]))) ** 0.5 for t in q}
        required = [t for t in q if t not in optional]
        total = sum(idf[t] for t in required)
        threshold = _grounding_threshold(spec)
        uncovered = set(required)

        def match(toks: set[str]) -> float:
            # share of the request a sentence covers; optional terms it holds join both sides
            extra = sum(idf[t] for t in optional if t in toks)
            return (sum(idf[t] for t in required if t in toks) + extra) / (total + extra)

        scored = sorted(((match(c[2]), -i, c) for i, c in enumerate(cands)), reverse=True)
        best = scored[0][0] if q else 0.0
        if threshold * 0.6 <= best < threshold:
            # a question about two things ("for X and for Y") may need two sentences that
            # together, not alone, cover it: accept the best pair when its union clears the bar
            first = scored[0][2]
            rest = [(sum(idf[t] for t in required if t in c[2] and t not in first[2]) / total, sc, c)
                    for sc, _, c in scored[1:] if sc >= threshold * 0.6]
            if rest:
                gain, _, second = max(rest, key=lambda x: (x[0], x[1]))
                if best + gain >= max(threshold, 0.6):
                    chosen = [(first[0], first[1]), (second[0], second[1])]
        if best >= threshold:
            picked: list[int] = []
            for score, neg_i, (_sid, _sent, toks) in scored:
                if len(picked) == 3 or score < threshold * 0.6:
                    break
                gain = sum(idf[t] for t in uncovered if t in toks) / total
                if not picked or (gain >= 0.2 and score >= threshold * 0.6) or score >= 0.9 * best:
                    picked.append(-neg_i)
                    uncovered -= toks
            # a two-part question ("what causes X, and how do I fix it?") is often answered by
            # the sentence right after the best one: take it when it covers a missing term
            for i in list(picked):
                nxt = follows.get(i)
                if len(picked) < 3 and nxt is not None and nxt not in picked and uncovered & cands[nxt][2]:
                    picked.insert(picked.index(i) + 1, nxt)
                    uncovered -= cands[nxt][2]
            chosen = [(cands[i][0], cands[i][1]) for i in picked]
    extra = [_FILLER[int(_unit(request_hash, f"fill{i}") * len(_FILLER))] for i in range(spec.verbosity)]
    extra = list(dict.fromkeys(extra))
    if chosen:
        text = " ".join(_cite(s, sid) for sid, s in chosen)
        if extra:
            text += " " + " ".join(extra)
        return Reply(text, task="grounded", citations=list(dict.fromkeys(s for s, _ in chosen)))
    if _unit(request_hash, "hallucinate") < hallucination_rate:
        topic = " ".join(w for w in _WORD.findall(question.lower()) if w not in _STOP)[:80] or "this"
        days = 10 + int(_unit(request_hash, "days") * 80)
        sid = sources[0][0] if sources else None
        sent = f"The policy on {topic} allows up to {days} days and requires approval from a director."
        text = _cite(sent, sid) if sid else sent
        return Reply(text, task="grounded", hallucinated=True, citations=[sid] if sid else [])
    return Reply(ABSTAIN_TEXT, task="abstain")


@lru_cache(maxsize=4096)
def _label_terms(label: str) -> tuple[frozenset[str], frozenset[str]]:
    words = set(terms(label.replace("_", " ").replace("-", " ")))
    hints: set[str] = set()
    for w in list(words) + [label.lower()]:
        hints |= set(terms(_CLASS_HINTS.get(w, "")))
    return frozenset(words), frozenset(hints)


def classify(text: str, labels: list[str]) -> str:
    """The label whose words (and a few hint words) occur most in ``text``."""
    bag = set(terms(text))
    best, best_score = labels[0], 0.0
    for label in labels:
        words, hints = _label_terms(label)
        score = 2.0 * len(words & bag) + len(hints & bag)
        score += 0.5 * sum(1 for w in words for t in bag if len(w) >= 4 and t.startswith(w[:4]) and t not in words)
        if score > best_score:
            best, best_score = label, score
    if best_score == 0.0:
        for fallback in ("other", "general", "unknown", "none"):
            for label in labels:
                if label.lower() == fallback:
                    return label
    return best


def summarise(text: str, max_sentences: int = 3) -> list[str]:
    """The most central sentences of ``text`` (first sentence favoured), in document order."""
    sents = sentences(text)
    if len(sents) <= max_sentences:
        return sents
    freq: dict[str, int] = {}
    for s in sents:
        for t in set(terms(s)):
            freq[t] = freq.get(t, 0) + 1
    scores = []
    for i, s in enumerate(sents):
        toks = set(terms(s))
        score = sum(freq[t] for t in toks) / (1 + len(toks)) ** 0.5 + (2.0 if i == 0 else 0.0)
        scores.append((score, -i))
    keep = sorted(sorted(scores, reverse=True)[:max_sentences], key=lambda x: -x[1])
    return [sents[-i] for _, i in keep]


# --------------------------------------------------------------------------------------
# extraction into a JSON schema


def _norm_key(key: str) -> str:
    return re.sub(r"[^a-z0-9]", "", key.lower())


def parse_number(text: str) -> float | None:
    """The first number in ``text``, read with its thousands separator and decimal mark.

    Hand-written rather than ``babel.numbers.parse_decimal`` because the locale is unknown:
    the separators themselves decide. A single ``.`` group without decimals ("1.250") reads
    as a decimal point, a single ``,`` group ("1,250") as thousands, as English text would.

    Example:
        >>> [parse_number(t) for t in ("1250.50", "1,250.50", "1 250,50", "EUR 1.250,50", "-42.5", "n/a")]
        [1250.5, 1250.5, 1250.5, 1250.5, -42.5, None]
    """
    m = _NUMBER.search(text.replace("\u00a0", " ").replace("\u202f", " "))
    if not m:
        return None
    num, sep = m.group("num"), m.group("sep")
    if sep is None:
        value = float(num.replace(",", "."))
    else:
        groups = num.split(sep)
        tail = groups[-1]
        if sep == "." and len(groups) == 2 and len(tail) == 3:
            value = float(num)  # "1.250": a decimal point (English), not thousands
        else:
            whole = "".join(groups[:-1]) + tail[:3]
            value = float(whole + ("." + tail[4:] if len(tail) > 3 else ""))
    return -value if m.group("sign") in ("-", "\u2212") else value


def parse_date(text: str) -> str | None:
    """The first date in ``text`` as ``YYYY-MM-DD`` (ISO, d/m/Y, d.m.Y, "5 Oct 2026", "Oct 5, 2026").

    Slash dates are read day-first unless that is impossible (the lab's documents are
    European); a time after an ISO date is dropped.

    Example:
        >>> [parse_date(t) for t in ("2026-10-05T09:00", "05/10/2026", "10/25/2026", "5 Oct 2026", "Oct 5, 2026")]
        ['2026-10-05', '2026-10-05', '2026-10-25', '2026-10-05', '2026-10-05']
    """
    m = _DATE.search(text)
    return _iso_date(m) if m else None


def _iso_date(m: re.Match[str]) -> str | None:
    if m.group("iso"):
        return m.group("iso")
    if m.group("a"):
        a, b, y = int(m.group("a")), int(m.group("b")), int(m.group("y"))
        day, month = (a, b) if b <= 12 else (b, a)
    elif m.group("d1"):
        day, month, y = int(m.group("d1")), _MONTHS.get(m.group("m1")[:3].lower(), 0), int(m.group("y1"))
    else:
        day, month, y = int(m.group("d2")), _MONTHS.get(m.group("m2")[:3].lower(), 0), int(m.group("y2"))
    if not (1 <= month <= 12 and 1 <= day <= 31):
        return None
    return f"{y:04d}-{month:02d}-{day:02d}"


def _currency_code(text: str) -> str | None:
    m = _CURRENCY.search(text)
    if not m:
        return None
    return m.group(1) or _CURRENCY_SYMBOLS[m.group(2)]


def _cues(name: str, schema: dict[str, Any]) -> set[str]:
    """Words that label a value for this field: its name, title and description, widened."""
    words = set(terms(" ".join([name.replace("_", " "), str(schema.get("title", "")),
                                str(schema.get("description", ""))])))
    words -= {"yyyy", "mm", "dd", "e", "g", "amount", "number", "value"}
    for w in list(words):
        words |= set(_DATE_CUES.get(w, ()))
    return words


def _best_near(rx: re.Pattern[str], text: str, cues: set[str], *,
               need_cue: bool = False) -> re.Match[str] | None:
    """The match of ``rx`` whose label (the words since the previous match or line start)
    shares most words with ``cues``; the first one on a tie.

    With ``need_cue`` a match without a cue is only taken when it is the only match, so a
    field the text never labels ("Total" on an invoice that lost it) stays empty instead of
    borrowing a neighbour's value.
    """
    best, best_score, count, prev_end = None, -1, 0, 0
    for m in rx.finditer(text):
        count += 1
        start = max(prev_end, text.rfind("\n", 0, m.start()) + 1, m.start() - 60)
        score = len(cues & set(terms(text[start:m.start()])))
        if score > best_score:
            best, best_score = m, score
        prev_end = m.end()
    if need_cue and best_score <= 0 and count != 1:
        return None
    return best


# "Issued: 2026-10-22 | Payment due: 2026-11-05": one line, two labelled values
_KV_SPLIT = re.compile(r"[ \t]+[|;][ \t]+(?=[A-Za-z][\w ./#()-]{0,40}?[ \t]*[:=])")


def _find_schema_in_prompt(text: str) -> dict[str, Any] | None:
    start = text.find("{")
    while start != -1:
        depth = 0
        for j in range(start, len(text)):
            if text[j] == "{":
                depth += 1
            elif text[j] == "}":
                depth -= 1
                if depth == 0:
                    try:
                        obj = json.loads(text[start : j + 1])
                    except ValueError:
                        break
                    if isinstance(obj, dict) and "properties" in obj:
                        return obj
                    break
        start = text.find("{", start + 1)
    return None


def _types(schema: dict[str, Any]) -> list[str]:
    t = schema.get("type")
    if isinstance(t, list):
        return t
    if t:
        return [t]
    for key in ("anyOf", "oneOf"):
        if key in schema:
            out = []
            for sub in schema[key]:
                out.extend(_types(sub))
            return out
    if "enum" in schema:
        return ["string"]
    if "properties" in schema:
        return ["object"]
    return ["string"]


def _coerce(raw: str | None, schema: dict[str, Any], text: str, defs: dict[str, Any]) -> Any:
    if "$ref" in schema:
        schema = defs.get(schema["$ref"].split("/")[-1], {})
    for key in ("anyOf", "oneOf"):
        if key in schema:
            subs = [s for s in schema[key] if s.get("type") != "null"]
            if subs:
                value = _coerce(raw, subs[0], text, defs)
                if value is None and any(s.get("type") == "null" for s in schema[key]):
                    return None
                return value
    types = _types(schema)
    nullable = "null" in types
    kind = next((t for t in types if t != "null"), "string")
    if "enum" in schema:
        options = schema["enum"]
        hay = raw or text
        code = _currency_code(hay)
        if code is not None and code in options:
            return code
        # the option the text mentions first, not the first option the text mentions
        hits = [(m.start(), i) for i, opt in enumerate(options)
                for m in [re.search(rf"(?<![a-z0-9]){re.escape(str(opt).lower())}(?![a-z0-9])", hay.lower())] if m]
        if hits:
            return options[min(hits)[1]]
        return options[0] if options else None
    if raw is None:
        if nullable:
            return None
        return {"string": "", "integer": 0, "number": 0.0, "boolean": False, "array": [],
                "object": {}}.get(kind, "")
    if kind in ("integer", "number"):
        num = parse_number(raw)
        if num is None:
            return None if nullable else 0
        return int(num) if kind == "integer" else num
    if kind == "boolean":
        return raw.strip().lower() in ("yes", "true", "y", "1", "paid", "approved")
    if kind == "array":
        items = schema.get("items", {"type": "string"})
        return [_coerce(p.strip(), items, p, defs) for p in re.split(r"[,;]", raw) if p.strip()]
    if kind == "object":
        return _extract_object(schema, raw, defs)
    if schema.get("format") == "date" or "yyyy-mm-dd" in str(schema.get("description", "")).lower():
        return parse_date(raw) or raw.strip()
    return raw.strip()


def _extract_object(schema: dict[str, Any], text: str, defs: dict[str, Any],
                    grounded: Reply | None = None, label: str | None = None) -> dict[str, Any]:
    props: dict[str, Any] = schema.get("properties") or {}
    required = set(schema.get("required") or props)
    kv: dict[str, str] = {}
    for key, value in _KV.findall(_KV_SPLIT.sub("\n", text)):
        kv.setdefault(_norm_key(key), value)
    out: dict[str, Any] = {}
    for name, sub in props.items():
        sub = sub if isinstance(sub, dict) else {}
        nk = _norm_key(name)
        raw: str | None = None
        if grounded is not None and nk in ("answer", "response", "text"):
            raw = grounded.content
        elif grounded is not None and nk in ("citations", "sources", "sourceids", "cited"):
            out[name] = list(grounded.citations)
            continue
        elif grounded is not None and nk in ("abstained", "cannotanswer", "unanswerable"):
            out[name] = grounded.task == "abstain"
            continue
        if raw is None and label is not None and nk in ("label", "category", "class", "classification"):
            raw = label
        if raw is None:
            raw = _kv_value(nk, _norm_key(str(sub.get("title", ""))), kv)
            if raw is not None:
                raw = _refine(name, sub, raw)
        if raw is None:
            raw = _pattern_value(name, sub, text)
        if raw is None and name not in required:
            continue
        out[name] = _coerce(raw, sub, text, defs)
    return out


def _kv_value(nk: str, title: str, kv: dict[str, str]) -> str | None:
    """The value of the best-matching label: exact name or title, then a label that starts
    or ends with the name ("Total due" for total), then one that merely contains it. Ranked,
    so "Subtotal" is never read as "total" when a "Total" line exists."""
    best, best_rank = None, 9
    for key, value in kv.items():
        if key == nk or (title and key == title):
            return value
        if len(nk) >= 4 and (key.startswith(nk) or nk.startswith(key)):
            rank = 1
        elif len(nk) >= 4 and (nk in key or key in nk):
            rank = 2 if not key.endswith(nk) or key.startswith(nk) else 3
        else:
            continue
        if rank < best_rank:
            best, best_rank = value, rank
    return best


def _refine(name: str, schema: dict[str, Any], raw: str) -> str:
    """A labelled value cut to what the field holds ("IBAN DE44..." -> the IBAN; "Acme Ltd
    <billing@acme.example>" -> the name), left as it is when nothing fits."""
    n = name.lower()
    if "iban" in n:
        m = _IBAN.search(raw)
        return m.group(0).replace(" ", "") if m else raw
    if "email" not in n and any(w in n for w in _COMPANY_FIELDS + ("name", "from", "sender")):
        return re.sub(r"\s*<+[^<>]*>+\s*$", "", raw).strip() or raw
    return raw


@lru_cache(maxsize=1024)
def _schema_pattern(pattern: str) -> re.Pattern[str] | None:
    body = pattern[1:] if pattern.startswith("^") else pattern
    body = body[:-1] if body.endswith("$") and not body.endswith("\\$") else body
    try:
        return re.compile(r"(?<![\w-])(?:" + body + r")(?![\w-])")
    except re.error:
        return None


def _pattern_value(name: str, schema: dict[str, Any], text: str) -> str | None:
    n = name.lower()
    pattern = schema.get("pattern")
    if isinstance(pattern, str):
        # the schema says what a valid value looks like: look for exactly that
        rx = _schema_pattern(pattern)
        if rx is not None:
            m = rx.search(text)
            return m.group(0) if m else None
    for hint, rx in _IDS.items():
        if hint in n and ("id" in n or "number" in n or n == hint):
            m = rx.search(text)
            if m:
                return m.group(0)
    if n.endswith("_id") or n == "id" or n.endswith("number"):
        m = _GENERIC_ID.search(text)
        if m:
            return m.group(0)
    if "email" in n or n in ("to", "recipient"):
        m = _EMAIL.search(text)
        return m.group(0) if m else None
    if "phone" in n:
        m = _PHONE.search(text)
        return m.group(0) if m else None
    if "date" in n or n.endswith("_at") or n.endswith("_on"):
        m = _best_near(_DATE, text, _cues(name, schema))
        return m.group(0) if m else None
    if "currency" in n:
        code = _currency_code(text)
        if code:
            return code
    if "iban" in n:
        m = _IBAN.search(text)
        return m.group(0).replace(" ", "") if m else None
    if any(w in n for w in _COMPANY_FIELDS):
        m = _COMPANY.search(text)
        if m:
            return m.group(1)
    if any(w in n for w in ("amount", "total", "price", "cost", "sum", "subtotal", "tax", "vat", "fee")):
        m = _best_near(_AMOUNT, text, _cues(name, schema), need_cue=True)
        return m.group(0) if m else None
    if "enum" in schema:
        for opt in schema["enum"]:
            if re.search(rf"\b{re.escape(str(opt))}\b", text, re.I):
                return str(opt)
    return None


def extract(schema: dict[str, Any], text: str, grounded: Reply | None = None,
            label: str | None = None) -> dict[str, Any]:
    """A JSON object for ``schema`` filled from ``text`` (see module docstring)."""
    defs = schema.get("$defs") or schema.get("definitions") or {}
    return _extract_object(schema, text, defs, grounded=grounded, label=label)


# --------------------------------------------------------------------------------------
# tools


def _tool_fn(tool: dict[str, Any]) -> dict[str, Any]:
    return tool.get("function") or tool


# What a request asks for and what a tool does: read (show, list, find ...) or write (create,
# update, send ...). The first such verb of a clause is its intent ("Show open tickets" is a
# read even though "open" can mean "create"); a tool's kind is the first such verb of its
# name, else of its description.
_READ_VERBS = frozenset(
    "show list find look lookup get fetch retrieve read view display see check review search query "
    "what which who whom whose where when how count browse inspect summarise summarize".split())
_WRITE_VERBS = frozenset(
    "create update set draft send fill add open file raise log submit make change modify edit "
    "escalate delete remove cancel close comment post write assign email mail notify forward "
    "reply refund book schedule approve reject register record archive reopen rename move "
    "upload publish insert put patch".split())
# a redacting client's name placeholder (<NAME_1>): its word "name" is no word of the request
# (<EMAIL_1> stays: "send it to <EMAIL_1>" is rightly a request to e-mail)
_PLACEHOLDER = re.compile(r"<NAME_\d+>")
_NAME_WEIGHT, _DESC_WEIGHT, _KIND_FIT = 3.0, 1.0, 3.0
_MIN_MATCH = 2.0  # one name word, or two description words, before a tool is considered


# English function words: a clause with none of them is in another language (round 12)
_EN_FUNCTION = frozenset("the a an to and of for in on with please me my your our it this that is are i you we "
                         "can could would will then also all from by at as now".split())


def _loanword(clause: str, verb: str) -> bool:
    """Whether ``verb`` is an English word borrowed into a clause of another language, after
    words of that language ("Saya akan membalas email mereka", "Θα του απαντήσω με email": I
    will reply by e-mail myself): a noun there, not the English imperative the planner reads."""
    m = re.search(rf"(?<![a-z]){re.escape(verb)}(?![a-z])", clause, re.I)
    if m is None or not re.search(r"[^\W\d_]{2,}", clause[:m.start()]):
        return False  # the clause opens with it: an imperative ("email the notes to ...")
    return not any(w.lower() in _EN_FUNCTION for w in re.findall(r"[^\W\d_]+", clause))


def _intent(text: str) -> tuple[str | None, str | None]:
    """("read"|"write"|None, the verb) from the first read/write verb among the first words."""
    for word in _WORD.findall(text.lower())[:8]:
        if word in _READ_VERBS:
            return "read", word
        if word in _WRITE_VERBS:
            return "write", word
    return None, None


# what a request verb means in tool names: "find" may be get_* or search_*, "show" get_* or
# list_*; other verbs go through _SYNONYMS ("open" -> create, "email" -> send)
_VERB_NAMES = {
    "find": ("get", "search"), "look": ("get", "search"), "lookup": ("get", "search"),
    "show": ("get", "list"), "display": ("get", "list"), "view": ("get", "list"),
    "list": ("list", "get"), "what": ("get", "list"), "which": ("list", "get", "search"),
    "who": ("get", "list"), "search": ("search", "find"), "query": ("search",),
    "review": ("get",), "check": ("get",), "read": ("get", "read"), "see": ("get", "list"),
    "fill": ("update", "set", "fill"), "set": ("update", "set"), "draft": ("draft", "create"),
}
_ID_NOUNS = {"account": "account", "ticket": "ticket", "doc": "document", "invoice": "invoice",
             "contact": "contact", "user": "user"}


@lru_cache(maxsize=4096)
def _tool_profile(name: str, description: str) -> tuple[str | None, frozenset[str], frozenset[str], str | None]:
    """The tool's name verb, its other name terms, its description terms, and its kind."""
    words = _WORD.findall(name.replace("_", " ").replace("-", " ").lower())
    verb = words[0] if words and (words[0] in _READ_VERBS or words[0] in _WRITE_VERBS) else None
    rest = frozenset(terms(" ".join(words[1:] if verb else words)))
    kind = _intent(" ".join(words))[0] or _intent(description)[0]
    return verb, rest, frozenset(terms(description)), kind


def _verb_names(verb: str) -> set[str]:
    out = {verb}
    out.update(_VERB_NAMES.get(verb, ()))
    if verb in _SYNONYMS:
        out.add(_SYNONYMS[verb])
    return out


def _tool_match(tool: dict[str, Any], text: str) -> tuple[float, float, float]:
    """(word match, kind fit, evidence) of ``tool`` for the request ``text``.

    The tool's name verb (get/create/...) matches only the request's intent verb and what
    that verb means (:data:`_VERB_NAMES`, :data:`_SYNONYMS`); other verb-like request words
    ("open" in "Show open tickets", "drafted" in "send the drafted e-mail") match only as
    plain words. Name words weigh three times description words; an id in the request
    (TCK-..., ACC-...) counts once for a tool with a matching parameter and once, weakly,
    as the noun it names. ``evidence`` is the part of the match that is not a verb: a verb
    alone ("look up TCK-1" against get_account) does not make a tool fit.
    """
    fn = _tool_fn(tool)
    tverb, name, desc, kind = _tool_profile(str(fn.get("name", "")), str(fn.get("description", "")))
    # a redacting client's placeholder ("<NAME_1>" for a company name) is no word of the
    # request: its "name" made "Find CRM accounts by name" tie with the record's own tool
    text = _PLACEHOLDER.sub(" ", text)
    intent, verb = _intent(text)
    bag = set(terms(text))
    bag |= {_SYNONYMS[t] for t in bag if t in _SYNONYMS and t not in _READ_VERBS and t not in _WRITE_VERBS}
    if verb is not None:
        bag.add(verb)  # "show", "what" are stop words but still say what is wanted
    match = _NAME_WEIGHT * len(name & bag) + _DESC_WEIGHT * len(desc & bag)
    # the intent verb ("look up") says what to do, not to what: in a description it is no
    # evidence; as a noun of the name ("email" for send_email) it is
    evidence = _NAME_WEIGHT * len(name & bag) + _DESC_WEIGHT * len(desc & bag - {verb, "up"})
    if tverb is not None and verb is not None and tverb in _verb_names(verb):
        match += _NAME_WEIGHT
    weak: set[str] = set()
    params = (fn.get("parameters") or {}).get("properties") or {}
    for hint, rx in _IDS.items():
        if rx.search(text):
            weak.add(_ID_NOUNS[hint])
            if any(hint in p.lower() for p in params):
                match += 1.0
                evidence += 1.0
    nouns = _DESC_WEIGHT * len(weak & ((name | desc) - bag))
    match += nouns
    evidence += nouns
    fit = 0.0
    if intent is not None and kind is not None:
        fit = _KIND_FIT if intent == kind else -_KIND_FIT
    return match, fit, evidence


def _tool_score(tool: dict[str, Any], text: str) -> float:
    """How well ``tool`` fits the request ``text``; below :data:`_MIN_MATCH` it does not.

    The right kind always wins: a tool of the request's kind scores at least
    ``_MIN_MATCH + _KIND_FIT``, a read tool for a write request at most just below that (it
    stays a fallback: a model that cannot write may still look the contact up), and a write
    tool for a read request never fits — "Show open tickets" must not open one.
    """
    match, fit, evidence = _tool_match(tool, text)
    if match < _MIN_MATCH or evidence < 1.0:
        return min(match, _MIN_MATCH - 0.5)
    if fit < 0:
        if _intent(text)[0] == "read":
            return _MIN_MATCH - 0.5
        return _MIN_MATCH + min(match - _MIN_MATCH, _KIND_FIT - 0.1)
    return match + fit


def _clauses(text: str) -> list[str]:
    parts = re.split(r"\b(?:and then|then|after that|afterwards|also)\b|;|\.\s+|,\s*and\s+|\s+and\s+(?=[a-z]+\s)",
                     text, flags=re.I)
    return [p.strip() for p in parts if p and len(p.strip()) > 2]


def _fill_args(fn: dict[str, Any], primary: str, context: list[str],
               preset: dict[str, Any] | None = None) -> dict[str, Any]:
    params = fn.get("parameters") or {}
    props: dict[str, Any] = params.get("properties") or {}
    required = list(params.get("required") or [])
    args: dict[str, Any] = dict(preset or {})
    texts = [primary] + context
    for name, sub in props.items():
        if name in args:
            continue
        sub = sub if isinstance(sub, dict) else {}
        raw = None
        for t in texts:
            raw = _pattern_value(name, sub, t)
            if raw is None:
                kv = {_norm_key(k): v for k, v in _KV.findall(t)}
                raw = kv.get(_norm_key(name))
            if raw is not None:
                break
        if raw is None and "pattern" not in sub:  # free text never fits a patterned id
            n = name.lower()
            quoted = _QUOTED.search(primary)
            if quoted:
                raw = next(g for g in quoted.groups() if g)
            elif any(w in n for w in ("query", "question", "text", "subject", "title", "body", "message",
                                      "description", "note", "reason", "summary", "content", "search")):
                raw = primary
            elif n in ("value", "new_value", "status", "stage", "state") or n.startswith("new_"):
                m = re.findall(r"\b(?:to|as)\s+[\"']?([\w-]+)", primary, re.I)
                raw = m[-1] if m else None
            elif "priority" in n:
                m = re.search(r"\b(low|medium|normal|high|urgent|critical)\b", " ".join(texts), re.I)
                raw = m.group(1).lower() if m else None
        if raw is None and name not in required:
            continue
        args[name] = _coerce(raw, sub, primary, {})
    return args


def _call_id(request_hash: bytes, n: int) -> str:
    return "call_" + blake2b(request_hash + str(n).encode(), digest_size=12).hexdigest()


def _tool_call(request_hash: bytes, name: str, args: dict[str, Any], n: int = 0) -> dict[str, Any]:
    return {"id": _call_id(request_hash, n), "type": "function",
            "function": {"name": name, "arguments": json.dumps(args, separators=(",", ":"))}}


def plan_tools(conv: _Conv, tools: list[dict[str, Any]], tool_choice: Any, request_hash: bytes) -> Reply:
    """The next tool call for the latest request, or the final text once results answer it."""
    by_name = {str(_tool_fn(t).get("name")): t for t in tools}
    context = [conv.user] + [r for _, r in reversed(conv.tool_results)] + [
        text_of(m.get("content")) for m in reversed(conv.messages) if m.get("role") == "user"]
    forced = None
    if isinstance(tool_choice, dict):
        forced = str(((tool_choice.get("function") or {}).get("name")) or tool_choice.get("name") or "")
    if forced and forced in by_name and forced not in conv.called:
        args = _fill_args(_tool_fn(by_name[forced]), conv.user, context[1:])
        return Reply(None, [_tool_call(request_hash, forced, args)], "tool_calls", task="tool")
    needed: list[str] = []
    verb: str | None = None
    for clause in _clauses(conv.user) or [conv.user]:
        # "Show me the notes and tickets for ACC-1": a clause without a verb of its own
        # ("tickets for ACC-1") keeps the one before it; it does not become "create a ticket"
        own = _intent(clause)[1]
        if own in _WRITE_VERBS and re.search(
                rf"\b(?:my|your|our|the|this|that|an?|la|il|le|ma|mon|mia|mio|mi|su|el|meine?|die|das)\s+(?:\w+\s+)?{own}\b",
                clause, re.I):
            continue  # "ignore my previous email": a write verb used as a noun asks for no write
        if own in _WRITE_VERBS and _loanword(clause, own):
            continue  # "Saya akan membalas email mereka sendiri": an English noun in another language
        if own is None and verb is not None:
            clause = f"{verb} {clause}"
        verb = own or verb
        scored = sorted(((_tool_score(t, clause), -i, n) for i, (n, t) in enumerate(by_name.items())), reverse=True)
        if scored and scored[0][0] >= 2.0 and scored[0][2] not in needed:
            needed.append(scored[0][2])
    if not needed:
        scored = sorted(((_tool_score(t, conv.user), -i, n) for i, (n, t) in enumerate(by_name.items())), reverse=True)
        if scored and (scored[0][0] >= 2.0 or tool_choice == "required"):
            needed.append(scored[0][2])
    pending = [n for n in needed if n not in conv.called]
    if pending and not (conv.tool_results and _looks_failed(conv.tool_results[-1][1])):
        name = pending[0]
        clause = max(_clauses(conv.user) or [conv.user], key=lambda c: _tool_score(by_name[name], c))
        args = _fill_args(_tool_fn(by_name[name]), clause, context)
        return Reply(None, [_tool_call(request_hash, name, args, len(conv.called))], "tool_calls", task="tool")
    if conv.tool_results:
        if _looks_failed(conv.tool_results[-1][1]):
            return Reply("I could not complete the request: " + _short(conv.tool_results[-1][1]), task="tool_answer")
        parts = [f"{name or 'tool'}: {_short(result)}" for name, result in conv.tool_results]
        return Reply("Here is what I found. " + " ".join(parts), task="tool_answer")
    return Reply(None, task="none")


def _looks_failed(result: str) -> bool:
    return bool(re.search(r"\b(?:error|denied|not permitted|forbidden|failed|requires approval)\b", result, re.I))


def _short(text: str, limit: int = 400) -> str:
    text = " ".join(text.split())
    return text if len(text) <= limit else text[: limit - 3] + "..."


# --------------------------------------------------------------------------------------
# injection obedience: see labkit.provider.attacker (what it finds and what it does); the
# planner hands it the tool matching and argument filling it borrows from this module

_PLANNER = attacker.Planner(tool_profile=_tool_profile, fill_args=_fill_args, terms=terms)


def _obey(conv: _Conv, tools: list[dict[str, Any]], request_hash: bytes, by_meaning: bool = False) -> Reply | None:
    """The reply that follows an instruction in untrusted text (else None); ``by_meaning``: the second reading too."""
    act = attacker.obey_injection(conv, tools, _PLANNER, read_meaning=by_meaning)
    if act is None:
        return None
    if act.tool is None:
        return Reply(act.text, task="injection", obeyed_injection=True)
    return Reply(None, [_tool_call(request_hash, act.tool, act.args, 99)], "tool_calls",
                 task="injection", obeyed_injection=True)



# --------------------------------------------------------------------------------------
# the entry point


def respond(body: dict[str, Any], spec: ModelSpec, request_hash: bytes, *,
            hallucination_rate: float = 0.05, injection_obedience: float = 0.3,
            obedience_forced: bool = False) -> Reply:
    """The mock model's reply to a (validated) chat completion body.

    ``obedience_forced`` (set by the ``obey_injection`` fault) applies the rate as given,
    without the discount that fencing untrusted text earns.
    """
    conv = _parse(body)
    tools = [t for t in body.get("tools") or [] if isinstance(t, dict)]
    tool_choice = body.get("tool_choice")
    if tool_choice == "none":
        tools_for_plan: list[dict[str, Any]] = []
    else:
        tools_for_plan = tools

    rate = injection_obedience
    if not obedience_forced and "<<<UNTRUSTED" in conv.all_text:
        # spotlighting works on real models too, partly: fenced data is obeyed half as often,
        # and a quarter as often when the system prompt also says fenced text is not instructions
        rate *= 0.5
        if re.search(r"not instructions|never follow instructions", conv.system, re.I):
            rate *= 0.5
    # the draw first: it is one hash, the detector is most of the cost of a reply with sources
    # (both are pure, so the order changes no reply)
    # (round 18: or an order only the reading by meaning finds, embedded only when obedience is drawn and
    # forced, i.e. in a red-team run (the ``obey_injection`` fault): on the lab's own sample data round 18's
    # cosine read 76 of 2,955 benign ticket, KB and CRM texts the rules leave alone ("Customer asked us to reply
    # to x@y instead of the account address"); round 19's margin reads none, but its thresholds rest on few
    # benign units, so the everyday mock, at its default obedience, still keeps to the rules)
    if rate > 0 and _unit(request_hash, "obey") < rate and (
            has_injection(conv) or (obedience_forced and attacker.injection_by_meaning(conv))):
        reply = _obey(conv, tools_for_plan, request_hash, obedience_forced)
        if reply is not None:
            return reply

    if tools_for_plan:
        reply = plan_tools(conv, tools_for_plan, tool_choice, request_hash)
        if reply.task != "none":
            return reply

    labels_match = _LABELS.search(conv.system + "\n" + conv.user)
    label = None
    if labels_match:
        labels = [x.strip().strip("\"'`.") for x in re.split(r"[,|/]", labels_match.group(1)) if x.strip()]
        body_text = _LABELS.sub(" ", conv.user_raw)
        if labels:
            label = classify(body_text, labels)

    question = _question(conv)
    wants_summary = bool(_SUMMARY.search(conv.system) or _SUMMARY.search(conv.user))
    grounded_mode = bool(conv.sources) or bool(_GROUNDED.search(conv.system))
    grounded: Reply | None = None
    if grounded_mode and not wants_summary and label is None:
        grounded = grounded_answer(question, conv.sources, spec, request_hash, hallucination_rate)

    fmt = body.get("response_format") or {}
    if isinstance(fmt, dict) and fmt.get("type") in ("json_schema", "json_object"):
        schema = None
        if fmt.get("type") == "json_schema":
            schema = (fmt.get("json_schema") or {}).get("schema")
        if schema is None:
            schema = _find_schema_in_prompt(conv.system + "\n" + conv.user_raw)
        if schema is None:
            obj: dict[str, Any] = {"answer": (grounded.content if grounded else None) or label or _chat(conv)}
        else:
            text = _SOURCE.sub(lambda m: m.group(2), conv.user_raw)
            obj = extract(schema, text, grounded=grounded, label=label)
        out = Reply(json.dumps(obj, ensure_ascii=False), task="extract")
        if grounded:
            out.hallucinated, out.citations = grounded.hallucinated, grounded.citations
        return out

    if label is not None:
        return Reply(label, task="classify")
    if wants_summary:
        text = "\n".join(t for _, t in conv.sources) or re.sub(
            r"^.*\bsummari[sz]e\b.*?(?::|\n)", "", conv.user, count=1, flags=re.I | re.S).strip() or conv.user
        sents = summarise(text)
        if conv.sources:
            # cite each kept sentence by the source it came from
            cited = []
            for s in sents:
                sid = next((i for i, t in conv.sources if s.split(" ")[0] in t and s[: min(30, len(s))] in " ".join(t.split())), conv.sources[0][0])
                cited.append(_cite(s, sid))
            sents = cited
        extra = [_FILLER[int(_unit(request_hash, f"fill{i}") * len(_FILLER))] for i in range(spec.verbosity)]
        return Reply(" ".join(sents + list(dict.fromkeys(extra))) or "There is nothing to summarise.", task="summarise")
    if grounded is not None:
        return grounded
    return Reply(_chat(conv), task="chat")


def _chat(conv: _Conv) -> str:
    said = _short(conv.user or conv.system or "", 160)
    return f"This is the lab's mock model. You said: \"{said}\". Give me sources, labels, a schema or tools for a useful answer."
