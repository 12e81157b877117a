"""Content-Encoding decoded in bounded steps, so a compression bomb cannot fill memory.

Why not httpx's decoders: they decode each network chunk in one call with no output
limit, and chain a stacked ``Content-Encoding: gzip, gzip`` the same way, so 1.8 kB of
doubly gzipped zeros became 1 GiB inside one call, before any size cap could look. Here one
coding at most is accepted (no real server stacks them; a stack is refused), and each step
yields at most ``STEP`` bytes (``zlib``'s ``max_length``), so the caller's cap fires with
memory near the cap.
"""

from __future__ import annotations

import zlib
from collections.abc import Iterator

STEP = 1 << 16  # the most bytes one decoding step produces
ACCEPTED = "gzip, deflate"  # what we ask for: what ``Decoder`` decodes


class EncodingRefused(ValueError):
    """A Content-Encoding we do not decode (stacked, or unknown)."""


class Decoder:
    """Feed raw bytes, get decoded pieces of at most ``STEP`` bytes each."""

    def __init__(self, header: str | None) -> None:
        codings = [c.strip().lower() for c in (header or "").split(",")]
        codings = [c for c in codings if c and c != "identity"]
        if len(codings) > 1:
            raise EncodingRefused(
                f"stacked Content-Encoding {header!r} refused (one coding at most)"
            )
        self.coding = codings[0] if codings else "identity"
        if self.coding not in ("identity", "gzip", "x-gzip", "deflate"):
            raise EncodingRefused(f"Content-Encoding {self.coding!r} is not supported")
        self._zlib: zlib._Decompress | None = None

    def feed(self, data: bytes) -> Iterator[bytes]:
        if self.coding == "identity":
            for start in range(0, len(data), STEP):
                yield data[start : start + STEP]
            return
        if self._zlib is None:
            self._zlib = zlib.decompressobj(self._wbits(data))
        pending, full = data, True
        # Loop until a step gives less than STEP with no input left: zlib may hold output
        # back after it consumed all the input (a long match cut at max_length).
        while pending or full:
            try:
                piece = self._zlib.decompress(pending, STEP)
            except zlib.error as exc:
                raise EncodingRefused(f"{self.coding} body does not decode: {exc}") from exc
            pending = self._zlib.unconsumed_tail
            full = len(piece) == STEP
            if piece:
                yield piece
            if self._zlib.eof:
                return  # bytes after the end of the stream are ignored, as httpx does

    def _wbits(self, first: bytes) -> int:
        if self.coding != "deflate":
            return 16 + zlib.MAX_WBITS
        # "deflate" is meant to be zlib-wrapped; some servers send raw deflate.
        zlib_header = (
            len(first) >= 2 and (first[0] & 0x0F) == 8 and ((first[0] << 8) | first[1]) % 31 == 0
        )
        return zlib.MAX_WBITS if zlib_header else -zlib.MAX_WBITS
