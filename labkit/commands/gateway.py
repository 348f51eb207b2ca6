"""``labkit gateway serve``: the resilient client as an OpenAI-compatible endpoint.

Example:
    labkit gateway serve --upstream http://127.0.0.1:8100/v1 --port 8200 --config gateway.yaml
    OPENAI_BASE_URL=http://127.0.0.1:8200/v1 python my_app.py   # unchanged OpenAI code
"""

from __future__ import annotations

import os

import click

from labkit.direct.gateway import GatewayConfig, build_server
from labkit.errors import ConfigError


@click.group()
def gateway() -> None:
    """The resilient client as an OpenAI-compatible gateway."""


@gateway.command()
@click.option("--upstream", default=None, metavar="URL",
              help="OpenAI-compatible base URL ending in /v1 (default: config, else OPENAI_BASE_URL).")
@click.option("--host", default="127.0.0.1", show_default=True, help="Interface to listen on.")
@click.option("--port", default=8200, show_default=True, type=int, help="Port to listen on.")
@click.option("--config", "config_file", type=click.Path(dir_okay=False), default=None,
              help="YAML: fallbacks (with a '*' entry), timeouts, retry, breaker, cache, budgets, "
                   "rate limits, pins, gateway keys. See README, Direct API section.")
@click.option("--api-key", default=None, help="Upstream API key (default: config, else OPENAI_API_KEY).")
@click.option("--threads", default=128, show_default=True, type=click.IntRange(min=4),
              help="Worker threads for streamed calls (JSON calls run on the event loop).")
def serve(upstream: str | None, host: str, port: int, config_file: str | None, api_key: str | None,
          threads: int) -> None:
    """Serve /v1/chat/completions (stream and not), /v1/embeddings, /v1/models and /metrics."""
    config = GatewayConfig.load(config_file, upstream=upstream, api_key=api_key)
    if not config.upstream:  # precedence: --upstream, the config's `upstream:`, OPENAI_BASE_URL
        if not os.environ.get("OPENAI_BASE_URL"):
            raise ConfigError("no upstream: pass --upstream URL, set `upstream:` in the config, "
                              "or set OPENAI_BASE_URL")
        config.upstream = config.base_url = os.environ["OPENAI_BASE_URL"]
    if "api_key" not in config.model_fields_set and os.environ.get("OPENAI_API_KEY"):
        config.api_key = os.environ["OPENAI_API_KEY"]
    app, server = build_server(config, host, port, threads=threads)
    click.echo(f"labkit gateway on http://{host}:{port}/v1 -> {config.base_url}", err=True)
    try:
        server.run()  # a clean stop (Ctrl-C, SIGTERM) writes the queued events and rows (lifespan)
    finally:
        app.state.shutdown()  # and if the server stopped another way (idempotent)
