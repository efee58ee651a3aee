"""Walk a large JSON document member by member without loading it whole.

The AWS EC2 offer file for one region is several GB of JSON. :class:`JsonStream` reads it in chunks and
lets the caller descend into chosen objects (``products``, ``terms`` → ``OnDemand``) and decode only the
small values inside them (one product, one SKU's terms) with the C-accelerated ``json`` decoder, so
memory stays bounded by the largest single member, not by the file.
"""

from __future__ import annotations

import codecs
import json
from collections.abc import Iterator
from typing import IO, Any

from kubefleet.errors import CatalogError

_WS = " \t\r\n"
_CHUNK = 1 << 20


class JsonStream:
    """A pull reader over a binary stream of UTF-8 JSON."""

    def __init__(self, stream: IO[bytes], *, what: str, chunk_size: int = _CHUNK) -> None:
        self._stream = stream
        self._what = what
        self._chunk = chunk_size
        self._decoder = codecs.getincrementaldecoder("utf-8")()
        self._json = json.JSONDecoder()
        self._buf = ""
        self._pos = 0
        self._eof = False
        self.bytes_read = 0

    # -- buffer ------------------------------------------------------------------------------------
    def _fill(self) -> bool:
        """Read one more chunk; False at end of input."""
        if self._eof:
            return False
        raw = self._stream.read(self._chunk)
        if not raw:
            self._eof = True
            self._buf = self._buf[self._pos:] + self._decoder.decode(b"", final=True)
            self._pos = 0
            return False
        self.bytes_read += len(raw)
        self._buf = self._buf[self._pos:] + self._decoder.decode(raw)
        self._pos = 0
        return True

    def _error(self, message: str) -> CatalogError:
        return CatalogError(f"{self._what} is not the expected JSON: {message}",
                            hint="the download may have been cut short; run the refresh again")

    def _skip_ws(self) -> None:
        while True:
            while self._pos < len(self._buf) and self._buf[self._pos] in _WS:
                self._pos += 1
            if self._pos < len(self._buf) or not self._fill():
                return

    def _peek(self) -> str:
        self._skip_ws()
        if self._pos >= len(self._buf):
            raise self._error("unexpected end of input")
        return self._buf[self._pos]

    def _expect(self, char: str) -> None:
        found = self._peek()
        if found != char:
            raise self._error(f"expected {char!r}, found {found!r}")
        self._pos += 1

    # -- public ------------------------------------------------------------------------------------
    def value(self) -> Any:
        """Decode the next complete JSON value (refilling the buffer until it is whole)."""
        self._peek()
        while True:
            try:
                obj, end = self._json.raw_decode(self._buf, self._pos)
            except json.JSONDecodeError as err:
                if self._fill():
                    continue
                raise self._error(str(err)) from None
            # A number at the very end of the buffer may continue in the next chunk.
            if end == len(self._buf) and not self._eof and self._fill():
                continue
            self._pos = end
            return obj

    def members(self) -> Iterator[str]:
        """Iterate the keys of the object that starts here; the caller consumes each member's value
        (with :meth:`value`, :meth:`skip` or a nested :meth:`members`) before asking for the next key."""
        self._expect("{")
        if self._peek() == "}":
            self._pos += 1
            return
        while True:
            key = self.value()
            if not isinstance(key, str):
                raise self._error(f"object key {key!r} is not a string")
            self._expect(":")
            yield key
            sep = self._peek()
            self._pos += 1
            if sep == "}":
                return
            if sep != ",":
                raise self._error(f"expected ',' or '}}' after member {key!r}, found {sep!r}")

    def skip(self) -> None:
        """Skip the next value; objects are skipped member by member so memory stays bounded."""
        if self._peek() == "{":
            for _ in self.members():
                self.skip()
        else:
            self.value()

    def end(self) -> None:
        """Check nothing but whitespace follows the document."""
        self._skip_ws()
        if self._pos < len(self._buf):
            raise self._error(f"unexpected data after the document: {self._buf[self._pos:self._pos + 20]!r}")
