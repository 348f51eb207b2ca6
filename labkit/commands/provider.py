"""``labkit provider``: run the local OpenAI-compatible mock provider in the foreground.

Flags override the config file, which overrides the defaults (fast and well-behaved).
The fault grammar in ``--help`` is the one ``labkit.provider.faults`` parses; it is the same
for ``--fault``, the config file and the per-request ``X-Lab-Fault`` header.
"""

from __future__ import annotations

from typing import Any

import click
import uvicorn

from labkit.errors import ConfigError
from labkit.provider.config import ProviderConfig
from labkit.provider.faults import parse_fault
from labkit.provider.server import create_app
from labkit.settings import var_dir

FAULT_HELP = """\b
Fault grammar (same for --fault MODEL=SPEC, the config file's `faults:` and the
per-request `X-Lab-Fault: SPEC` header; the header wins field by field):
  SPEC   := CLAUSE(;CLAUSE)*        e.g.  status=503;times=2
  DIST   := SECONDS | fixed:S | normal:MEAN:SD | lognormal:MEDIAN:SIGMA
  status=CODE            answer with this status (400, 429, 500, 502, 503, 529...)
  error_rate=C:P[,C:P]   answer with status C at probability P (seeded RNG)
  retry_after=S|none     Retry-After seconds on a faulted 429 (default: none)
  retry_after_ms=MS      retry-after-ms header on a faulted 429
  context_length         400 context_length_exceeded
  content_policy         400 content_policy_violation
  reset                  reset the connection before any header is sent
  hang                   accept the request, never answer (until the client leaves)
  down=S                 503 for S seconds from the first such request, then recover
  latency=DIST           delay before the response headers
  ttft=DIST              slow first token: delay before the first streamed token
  inter_token=DIST       delay between streamed chunks
  cut=N                  stream: drop the connection after N chunks, no final chunk
  stall=N                stream: after N chunks send nothing, keep it open
  malformed=N            stream: chunk N is not valid JSON
  no_done                stream: end without `data: [DONE]`
  no_prefill             400 when the last message is the assistant's (continuation)
  obey_injection[=P]     obey injected instructions (always, or at rate P)
  hallucinate[=P]        invent an answer instead of abstaining (always / rate P)
  times=N                only the first N requests with this exact SPEC are faulted
                         (per API key for the header, per model for --fault/config)
  rate=P                 the fault applies to a fraction P of requests

\b
Run-time admin paths (no key): GET|DELETE /lab/requests (request log),
GET|POST /lab/alias {"alias": "lab-chat", "target": "lab-chat-2026-06"} (drift),
GET|POST|DELETE /lab/faults {"model": "lab-chat", "fault": "status=503;times=2"}.

\b
Examples:
  labkit provider serve --port 8100
  labkit provider serve --latency realistic --fault 'lab-chat=error_rate=503:0.1'
  labkit provider serve --rpm 60 --drift-after-requests 100
  curl -H 'X-Lab-Fault: status=429;retry_after=2;times=1' ...
"""


@click.group()
def provider() -> None:
    """The local OpenAI-compatible mock provider."""


@provider.command(epilog=FAULT_HELP)
@click.option("--host", default="127.0.0.1", show_default=True, help="Interface to listen on.")
@click.option("--port", default=8100, show_default=True, type=int, help="Port (0: any free port).")
@click.option("--config", "config_file", type=click.Path(dir_okay=False), default=None,
              help="YAML or JSON config file (see README, section provider).")
@click.option("--latency", type=click.Choice(["none", "realistic"]), default=None,
              help="'realistic' turns on the catalogue's latency profiles (default: none).")
@click.option("--fault", "faults", multiple=True, metavar="MODEL=SPEC",
              help="Per-model fault (MODEL may be an alias, a dated id or '*'); repeatable.")
@click.option("--api-key", "api_keys", multiple=True, help="Accepted API key; repeatable (default: any non-empty key).")
@click.option("--rpm", type=click.IntRange(min=1), default=None, help="Requests per minute per key.")
@click.option("--tpm", type=click.IntRange(min=1), default=None, help="Tokens per minute per key.")
@click.option("--max-body-bytes", type=click.IntRange(min=1024), default=None, help="Bodies above this get 413.")
@click.option("--hallucination-rate", type=click.FloatRange(0, 1), default=None,
              help="Share of unanswerable questions answered with an invented sentence (default 0.05).")
@click.option("--injection-obedience", type=click.FloatRange(0, 1), default=None,
              help="Share of injected instructions the model obeys (default 0.3).")
@click.option("--drift-after-requests", type=click.IntRange(min=0), default=None,
              help="Move lab-chat to lab-chat-2026-06 after N requests to the alias.")
@click.option("--drift-after-seconds", type=click.FloatRange(min=0), default=None,
              help="Move lab-chat to lab-chat-2026-06 after S seconds.")
@click.option("--seed", type=int, default=None, help="Seed of the fault/latency RNG (default 0).")
@click.option("--request-log", type=click.Path(dir_okay=False), default=None,
              help="Append the request log here as JSON lines (default var/provider/requests.jsonl).")
@click.option("--no-pii-audit", is_flag=True, default=False,
              help="Do not audit prompts for PII in the request log (pii_seen null): only to measure "
                   "the provider's own cost, as benchmarks do; the audit is the lab's evidence of no leak.")
def serve(host: str, port: int, config_file: str | None, latency: str | None, faults: tuple[str, ...],
          api_keys: tuple[str, ...], rpm: int | None, tpm: int | None, max_body_bytes: int | None,
          hallucination_rate: float | None, injection_obedience: float | None,
          drift_after_requests: int | None, drift_after_seconds: float | None, seed: int | None,
          request_log: str | None, no_pii_audit: bool) -> None:
    """Serve the OpenAI-compatible mock provider until Ctrl-C.

    Point any OpenAI client at it with OPENAI_BASE_URL=http://HOST:PORT/v1 and any
    non-empty OPENAI_API_KEY. Models: lab-chat (-> lab-chat-2026-01, drifts to
    lab-chat-2026-06), lab-mini, lab-large (131k context), lab-embed (256 dims).
    """
    config = ProviderConfig.load(config_file) if config_file else ProviderConfig()
    data: dict[str, Any] = config.model_dump(exclude_unset=False)
    data["faults"] = dict(config.faults)
    for item in faults:
        model, sep, spec = item.partition("=")
        if not sep or not model or not spec:
            raise ConfigError(f"--fault {item!r}: expected MODEL=SPEC, e.g. lab-chat=status=503;rate=0.1")
        try:
            data["faults"][model] = parse_fault(spec)
        except ValueError as exc:
            raise ConfigError(f"--fault {item!r}: {exc}") from None
    overrides = {"latency": latency, "rpm": rpm, "tpm": tpm, "max_body_bytes": max_body_bytes,
                 "hallucination_rate": hallucination_rate, "injection_obedience": injection_obedience,
                 "seed": seed, "request_log_path": request_log}
    data.update({k: v for k, v in overrides.items() if v is not None})
    if api_keys:
        data["api_keys"] = list(api_keys)
    if no_pii_audit:
        data["pii_audit"] = False
    if drift_after_requests is not None or drift_after_seconds is not None:
        data["drift"] = [{"alias": "lab-chat", "after_requests": drift_after_requests,
                          "after_seconds": drift_after_seconds}]
    if not data.get("request_log_path"):
        data["request_log_path"] = str(var_dir() / "provider" / "requests.jsonl")
    config = ProviderConfig.parse(data, source="provider options")
    app = create_app(config)
    click.echo(f"labkit mock provider on http://{host}:{port}/v1 "
               f"(latency {config.latency}; request log {config.request_log_path}); Ctrl-C stops it")
    uvicorn.run(app, host=host, port=port, log_level="warning", access_log=False, lifespan="on",
                timeout_graceful_shutdown=2)
