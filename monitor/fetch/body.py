"""fetch.body: a body read under the size cap, on both the compressed and the decompressed
bytes (so a gzip bomb stops at the cap)."""

from __future__ import annotations

import zlib

from monitor.errors import FetchError


class Decoder:
    """Decompresses gzip/deflate bodies chunk by chunk, refusing output beyond ``cap``."""

    def __init__(self, encoding: str, cap: int) -> None:
        self.encoding = encoding.strip().lower()
        self.cap = cap
        # The pieces, joined once at the end: a body that came in one chunk is that chunk,
        # never copied (a bytearray grown piece by piece was copied twice at least).
        self._parts: list[bytes] = []
        self._size = 0
        if self.encoding in ("", "identity"):
            self._z = None
        elif self.encoding in ("gzip", "x-gzip"):
            self._z = zlib.decompressobj(wbits=zlib.MAX_WBITS | 16)
        elif self.encoding == "deflate":
            self._z = zlib.decompressobj()  # zlib-wrapped per RFC 9110 8.4.1.2; raw tried below
        else:
            raise FetchError(f"the server used an encoding we did not ask for ({self.encoding})")
        self._raw_tried = False

    def feed(self, data: bytes) -> None:
        if self._z is None:
            self._add(data)
            return
        try:
            while data:
                self._add(self._z.decompress(data, self.cap - self._size + 1))
                data = self._z.unconsumed_tail
        except zlib.error as exc:
            if self.encoding == "deflate" and not self._raw_tried and not self._size:
                # Some servers send raw deflate despite the RFC.
                self._raw_tried = True
                self._z = zlib.decompressobj(-zlib.MAX_WBITS)
                self.feed(data)
                return
            raise FetchError(f"the {self.encoding} body is corrupt ({exc})") from None

    def finish(self) -> bytes:
        if self._z is not None:
            try:
                self._add(self._z.flush())
            except zlib.error as exc:
                raise FetchError(f"the {self.encoding} body is corrupt ({exc})") from None
        return b"".join(self._parts)

    def _add(self, data: bytes) -> None:
        if data:
            self._parts.append(data)
            self._size += len(data)
        if self._size > self.cap:
            raise FetchError(
                f"the body decompresses to over the {self.cap:,}-byte limit (a compression bomb?)"
            )
