"""Feeds on hosts that answer at once are polled while other feeds' host names hang in DNS
(dead domains, name servers that never answer are ordinary among hundreds of feeds). On
uvloop's loop, lookups ran in libuv's thread pool, at most two at a time: two hanging
lookups held back every other connection until the resolver gave up, so every feed failed
(review13b; this test failed before ``monitor.eventloop`` kept lookups in the executor).

``monitor once`` runs in a mount namespace of its own whose /etc/resolv.conf names a DNS
stand-in on 127.0.0.77:53; nothing else on the machine sees it. Needs root and unshare."""

from __future__ import annotations

import asyncio
import os
import shutil
import struct
import sys
from pathlib import Path

import pytest
from feedserver import FeedServer, rss
from headlines import HEADLINES

SLOW = 2  # hosts whose lookup hangs: libuv ran at most (4 + 1) // 2 lookups at once
FAST = 8


class StandInDNS(asyncio.DatagramProtocol):
    """Names starting "slow" are never answered; every other name is 127.0.0.1 (A), with
    no AAAA address."""

    def __init__(self) -> None:
        self.asked: list[str] = []
        self.transport: asyncio.DatagramTransport | None = None

    def connection_made(self, transport: asyncio.BaseTransport) -> None:
        self.transport = transport  # type: ignore[assignment]

    def datagram_received(self, data: bytes, addr: tuple[str | int, int]) -> None:
        qid = struct.unpack("!H", data[:2])[0]
        labels, at = [], 12
        while data[at]:
            labels.append(data[at + 1 : at + 1 + data[at]].decode())
            at += 1 + data[at]
        end = at + 1
        name = ".".join(labels)
        self.asked.append(name)
        if name.startswith("slow") or self.transport is None:
            return
        question = data[12 : end + 4]
        if struct.unpack("!H", data[end : end + 2])[0] == 1:  # A
            answer = b"\xc0\x0c" + struct.pack("!HHIH", 1, 1, 60, 4) + bytes([127, 0, 0, 1])
            header = struct.pack("!HHHHHH", qid, 0x8180, 1, 1, 0, 0)
            self.transport.sendto(header + question + answer, addr)
        else:
            header = struct.pack("!HHHHHH", qid, 0x8180, 1, 0, 0, 0)
            self.transport.sendto(header + question, addr)


@pytest.mark.skipif(
    os.geteuid() != 0 or not shutil.which("unshare") or not shutil.which("mount"),
    reason="needs root, unshare and mount (a private /etc/resolv.conf)",
)
async def test_feeds_on_good_hosts_are_polled_while_other_hosts_hang_in_dns(
    feed_server: FeedServer, tmp_path: Path
) -> None:
    hosts = [f"slow{i}.test" for i in range(SLOW)] + [f"fast{i}.test" for i in range(FAST)]
    for i in range(len(hosts)):
        feed_server.feed(f"/f{i}", rss(f"O{i}", [(HEADLINES[i], f"http://example.org/{i}")]))
    port = feed_server.server.port
    feeds = "".join(f'[[feeds]]\nurl = "http://{h}:{port}/f{i}"\n' for i, h in enumerate(hosts))
    config = tmp_path / "config.toml"
    config.write_text(
        f'[monitor]\ndatabase = "{tmp_path / "monitor.db"}"\njitter = 0.0\n'
        f'[fetch]\nconnect_timeout = "2s"\ntimeout = "20s"\n{feeds}'
    )
    resolv = tmp_path / "resolv.conf"
    resolv.write_text("nameserver 127.0.0.77\noptions timeout:3 attempts:1\n")
    loop = asyncio.get_running_loop()
    try:
        transport, dns = await loop.create_datagram_endpoint(
            StandInDNS, local_addr=("127.0.0.77", 53)
        )
    except OSError as e:
        pytest.skip(f"cannot serve DNS on 127.0.0.77:53: {e}")
    inner = (
        f"mount --bind {resolv} /etc/resolv.conf && "
        f"exec {sys.executable} -m monitor once -c {config}"
    )
    try:
        proc = await asyncio.create_subprocess_exec(
            "unshare", "-m", "--propagation", "private", "sh", "-c", inner,
            stdout=asyncio.subprocess.PIPE, stderr=asyncio.subprocess.PIPE,
        )  # fmt: skip
        _, err = await asyncio.wait_for(proc.communicate(), 120)
    finally:
        transport.close()
    log = err.decode()
    if "mount" in log and "permission denied" in log.lower():
        pytest.skip("mount in a new namespace is not allowed here")
    assert any(name.startswith("fast") for name in dns.asked), log
    failed_fast = [line for line in log.splitlines() if "fast" in line and "WARNING" in line]
    assert failed_fast == [], log
    assert f"polled {SLOW + FAST} feeds: {FAST} new items, {SLOW} failed" in log, log
