"""Checks that make a load test's latency figures trustworthy: how users are paced, what the
server itself measured, and whether the load generator had the CPU it needed.

A load generator measures its own delays too. Three things make Locust report more latency
than the server under test spends (``loadtests/RESULTS.md``, "Locust you can trust"):

- **lockstep users**: users spawned in one batch with ``constant_pacing`` fire in the same
  instant every period, so the run measures a self-made burst's queue. Locust's
  ``constant_pacing`` measures each period from the previous *call*, and counts ``on_start``
  as part of the first iteration, so a random sleep in ``on_start`` is paid back at the
  first wait and the users fall into step again. :class:`PacedSchedule` keeps an absolute
  schedule per user, offset by a random start phase, instead;
- **a busy generator**: a gevent process handles one response at a time; when it (or a
  neighbour on its core) is busy, responses wait in the socket and count as latency.
  each Locust process writes its CPU time over the run (``loadtests/locustfile.py``);
  :func:`generator_cpu` reads it and :func:`cpu_warning` says when it is near saturation;
- **no second opinion**: :func:`server_latency` reads the server's own latency histogram
  (Prometheus ``/metrics``, scraped before and after the run) and :func:`disagreements`
  flags client figures that the server's cannot explain.

It does not run Locust or start servers (``labkit.service.loadrun`` does), and it does not
import gevent or Locust, so tests and the CLI can use it.

Example:
    >>> import random
    >>> clock = iter([0.0, 0.3, 3.5]).__next__
    >>> s = PacedSchedule(1.0, rng=random.Random(1), clock=clock)
    >>> round(s.start_delay, 3)        # the first iteration starts at a random phase
    0.134
    >>> round(s.next_wait(), 3)        # first iteration done at 0.3 s: next slot 1.134
    0.834
    >>> round(s.next_wait(), 3)        # done at 3.5 s, slot 2.134 missed: next 4.134, same phase
    0.634
"""

from __future__ import annotations

import json
import math
import random
import re
import time
from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from prometheus_client.parser import text_string_to_metric_families

# A generator process above this share of one core is near saturation: gevent then serves
# responses late and Locust's figures include its own queue (Locust warns at 90%).
CPU_WARN_SHARE = 0.85
# Flag a client figure the server cannot explain: p50 more than this many ms above the
# server's, or p99 more than this many times the server's.
P50_SLACK_MS = 2.0
P99_FACTOR = 2.0
# Below these counts a percentile is one or two requests, and Locust's rank rule (the upper
# element) and the histogram's (interpolated) differ by a whole request: too few to judge.
MIN_REQUESTS_P50 = 50
MIN_REQUESTS_P99 = 100


class PacedSchedule:
    """Constant pacing on an absolute schedule, offset by a random start phase.

    The user sleeps ``start_delay`` (uniform in ``[0, period)``) before its first iteration,
    then starts iteration *k* at ``start + k * period``; :meth:`next_wait` is the sleep until
    the next slot. An iteration that overruns skips the slots it missed (no catch-up burst)
    and keeps the user's phase.

    Example:
        >>> s = PacedSchedule(2.0, rng=random.Random(0), clock=iter([0.0, 0.5]).__next__)
        >>> round(s.start_delay + 2.0 - 0.5, 3) == round(s.next_wait(), 3)
        True
    """

    def __init__(self, period: float, *, rng: random.Random | None = None,
                 clock: Callable[[], float] = time.perf_counter) -> None:
        if not period > 0:
            raise ValueError(f"pacing period must be > 0 s, got {period!r}")
        self.period = period
        self._clock = clock
        self.start_delay = (rng or random).uniform(0.0, period)
        self._due = clock() + self.start_delay  # when the current iteration was due

    def next_wait(self) -> float:
        """Seconds to sleep until the next slot (0 only when exactly due)."""
        now = self._clock()
        self._due += self.period
        if self._due < now:  # overran: skip missed slots, keep the phase
            self._due += math.ceil((now - self._due) / self.period) * self.period
        return max(0.0, self._due - now)


# --- the server's own histogram ------------------------------------------------------------

Buckets = list[tuple[float, float]]  # (upper bound "le", cumulative count), ascending, ends at +Inf


def parse_histograms(text: str, metric: str) -> dict[tuple[tuple[str, str], ...], Buckets]:
    """Cumulative buckets per label set (``le`` removed) of histogram ``metric`` in a scrape.

    Example:
        >>> scrape = ('# TYPE h histogram\\nh_bucket{route="/a",le="0.001"} 3\\n'
        ...           'h_bucket{route="/a",le="+Inf"} 4\\nh_count{route="/a"} 4\\nh_sum{route="/a"} 0.01\\n')
        >>> parse_histograms(scrape, "h")
        {(('route', '/a'),): [(0.001, 3.0), (inf, 4.0)]}
    """
    out: dict[tuple[tuple[str, str], ...], Buckets] = {}
    for family in text_string_to_metric_families(text):
        if family.name != metric or family.type != "histogram":
            continue
        for sample in family.samples:
            if not sample.name.endswith("_bucket"):
                continue
            labels = dict(sample.labels)
            le = float(labels.pop("le"))
            out.setdefault(tuple(sorted(labels.items())), []).append((le, float(sample.value)))
    for buckets in out.values():
        buckets.sort()
    return out


def delta(before: Buckets | None, after: Buckets) -> Buckets:
    """What was observed between two scrapes of one histogram.

    Counters only grow, so a smaller count means the two scrapes did not come from one
    process (several replicas behind one port, or a restart): ValueError, not a figure.

    Example:
        >>> delta([(0.001, 2.0), (math.inf, 3.0)], [(0.001, 5.0), (math.inf, 7.0)])
        [(0.001, 3.0), (inf, 4.0)]
    """
    old = dict(before or [])
    out = [(le, count - old.get(le, 0.0)) for le, count in after]
    if any(count < 0 for _, count in out):
        raise ValueError("a histogram counter went down between the two scrapes (several replicas, or a restart)")
    return out


def merge(histograms: Iterable[Buckets]) -> Buckets:
    """Sum histograms with the same bucket bounds (e.g. every route of a service)."""
    total: dict[float, float] = {}
    for buckets in histograms:
        for le, count in buckets:
            total[le] = total.get(le, 0.0) + count
    return sorted(total.items())


@dataclass(frozen=True)
class Quantile:
    """A quantile estimated from buckets: linear within its bucket, as Prometheus'
    ``histogram_quantile`` does; ``upper`` is that bucket's bound (a safe upper limit)."""

    value: float
    lower: float
    upper: float


def bucket_quantile(buckets: Buckets, q: float) -> Quantile | None:
    """The ``q`` quantile (0..1) of cumulative buckets; None when nothing was observed.

    Example:
        >>> b = [(0.001, 50.0), (0.002, 90.0), (0.005, 100.0), (math.inf, 100.0)]
        >>> bucket_quantile(b, 0.5), bucket_quantile(b, 0.7).value
        (Quantile(value=0.001, lower=0.0, upper=0.001), 0.0015)
    """
    if not buckets or buckets[-1][1] <= 0:
        return None
    total = buckets[-1][1]
    rank = q * total
    lower_bound, below = 0.0, 0.0
    for le, count in buckets:
        if count >= rank and count > below:
            if math.isinf(le):  # beyond the last finite bound: all we know is "more than that"
                return Quantile(lower_bound, lower_bound, math.inf)
            value = lower_bound + (le - lower_bound) * (rank - below) / (count - below)
            return Quantile(value, lower_bound, le)
        lower_bound, below = le, count
    return None


def server_latency(before: str, after: str, metric: str = "labkit_http_request_duration_seconds",
                   skip_routes: Iterable[str] = ("/metrics", "/healthz", "/readyz")) -> dict[str, Any]:
    """The server's latency during a run, from two ``/metrics`` scrapes: p50/p95/p99 in ms.

    Returns ``{"requests", "p50_ms", "p95_ms", "p99_ms", "p50_upper_ms", "p99_upper_ms",
    "routes": {"METHOD route": {...same...}}}``; percentiles are None where nothing was
    observed. Probe routes (``skip_routes``) are left out: the scrapes themselves are requests.

    Example:
        >>> a = '# TYPE m histogram\\nm_bucket{method="GET",route="/x",le="0.001"} 0\\nm_bucket{method="GET",route="/x",le="+Inf"} 0\\n'
        >>> b = a.replace("} 0", "} 10")
        >>> server_latency(a, b, metric="m")["routes"]["GET /x"]["p50_upper_ms"]
        1.0
    """
    skip = set(skip_routes)
    old = parse_histograms(before, metric)
    new = parse_histograms(after, metric)
    routes: dict[str, Buckets] = {}
    for labels, buckets in new.items():
        lab = dict(labels)
        if lab.get("route") in skip:
            continue
        name = f"{lab.get('method', '')} {lab.get('route', '')}".strip()
        d = delta(old.get(labels), buckets)
        if d and d[-1][1] > 0:
            routes[name] = merge([routes.get(name, []), d])
    result = _summary(merge(routes.values()))
    result["routes"] = {name: _summary(b) for name, b in sorted(routes.items())}
    return result


def _summary(buckets: Buckets) -> dict[str, Any]:
    out: dict[str, Any] = {"requests": int(buckets[-1][1]) if buckets else 0}
    for label, q in (("p50", 0.5), ("p95", 0.95), ("p99", 0.99)):
        est = bucket_quantile(buckets, q)
        out[f"{label}_ms"] = None if est is None else round(est.value * 1000, 3)
        if label != "p95":  # None also when beyond the last finite bucket: no upper limit known
            out[f"{label}_upper_ms"] = (None if est is None or math.isinf(est.upper)
                                        else round(est.upper * 1000, 3))
    return out


def disagreements(client: Mapping[str, Any], server: Mapping[str, Any], *, name: str = "Aggregated",
                  p50_slack_ms: float = P50_SLACK_MS, p99_factor: float = P99_FACTOR) -> list[str]:
    """Why the client's latency cannot be the server's (empty: they agree).

    ``client`` has ``p50_ms``/``p99_ms`` (Locust's); ``server`` has ``p50_upper_ms``/
    ``p99_upper_ms`` (:func:`server_latency`). Each server figure is its bucket's upper bound,
    so coarse buckets never raise a false alarm: a flag means the client saw more time than
    the server could have spent (network, a queue before the server's timer, or the generator).
    A p50 is judged from ``MIN_REQUESTS_P50`` client requests on, a p99 from
    ``MIN_REQUESTS_P99`` (``client["requests"]``; a client without a count is judged).

    Example:
        >>> disagreements({"p50_ms": 25, "p99_ms": 60}, {"p50_upper_ms": 1, "p99_upper_ms": 5})
        ['Aggregated: client p50 25.0 ms > server p50 (<= 1.0 ms) + 2 ms', 'Aggregated: client p99 60.0 ms > 2x server p99 (<= 5.0 ms)']
        >>> disagreements({"requests": 6, "p50_ms": 25, "p99_ms": 60}, {"p50_upper_ms": 1, "p99_upper_ms": 5})
        []
    """
    out: list[str] = []
    count = client.get("requests")
    n = math.inf if count is None else float(count)
    c50, s50 = client.get("p50_ms"), server.get("p50_upper_ms")
    if (n >= MIN_REQUESTS_P50 and c50 is not None and s50 is not None and math.isfinite(s50)
            and c50 > s50 + p50_slack_ms):
        out.append(f"{name}: client p50 {float(c50):.1f} ms > server p50 (<= {s50:.1f} ms) + {p50_slack_ms:g} ms")
    c99, s99 = client.get("p99_ms"), server.get("p99_upper_ms")
    if (n >= MIN_REQUESTS_P99 and c99 is not None and s99 is not None and math.isfinite(s99)
            and c99 > p99_factor * s99):
        out.append(f"{name}: client p99 {float(c99):.1f} ms > {p99_factor:g}x server p99 (<= {s99:.1f} ms)")
    return out


_TEMPLATE = re.compile(r"\{[^}]*\}")


def route_key(name: str) -> str:
    """One spelling for a client entry and a server route: path parameters and ``(stream)`` dropped.

    Example:
        >>> route_key("GET /jobs/{id}") == route_key("GET /jobs/{job_id}"), route_key("POST /x (stream)")
        (True, 'POST /x')
    """
    return _TEMPLATE.sub("{}", name.removesuffix(" (stream)")).strip()


def compare_with_server(client_total: Mapping[str, Any], client_rows: Iterable[Mapping[str, Any]],
                        server: Mapping[str, Any]) -> list[str]:
    """Every disagreement between Locust's figures and the server's histogram.

    ``client_total``: all HTTP requests together (no TTFT or job entries); ``client_rows``:
    ``{"name": "METHOD path", "p50_ms", "p99_ms"}`` per entry; ``server``: from
    :func:`server_latency`. An entry is compared with its route only when no other client
    entry shares that route (a streamed and a plain entry share one server histogram).

    Example:
        >>> server = {"p50_upper_ms": 5.0, "p99_upper_ms": 10.0,
        ...           "routes": {"POST /rag/ask": {"p50_upper_ms": 5.0, "p99_upper_ms": 10.0}}}
        >>> compare_with_server({"p50_ms": 4, "p99_ms": 9}, [{"name": "POST /rag/ask", "p50_ms": 30, "p99_ms": 9}], server)
        ['POST /rag/ask: client p50 30.0 ms > server p50 (<= 5.0 ms) + 2 ms']
    """
    out = disagreements(client_total, server, name="all HTTP requests")
    rows = list(client_rows)
    keys = [route_key(r["name"]) for r in rows]
    routes = {route_key(k): v for k, v in (server.get("routes") or {}).items()}
    for row, key in zip(rows, keys):
        if keys.count(key) == 1 and key in routes:
            out += disagreements(row, routes[key], name=row["name"])
    return out


# --- the generator's CPU --------------------------------------------------------------------

def cpu_warning(max_share: float | None, threshold: float = CPU_WARN_SHARE) -> str | None:
    """A warning when a generator process used more than ``threshold`` of a core, else None.

    Example:
        >>> cpu_warning(0.93)
        'load generator saturated: a Locust process used 93% of a core (> 85%); its latency figures include its own queue - add --workers or lower the load'
        >>> cpu_warning(0.2) is None
        True
    """
    if max_share is None or max_share <= threshold:
        return None
    return (f"load generator saturated: a Locust process used {max_share:.0%} of a core (> {threshold:.0%}); "
            "its latency figures include its own queue - add --workers or lower the load")


# --- one run's check, as ``labkit loadtest`` reports it ----------------------------------------

def generator_cpu(run_dir: str | Path) -> dict[str, Any]:
    """The Locust processes' CPU over the run, from the ``generator-<pid>.json`` files they wrote.

    ``max_share`` is the busiest process that ran users (a master only coordinates); ``warning``
    is :func:`cpu_warning`'s verdict on it.

    Example:
        >>> generator_cpu("/nonexistent")["processes"]
        0
    """
    procs: list[tuple[str, float, float]] = []  # (role, cpu_s, wall_s)
    for path in sorted(Path(run_dir).glob("generator-*.json")):
        try:
            data = json.loads(path.read_text())
            procs.append((str(data.get("role", "")), float(data["cpu_s"]), float(data["wall_s"])))
        except (ValueError, KeyError, TypeError):
            continue  # a process killed mid-write leaves a partial file; the others still count
    runners = [p for p in procs if p[0] != "master"] or procs
    shares = [cpu / wall for _, cpu, wall in runners if wall > 0]
    top = round(max(shares), 3) if shares else None
    return {"processes": len(procs), "cpu_s": round(sum(cpu for _, cpu, _ in procs), 3),
            "max_share": top, "warning": cpu_warning(top)}


def run_check(verdict: Mapping[str, Any], metrics_before: str | None, metrics_after: str | None,
              run_dir: str | Path, *, replicas: int | None = 1) -> dict[str, Any]:
    """Locust's client-side figures beside the server's histogram, and the generator's CPU.

    ``replicas``: the service's processes behind its port when known (None: a service given by
    URL). Several replicas each keep their own histogram and a scrape reaches one of them, so
    no server figure is computed for them.

    Example:
        >>> run_check({"client_http": {"p50_ms": 3}}, None, None, "/nonexistent")["server_note"]
        'no /metrics scrape (the target has no Prometheus histogram)'
    """
    client = dict(verdict.get("client_http") or {})
    rows = [r for r in verdict.get("rows") or []
            if r.get("name") != "Aggregated" and not str(r.get("name", "")).startswith(("TTFT ", "JOB "))
            and r.get("requests")]
    check: dict[str, Any] = {"client_http": client, "server": None, "server_note": None, "disagreements": []}
    if replicas is not None and replicas > 1:
        check["server_note"] = f"{replicas} service replicas: a scrape reaches one of them, so no server figure"
    elif metrics_before is None or metrics_after is None:
        check["server_note"] = "no /metrics scrape (the target has no Prometheus histogram)"
    else:
        try:
            server = server_latency(metrics_before, metrics_after)
        except ValueError as exc:
            check["server_note"] = str(exc)
        else:
            check["server"] = server
            if server["requests"]:
                check["disagreements"] = compare_with_server(client, rows, server)
                if (client.get("requests") or 0) < MIN_REQUESTS_P50:
                    check["server_note"] = (f"fewer than {MIN_REQUESTS_P50} requests: percentiles shown, "
                                            "not compared")
            else:
                check["server_note"] = "the server's histogram saw no requests during the run"
    check["generator"] = generator_cpu(run_dir)
    check["warnings"] = [w for w in [check["generator"]["warning"]] if w]
    if check["disagreements"]:
        check["warnings"].append("client and server latency disagree (see disagreements): the excess is "
                                 "spent outside the server - in the load generator, the network or a queue "
                                 "before the server's timer")
    return check
