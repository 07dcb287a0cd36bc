"""A compressed body is read as the bytes the publisher wrote, however the server sends it:
gzip, deflate (zlib-wrapped as RFC 9110 asks, or raw as some servers send it), or none;
in one piece or dripped in small chunks."""

from __future__ import annotations

import asyncio
import gzip
import zlib
from collections.abc import AsyncIterator, Callable

import pytest
from aiohttp import web
from aiohttp.test_utils import TestServer
from conftest import shared

from monitor.fetch import Fetcher, FetchLimits


def _raw_deflate(data: bytes) -> bytes:
    z = zlib.compressobj(wbits=-zlib.MAX_WBITS)
    return z.compress(data) + z.flush()


ENCODINGS: dict[str, tuple[str, Callable[[bytes], bytes]]] = {
    "none": ("", lambda b: b),
    "identity": ("identity", lambda b: b),
    "gzip": ("gzip", gzip.compress),
    "x-gzip": ("x-gzip", gzip.compress),
    "deflate": ("deflate", zlib.compress),
    "raw deflate": ("deflate", _raw_deflate),
}


@pytest.fixture
def body() -> bytes:
    return shared("real-feeds", "guardian.rss").read_bytes()


@pytest.fixture
async def server(body: bytes) -> AsyncIterator[TestServer]:
    async def handler(request: web.Request) -> web.StreamResponse:
        encoding, encode = ENCODINGS[request.match_info["encoding"]]
        wire = encode(body)
        headers = {"Content-Type": "application/rss+xml"}
        if encoding:
            headers["Content-Encoding"] = encoding
        response = web.StreamResponse(headers=headers)
        await response.prepare(request)
        step = int(request.match_info["step"]) or len(wire)
        for start in range(0, len(wire), step):
            await response.write(wire[start : start + step])
            await asyncio.sleep(0)  # each piece its own write on the wire
        await response.write_eof()
        return response

    app = web.Application()
    app.router.add_get("/{encoding}/{step}", handler)
    test_server = TestServer(app, host="127.0.0.1", port=0)
    await test_server.start_server()
    try:
        yield test_server
    finally:
        await test_server.close()


@pytest.mark.parametrize("step", [0, 997])
@pytest.mark.parametrize("encoding", list(ENCODINGS))
async def test_the_body_is_the_publishers_bytes_whatever_the_encoding(
    server: TestServer, body: bytes, encoding: str, step: int
) -> None:
    fetcher = Fetcher(FetchLimits(timeout=10), "test")
    try:
        result = await fetcher.fetch(str(server.make_url(f"/{encoding}/{step}")))
    finally:
        await fetcher.close()
    assert result.status == 200
    assert result.body == body
