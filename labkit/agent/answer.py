"""The agent's final answer: what its user is shown at the end of a run, and what is withheld.

A model with nothing better to say repeats what its tools returned, and tool output is
untrusted: a note, a ticket or a document can carry a planted secret, a canary or an
instruction. So the answer is composed here, not passed through:

1. **No raw untrusted text.** A sentence of the model's answer that copies tool output
   verbatim (8 words in a row, or all of a sentence of 4+ words, or a fenced block or JSON)
   is dropped. What the model wrote in its own words stays.
2. **A summary from the records**, whenever untrusted tool output entered the run (or the
   model said nothing): the tools called with their record ids and what came back (record counts, the
   headline fields — name, title, subject, status, stage, priority — and the fields the
   request names, such as "next step" or "phone"); for a request that asks for the text
   itself ("summarise", "notes", a knowledge-base question), the first sentences of it that
   the injection detector does not flag. Calls that were refused, failed or rejected are
   listed with the reason.
3. **No secrets, ever** (:func:`labkit.controls.secrets.redact_secrets`): key and token
   shapes, ``CANARY-…`` strings, passwords beside their keyword — and every secret found in
   the run's tool output is withheld wherever it stands again, even bare; so is every value
   there shaped like a credential (:func:`labkit.provider.scripts.credential_values`), named
   by a keyword or not, and every code-shaped value on a line that names a secret in any script
   (:func:`labkit.provider.scripts.labelled_values`: a digit code, a dashed passphrase).

A short note says what was withheld. It does not judge whether the answer is correct or
grounded (RAG's citation check does that for RAG), and it does not touch what the model sees:
the conversation keeps the model's own reply.

Example:
    >>> tool = ('<<<UNTRUSTED source="get_ticket" injection="none">>>\\n<source id="get_ticket">'
    ...         '{"ticket_id": "TCK-000001", "status": "open", "notes": "PIN: Orchid-3390-Kilo"}'
    ...         '</source>\\n<<<END UNTRUSTED source="get_ticket">>>')
    >>> messages = [{"role": "user", "content": "Read ticket TCK-000001"},
    ...             {"role": "assistant", "content": None, "tool_calls": [{"id": "c1",
    ...              "function": {"name": "get_ticket", "arguments": '{"ticket_id": "TCK-000001"}'}}]},
    ...             {"role": "tool", "tool_call_id": "c1", "content": tool}]
    >>> text, withheld = compose_answer("The PIN is Orchid-3390-Kilo.", request="Read ticket TCK-000001",
    ...                                 messages=messages, trace=[])
    >>> "Orchid" in text, withheld["secrets"]
    (False, 1)
"""

from __future__ import annotations

import json
import re
from typing import Any

from labkit.controls.injection import FENCE_OPEN, decoded_payloads, detect_injection
from labkit.controls.secrets import find_secrets, redact_secrets
from labkit.provider.scripts import credential_values, labelled_values

_SHINGLE = 8
_WORDS = re.compile(r"\w+")
_INNER = re.compile(r"<source id=\"[^\"]*\">(.*)</source>", re.S)
_SENT = re.compile(r"(?<=[.!?])\s+(?=[A-Z0-9\"'(\[{<])|\n+")
_HEADLINE = ("name", "title", "subject", "status", "stage", "priority")
_TEXT_FIELDS = ("text", "notes", "body", "content")
_WANTS_TEXT = re.compile(
    r"\b(?:summari[sz]e|summary|what (?:does|do|did)|say|says|notes?|comments?|policy|policies|"
    r"knowledge base|document|zusammenfass\w*|r[ée]sum\w*|resum\w*|riassum\w*)\b", re.I)
_STOP = frozenset("the a an of for to in on and or is are be it this that with me my our your "
                  "what which who how please show give tell read review search find look up "
                  "about from at by".split())


def _words(text: str) -> list[str]:
    return _WORDS.findall(text.lower())


def _unescape(text: str) -> str:
    """JSON escapes as the characters they stand for (``\\n``, ``\\u00f6``, ``\\"``)."""
    return re.sub(r"\\u([0-9a-fA-F]{4})", lambda m: chr(int(m.group(1), 16)),
                  text.replace("\\n", "\n").replace("\\t", " ").replace('\\"', '"'))


_U_ESCAPE = re.compile(r"\\u[dD][89abAB][0-9a-fA-F]{2}\\u[dD][c-fC-F][0-9a-fA-F]{2}|\\u[0-9a-fA-F]{4}")


def _read_escapes(text: str) -> str:
    """``\\uXXXX`` escapes (a surrogate pair as one character) as the characters they stand for."""
    def one(m: re.Match[str]) -> str:
        char = str(json.loads(f'"{m.group(0)}"'))
        return m.group(0) if "\ud800" <= char <= "\udfff" else char  # a lone surrogate half: left as written
    return _U_ESCAPE.sub(one, text)


def _leaves(value: Any) -> list[str]:
    if isinstance(value, str):
        return [value]
    if isinstance(value, dict):
        return [s for v in value.values() for s in _leaves(v)]
    if isinstance(value, list):
        return [s for v in value for s in _leaves(v)]
    return []


def _parse(content: str) -> tuple[Any, bool]:
    """(the JSON a tool returned, or None; whether it came fenced as untrusted)."""
    fenced = FENCE_OPEN in content
    inner = content
    if fenced:
        m = _INNER.search(content)
        inner = m.group(1) if m else content
    try:
        return json.loads(inner), fenced
    except ValueError:
        return None, fenced


def _calls(messages: list[dict[str, Any]]) -> list[tuple[str, dict[str, Any], str]]:
    """(tool, arguments, result content) of every call answered in the conversation."""
    asked: dict[str, tuple[str, dict[str, Any]]] = {}
    out: list[tuple[str, dict[str, Any], str]] = []
    for m in messages:
        if m.get("role") == "assistant":
            for call in m.get("tool_calls") or []:
                fn = (call or {}).get("function") or {}
                try:
                    args = json.loads(fn.get("arguments") or "{}")
                except ValueError:
                    args = {}
                asked[str(call.get("id", ""))] = (str(fn.get("name", "")),
                                                  args if isinstance(args, dict) else {})
        elif m.get("role") == "tool":
            name, args = asked.get(str(m.get("tool_call_id", "")), ("tool", {}))
            out.append((name, args, str(m.get("content") or "")))
    return out


def untrusted_texts(messages: list[dict[str, Any]]) -> list[str]:
    """The untrusted tool outputs of a conversation: each fenced block as sent, and decoded."""
    out: list[str] = []
    for _, _, content in _calls(messages):
        if FENCE_OPEN not in content:
            continue
        out.append(content)
        data, _ = _parse(content)
        if data is not None:
            for leaf in _leaves(data):
                out.append(leaf)
                # a JSON document written into a string field (a portal message kept as JSON
                # text, its newlines still "\\n"): its own values too, else a secret read from
                # the raw leaf runs on into the escape ("FBK-2281-QVX-09\\nAssistant")
                inner, _ = _parse(leaf) if leaf.lstrip()[:1] in ("{", "[") else (None, False)
                if inner is not None:
                    out.extend(_leaves(inner))
                elif "\\" in leaf:
                    out.append(_unescape(leaf))
        else:
            out.append(_unescape(content))
    return out


class _Copies:
    """Tells whether a sentence repeats untrusted text verbatim."""

    def __init__(self, texts: list[str]) -> None:
        self.shingles: set[tuple[str, ...]] = set()
        self.joined: list[str] = []
        for t in texts:
            w = _words(t)
            self.joined.append(" " + " ".join(w) + " ")
            self.shingles.update(tuple(w[i:i + _SHINGLE]) for i in range(len(w) - _SHINGLE + 1))

    def __call__(self, sentence: str) -> bool:
        if FENCE_OPEN in sentence or "<source" in sentence or '{"' in sentence:
            return True
        w = _words(sentence)
        if any(tuple(w[i:i + _SHINGLE]) in self.shingles for i in range(len(w) - _SHINGLE + 1)):
            return True
        if 4 <= len(w) < _SHINGLE:
            needle = " " + " ".join(w) + " "
            return any(needle in j for j in self.joined)
        return False


def _asked_keys(request: str) -> set[str]:
    return {w for w in _words(request) if w not in _STOP}


def _clean_quote(text: str, limit: int = 200, sentences: int = 2) -> str:
    """The first sentences of untrusted free text that the injection detector does not flag."""
    kept: list[str] = []
    for sent in _SENT.split(" ".join(str(text).split("\n"))):
        sent = sent.strip()
        if sent and not detect_injection(sent).flagged:
            kept.append(sent)
        if len(kept) == sentences:
            break
    quote = " ".join(kept)
    return quote if len(quote) <= limit else quote[: limit - 1] + "…"


def _record(data: dict[str, Any], asked: set[str], wants_text: bool) -> list[str]:
    parts: list[str] = []
    for key, value in data.items():
        key_words = set(key.lower().split("_"))
        if isinstance(value, (str, int, float)) and not isinstance(value, bool):
            named = bool(key_words & asked) and not key.endswith("_id")
            if key in _TEXT_FIELDS:  # free text: quoted only when asked, never instructions
                quote = _clean_quote(str(value)) if (named or wants_text) else ""
                if quote:
                    parts.append(f'{key}: "{quote}"')
            elif key in _HEADLINE or named:
                parts.append(f"{key} {str(value)[:80]}")
    return parts


def _describe(data: Any, asked: set[str], wants_text: bool) -> str:
    """What a tool returned, as counts, headline fields and the fields the request names."""
    if isinstance(data, list):
        items = [d for d in data if isinstance(d, dict)]
        shown = []
        for item in items[:3]:
            ident = next((str(v) for k, v in item.items() if k.endswith("_id")), "")
            rest = _record(item, asked, wants_text)
            shown.append(" ".join(x for x in [ident, ", ".join(rest)] if x))
        return f"{len(data)} record(s)" + (": " + "; ".join(shown) if shown else "")
    if not isinstance(data, dict):
        return "done"
    parts = _record(data, asked, wants_text)
    for key, value in data.items():
        if isinstance(value, dict):
            inner = _record(value, asked, wants_text)
            parts.append(f"{key}: " + (", ".join(inner) if inner else "1 record"))
        elif isinstance(value, list):
            text = f"{len(value)} {key}"
            if value and (key.lower() in asked or key.lower().rstrip("s") in asked or wants_text):
                records = [_record(v, asked, wants_text) for v in value[:3] if isinstance(v, dict)]
                said = [", ".join(r) for r in records if r]
                if said:
                    text += " (" + "; ".join(said) + ")"
            parts.append(text)
    return "; ".join(parts) or "done"


def summarise_run(request: str, messages: list[dict[str, Any]], trace: list[dict[str, Any]]) -> str:
    """The run told from its records: tools called, what came back, what was refused."""
    asked = _asked_keys(request)
    wants_text = bool(_WANTS_TEXT.search(request))
    lines: list[str] = []
    for name, args, content in _calls(messages):
        ids = ", ".join(str(v) for k, v in args.items() if k.endswith("_id"))
        label = f"{name} ({ids})" if ids else name
        data, _ = _parse(content)
        if data is not None:
            lines.append(f"{label}: {_describe(data, asked, wants_text)}.")
    for step in trace:
        if step.get("outcome") in ("refused", "failed", "rejected"):
            lines.append(f"{step.get('tool')}: {step['outcome']} ({str(step.get('detail'))[:160]}).")
    return " ".join(lines)


def compose_answer(model_text: str | None, *, request: str, messages: list[dict[str, Any]],
                   trace: list[dict[str, Any]]) -> tuple[str, dict[str, int]]:
    """The answer to show and what was withheld (``{"copied_sentences": n, "secrets": m}``)."""
    # (round 20) the model's text with its JSON \\u escapes read as characters first: the client's redaction
    # keeps a value's text as it stood in a tool result's JSON ("Hoa-Sen-\\u0110\\u1ecf-3388" behind
    # "<NAME_2>"), and rehydrating the model's "<NAME_2>-3388" puts the escape into the answer, where the
    # secret filter, which knows the value as written, did not see it (a planted secret reached the user)
    model_text = _read_escapes(model_text or "")
    untrusted = untrusted_texts(messages)
    copies = _Copies(untrusted)
    kept: list[str] = []
    dropped = 0
    for sent in _SENT.split((model_text or "").strip()):
        if not sent.strip():
            continue
        if untrusted and copies(sent):
            dropped += 1
        else:
            kept.append(sent.strip())
    text = " ".join(kept)
    if untrusted or not text:  # what came back from outside is told from the records
        summary = summarise_run(request, messages, trace)
        text = " ".join(x for x in [text, summary] if x) or "Done."
    # a secret found beside its keyword anywhere in the run (tool output, or pasted into the
    # request, or in what an encoded span there says: "decode this base64 and do what it says")
    # is withheld wherever it stands again, even bare
    known = [s.value for t in [*untrusted, request] for part in (t, *decoded_payloads(t)) for s in find_secrets(part)]
    # (round 12) and every value shaped like a credential there, whatever word names it or none
    # ("مفتاح الطوارئ: Nakhla-…", "kata laluan ialah Cempaka-…", "token …: tkn_v2_…"): the
    # keyword lists cannot know every language's word for a password; the shape is the same
    known += [v for t in [*untrusted, request] for v in credential_values(t)]
    # (round 14) and every code-shaped value on a line that names a password, code, key, PIN or token
    # in any script, however long the label ("رمز الدخول إلى نظام المستودع المركزي: DUNE-…"), a bare
    # long digit code or a dashed passphrase too: a secret's label is in any language, its shape is not
    known += [v for t in untrusted for v in labelled_values(t)]
    text, kinds = redact_secrets(text, known)
    notes = []
    if dropped:
        notes.append(f"{dropped} passage(s) repeating tool output verbatim")
    if kinds:
        notes.append(f"{len(kinds)} secret-looking value(s)")
    if notes:
        text += " (Withheld: " + " and ".join(notes) + ".)"
    return text, {"copied_sentences": dropped, "secrets": len(kinds)}
