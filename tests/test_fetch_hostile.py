"""The misbehaving-server table: each hostile answer ends as a clear error in that feed's
health within the timeout, memory stays bounded, and the other feeds are polled as usual."""

from __future__ import annotations

import asyncio
import socket
import struct
import time
import zlib
from pathlib import Path

from aiohttp import web
from feedserver import FeedServer, random_bytes, rss
from helpers import make_config

from monitor.engine import Engine
from monitor.oneshot import poll_all

MAX_BODY = 1024 * 1024
BILLION_LAUGHS = (
    b'<?xml version="1.0"?>\n<!DOCTYPE rss [\n<!ENTITY lol "lol">\n'
    + b"".join(
        f'<!ENTITY lol{i} "{("&lol" + (str(i - 1) if i > 1 else "") + ";") * 10}">\n'.encode()
        for i in range(1, 10)
    )
    + b']>\n<rss version="2.0"><channel><title>t</title>'
    b"<item><title>&lol9;</title><link>http://x/1</link></item></channel></rss>"
)


def _bomb_stream() -> list[bytes]:
    """200 MB of zeros gzip-compressed, in chunks: about 200 KB on the wire."""
    z = zlib.compressobj(9, zlib.DEFLATED, zlib.MAX_WBITS | 16)
    zeros = b"\0" * (1024 * 1024)
    chunks = [z.compress(zeros) for _ in range(200)]
    chunks.append(z.flush())
    return [c for c in chunks if c]


def _vm_hwm_kb() -> int:
    for line in Path("/proc/self/status").read_text().splitlines():
        if line.startswith("VmHWM:"):
            return int(line.split()[1])
    return 0


async def _stall(request: web.Request) -> web.StreamResponse:
    resp = web.StreamResponse(headers={"Content-Type": "application/rss+xml"})
    await resp.prepare(request)
    await asyncio.sleep(60)
    return resp


async def _drip(request: web.Request) -> web.StreamResponse:
    resp = web.StreamResponse(headers={"Content-Type": "application/rss+xml"})
    await resp.prepare(request)
    for byte in rss("Drip", [("x", "http://x/1")]):
        await resp.write(bytes([byte]))
        await asyncio.sleep(1)  # well within read_timeout, never done within timeout
    return resp


async def _huge(request: web.Request) -> web.StreamResponse:
    resp = web.StreamResponse(headers={"Content-Type": "application/rss+xml"})
    await resp.prepare(request)
    chunk = b"<" * (1024 * 1024)
    for _ in range(4096):  # 4 GiB if nobody stops reading
        await resp.write(chunk)
    return resp


async def _gzip_bomb(request: web.Request) -> web.StreamResponse:
    resp = web.StreamResponse(
        headers={"Content-Type": "application/rss+xml", "Content-Encoding": "gzip"}
    )
    await resp.prepare(request)
    for chunk in BOMB:
        await resp.write(chunk)
    return resp


async def _reset(request: web.Request) -> web.StreamResponse:
    transport = request.transport
    assert transport is not None
    sock = transport.get_extra_info("socket")
    sock.setsockopt(socket.SOL_SOCKET, socket.SO_LINGER, struct.pack("ii", 1, 0))
    transport.abort()  # with linger 0: a TCP RST
    await asyncio.sleep(0.1)
    return web.Response(text="never sent")


BOMB = _bomb_stream()

# (path, handler, what the feed's health must say)
TABLE = [
    ("/404", lambda r: web.Response(status=404), "not found (HTTP 404)"),
    ("/410", lambda r: web.Response(status=410), "gone for good (HTTP 410)"),
    ("/500", lambda r: web.Response(status=500), "server failed (HTTP 500)"),
    (
        "/429",
        lambda r: web.Response(status=429, headers={"Retry-After": "120"}),
        "too many requests (HTTP 429)",
    ),
    (
        "/503-date",
        lambda r: web.Response(
            status=503, headers={"Retry-After": "Wed, 21 Oct 2099 07:28:00 GMT"}
        ),
        "unavailable (HTTP 503)",
    ),
    # A hint too long to be a number of seconds (it overflowed to infinity and the poll
    # ended as an internal error), and one whose digits made a 300-character error.
    (
        "/429-endless",
        lambda r: web.Response(status=429, headers={"Retry-After": "9" * 400}),
        "too many requests (HTTP 429)",
    ),
    (
        "/503-absurd",
        lambda r: web.Response(status=503, headers={"Retry-After": "1" * 300}),
        "unavailable (HTTP 503)",
    ),
    ("/stall", _stall, "sent nothing for 2s (read_timeout"),
    ("/drip", _drip, "too slow or stalled"),
    ("/huge", _huge, "over the 1,048,576-byte limit"),
    ("/gzip-bomb", _gzip_bomb, "decompresses to over the 1,048,576-byte limit"),
    (
        "/entity-bomb",
        lambda r: web.Response(body=BILLION_LAUGHS, content_type="application/rss+xml"),
        "entity-expansion bomb",
    ),
    (
        "/loop",
        lambda r: web.Response(status=302, headers={"Location": "/loop2"}),
        "redirect loop",
    ),
    (
        "/html",
        lambda r: web.Response(
            text="<!DOCTYPE html><html><body><p>Hello</p></body></html>", content_type="text/html"
        ),
        "HTML page, not a feed",
    ),
    ("/empty", lambda r: web.Response(body=b"", content_type="application/rss+xml"), "empty"),
    (
        "/random",
        lambda r: web.Response(body=random_bytes(4096), content_type="application/rss+xml"),
        "not a feed",
    ),
    (
        # random bytes that start as JSON would: the same error, through the JSON Feed reader
        "/random-json",
        lambda r: web.Response(body=b"{" + random_bytes(4096), content_type="application/rss+xml"),
        "not a feed",
    ),
    ("/reset", _reset, "reset the connection"),
    (
        "/bad-redirect",
        lambda r: web.Response(status=301, headers={"Location": "http://127.0.0.1:99999/feed"}),
        "redirected to a URL that is not valid: http://127.0.0.1:99999/feed",
    ),
]


async def test_hostile_servers_end_as_clear_errors_and_others_go_on(
    feed_server: FeedServer, tmp_path: Path
) -> None:
    for path, handler, _ in TABLE:
        feed_server.handler(path, handler)
    feed_server.handler("/loop2", lambda r: web.Response(status=302, headers={"Location": "/loop"}))
    good = [f"/good{i}" for i in range(3)]
    for i, path in enumerate(good):
        feed_server.feed(path, rss(f"Good {i}", [(f"Fine {i}", f"http://example.org/{i}")]))
    urls = [feed_server.url(p) for p, _, _ in TABLE] + [feed_server.url(p) for p in good]
    config = make_config(tmp_path, urls, max_backoff="1h")
    config = config.model_copy(
        update={
            "fetch": config.fetch.model_copy(
                update={"max_body": MAX_BODY, "timeout": 3.0, "read_timeout": 2.0}
            )
        }
    )
    hwm_before = _vm_hwm_kb()
    engine = await Engine.open(config)
    rt = engine.rt
    started = time.monotonic()
    try:
        outcomes = {o.url: o for o in await poll_all(rt, progress=False)}
    finally:
        await engine.close()
    elapsed = time.monotonic() - started
    assert elapsed < 3.0 + 3.0, f"the hostile table took {elapsed:.1f}s"
    for path, _, expected in TABLE:
        url = feed_server.url(path)
        state = rt.states[url]
        assert outcomes[url].result == "error", path
        assert state.error_streak == 1, path
        assert state.last_error and expected in state.last_error, (path, state.last_error)
        assert "\n" not in state.last_error and len(state.last_error) < 300
        assert state.next_check and state.next_check > time.time(), path
    for path in good:
        assert outcomes[feed_server.url(path)].new_items == 1
    # Retry-After is honoured in the next check.
    assert rt.states[feed_server.url("/429")].next_check >= time.time() + 110  # type: ignore[operator]
    assert rt.states[feed_server.url("/503-date")].next_check >= time.time() + 3000  # type: ignore[operator]
    for path in ("/429-endless", "/503-absurd"):  # waits max_backoff, the longest there is
        assert rt.states[feed_server.url(path)].next_check >= time.time() + 3000  # type: ignore[operator]
    grown_mb = (_vm_hwm_kb() - hwm_before) / 1024
    assert grown_mb < 100, f"peak memory grew by {grown_mb:.0f} MB"
