"""What the callback refuses: forged verifications (404), pushes for unknown subscriptions,
with bad signatures, over the size cap or not a feed; each counted, none alerted, no secret
in the log. A push signed with any of the four algorithms the spec allows is taken."""

from __future__ import annotations

import logging
from pathlib import Path

import aiohttp
import pytest
from feedserver import FeedServer
from test_websub import alerted, running, setup
from websub_hub import Outlet, sign, wait_until

from monitor.cli.status import collect, render


def one_entry(outlet: Outlet, title: str, link: str) -> bytes:
    """An Atom body with this one entry, as a hub would push it."""
    return Outlet(
        outlet.server, outlet.hub, path=outlet.path, entries=[(title, link, title)]
    ).body()


TAKEN = [
    ("sha1", "Zelensky opens talks on a grain corridor with Turkey"),
    ("sha384", "Polish farmers block the border as Zelensky seeks talks over imports"),
    ("sha512", "Zelensky and Macron hold talks about air defence in Paris"),
]
# (case, token, signed with, body, expected status, refusal reason)
REFUSED = [
    ("no signature", "ours", None, "plain", 202, "bad_signature"),
    ("another secret", "ours", "wrong-secret", "plain", 202, "bad_signature"),
    ("md5 is not allowed", "ours", "md5", "plain", 202, "bad_signature"),
    ("signature of another body", "ours", "other-body", "plain", 202, "bad_signature"),
    ("unknown subscription", "made-up-token", "ours", "plain", 410, "unknown"),
    ("over the size cap", "ours", "ours", "huge", 413, "too_large"),
    ("not a feed", "ours", "ours", "html", 400, "not_a_feed"),
]


async def test_pushes_refused_and_counted_forged_verifications_404(
    feed_server: FeedServer, tmp_path: Path, caplog: pytest.LogCaptureFixture
) -> None:
    caplog.set_level(logging.DEBUG, logger="monitor")
    async with setup(feed_server, tmp_path) as (hub, outlet, hook, path):
        async with running(path) as daemon:
            await wait_until(lambda: hub.live(outlet.topic), what="a verified subscription")
            (sub,) = hub.live(outlet.topic)
            assert sub.secret is not None
            secret, callback = sub.secret, sub.callback
            base = callback.rpartition("/")[0]
            # Verifications of what we never asked: another token, another topic, an
            # unsubscription someone else asked the hub for.
            forged = [
                (f"{base}/made-up-token", "subscribe", outlet.topic),
                (callback, "subscribe", "http://elsewhere.example/feed"),
                (callback, "unsubscribe", outlet.topic),
            ]
            for url, mode, topic in forged:
                status, echoed = await hub.verify_intent(url, mode=mode, topic=topic)
                assert (status, echoed) == (404, False), (url, mode, topic)
            async with aiohttp.ClientSession() as session:

                async def push(url: str, body: bytes, signature: str | None) -> int:
                    headers = {"Content-Type": "application/atom+xml"}
                    if signature is not None:
                        headers["X-Hub-Signature"] = signature
                    async with session.post(url, data=body, headers=headers) as resp:
                        return resp.status

                for i, (case, token, signer, kind, expected, _) in enumerate(REFUSED):
                    body = {
                        "plain": one_entry(
                            outlet, f"Zelensky agrees to talks {case}", f"http://x/{i}"
                        ),
                        "huge": one_entry(outlet, "Zelensky talks " + "x" * 250_000, "http://x/h"),
                        "html": b"<html><body>Zelensky talks</body></html>",
                    }[kind]
                    signature = {
                        None: None,
                        "ours": sign(secret, body),
                        "wrong-secret": sign("not-the-secret", body),
                        "md5": sign(secret, body, "md5"),
                        "other-body": sign(secret, body + b" "),
                    }[signer]
                    url = callback if token == "ours" else f"{base}/{token}"
                    assert await push(url, body, signature) == expected, case
                for i, (algorithm, title) in enumerate(TAKEN):
                    body = one_entry(outlet, title, f"http://outlet.example/ok{i}")
                    assert await push(callback, body, sign(secret, body, algorithm)) == 204
            await wait_until(lambda: len(alerted(hook)) >= len(TAKEN), what="the alerts")
            assert hub.live(outlet.topic)  # the forged unsubscription changed nothing
        report = await collect(daemon.config)
    assert sorted(alerted(hook)) == sorted(title for _, title in TAKEN)
    assert report["websub_refused"] == {
        "bad_signature": 4, "not_a_feed": 1, "too_large": 1, "unknown": 1,
        "unknown_verification": 3,
    }  # fmt: skip
    assert report["feeds"][0]["pushes"] == len(TAKEN)
    assert "refused: bad_signature 4" in render(report)
    metrics = daemon.metrics.render().decode()
    assert 'monitor_websub_refused_total{reason="bad_signature"} 4.0' in metrics
    logged = "\n".join(r.getMessage() for r in caplog.records)
    assert "bad signature" in logged
    assert secret not in logged and callback.rpartition("/")[2] not in logged
