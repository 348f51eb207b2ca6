"""The floor under the gateway's overhead: a relay with no controls, built like the gateway.

Same server (uvicorn with the gateway's settings, but uvicorn's own protocol: the gateway's short
path for its model endpoints, ``labkit.direct.front``, round 13, is not used here), same lean transport
(``labkit.direct.transport.LeanTransport``) to the provider, called the way the gateway calls
its client: inline on the event loop (``labkit.direct.inline.run_inline``; the upstream request
on the loop's keep-alive pool); no authentication, redaction, breaker, retry, budget, ledger or
telemetry. ``--thread`` hands each request to a worker thread instead (the gateway's way
before round 4). ``bench_gateway.py`` serves it as target ``relay_floor`` beside the gateway,
so one run says how much of the gateway's added latency is the extra hop itself (a second
server, one more HTTP exchange) and how much is the controls.

Not a product: it answers only ``POST /v1/chat/completions`` (and ``GET /v1/models`` for the
bench's probe) and relays the provider's bytes and status.

Usage: python loadtests/relay_floor.py UPSTREAM_V1_URL API_KEY --port PORT [--thread] [--http h11] [--loop asyncio]
"""

from __future__ import annotations

import argparse
import asyncio
import sys
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path
from typing import Any

import openai
import orjson
import uvicorn

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from labkit.direct.gateway import _UVICORN_SETTINGS
from labkit.direct.inline import run_inline
from labkit.direct.transport import LeanTransport, RequestTimeout


def make_app(upstream: str, api_key: str, thread: bool = False) -> Any:
    """The relay's ASGI app (``thread``: each request on a worker thread, else inline)."""
    transport = LeanTransport(upstream, api_key)
    executor = ThreadPoolExecutor(max_workers=128, thread_name_prefix="relay")
    limits = RequestTimeout(10.0, 2.0)

    def relay(body: bytes) -> tuple[int, bytes]:
        try:
            reply = transport.chat(orjson.loads(body), limits, None)
        except openai.APIStatusError as exc:
            return exc.status_code, exc.response.content
        except openai.APIError as exc:
            return 502, orjson.dumps({"error": {"message": str(exc), "type": "upstream_error"}})
        return reply.status, reply.raw or b""

    async def app(scope: dict[str, Any], receive: Any, send: Any) -> None:
        if scope["type"] != "http":
            return
        body = b""
        more = True
        while more:
            message = await receive()
            body += message.get("body", b"")
            more = message.get("more_body", False)
        if scope["method"] == "POST" and scope["path"] == "/v1/chat/completions":
            if thread:
                status, out = await asyncio.get_running_loop().run_in_executor(executor, relay, body)
            else:
                status, out = await run_inline(relay, body)
        else:
            status, out = 200, b'{"object":"list","data":[]}'
        await send({"type": "http.response.start", "status": status,
                    "headers": [(b"content-type", b"application/json")]})
        await send({"type": "http.response.body", "body": out})

    return app


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("upstream")
    ap.add_argument("api_key")
    ap.add_argument("--port", type=int, required=True)
    ap.add_argument("--thread", action="store_true", help="a worker thread per request (before round 4)")
    ap.add_argument("--http", default="auto", choices=["auto", "h11", "httptools"],
                    help="uvicorn's HTTP parser (auto: httptools when installed, as for the gateway)")
    ap.add_argument("--loop", default="auto", choices=["auto", "asyncio", "uvloop"],
                    help="uvicorn's event loop (auto: uvloop when installed, as for the gateway)")
    args = ap.parse_args()
    uvicorn.run(make_app(args.upstream, args.api_key, args.thread), host="127.0.0.1", port=args.port,
                **{**_UVICORN_SETTINGS, "http": args.http, "loop": args.loop})


if __name__ == "__main__":
    main()
