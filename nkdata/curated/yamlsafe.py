"""Reading curated YAML safely, keeping the line and column of every value.

Safe means: only the plain YAML types (no ``!!python`` or custom tags), a size
cap per file, a cap on how many nodes alias expansion may produce (so a
"billion laughs" file fails fast instead of exhausting memory), and duplicate
keys are errors rather than silently overwritten. Dates stay strings here;
the models parse them, so an impossible date is reported as a date problem.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import yaml

from nkdata.curated.safeopen import NotInside, TooLarge, read_inside
from nkdata.problems import Problem

try:  # the C composer is ~10x faster; fall back to pure Python where it is missing
    from yaml import CSafeLoader as _Loader

    _OFFSET_IN_BYTES = True  # libyaml counts a ReaderError's position in UTF-8 bytes, PyYAML in characters
except ImportError:  # pragma: no cover
    from yaml import SafeLoader as _Loader  # type: ignore[assignment]

    _OFFSET_IN_BYTES = False

MAX_BYTES = 10 * 1024 * 1024
MAX_NODES = 1_000_000
MAX_DEPTH = 64  # curated records nest 4 levels deep; this keeps recursion far from Python's limit
MAX_INT_DIGITS = 19  # the int64 range of the Parquet columns; counted before int() (which refuses > 4,300 digits with a traceback)
_INT64 = 2**63
DEEP_HINT = "curated records are flat mappings of fields and short lists"

_STR = "tag:yaml.org,2002:str"
_SCALAR_TAGS = {
    _STR,
    "tag:yaml.org,2002:int",
    "tag:yaml.org,2002:float",
    "tag:yaml.org,2002:bool",
    "tag:yaml.org,2002:null",
    "tag:yaml.org,2002:timestamp",
}
_INT = "tag:yaml.org,2002:int"
_SEQ = "tag:yaml.org,2002:seq"
_MAP = "tag:yaml.org,2002:map"

Path_ = tuple[Any, ...]


@dataclass
class YamlDoc:
    """A parsed file: plain Python data plus where each value (by path) starts."""

    path: str
    data: Any
    marks: dict[Path_, tuple[int, int]] = field(default_factory=dict)

    def where(self, *path: Any) -> tuple[int | None, int | None]:
        """Line and column (1-based) of the deepest known prefix of ``path``."""
        p: Path_ = tuple(path)
        while p:
            if p in self.marks:
                return self.marks[p]
            p = p[:-1]
        return self.marks.get((), (None, None))


class YamlProblem(Exception):
    """A file that cannot be read as safe curated YAML."""

    def __init__(self, code: str, message: str, line: int | None, col: int | None, hint: str):
        super().__init__(message)
        self.code, self.message, self.line, self.col, self.hint = code, message, line, col, hint


def _mark(node: yaml.Node) -> tuple[int, int]:
    return node.start_mark.line + 1, node.start_mark.column + 1


def _check_expansion(root: yaml.Node) -> None:
    """Refuse, before building anything, a graph whose alias expansion is too big, too deep or recursive.

    Aliases make the composed graph a DAG (or, with ``&a [*a]``, a cycle); sizes are
    memoised per node, so a "billion laughs" costs as much as its few distinct nodes.
    """
    sizes: dict[int, tuple[int, int]] = {}  # id(node) -> (values it expands to, height)
    active: set[int] = set()

    def too_deep(node: yaml.Node) -> YamlProblem:
        return YamlProblem("Y104", f"values nested more than {MAX_DEPTH} levels deep", *_mark(node), DEEP_HINT)

    def visit(node: yaml.Node, depth: int) -> int:
        if depth > MAX_DEPTH:
            raise too_deep(node)
        key = id(node)
        if key in sizes:
            size, height = sizes[key]
            if depth + height > MAX_DEPTH:
                raise too_deep(node)
            return size
        if key in active:
            raise YamlProblem(
                "Y102",
                "an alias refers to a value that contains it (infinite expansion)",
                *_mark(node),
                "do not use anchors (&) and aliases (*); write records out",
            )
        active.add(key)
        size, height = 1, 0
        if isinstance(node, yaml.SequenceNode):
            children = list(node.value)
        elif isinstance(node, yaml.MappingNode):
            children = [n for pair in node.value for n in pair]
        else:
            children = []
        for child in children:
            size += visit(child, depth + 1)
            height = max(height, sizes[id(child)][1] + 1)
            if size > MAX_NODES:
                raise YamlProblem(
                    "Y102",
                    f"alias expansion produces more than {MAX_NODES:,} values",
                    *_mark(node),
                    "do not use anchors (&) and aliases (*) to repeat data; write records out",
                )
        active.discard(key)
        sizes[key] = (size, height)
        return size

    visit(root, 0)


# Numbers as a curator means them: decimal digits. YAML 1.1 also reads 0x5DC, 0o17, 017 (octal: 15),
# 1_500 and 25:00 (base 60: 1500) as numbers; those stay text, which the models refuse for a number
# ("write the number as digits") and keep as written for a text field.
_PLAIN_INT = re.compile(r"[-+]?(0|[1-9][0-9]*)")
_PLAIN_FLOAT = re.compile(r"[-+]?([0-9]+\.[0-9]*|\.[0-9]+)([eE][-+]?[0-9]+)?|[-+]?\.(inf|Inf|INF)|\.(nan|NaN|NAN)")


# Booleans likewise: YAML 1.1 also reads yes/no/on/off as true/false, so Norway's country code NO, the
# language code no or a title "Yes" became a boolean, refused as "not a valid string". They stay text: a
# text field keeps them as written, and a true/false field still takes yes/no/on/off (the models read them).
_PLAIN_BOOLS = frozenset({"true", "True", "TRUE", "false", "False", "FALSE"})


def _plain_value(node: yaml.ScalarNode) -> bool:
    """Whether an int, float or bool scalar is spelled as a curator means it (every other scalar: True)."""
    if node.tag == _INT:
        return _PLAIN_INT.fullmatch(node.value) is not None
    if node.tag == "tag:yaml.org,2002:float":
        return _PLAIN_FLOAT.fullmatch(node.value) is not None
    if node.tag == "tag:yaml.org,2002:bool":
        return node.value in _PLAIN_BOOLS
    return True


def _construct_int(loader: Any, node: yaml.ScalarNode) -> Any:
    """A decimal YAML integer, refused as Y107 outside the int64 range.

    The digits are counted first: Python refuses to convert more than 4,300 (a ValueError), and
    converting a long string costs quadratic time.
    """
    digits = len(node.value.lstrip("+-"))
    value = loader.construct_object(node) if digits <= MAX_INT_DIGITS else None
    if value is None or not -_INT64 <= value < _INT64:
        shown = node.value if len(node.value) <= 30 else f"{node.value[:12]}...{node.value[-6:]} ({len(node.value):,} characters)"
        message = f"value too large: the integer {shown} is outside the 64-bit range the tables hold"
        raise YamlProblem("Y107", message, *_mark(node), f"write at most {MAX_INT_DIGITS} digits; a quantity this large is a typo")
    return value


class _Redo(Exception):
    """A quick build met a limit or a problem: redo it the careful way, which reports it exactly."""


class _Builder:
    def __init__(self, quick: bool = False) -> None:
        self.quick = quick  # the document has no anchors or aliases: a tree, checked while it is built
        self.nodes = 0
        self.marks: dict[Path_, tuple[int, int]] = {}
        self._scalars: Any = _Loader("")  # used only for its resolver and scalar constructors (untyped)

    def _fits(self, node: yaml.ScalarNode) -> bool:
        """Whether a scalar's tag is the one its value has untagged: ``!!bool abc`` or ``!!null 4000`` is
        refused here, not turned into a traceback (no boolean ``abc``) or a silent null."""
        return bool(self._scalars.resolve(yaml.ScalarNode, node.value, (True, False)) == node.tag)

    def build(self, node: yaml.Node, path: Path_) -> Any:
        self.nodes += 1
        if self.quick and (self.nodes > MAX_NODES or len(path) > MAX_DEPTH):
            raise _Redo
        if self.nodes > MAX_NODES:
            line, col = _mark(node)
            raise YamlProblem(
                "Y102",
                f"alias expansion produces more than {MAX_NODES:,} values",
                line,
                col,
                "do not use anchors (&) and aliases (*) to repeat data; write records out",
            )
        self.marks.setdefault(path, _mark(node))
        if isinstance(node, yaml.ScalarNode):
            if node.tag not in _SCALAR_TAGS:
                raise YamlProblem("Y101", f"tag {node.tag!r} is not allowed", *_mark(node), "remove the tag; write a plain value")
            if node.tag != _STR and not self._fits(node):
                message = f"tag {node.tag!r} does not fit the value {node.value[:60]!r}"
                raise YamlProblem("Y101", message, *_mark(node), "remove the tag; write a plain value")
            if node.tag in (_STR, "tag:yaml.org,2002:timestamp") or not _plain_value(node):
                return node.value
            if node.tag == _INT:
                return _construct_int(self._scalars, node)
            return self._scalars.construct_object(node)
        if isinstance(node, yaml.SequenceNode):
            if node.tag != _SEQ:
                raise YamlProblem("Y101", f"tag {node.tag!r} is not allowed", *_mark(node), "remove the tag")
            return [self.build(child, path + (i,)) for i, child in enumerate(node.value)]
        if isinstance(node, yaml.MappingNode):
            if node.tag != _MAP:
                raise YamlProblem("Y101", f"tag {node.tag!r} is not allowed", *_mark(node), "remove the tag")
            out: dict[str, Any] = {}
            for key_node, value_node in node.value:
                if not isinstance(key_node, yaml.ScalarNode) or key_node.tag != _STR:
                    raise YamlProblem(
                        "Y101",
                        "keys must be plain names (no merge keys <<, complex, number, date, null or true/false keys)",
                        *_mark(key_node),
                        "write each field out as name: value",
                    )
                key = str(self.build(key_node, path + ("<key>",)))
                if key in out:
                    raise YamlProblem("Y105", f"key {key!r} appears twice in one mapping", *_mark(key_node), "keep one of them")
                self.marks[path + (key,)] = _mark(key_node)
                out[key] = self.build(value_node, path + (key,))
            return out
        raise YamlProblem("Y101", "unsupported YAML node", *_mark(node), "")  # pragma: no cover


_LINE_BREAK = re.compile(r"\r\n|[\r\n\x85\u2028\u2029]")  # YAML 1.1's, as its marks count lines (EditorLines turns them into an editor's)


def _bad_character(raw: bytes, text: str, exc: yaml.reader.ReaderError) -> YamlProblem:
    """Y100 at the line and column of a character YAML refuses (a NUL, DEL, ...): invisible in most
    editors, so a message without its place left the curator searching the whole file."""
    before = raw[: exc.position].decode("utf-8", "replace") if _OFFSET_IN_BYTES else text[: exc.position]
    lines = _LINE_BREAK.split(before)
    message = f"the control character U+{exc.character:04X} is not allowed in YAML"
    hint = "delete it (editors often do not show it); a file full of U+0000 is UTF-16: save it as UTF-8"
    return YamlProblem("Y100", message, len(lines), len(lines[-1]) + 1, hint)


def read_yaml(path: Path, display: str | None = None, root: Path | None = None) -> YamlDoc:
    """Parse one curated YAML file; raise :class:`YamlProblem` with its location.

    The file must resolve inside ``root`` (default: its own folder) and be a regular file.
    Lines and columns are an editor's: see :class:`EditorLines`.
    """
    raw = _read_bytes(path, root if root is not None else path.parent)
    try:
        text = raw.decode("utf-8")
    except UnicodeDecodeError as exc:
        raise YamlProblem("Y100", f"not valid UTF-8 at byte {exc.start}", None, None, "save the file as UTF-8") from None
    lines = EditorLines(text) if any(c in text for c in YAML_ONLY_BREAKS) else None
    try:
        data, marks = _parse(raw, text)
    except YamlProblem as exc:
        if lines is not None and exc.line is not None and exc.col is not None:
            exc.line, exc.col = lines.fix(exc.line, exc.col)
        raise
    if lines is not None:
        marks = {p: lines.fix(*mark) for p, mark in marks.items()}
    return YamlDoc(display or str(path), data, marks)


def _read_bytes(path: Path, root: Path) -> bytes:
    try:
        return read_inside(path, root, MAX_BYTES)
    except NotInside as exc:
        hint = "keep curated files as plain files inside the project, not symlinks or devices"
        raise YamlProblem("Y106", f"not read: the file {exc}", None, None, hint) from None
    except TooLarge as exc:
        raise YamlProblem("Y103", f"file is {exc}; the limit is {MAX_BYTES:,}", None, None, "split the records over several source files") from None
    except OSError as exc:
        raise YamlProblem("Y100", f"cannot read: {exc.strerror}", None, None, "check the file exists and is readable") from None


def _parse(raw: bytes, text: str) -> tuple[Any, dict[Path_, tuple[int, int]]]:
    """The file's data and where each value starts, as YAML counts lines; YamlProblem if it is not safe curated YAML."""
    try:
        node = yaml.compose(text, Loader=_Loader)
    except yaml.MarkedYAMLError as exc:
        mark = exc.problem_mark or exc.context_mark
        line, col = (mark.line + 1, mark.column + 1) if mark else (None, None)
        msg = " ".join(x for x in (exc.context, exc.problem) if x)
        if "maximum nesting depth" in msg:  # the parser's own limit (libyaml: 1,000 levels), far past ours
            raise YamlProblem("Y104", f"values nested more than {MAX_DEPTH} levels deep", line, col, DEEP_HINT) from None
        raise YamlProblem("Y100", msg or "invalid YAML", line, col, "check indentation, colons and quoting near this line") from None
    except yaml.reader.ReaderError as exc:
        raise _bad_character(raw, text, exc) from None
    except yaml.YAMLError as exc:
        raise YamlProblem("Y100", str(exc).splitlines()[0], None, None, "check the file's YAML syntax") from None
    if node is None:
        return None, {(): (1, 1)}
    if b"&" not in raw and b"*" not in raw:
        # No anchor or alias can be written without '&' or '*': the document is a tree, and
        # building it walks every node once, so the depth and size limits are checked on the way
        # instead of in a pass of their own. Anything unusual is redone the careful way below.
        try:
            quick = _Builder(quick=True)
            return quick.build(node, ()), quick.marks
        except (_Redo, YamlProblem):
            pass
    _check_expansion(node)
    builder = _Builder()
    return builder.build(node, ()), builder.marks


#: Line breaks to YAML 1.1 that editors, git, grep and GitHub show as characters within a line:
#: NEL, LINE SEPARATOR and PARAGRAPH SEPARATOR (text copied from a web page or a PDF can hold them).
YAML_ONLY_BREAKS = ("\x85", "\u2028", "\u2029")
_EDITOR_BREAK = re.compile(r"\r\n|[\r\n]")


class EditorLines:
    """Where YAML says a thing is (its lines end at NEL, LS and PS too), said as an editor counts.

    Without this, every problem after such a character in a file was reported a line too low per
    character, at a column counted from it.
    """

    def __init__(self, text: str):
        import bisect

        real = [0] + [m.end() for m in _EDITOR_BREAK.finditer(text)]
        starts = [0] + [m.end() for m in _LINE_BREAK.finditer(text)]  # of the lines YAML counts
        at = [bisect.bisect_right(real, s) - 1 for s in starts]
        self._lines = [(k + 1, s - real[k]) for k, s in zip(at, starts, strict=True)]  # editor's line, and column offset

    def fix(self, line: int, col: int) -> tuple[int, int]:
        """(line, column) as an editor shows them for YAML's 1-based ``line`` and ``col``."""
        if not 1 <= line <= len(self._lines):
            return line, col
        real, offset = self._lines[line - 1]
        return real, col + offset


def structure_problem(path: str, line: int | None, col: int | None, field: str | None, message: str, hint: str) -> Problem:
    """Y104: a curated file whose layout is not what nkdata expects (sections, lists of records, mappings)."""
    return Problem(path, line, col, "Y104", None, field, message, hint)
