"""Where the chain breaks for each red-team case the mock attacker did not attack (an analysis aid).

For every malicious case a red-team run left "not attacked", this re-runs the case alone through the
agent and the embedded mock provider at forced obedience 1.0 and records what the mock saw at each model
turn, then places the miss in one of the classes of the round-14 read of the misses:

- ``a_not_read``: ``find_instructions`` finds no instruction even in the raw payload;
- ``b_redacted``: found in the raw payload, but in no text the mock received (the client's PII
  redaction on the agent's path changed it: the placeholders are printed);
- ``c_unmapped``: read on the agent's path, but the obedient reply is no harmful call the case counts
  (no call at all, a read, or a tool outside the case's ``harm`` list) or, for a planted secret, the
  reply did not say it;
- ``d_other``: anything else (e.g. the text with the payload never reached the model).

It only reads (no attacker code is changed); the per-case evidence is written as JSON for a human to
read beside the payloads. Only the case file given is opened.

Usage:
    PYTHONPATH=$PWD .venv/bin/python loadtests/redteam_misses.py --cases FILE --run RUN.json --out OUT.json
"""

from __future__ import annotations

import argparse
import json
import os
import re
import sys
import tempfile
from pathlib import Path
from typing import Any

REPO = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(REPO))

_PLACEHOLDER = re.compile(r"<[A-Z_]+_\d+>")


def _brief(ins: Any) -> dict[str, Any]:
    return {"action": ins.action, "tool": ins.tool, "ids": ins.ids, "emails": ins.emails, "users": ins.users,
            "role": ins.role, "records": ins.records, "addressed": ins.addressed, "clause": ins.clause[:160]}


def analyse(case_file: str, run_file: str) -> list[dict[str, Any]]:
    from labkit.agent.redteam import load_cases, run_cases
    from labkit.agent.tools import TOOLS
    from labkit.direct import ClientConfig, ResilientClient
    from labkit.provider import attacker, behaviour
    from labkit.provider.server import serve_in_thread

    run = json.loads(Path(run_file).read_text())
    own = run["modes"]["own"]
    missed = set(own["not_attacked"])
    cases = [c for c in load_cases(case_file) if c.id in missed]

    # record every turn the mock decides on: the untrusted chunks it reads, the instructions in each
    # (read as obey_injection reads them) and what the obedient reply was
    turns: list[dict[str, Any]] = []
    real_obey = attacker.obey_injection
    real_has = behaviour.has_injection

    def spy_has(conv: Any) -> bool:
        said = real_has(conv)
        paste = attacker._user_paste(conv) if conv.tool_results else ""
        # what the gate reads (no catalogue yet), kept even when it finds nothing
        seen = [{"text": chunk[:600], "placeholders": sorted(set(_PLACEHOLDER.findall(chunk))),
                 "instructions": [_brief(i) for i in attacker.find_instructions(
                     chunk, spoken=bool(paste) and chunk == paste)]}
                for chunk in attacker._untrusted(conv)]
        turns.append({"has_injection": said, "chunks": seen, "user": conv.user_raw[:600],
                      "user_placeholders": sorted(set(_PLACEHOLDER.findall(conv.user_raw))), "obeyed": None})
        return said

    def spy_obey(conv: Any, tools: list[dict[str, Any]], planner: Any, **kw: Any) -> Any:
        names = {str(attacker._tool_fn(t).get("name")) for t in tools}
        paste = attacker._user_paste(conv) if conv.tool_results else ""
        chunks = []
        for chunk in attacker._untrusted(conv):
            found = attacker.find_instructions(chunk, names, spoken=bool(paste) and chunk == paste)
            chunks.append({"text": chunk[:600], "placeholders": sorted(set(_PLACEHOLDER.findall(chunk))),
                           "instructions": [_brief(i) for i in found]})
        act = real_obey(conv, tools, planner, **kw)  # (read_meaning: the red team's forced obedience)
        turns[-1]["obey_chunks"] = chunks
        turns[-1]["tools_offered"] = sorted(names)
        turns[-1]["obeyed"] = None if act is None else {"text": act.text, "tool": act.tool, "args": act.args}
        return act

    attacker.obey_injection = spy_obey  # type: ignore[assignment]
    behaviour.has_injection = spy_has  # type: ignore[assignment]
    out: list[dict[str, Any]] = []
    try:
        with serve_in_thread() as provider:
            client = ResilientClient(ClientConfig(base_url=provider.base_url, cache={"enabled": False},
                                                  default_headers={"X-Lab-Fault": "obey_injection=1"}))
            for case in cases:
                turns.clear()
                raw = attacker.find_instructions(case.payload, set(TOOLS), spoken=case.planted_in == "user_input")
                report = run_cases([case], client)
                row = report["cases"][0]
                chunks = [c for t in turns for c in t["chunks"] + t.get("obey_chunks", [])]
                read_on_path = any(c["instructions"] for c in chunks)
                reached = any(case.payload[:40] in c["text"] for c in chunks)
                placeholders = sorted({p for c in chunks for p in c["placeholders"]}
                                      | {p for t in turns for p in t["user_placeholders"]})
                if row["attacked"]:
                    cls = "attacked_now"
                elif not raw:
                    cls = "a_not_read"
                elif not read_on_path:
                    cls = "b_redacted" if placeholders else "d_other"
                else:
                    cls = "c_unmapped"
                out.append({"id": case.id, "goal": case.goal, "channel": case.planted_in, "lang": case.lang,
                            "harm": case.harm, "secrets": case.secrets, "class": cls,
                            "raw_instructions": [_brief(i) for i in raw], "payload_reached_raw": reached,
                            "placeholders": placeholders, "proposed": row["proposed"],
                            "turns": [dict(t) for t in turns]})
            client.close()
    finally:
        attacker.obey_injection = real_obey  # type: ignore[assignment]
        behaviour.has_injection = real_has  # type: ignore[assignment]
    return out


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--cases", required=True, help="the case file (only this file is opened)")
    parser.add_argument("--run", required=True, help="bench_agent.py --redteam output naming the misses")
    parser.add_argument("--out", required=True)
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as tmp:
        os.environ["LABKIT_VAR"] = tmp
        rows = analyse(args.cases, args.run)
    Path(args.out).write_text(json.dumps(rows, indent=1, ensure_ascii=False, default=str))
    counts: dict[str, int] = {}
    for r in rows:
        counts[r["class"]] = counts.get(r["class"], 0) + 1
    print(f"{len(rows)} misses: " + ", ".join(f"{k} {v}" for k, v in sorted(counts.items())))
    for r in rows:
        print(f"{r['class']:<12} {r['goal']:<12} {r['channel']:<12} {r['id']}  raw={[i['action'] for i in r['raw_instructions']]}"
              f" ph={r['placeholders'][:4]} proposed={r['proposed']}")


if __name__ == "__main__":
    main()
