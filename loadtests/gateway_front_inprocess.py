"""The gateway's HTTP front alone, in process: uvicorn's own protocol against the short path.

Feeds a chat request (head, then the body as its own segment, as the OpenAI SDK sends it) to a
protocol object over a fake transport and runs the event loop until the answer is written; the
handler answers at once with a ``_JsonAnswer`` (the gateway's answer class), so the figure is the
front's own cost a request, warm: uvicorn's ``HttpToolsProtocol`` with ``GatewayFront``'s hot
branch (the gateway before round 13) against ``labkit.direct.front.short_path_protocol``.
``gateway_timeline.py`` gives the served, cold figures.

Usage:
    .venv/bin/python loadtests/gateway_front_inprocess.py [--requests 20000] [--repeats 5]
"""

from __future__ import annotations

import argparse
import asyncio
import statistics
import sys
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

import orjson
import uvloop
from uvicorn.config import Config
from uvicorn.protocols.http.httptools_impl import HttpToolsProtocol
from uvicorn.server import ServerState

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from labkit.direct.front import short_path_protocol
from labkit.direct.gateway import _JsonAnswer, _read_body

ANSWER = orjson.dumps({"id": "chatcmpl-1", "object": "chat.completion", "model": "lab-chat-2026-01",
                       "choices": [{"index": 0, "message": {"role": "assistant", "content": "billing " * 40},
                                    "finish_reason": "stop"}]})
BODY = orjson.dumps({"model": "lab-chat-2026-01", "messages": [{"role": "user", "content": "a question " * 20}]})
HEAD = (b"POST /v1/chat/completions HTTP/1.1\r\nhost: gateway\r\ncontent-type: application/json\r\n"
        b"authorization: Bearer k\r\ncontent-length: " + str(len(BODY)).encode() + b"\r\n\r\n")


async def handler(headers: list[tuple[bytes, bytes]], body: bytes) -> _JsonAnswer:
    return _JsonAnswer(ANSWER, [(b"x-labkit-status", b"ok"), (b"x-labkit-cache", b"miss")])


HOT = {"/v1/chat/completions": handler}


async def front(scope: dict[str, Any], receive: Any, send: Any) -> None:
    """``GatewayFront.__call__``'s hot branch, the way the gateway served before round 13."""
    body = await _read_body(receive)
    await (await HOT[scope["path"]](scope["headers"], body or b""))(scope, receive, send)


class _Transport(asyncio.Transport):
    """Collects writes; resolves ``done`` once a whole answer was written."""

    def __init__(self) -> None:
        super().__init__()
        self.size = 0
        self.done: asyncio.Future[None] | None = None

    def write(self, data: Any) -> None:
        self.size += len(data)
        if self.done is not None and self.size >= len(ANSWER):
            self.done.set_result(None)
            self.done = None

    def is_closing(self) -> bool:
        return False

    def close(self) -> None:
        pass

    def get_extra_info(self, name: str, default: Any = None) -> Any:
        return {"sockname": ("127.0.0.1", 8200), "peername": ("127.0.0.1", 50000)}.get(name, default)

    def pause_reading(self) -> None:
        pass

    def resume_reading(self) -> None:
        pass


def _factory(protocol: type[asyncio.Protocol]) -> Callable[[], Any]:
    config = Config(front, log_level="warning", access_log=False, proxy_headers=False, http=protocol)
    config.load()
    state = ServerState()
    return lambda: config.http_protocol_class(config=config, server_state=state, app_state={})  # type: ignore[call-arg]


async def _median_us(make: Callable[[], Any], requests: int) -> float:
    loop = asyncio.get_running_loop()
    protocol = make()
    transport = _Transport()
    protocol.connection_made(transport)
    times = []
    for _ in range(requests):
        transport.size = 0
        transport.done = done = loop.create_future()
        start = time.perf_counter()
        protocol.data_received(HEAD)
        await asyncio.sleep(0)  # the body arrives in a later loop iteration
        protocol.data_received(BODY)
        await done
        times.append(time.perf_counter() - start)
    return statistics.median(times[requests // 5:]) * 1e6  # the first fifth is warm-up


async def _main(requests: int, repeats: int) -> None:
    targets = {"uvicorn + GatewayFront": _factory(HttpToolsProtocol),
               "short path": _factory(short_path_protocol(HOT, 32 * 1024 * 1024))}
    results: dict[str, list[float]] = {name: [] for name in targets}
    for _ in range(repeats):  # alternated, so a busy moment of the machine hits both
        for name, make in targets.items():
            results[name].append(await _median_us(make, requests))
    for name, values in results.items():
        print(f"{name:24s} median of {repeats}: {statistics.median(values):6.1f} us a request  "
              f"(repeats: {', '.join(f'{v:.1f}' for v in values)})")


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--requests", type=int, default=20000)
    ap.add_argument("--repeats", type=int, default=5)
    args = ap.parse_args()
    uvloop.run(_main(args.requests, args.repeats))


if __name__ == "__main__":
    main()
