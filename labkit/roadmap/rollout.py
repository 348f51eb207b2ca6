"""Phase 3, controlled rollout: flags, shadow mode, a load run, monitoring, human review, a gate.

The source document's Phase 3 deploys "to a small user group or limited production traffic
through feature flags", monitors "quality, cost, errors, latency, user feedback and
exceptions", lets human review guide prompt and retrieval tuning, and ends with the first
quality review report. Notebook ``03_controlled_rollout`` calls, in order:

- :func:`staged_rollout`: a flag raised 0 -> pilot group -> N % of a seeded user population,
  then killed and revived; exposure per stage, and the two properties a rollout needs
  (raising the percentage never removes anyone; a kill reaches everyone at once);
- :func:`shadow_compare`: the candidate model runs in shadow for the flagged users while the
  current one answers; agreement comes from the ``flag_shadow`` telemetry events;
- :func:`smoke_load`: ``labkit loadtest --profile smoke`` for a few seconds against the service;
- :func:`monitoring`: per-pattern telemetry summary, provider error rate, alerts that fire,
  and :func:`monitoring_figure` to plot them;
- :func:`measurement_check`: Locust's client-side latency beside the service's own histogram
  and the load generator's CPU (a load generator is a measuring instrument that can be wrong);
- :func:`review_outputs` with :func:`rule_based_reviewer`: a sample of real outputs reviewed.
  Headless runs use the *recorded rule-based reviewer* (clearly labelled as such in every
  verdict); ``decisions`` lets a person's verdicts be given as a parameter (papermill);
- :class:`RolloutDecision`: the quality review report (:func:`write_quality_review`) and the
  gate (:func:`rollout_gate`), recomputed whenever a verdict changes — its :meth:`panel` gives
  a person ipywidgets buttons whose every click rewrites the report and redraws the gate.

It does not tune prompts or retrieval: it produces the evidence a person tunes from.

Example:
    >>> import os, tempfile; os.environ["LABKIT_VAR"] = tempfile.mkdtemp()
    >>> from labkit.controls.flags import FlagStore
    >>> stages = staged_rollout(FlagStore(), "copilot_v2", users=100, percents=(10, 50))
    >>> [s["stage"] for s in stages][-2:], stages[-2]["exposed"]
    (['kill switch', 'revived'], 0)
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from labkit.controls.injection import detect_injection
from labkit.controls.pii import detect
from labkit.errors import InputError
from labkit.roadmap.gates import Gate, in_kernel
from labkit.roadmap.lab import with_progress
from labkit.roadmap.prototype import _ticket_texts
from labkit.service.loadrun import run_loadtest
from labkit.settings import var_dir
from labkit.telemetry import alerts, views
from labkit.telemetry.events import read_events

SENSITIVE_PII = {"CARD", "IBAN", "NATIONAL_ID", "DOB"}
REVIEWER_LABEL = "recorded rule-based reviewer (headless stand-in for a person)"


def _population(users: int, pilot: int) -> list[tuple[str, list[str]]]:
    return [(f"user-{i:04d}", ["pilot"] if i < pilot else []) for i in range(users)]


def staged_rollout(store: Any, flag: str, *, users: int = 500, pilot: int = 10,
                   percents: tuple[float, ...] = (5, 25), actor: str = "rollout-notebook") -> list[dict[str, Any]]:
    """Define ``flag`` for the pilot group, raise it through ``percents``, kill it, revive it."""
    if users < 1:
        raise InputError("users must be at least 1")
    population = _population(users, pilot)

    def exposure(stage: str, before: set[str] | None = None) -> dict[str, Any]:
        on = {u for u, g in population if store.is_enabled(flag, u, groups=g)}
        lost = len(before - on) if before is not None else 0
        return {"stage": stage, "exposed": len(on), "share": round(len(on) / users, 4), "lost_since_previous": lost,
                "_on": on}

    store.define(flag, rollout=0, groups=["pilot"], actor=actor, reason="Phase 3 pilot group")
    stages = [exposure("pilot group only")]
    for p in percents:
        store.set_rollout(flag, p, actor=actor, reason=f"widen to {p}% after a clean review")
        stages.append(exposure(f"{p:g}% rollout", stages[-1]["_on"]))
    store.kill(flag, actor=actor, reason="kill-switch drill")
    stages.append(exposure("kill switch"))
    store.revive(flag, actor=actor, reason="drill over")
    stages.append(exposure("revived"))
    for s in stages:
        s.pop("_on")
    return stages


def rollout_properties(stages: list[dict[str, Any]]) -> dict[str, bool]:
    """Monotonic widening (nobody lost) and an effective kill switch (nobody exposed)."""
    widening = [s for s in stages if s["stage"].endswith("rollout")]
    killed = [s for s in stages if s["stage"] == "kill switch"]
    return {"monotonic": all(s["lost_since_previous"] == 0 for s in widening),
            "kill_effective": bool(killed) and all(s["exposed"] == 0 for s in killed)}


def shadow_compare(store: Any, client: Any, tickets: list[str], *, flag: str = "mini_classifier",
                   current: str = "lab-chat-2026-01", candidate: str = "lab-mini-2026-03",
                   labels: str = "billing, technical, account, shipping, other") -> dict[str, Any]:
    """Candidate model in shadow for every user; returns agreement and the served answers."""
    store.define(flag, rollout=100, shadow=True, actor="rollout-notebook", reason="shadow the cheaper model")
    served = []
    for i, text in enumerate(tickets):
        messages = [{"role": "user", "content": f"Labels: {labels}\n{text}"}]

        def call(model: str, _m: list[dict[str, Any]] = messages) -> str:
            return client.chat(messages=_m, model=model, pattern="direct").content or ""

        answer = store.run(flag, f"user-{i:04d}", new=lambda: call(candidate), old=lambda: call(current))
        served.append({"input": text[:80], "served": answer})

    events = [e for e in read_events("flag_shadow") if e.get("flag") == flag][-len(tickets):]
    compared = [e for e in events if e.get("match") is not None]
    agree = sum(bool(e["match"]) for e in compared)
    return {"compared": len(compared), "agreement": round(agree / len(compared), 4) if compared else None,
            "new_errors": sum(bool(e.get("new_error")) for e in events), "served": served, "events": events}


def smoke_load(*, service_url: str | None, provider_url: str, users: int = 4, duration_s: int = 5,
               ingest_limit: int = 20, progress: bool = False) -> Any:
    """``labkit loadtest --profile smoke`` for ``duration_s`` seconds; returns a LoadtestResult.

    Without ``service_url`` the load run starts the service itself with a small RAG index
    (``ingest_limit`` documents) so the run stays within the notebook's time budget.
    ``progress`` shows a bar that moves while Locust runs (it reports nothing until it ends).
    """
    kwargs: dict[str, Any] = {"service_url": service_url or None, "provider_url": provider_url, "users": users,
                              "run_time": f"{int(duration_s)}s", "spawn_rate": users,
                              "extra_env": {"LABKIT_SERVICE_RAG_INGEST_LIMIT": str(ingest_limit)}}
    if not progress:
        return run_loadtest("smoke", **kwargs)
    # Locust's start-up and the stats it writes at the end add several seconds; a service started
    # here also indexes ``ingest_limit`` documents first
    expected = duration_s + (8 if service_url else 25)
    return with_progress("load run", run_loadtest, "smoke", expected_s=expected, **kwargs)


def measurement_check(load: Any) -> tuple[Any, list[str]]:
    """Locust's latency beside the service's own histogram (a pandas table), and notes.

    One row per figure: what Locust measured over all HTTP requests (client side: includes the
    network, queues before the server's timer and the generator's own delays) and what the
    service's ``/metrics`` histogram recorded (server side: the bucket's upper bound), then the
    busiest Locust process's share of a core and each disagreement ``labkit loadtest`` flagged
    go into the notes (one sentence each).
    """
    import pandas as pd

    check = getattr(load, "check", None) or {}
    client = check.get("client_http") or {}
    server = check.get("server") or {}
    rows = []
    for q in ("p50", "p95", "p99"):
        upper = server.get(f"{q}_upper_ms")
        rows.append({"figure": f"{q} latency (ms)", "Locust (client side)": client.get(f"{q}_ms"),
                     "service histogram (server side)": server.get(f"{q}_ms") if upper is None else upper})
    rows.append({"figure": "requests", "Locust (client side)": client.get("requests"),
                 "service histogram (server side)": server.get("requests")})
    frame = pd.DataFrame(rows).set_index("figure")
    notes = list(check.get("disagreements") or [])
    if check.get("server_note"):
        notes.append(check["server_note"])
    generator = check.get("generator") or {}
    share = generator.get("max_share")
    notes.append(f"busiest Locust process used {share:.0%} of a core" if share is not None
                 else "the generator's CPU was not recorded")
    notes += [w for w in check.get("warnings") or [] if w not in notes]
    return frame, notes


def monitoring(window_s: float = 3600) -> dict[str, Any]:
    """Telemetry over the last ``window_s``: per-pattern summary, provider errors, alerts fired.

    The notebook passes the time since it started, so earlier phases' fault drills (which
    fail on purpose) do not count against the rollout.
    """
    import pandas as pd

    con = views.connect()
    summary = pd.DataFrame(views.summary(since_s=window_s, con=con))
    row = con.execute("SELECT count(*), avg(CASE WHEN status = 'ok' THEN 0.0 ELSE 1.0 END) FROM attempts "
                      "WHERE unix_ts >= epoch(now()) - ?", [window_s]).fetchone()
    calls = con.execute("SELECT unix_ts, pattern, status, latency_ms, cost FROM calls WHERE unix_ts >= epoch(now()) - ? "
                        "ORDER BY unix_ts", [window_s]).df()
    fired = alerts.evaluate(con=con)
    return {"summary": summary, "calls": calls, "attempts": int(row[0] or 0),
            "provider_error_rate": round(float(row[1] or 0.0), 4), "alerts": [a.model_dump() for a in fired]}


def monitoring_figure(mon: dict[str, Any]) -> Any:
    """Four panels: latency per pattern, errors, cumulative cost, and calls over time."""
    import matplotlib.pyplot as plt

    calls = mon["calls"]
    fig, axes = plt.subplots(2, 2, figsize=(11, 6))
    if len(calls):
        for pattern, group in calls.groupby("pattern"):
            axes[0, 0].hist(group["latency_ms"].dropna(), bins=30, alpha=0.6, label=str(pattern))
        err = calls.assign(error=~calls["status"].isin(["ok", "fallback"])).groupby("pattern")["error"].mean()
        axes[0, 1].bar(err.index.astype(str), err.values, color="tab:red")
        t0 = calls["unix_ts"].min()
        axes[1, 0].plot(calls["unix_ts"] - t0, calls["cost"].fillna(0).cumsum())
        axes[1, 1].hist(calls["unix_ts"] - t0, bins=30)
        axes[0, 0].legend(fontsize=7)
    axes[0, 0].set_title("latency (ms) per pattern")
    axes[0, 1].set_title("error rate per pattern")
    axes[1, 0].set_title("cumulative cost (USD)")
    axes[1, 1].set_title(f"calls over time ({len(mon['alerts'])} alert(s) fired)")
    fig.tight_layout()
    return fig


def sample_outputs(client: Any, tickets: list[str]) -> list[dict[str, Any]]:
    """Real outputs to review: a summary of each ticket from the direct pattern."""
    out = []
    for text in tickets:
        r = client.chat(messages=[{"role": "system", "content": "Summarise the support ticket in one sentence."},
                                  {"role": "user", "content": text}], model="lab-chat-2026-01", pattern="direct")
        out.append({"kind": "ticket summary", "input": text, "output": r.content or "", "status": r.status})
    return out


def rule_based_reviewer(item: dict[str, Any]) -> dict[str, Any]:
    """The recorded stand-in for a person: the review rules the pilot's reviewers wrote down.

    Rejects an output that is empty or failed, carries sensitive PII (card, IBAN, national id,
    date of birth: contact details are fine in an internal summary), is longer than its input
    (a summary that is not one), or repeats an injected instruction from the input.
    """
    out = item.get("output") or ""
    reasons = []
    if item.get("status") not in ("ok", "fallback") or not out.strip():
        reasons.append("no usable output")
    sensitive = sorted({f.type for f in detect(out) if f.type in SENSITIVE_PII})
    if sensitive:
        reasons.append(f"sensitive PII in the output ({', '.join(sensitive)})")
    if len(out) > max(40, len(item.get("input", ""))):
        reasons.append("longer than its input")
    if detect_injection(out).flagged:
        reasons.append("repeats an injected instruction")
    return {"verdict": "reject" if reasons else "approve", "reasons": "; ".join(reasons), "reviewer": REVIEWER_LABEL}


PERSON_LABEL = "person"
VERDICTS = ("approve", "reject")


def review_outputs(items: list[dict[str, Any]], reviewer: Any = rule_based_reviewer,
                   decisions: Mapping[Any, str] | None = None) -> list[dict[str, Any]]:
    """Each item with its review verdict (``reviewer(item) -> {verdict, reasons, reviewer}``).

    ``decisions`` (item number -> ``approve``/``reject``) are a person's verdicts given up front
    (the notebook's ``review_decisions`` parameter under papermill); they replace the
    reviewer's for those items and are labelled as a person's.
    """
    reviews = [{**item, **reviewer(item)} for item in items]
    for key, verdict in (decisions or {}).items():
        set_verdict(reviews, key, verdict, by=f"{PERSON_LABEL} (review_decisions parameter)")
    return reviews


def set_verdict(reviews: list[dict[str, Any]], index: Any, verdict: str, *, by: str = PERSON_LABEL) -> None:
    """Record a person's verdict on review ``index`` (0-based); a clear error on bad input."""
    try:
        i = int(index)
    except (TypeError, ValueError):
        raise InputError(f"review decision key {index!r} is not an item number") from None
    if not 0 <= i < len(reviews):
        raise InputError(f"review decision for item {i}: there are {len(reviews)} items (0-{len(reviews) - 1})")
    if verdict not in VERDICTS:
        raise InputError(f"review decision for item {i}: {verdict!r} is not one of {', '.join(VERDICTS)}")
    if reviews[i]["verdict"] != verdict:
        reviews[i]["reasons"] = f"{verdict}d by a person"
    reviews[i].update(verdict=verdict, reviewer=by)


def write_quality_review(*, stages: list[dict[str, Any]], shadow: dict[str, Any], load: Any,
                         mon: dict[str, Any], reviews: list[dict[str, Any]], path: Path | None = None) -> Path:
    """The first quality review report (Markdown) under ``var/reports/``; returns its path."""
    approved = sum(r["verdict"] == "approve" for r in reviews)
    lines = ["# Quality review 001 — controlled rollout", "",
             f"Generated {datetime.now(UTC):%Y-%m-%d %H:%M} UTC by the Phase 3 notebook.", "",
             "## Exposure", "", "| Stage | Users exposed | Share |", "| --- | ---: | ---: |"]
    lines += [f"| {s['stage']} | {s['exposed']} | {s['share']:.1%} |" for s in stages]
    lines += ["", "## Shadow comparison", "",
              f"Candidate agreed with the current model on {shadow['agreement']} of {shadow['compared']} requests "
              f"({shadow['new_errors']} candidate errors).", "", "## Load and monitoring", "",
              f"Smoke load run `{getattr(load, 'run_id', '-')}`: SLO {'passed' if getattr(load, 'passed', False) else 'FAILED'}.",
              f"Provider attempt error rate {mon['provider_error_rate']:.2%} over {mon['attempts']} attempts.",
              f"Alerts fired: {', '.join(a['rule'] for a in mon['alerts']) or 'none'}.", "",
              "## Human review of sampled outputs", "",
              f"Reviewer: {', '.join(sorted({r.get('reviewer', 'unknown') for r in reviews})) or '-'}.",
              f"Approved {approved} of {len(reviews)}.", ""]
    rejected = [r for r in reviews if r["verdict"] != "approve"]
    if rejected:
        lines += ["| Input | Output | Reasons |", "| --- | --- | --- |"]
        lines += [f"| {r['input'][:60]!r} | {r['output'][:60]!r} | {r['reasons']} |" for r in rejected]
        lines += ["", "Tuning actions: review the prompt for the rejected kinds before widening the rollout."]
    else:
        lines.append("No output was rejected; widening the rollout is supported by the review.")
    target = path or var_dir() / "reports" / "quality-review-001.md"
    target.parent.mkdir(parents=True, exist_ok=True)
    tmp = target.with_name(target.name + ".tmp")
    tmp.write_text("\n".join(lines) + "\n", encoding="utf-8")
    tmp.replace(target)
    return target


def rollout_gate(*, stages: list[dict[str, Any]], shadow: dict[str, Any], load: Any, mon: dict[str, Any],
                 reviews: list[dict[str, Any]], report: Path, max_exposure: float, min_shadow_agreement: float,
                 max_provider_error_rate: float, min_review_approval: float) -> Gate:
    """The Phase 3 go/no-go criteria (call ``.enforce()``)."""
    gate = Gate("03_controlled_rollout")
    props = rollout_properties(stages)
    widest = max((s["share"] for s in stages if s["stage"].endswith("rollout")), default=0.0)
    gate.check("widest exposure (limited group)", widest, "<=", max_exposure)
    gate.require("raising the rollout removed nobody", props["monotonic"])
    gate.require("kill switch reached every user", props["kill_effective"])
    gate.check("shadow agreement (candidate vs current)", shadow["agreement"], ">=", min_shadow_agreement)
    gate.require("smoke load SLO passed", bool(getattr(load, "passed", False)),
                 detail=str(getattr(load, "verdict", {}).get("failures", ""))[:200] if load is not None else "no run")
    gate.check("provider attempt error rate", mon["provider_error_rate"], "<=", max_provider_error_rate)
    approval = sum(r["verdict"] == "approve" for r in reviews) / len(reviews) if reviews else None
    gate.check("reviewed outputs approved", approval, ">=", min_review_approval,
               detail=", ".join(sorted({r.get("reviewer", "unknown reviewer") for r in reviews})))
    gate.require("quality review report written", report.exists(), detail=str(report))
    gate.figure("alerts fired", len(mon["alerts"]))
    gate.figure("attempts observed", mon["attempts"])
    return gate


def pick_tickets(n: int, seed: int = 0) -> list[str]:
    """``n`` seeded ticket texts (subject and notes) from the lab's data."""
    return _ticket_texts(n, seed)


def reviewed_frame(reviews: list[dict[str, Any]]) -> Any:
    """Reviews as a pandas DataFrame with short columns."""
    import pandas as pd

    return pd.DataFrame([{"input": r["input"][:50], "output": r["output"][:70], "verdict": r["verdict"],
                          "reasons": r["reasons"]} for r in reviews])




@dataclass
class RolloutDecision:
    """The quality review report and the Phase 3 gate, recomputed when a review verdict changes.

    ``evidence`` holds ``stages``, ``shadow``, ``load`` and ``mon``; ``thresholds`` the gate's
    limits (:func:`rollout_gate`'s keyword arguments). :meth:`recompute` rewrites the report
    and rebuilds the gate from the current ``reviews``; :meth:`panel` is the person's review
    (one approve/reject toggle per output) whose every change calls :meth:`recompute` and
    redraws the report and the gate where the notebook showed them.
    """

    evidence: dict[str, Any]
    reviews: list[dict[str, Any]]
    thresholds: dict[str, Any]
    report: Path | None = None
    gate: Gate | None = None
    on_change: list[Callable[[RolloutDecision], None]] = field(default_factory=list)

    REPORT_DISPLAY = "labkit-quality-review"

    def recompute(self) -> Gate:
        """Rewrite the quality review report and rebuild the gate from the current verdicts."""
        self.report = write_quality_review(**self.evidence, reviews=self.reviews)
        self.gate = rollout_gate(**self.evidence, reviews=self.reviews, report=self.report, **self.thresholds)
        return self.gate

    def show_report(self, *, update: bool = False) -> None:
        """Show the report (Markdown) in a notebook; ``update`` replaces the one shown before."""
        if self.report is None:
            self.recompute()
        assert self.report is not None
        text = self.report.read_text(encoding="utf-8")
        if not in_kernel():
            print(text)
            return
        from IPython.display import Markdown, display, update_display

        (update_display if update else display)(Markdown(text), display_id=self.REPORT_DISPLAY)

    def decide(self, index: int, verdict: str) -> Gate:
        """A person's verdict on output ``index``: recompute, redraw what is on screen, save the gate."""
        set_verdict(self.reviews, index, verdict, by=f"{PERSON_LABEL} (notebook widget)")
        gate = self.recompute()
        gate.save()
        if in_kernel():
            self.show_report(update=True)
            gate.show(update=True)
        for callback in self.on_change:
            callback(self)
        return gate

    def panel(self) -> Any:
        """ipywidgets: each sampled output with approve/reject buttons wired to :meth:`decide`."""
        import html

        import ipywidgets as widgets

        rows = []
        for i, r in enumerate(self.reviews):
            toggle = widgets.ToggleButtons(options=list(VERDICTS), value=r["verdict"], description=f"#{i}")
            toggle.observe(lambda change, i=i: self.decide(i, change["new"]), names="value")
            why = f" <i>({html.escape(r['reasons'])})</i>" if r.get("reasons") else ""
            rows.append(widgets.VBox([widgets.HTML(f"<b>in:</b> {html.escape(r['input'][:160])}<br>"
                                                   f"<b>out:</b> {html.escape(r['output'][:300])}{why}"), toggle]))
        return widgets.VBox(rows)
