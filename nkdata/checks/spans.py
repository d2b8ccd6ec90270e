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

if TYPE_CHECKING:  # pragma: no cover
    import numpy as np
    import pyarrow as pa

#: Bytes per data buffer: a string view's offset is a signed 32-bit integer.
BUFFER_LIMIT = (1 << 31) - 1
_INLINE = 12  # a view holds strings this short itself


class SourceTexts(Mapping[str, str]):
    """The archived texts of a package (valid UTF-8) by source id; ``texts[sid]`` decodes one."""

    def __init__(self, ids: list[str], raws: list[bytes], limit: int = BUFFER_LIMIT):
        import numpy as np

        self.ids = ids
        self.position = {sid: k for k, sid in enumerate(ids)}
        sizes = np.array([len(r) for r in raws], dtype=np.int64)
        self.byte_start = np.concatenate([[0], np.cumsum(sizes)]).astype(np.int64)  # in the texts laid end to end
        self.buffers: list[bytes] = []
        self.buffer_of = np.zeros(len(raws), dtype=np.int32)
        self.buffer_base: list[int] = []
        continuation = []
        first = 0
        for last in range(len(raws) + 1):  # texts [first, last) share a buffer while it stays under the limit
            if last < len(raws) and (last == first or self.byte_start[last + 1] - self.byte_start[first] <= limit):
                continue
            if last == first:
                break  # no texts
            blob = b"".join(raws[first:last])
            base = int(self.byte_start[first])
            self.buffer_of[first:last] = len(self.buffers)
            self.buffers.append(blob)
            self.buffer_base.append(base)
            continuation.append(base + _continuation_bytes(blob))
            first = last
        cont = np.concatenate(continuation) if continuation else np.zeros(0, dtype=np.int64)
        # A continuation byte of the character with global index h sorts under h + 1 (see _to_bytes).
        self._keys = cont - np.arange(len(cont), dtype=np.int64)
        self.char_start = self.byte_start - np.searchsorted(cont, self.byte_start)
        self.chars = np.diff(self.char_start)
        self._decoded: dict[int, str] = {}

    # ------------------------------------------------------------ the Mapping of texts
    def __getitem__(self, sid: str) -> str:
        k = self.position[sid]
        if k not in self._decoded:
            blob = self.buffers[self.buffer_of[k]]
            lo = int(self.byte_start[k]) - self.buffer_base[self.buffer_of[k]]
            self._decoded[k] = str(memoryview(blob)[lo : lo + int(self.byte_start[k + 1] - self.byte_start[k])], "utf-8")
        return self._decoded[k]

    def __iter__(self) -> Iterator[str]:
        return iter(self.ids)

    def __len__(self) -> int:
        return len(self.ids)

    def valid_utf8(self) -> list[bool]:
        """Whether each text is valid UTF-8: checked in bulk (Arrow), and one by one only when one is not."""
        import numpy as np
        import pyarrow as pa

        out: list[bool] = []
        for b, blob in enumerate(self.buffers):
            mine = np.flatnonzero(self.buffer_of == b)
            offsets = self.byte_start[mine[0] : mine[-1] + 2] - self.buffer_base[b]
            try:
                pa.Array.from_buffers(pa.large_string(), len(mine), [None, pa.py_buffer(offsets), pa.py_buffer(blob)]).validate(full=True)
                out += [True] * len(mine)
            except pa.ArrowInvalid:
                out += [_decodes(memoryview(blob)[offsets[i] : offsets[i + 1]]) for i in range(len(mine))]
        return out

    # ------------------------------------------------------------ spans in bulk
    def lookup(self, source_ids: pa.ChunkedArray | pa.Array) -> np.ndarray:
        """The position of each row's text (-1: no text)."""
        import numpy as np
        import pyarrow as pa
        import pyarrow.compute as pc

        found = pc.index_in(source_ids, value_set=pa.array(np.array(self.ids, dtype=object), pa.string()))
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

        if not self.ids:
            text = np.full(len(text), -1, dtype=np.int64)
        have = text >= 0
        k = np.where(have, text, 0)
        chars = self.chars[k] if self.ids else np.zeros(len(text), np.int64)
        exact = have & (start >= 0) & (start <= end) & (end <= chars)
        first = self.char_start[k] if self.ids else np.zeros(len(text), np.int64)
        y0 = self._to_bytes(np.where(exact, first + start, 0))
        size = np.where(exact, self._to_bytes(np.where(exact, first + end, 0)) - y0, 0)
        buffer = self.buffer_of[k] if self.ids else np.zeros(len(text), np.int32)
        local = y0 - np.array(self.buffer_base, dtype=np.int64)[buffer] if self.ids else y0
        exact &= local + size <= BUFFER_LIMIT  # a single text larger than a buffer can hold
        size = np.where(exact, size, 0)
        views = np.zeros((len(text), 16), dtype=np.uint8)
        words = views.view(np.int32)  # length, prefix, buffer index, offset
        words[:, 0] = size
        data = [np.frombuffer(b, dtype=np.uint8) for b in self.buffers]
        for b, raw in enumerate(data):
            mine = buffer == b
            _fill_views(views, raw, mine & (size > _INLINE), mine & (size > 0) & (size <= _INLINE), local, size, b)
        array = pa.Array.from_buffers(pa.string_view(), len(text), [None, pa.py_buffer(views), *(pa.py_buffer(b) for b in self.buffers)])
        return exact, array

    def at_offsets(self, text: np.ndarray, start: np.ndarray, end: np.ndarray, evidence: pa.Array | pa.ChunkedArray) -> np.ndarray:
        """Rows whose ``text[start:end]`` is exactly their evidence (False: not decided here)."""
        import numpy as np
        import pyarrow as pa
        import pyarrow.compute as pc

        exact, views = self.spans(text, start, end)
        same = pc.equal(views, pc.cast(evidence, pa.string_view())).fill_null(pa.scalar(False))
        result: np.ndarray = exact & np.asarray(same.to_numpy(zero_copy_only=False), dtype=bool)
        return result


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


def _fill_views(views: np.ndarray, raw: np.ndarray, long: np.ndarray, short: np.ndarray, local: np.ndarray, size: np.ndarray, buffer: int) -> None:
    """Write the views of rows into data buffer ``buffer``: short strings inline, others by prefix and offset."""
    import numpy as np

    words = views.view(np.int32)
    rows = np.flatnonzero(long)
    if len(rows):
        views[rows, 4:8] = raw[local[rows, None] + np.arange(4)]
        words[rows, 2] = buffer
        words[rows, 3] = local[rows]
    rows = np.flatnonzero(short)
    if len(rows):
        at = local[rows, None] + np.arange(_INLINE)
        inside = np.arange(_INLINE) < size[rows, None]
        views[rows, 4:16] = np.where(inside, raw[np.where(inside, at, 0)], 0)


__all__ = ["BUFFER_LIMIT", "SourceTexts"]
