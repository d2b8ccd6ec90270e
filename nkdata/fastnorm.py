"""A fast :func:`nkdata.textmatch.normalise`, for the common text where it changes little.

``normalise`` applies NFKC and folds quotes and dashes character by character, in
Python. In a string that is already in NFKC form every character is its own NFKC
form, so normalising reduces to folding quotes and dashes and collapsing white
space, which ``str.translate`` and ``str.split`` do in C. Other strings go to
``normalise`` itself. ``tests/test_pkgcheck.py`` checks the two agree on random text.
"""

from __future__ import annotations

import unicodedata

from .textmatch import normalise

# The folds of textmatch (curly and prime quotes, dash variants), as a translation table.
_FOLD_TABLE = str.maketrans({**dict.fromkeys("‘’‚‛′`´", "'"), **dict.fromkeys("“”„‟″", '"'), **dict.fromkeys("‐‑‒–—―−﹘﹣－", "-")})


def fast_normalise(text: str) -> str:
    """Exactly ``textmatch.normalise(text)``, without its per-character loop when that is not needed."""
    if text.isascii():
        return " ".join(text.split()).replace("`", "'")
    if unicodedata.is_normalized("NFKC", text):
        return " ".join(text.translate(_FOLD_TABLE).split())
    return normalise(text)


__all__ = ["fast_normalise"]
