"""A package's archived texts as Arrow buffers, and the spans its rows point at, in bulk.

A row of a package gives its evidence as character offsets into its source's
text (``text[evidence_start:evidence_end]``). Slicing a million texts in Python
costs seconds; here the texts are a few large buffers, character offsets become
byte offsets through the positions of the texts' multi-byte characters (few),
and each row's span is an Arrow string *view* into those buffers, compared with
the row's evidence by one kernel. Rows this cannot decide (offsets out of
range, a text too large) are left to the caller's exact, per-row check.
"""

from __future__ import annotations

from collections.abc import Iterator, Mapping
from typing import TYPE_CHECKING

from nkdata.spec.conditions import false_for_null

if TYPE_CHECKING:  # pragma: no cover
    import numpy as np
    import pyarrow as pa

#: Bytes a string view can address in one buffer: its offset is a signed 32-bit integer.
BUFFER_LIMIT = (1 << 31) - 1
GROUP_BYTES = 1 << 24  # texts scanned together (continuation bytes, UTF-8, spans)
_INLINE = 12  # a view holds strings this short itself


class SourceTexts(Mapping[str, str]):
    """The archived texts of a package by source id; ``texts[sid]`` decodes one.

    Each text's bytes are one data buffer of the views (no copy is kept); its
    character offsets are mapped to byte offsets through the positions of its
    UTF-8 continuation bytes, found a few MiB of texts at a time.
    """

    def __init__(self, ids: list[str], raws: list[bytes]):
        import numpy as np

        self.ids = ids
        self.position = {sid: k for k, sid in enumerate(ids)}
        self.buffers = raws
        sizes = np.array([len(r) for r in raws], dtype=np.int64)
        self.byte_start = np.concatenate([[0], np.cumsum(sizes)]).astype(np.int64)  # in the texts laid end to end
        continuation = [np.zeros(0, dtype=np.int64)]
        self._utf8: list[bool] = []
        for first, last in self._groups():
            blob = b"".join(raws[first:last])
            continuation.append(int(self.byte_start[first]) + _continuation_bytes(blob))
            self._utf8 += _valid_utf8(blob, self.byte_start[first : last + 1] - self.byte_start[first])
        cont = np.concatenate(continuation)
        # A continuation byte of the character with global index h sorts under h + 1 (see _to_bytes).
        self._keys = cont - np.arange(len(cont), dtype=np.int64)
        self.char_start = self.byte_start - np.searchsorted(cont, self.byte_start)
        self.chars = np.diff(self.char_start)
        self._decoded: dict[int, str] = {}

    def _groups(self) -> Iterator[tuple[int, int]]:
        """Texts [first, last) of about GROUP_BYTES together (or one larger text), in order."""
        import numpy as np

        first, n = 0, len(self.buffers)
        while first < n:
            last = int(np.searchsorted(self.byte_start, self.byte_start[first] + GROUP_BYTES, side="right")) - 1
            last = min(max(last, first + 1), n)
            yield first, last
            first = last

    # ------------------------------------------------------------ the Mapping of texts
    def __getitem__(self, sid: str) -> str:
        k = self.position[sid]
        if k not in self._decoded:
            self._decoded[k] = self.buffers[k].decode("utf-8")
        return self._decoded[k]

    def __iter__(self) -> Iterator[str]:
        return iter(self.ids)

    def __len__(self) -> int:
        return len(self.ids)

    def valid_utf8(self) -> list[bool]:
        """Whether each text is valid UTF-8 (checked in bulk, with Arrow)."""
        return list(self._utf8)

    # ------------------------------------------------------------ spans in bulk
    def lookup(self, source_ids: pa.ChunkedArray | pa.Array) -> np.ndarray:
        """The position of each row's text (-1: no text)."""
        import numpy as np
        import pyarrow as pa
        import pyarrow.compute as pc

        found = pc.index_in(source_ids, value_set=pa.array(self.ids, pa.string()))
        return np.asarray(found.fill_null(pa.scalar(-1, found.type)).to_numpy(zero_copy_only=False), dtype=np.int64)

    def _to_bytes(self, g: np.ndarray) -> np.ndarray:
        """Byte positions of global character indexes (the texts laid end to end)."""
        import numpy as np

        return g + np.searchsorted(self._keys, g, side="right")

    def spans(self, text: np.ndarray, start: np.ndarray, end: np.ndarray) -> tuple[np.ndarray, pa.Array]:
        """``text[start:end]`` of each row as a string view, and which rows it is exact for.

        ``text`` is :meth:`lookup`'s; rows without a text, or with offsets outside
        ``0 <= start <= end <= len(text)``, are not exact (their view is empty).
        """
        import numpy as np
        import pyarrow as pa

        n = len(text)
        exact = np.zeros(n, dtype=bool)
        views = np.zeros((n, 16), dtype=np.uint8)
        for lo, hi in self._groups():  # the rows of a group of texts at a time: a bounded amount of memory
            rows = np.flatnonzero((text >= lo) & (text < hi))
            if len(rows):
                raw = np.frombuffer(b"".join(self.buffers[lo:hi]), dtype=np.uint8)
                exact[rows] = self._views(views, rows, raw, int(self.byte_start[lo]), text[rows], start[rows], end[rows])
        array = pa.Array.from_buffers(pa.string_view(), len(text), [None, pa.py_buffer(views), *(pa.py_buffer(b) for b in self.buffers)])
        return exact, array

    def _views(self, views: np.ndarray, rows: np.ndarray, raw: np.ndarray, base: int, k: np.ndarray, start: np.ndarray, end: np.ndarray) -> np.ndarray:
        """Write the views of ``rows`` (texts ``k``, their bytes in ``raw`` from ``base``); which are exact."""
        import numpy as np

        exact: np.ndarray = (start >= 0) & (start <= end) & (end <= self.chars[k])
        first = self.char_start[k]
        y0 = self._to_bytes(np.where(exact, first + start, 0))
        size = np.where(exact, self._to_bytes(np.where(exact, first + end, 0)) - y0, 0)
        local = y0 - self.byte_start[k]  # in the row's own text
        exact &= local + size <= BUFFER_LIMIT  # a text larger than a view can address
        size = np.where(exact, size, 0)
        words = views.view(np.int32)  # length, prefix, buffer index, offset
        words[rows, 0] = size
        long = size > _INLINE
        words[rows[long], 2] = k[long]
        words[rows[long], 3] = local[long]
        for pick, width in ((long, 4), ((size > 0) & ~long, _INLINE)):  # a long string's prefix, a short one's bytes
            place = y0[pick, None] - base + np.arange(width)
            inside = np.arange(width) < size[pick, None]
            views[rows[pick], 4 : 4 + width] = np.where(inside, raw[np.where(inside, place, 0)], 0)
        return exact

    def at_offsets(self, text: np.ndarray, start: np.ndarray, end: np.ndarray, evidence: pa.Array | pa.ChunkedArray) -> np.ndarray:
        """Rows whose ``text[start:end]`` is exactly their evidence (False: not decided here)."""
        import numpy as np
        import pyarrow as pa
        import pyarrow.compute as pc

        exact, views = self.spans(text, start, end)
        same = false_for_null(pc.equal(views, pc.cast(evidence, pa.string_view())))
        result: np.ndarray = exact & np.asarray(same.to_numpy(zero_copy_only=False), dtype=bool)
        return result


def _valid_utf8(blob: bytes, offsets: np.ndarray) -> list[bool]:
    """Whether each text of ``blob`` (at ``offsets``) is valid UTF-8: in bulk, and one by one when one is not."""
    import pyarrow as pa

    n = len(offsets) - 1
    try:
        pa.Array.from_buffers(pa.large_string(), n, [None, pa.py_buffer(offsets), pa.py_buffer(blob)]).validate(full=True)
        return [True] * n
    except pa.ArrowInvalid:
        return [_decodes(memoryview(blob)[offsets[i] : offsets[i + 1]]) for i in range(n)]


def _decodes(raw: memoryview) -> bool:
    try:
        str(raw, "utf-8")
    except UnicodeDecodeError:
        return False
    return True


def _continuation_bytes(blob: bytes) -> np.ndarray:
    """Positions of UTF-8 continuation bytes (0b10xxxxxx) in ``blob``, a few MiB at a time."""
    import numpy as np

    raw = np.frombuffer(blob, dtype=np.uint8)
    step = 1 << 24
    parts = [lo + np.flatnonzero((raw[lo : lo + step] & 0xC0) == 0x80) for lo in range(0, len(raw), step)]
    return np.concatenate(parts).astype(np.int64) if parts else np.zeros(0, dtype=np.int64)


__all__ = ["BUFFER_LIMIT", "SourceTexts"]
