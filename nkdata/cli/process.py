"""The process an ``nkdata`` command runs in: what the command, owning its process, sets up there
(the library changes none of it: a program importing nkdata keeps its own allocator, pandas and
garbage-collector settings).
"""

from __future__ import annotations

import contextlib
import gc
import os
import sys
from collections.abc import Iterator
from typing import Any


@contextlib.contextmanager
def command_process() -> Iterator[None]:
    """Within: the process as a command wants it; on the way out, what is left frozen for the exit.

    The process ends through normal interpreter shutdown, which flushes stdout and
    stderr and exits with the command's code. The loader starts no native thread
    that could outlive a command and abort the interpreter at exit (see
    ``Release.arrow``; apache/arrow#34314), so no ``os._exit`` is needed to hide one.

    Once the command is done, ``gc.freeze()`` spares that shutdown a last search for reference
    cycles among everything still alive (the modules, a package's rows): 30-40 ms of a 0.7 s
    ``nkdata validate``. Nothing is left unflushed or unclosed by it; the process's memory goes
    back to the system as it exits.

    numpy's OpenBLAS starts a thread per extra core when numpy is imported, which spins for
    about 0.1 s of CPU waiting for matrix work that no command gives it (numpy comes with
    pyarrow): on a 2-core machine, a tenth of validating 100k figures. The command asks for
    none (``OPENBLAS_NUM_THREADS=1``) unless the environment says otherwise.

    Python's cyclic garbage collector runs a fraction as often (every 100,000 new containers rather
    than 700): importing pyarrow, pydantic and the models, then holding a package's rows as Python
    values, started thousands of collections, the full ones walking everything alive; 4-5 % of
    validating 100k figures (docs/benchmarks.md). Cycles are still collected, less often. The
    thresholds are restored on the way out (tests run commands inside the test process).
    """
    os.environ.setdefault("OPENBLAS_NUM_THREADS", "1")
    thresholds = gc.get_threshold()
    gc.set_threshold(100_000, 50, 100)
    try:
        yield
    finally:
        gc.freeze()
        gc.set_threshold(*thresholds)


def arrow_allocator() -> None:
    """Give this process's Arrow jemalloc where the wheel has it: validating a million-row package
    then takes less CPU and memory than with the default (mimalloc; measured in docs/benchmarks.md).
    jemalloc reserves address space generously, so under an address-space limit (``ulimit -v``)
    the default stays. The command owns its process; the library never changes the memory pool."""
    try:
        import resource
    except ImportError:  # pragma: no cover - Windows, whose pyarrow has no jemalloc
        return
    if resource.getrlimit(resource.RLIMIT_AS)[0] != resource.RLIM_INFINITY:
        return
    import pyarrow as pa

    try:
        pa.set_memory_pool(pa.jemalloc_memory_pool())
        pa.jemalloc_set_decay_ms(100)  # hand freed pages back soon: batches come and go by the hundred
    except NotImplementedError:  # pragma: no cover - a pyarrow built without jemalloc
        pass


@contextlib.contextmanager
def without_pandas() -> Iterator[None]:
    """Within: ``import pandas`` fails, unless pandas is imported already.

    pyarrow imports pandas (about 0.15-0.25 s of CPU: a fifth of validating 100k figures, a sixth of
    building the release) the first time a Python value becomes an Arrow value, typed or not, only to
    recognise pandas' own objects (``pd.NA``, ``Timestamp``), which validate, build and release never
    hand it; told pandas is absent, it converts as it does where pandas is not installed, and tries
    again next time. Nothing those commands run imports pandas itself (``nkdata show`` does, outside).
    Afterwards ``import pandas`` works as before.
    """
    if "pandas" in sys.modules:
        yield
        return
    hook = _NoPandas()
    sys.meta_path.insert(0, hook)
    try:
        yield
    finally:
        sys.meta_path.remove(hook)


class _NoPandas:
    """An import hook under which ``import pandas`` fails (see :func:`without_pandas`); a meta path
    finder needs only ``find_spec`` (subclassing ``importlib.abc.MetaPathFinder`` would import 8 ms of
    ``importlib.resources`` for nothing)."""

    def find_spec(self, fullname: str, path: Any, target: Any = None) -> None:
        if fullname == "pandas":
            raise ImportError("this nkdata command does not import pandas", name=fullname)


__all__ = ["arrow_allocator", "command_process", "without_pandas"]
