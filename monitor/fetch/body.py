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
        self.out = bytearray()
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
            self.out += data
            self._check()
            return
        try:
            while data:
                self.out += self._z.decompress(data, self.cap - len(self.out) + 1)
                self._check()
                data = self._z.unconsumed_tail
        except zlib.error as exc:
            if self.encoding == "deflate" and not self._raw_tried and not self.out:
                # Some servers send raw deflate despite the RFC.
                self._raw_tried = True
                self._z = zlib.decompressobj(-zlib.MAX_WBITS)
                self.feed(data)
                return
            raise FetchError(f"the {self.encoding} body is corrupt ({exc})") from None

    def finish(self) -> bytes:
        if self._z is not None:
            try:
                self.out += self._z.flush()
            except zlib.error as exc:
                raise FetchError(f"the {self.encoding} body is corrupt ({exc})") from None
            self._check()
        return bytes(self.out)

    def _check(self) -> None:
        if len(self.out) > self.cap:
            raise FetchError(
                f"the body decompresses to over the {self.cap:,}-byte limit (a compression bomb?)"
            )
