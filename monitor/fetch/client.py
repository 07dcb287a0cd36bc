"""fetch.client: the Fetcher, one aiohttp session for every feed."""

from __future__ import annotations

import asyncio
import time
from collections.abc import Mapping
from contextvars import ContextVar
from dataclasses import dataclass
from urllib.parse import urljoin

import aiohttp
import aiohttp.abc
import yarl

from monitor.configtypes import format_duration
from monitor.errors import FetchError
from monitor.fetch.body import Decoder
from monitor.fetch.failures import client_failure, connection_failure
from monitor.fetch.responses import cache_lifetime, status_error

# When (time.monotonic()) the current task's latest fetch got its slots: from then on its
# request may have reached the host. A poll cancelled mid-way (a stop) asks, so that its
# feed is not polled again within its interval by another node (cluster.dispatcher).
_slots_taken: ContextVar[float | None] = ContextVar("fetch_slots_taken", default=None)

_REDIRECTS = {301, 302, 303, 307, 308}
_PERMANENT = {301, 308}
_CHUNK = 64 * 1024
_REQUEST_HEADERS = {
    "Accept": "application/rss+xml, application/atom+xml, application/feed+json, "
    "application/xml;q=0.9, text/xml;q=0.9, */*;q=0.5",
    "Accept-Encoding": "gzip, deflate",
}


def since_request_could_leave() -> float | None:
    """Seconds since the current task's latest request could leave (its fetch got its slots);
    None if the task sent none (it may still wait for a slot)."""
    taken = _slots_taken.get()
    return None if taken is None else time.monotonic() - taken


@dataclass(frozen=True, slots=True)
class FetchLimits:
    timeout: float = 30.0
    connect_timeout: float = 10.0
    read_timeout: float = 15.0
    max_body: int = 10 * 1024 * 1024
    max_redirects: int = 5
    concurrency: int = 50
    per_host: int = 4


@dataclass(frozen=True, slots=True)
class FetchResult:
    """A response worth acting on: 200 with a body, or 304 Not Modified (``body`` None)."""

    status: int
    body: bytes | None
    headers: Mapping[str, str]
    final_url: str
    permanent_url: str | None  # where every redirect hop was permanent, the new address
    etag: str | None
    last_modified: str | None
    max_age: float | None  # seconds, from Cache-Control max-age or Expires
    elapsed: float

    @property
    def not_modified(self) -> bool:
        return self.status == 304


class Fetcher:
    """Fetches feeds through one shared session; ``close()`` when done."""

    def __init__(
        self,
        limits: FetchLimits,
        user_agent: str,
        *,
        resolver: aiohttp.abc.AbstractResolver | None = None,
    ) -> None:
        self.limits = limits
        self.user_agent = user_agent
        self._resolver = resolver  # None: the system's; tests answer names on loopback
        self._session: aiohttp.ClientSession | None = None
        self._global = asyncio.Semaphore(limits.concurrency)
        # Per-host semaphores live as long as the fetcher; a few thousand hosts is a few KB.
        self._per_host: dict[str, asyncio.Semaphore] = {}
        # Each URL's host slot and parsed form, kept: a 304 poll is cheap, and parsing the URL
        # again was a twentieth of it.
        self._known: dict[str, tuple[asyncio.Semaphore, yarl.URL]] = {}
        # The whole fetch (redirects, a body dripping in) is bounded by asyncio.timeout in
        # _fetch_now; aiohttp bounds the connect and each wait for data.
        self._timeout = aiohttp.ClientTimeout(
            total=None, connect=limits.connect_timeout, sock_read=limits.read_timeout
        )
        self._in_flight = 0
        self._idle = asyncio.Event()
        self._idle.set()

    @property
    def session(self) -> aiohttp.ClientSession:
        """The shared session (created on first use, inside the running loop)."""
        if self._session is None or self._session.closed:
            connector = aiohttp.TCPConnector(
                limit=self.limits.concurrency,
                limit_per_host=0,  # our own per-host semaphores, see _know
                ttl_dns_cache=300,
                resolver=self._resolver,
            )
            self._session = aiohttp.ClientSession(
                connector=connector,
                auto_decompress=False,  # we decompress ourselves, under the size cap
                cookie_jar=aiohttp.DummyCookieJar(),
                headers={"User-Agent": self.user_agent},
                trust_env=False,
            )
        return self._session

    async def close(self) -> None:
        if self._session is not None and not self._session.closed:
            await self._session.close()

    async def close_when_idle(self) -> None:
        """Close once the fetches in flight (and those waiting for a slot) are done: a reload
        replaced this fetcher, and the polls that started on it finish on it."""
        await self._idle.wait()
        await self.close()

    async def fetch(
        self, url: str, *, etag: str | None = None, last_modified: str | None = None
    ) -> FetchResult:
        """GET ``url`` conditionally; raise ``FetchError`` with one clear sentence on failure."""
        # Wait for a slot first: the timeout measures the server, not our own queue. The
        # host's slot before a global one: a slow host's queue must not hold global slots.
        per_host, parsed = self._known.get(url) or self._know(url)
        self._in_flight += 1
        self._idle.clear()
        try:
            async with per_host, self._global:
                _slots_taken.set(time.monotonic())
                return await self._fetch_now(url, parsed, etag, last_modified)
        finally:
            self._in_flight -= 1
            if not self._in_flight:
                self._idle.set()

    def _know(self, url: str) -> tuple[asyncio.Semaphore, yarl.URL]:
        """The URL's host slot and its parsed form (kept for the next poll)."""
        try:
            parsed = yarl.URL(url)
        except ValueError as exc:  # a port out of range, a broken IPv6 host, no host
            raise FetchError(f"not a valid URL: {url} ({exc})") from None
        host = (parsed.host or "").lower()
        per_host = self._per_host.get(host)
        if per_host is None:
            per_host = self._per_host[host] = asyncio.Semaphore(self.limits.per_host)
        if len(self._known) < 100_000:  # bounded: URLs come from the config and redirects
            self._known[url] = (per_host, parsed)
        return per_host, parsed

    async def _fetch_now(
        self, url: str, parsed: yarl.URL, etag: str | None, last_modified: str | None
    ) -> FetchResult:
        started = time.monotonic()
        try:
            async with asyncio.timeout(self.limits.timeout):
                return await self._fetch(url, parsed, etag, last_modified, started)
        except FetchError:
            raise
        # aiohttp's limits are TimeoutErrors too: each is named by its own key, not by the
        # whole request's, which had not run out.
        except aiohttp.ConnectionTimeoutError:
            raise FetchError(
                f"could not connect within {format_duration(self.limits.connect_timeout)}"
                " (connect_timeout)"
            ) from None
        except aiohttp.ServerTimeoutError:
            raise FetchError(
                f"the server sent nothing for {format_duration(self.limits.read_timeout)}"
                " (read_timeout; it stalled)"
            ) from None
        except TimeoutError:
            raise FetchError(
                f"no complete answer within {format_duration(self.limits.timeout)}"
                " (timeout; the server is too slow or stalled)"
            ) from None
        except aiohttp.ClientConnectorError as exc:
            raise FetchError(connection_failure(exc)) from None
        except (aiohttp.ServerDisconnectedError, aiohttp.ClientPayloadError) as exc:
            raise FetchError(
                f"the server closed the connection mid-answer ({_reason(exc)})"
            ) from None
        except aiohttp.ClientOSError as exc:
            raise FetchError(client_failure(exc)) from None
        except aiohttp.InvalidURL as exc:
            target = str(exc.url)
            if target != url:  # a hop's Location
                raise FetchError(f"redirected to a URL that is not valid: {target}") from None
            raise FetchError(f"not a valid URL: {url}") from None
        except aiohttp.ClientError as exc:
            raise FetchError(f"the request failed ({_reason(exc)})") from None
        except OSError as exc:
            raise FetchError(f"the connection failed ({_reason(exc)})") from None

    async def _fetch(
        self,
        url: str,
        parsed: yarl.URL,
        etag: str | None,
        last_modified: str | None,
        started: float,
    ) -> FetchResult:
        headers = dict(_REQUEST_HEADERS)
        if etag:
            headers["If-None-Match"] = etag
        if last_modified:
            headers["If-Modified-Since"] = last_modified
        timeout = self._timeout
        current = url
        request: str | yarl.URL = parsed
        seen = {url}
        permanent = True
        for _hop in range(self.limits.max_redirects + 1):
            async with self.session.get(
                request, headers=headers, timeout=timeout, allow_redirects=False
            ) as resp:
                if resp.status in _REDIRECTS:
                    location = resp.headers.get("Location")
                    if not location:
                        raise FetchError(
                            f"redirect (HTTP {resp.status}) without a Location", status=resp.status
                        )
                    target = urljoin(current, location)
                    if target in seen:
                        raise FetchError(
                            f"redirect loop: {target} was already visited", status=resp.status
                        )
                    seen.add(target)
                    permanent = permanent and resp.status in _PERMANENT
                    current = request = target
                    continue
                resp_headers = {k.lower(): v for k, v in resp.headers.items()}
                if resp.status == 304:
                    return self._result(
                        resp.status,
                        None,
                        resp_headers,
                        url,
                        current,
                        permanent,
                        etag,
                        last_modified,
                        started,
                    )
                if resp.status != 200:
                    sent = yarl.URL(request) if isinstance(request, str) else request
                    raise status_error(resp.status, resp_headers, credentials=bool(sent.user))
                body = await self._read_body(resp, resp_headers)
                return self._result(
                    200, body, resp_headers, url, current, permanent, etag, last_modified, started
                )
        raise FetchError(f"more than {self.limits.max_redirects} redirects")

    def _result(
        self,
        status: int,
        body: bytes | None,
        headers: dict[str, str],
        url: str,
        final: str,
        permanent: bool,
        etag: str | None,
        last_modified: str | None,
        started: float,
    ) -> FetchResult:
        return FetchResult(
            status=status,
            body=body,
            headers=headers,
            final_url=final,
            permanent_url=final if permanent and final != url else None,
            # A 304 may omit the validators; keep the ones we sent.
            etag=headers.get("etag") or etag,
            last_modified=headers.get("last-modified") or last_modified,
            max_age=cache_lifetime(headers),
            elapsed=time.monotonic() - started,
        )

    async def _read_body(self, resp: aiohttp.ClientResponse, headers: Mapping[str, str]) -> bytes:
        cap = self.limits.max_body
        length = headers.get("content-length", "")
        if length.isdigit() and int(length) > cap:
            raise FetchError(f"the body is {int(length):,} bytes, over the {cap:,}-byte limit")
        decoder = Decoder(headers.get("content-encoding", ""), cap)
        received = 0
        async for chunk in resp.content.iter_chunked(_CHUNK):
            received += len(chunk)
            if received > cap:
                raise FetchError(f"the body is over the {cap:,}-byte limit; stopped reading")
            decoder.feed(chunk)
        return decoder.finish()


def _reason(exc: BaseException) -> str:
    text = str(exc).strip()
    return text.splitlines()[0][:200] if text else exc.__class__.__name__
