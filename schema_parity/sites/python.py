"""Finding upserts in Python source: SQL written as string literals, f-strings and formatted strings.

Every string expression of a module is examined, wherever it sits (``execute`` arguments, ``text(...)``, module and
class constants, ``executescript`` scripts), except docstrings. A string expression is a literal (implicit
concatenation included), an f-string, a ``+`` chain with at least one literal, ``literal % args`` or
``literal.format(...)``. Parts that are not literal text are *holes*: a hole naming a module-level string constant,
or a literal argument of ``%``/``.format``, is filled with its value; any other hole is replaced by ``?`` when it
sits where a value goes, and makes the site unresolved when it names a table, a column or the conflict target.

Sites are located at the statement's first token inside the literal, mapped back through the literal's source text
(prefixes, escapes, line continuations and implicit concatenation included); columns count characters, 1-based.
"""

from __future__ import annotations

import ast
import io
import re
import sys
import tokenize
import unicodedata
import warnings
from bisect import bisect_left, bisect_right
from collections import Counter
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, TypeGuard

from schema_parity.rules import rule_for
from schema_parity.rules.undecided import reason
from schema_parity.sites import Origin, ScanProblem, Site
from schema_parity.sites.sqlalchemy import Project, module_name, sqlalchemy_sites
from schema_parity.wrappers import Wrapper

if TYPE_CHECKING:
    from schema_parity.sites.sql import Statement

_MARK = "__schema_parity_hole_{}__"
_MARK_RE = re.compile(r"__schema_parity_hole_(\d+)__")
_PREFIX = re.compile(r"([rRbBuUfF]{0,2})('''|\"\"\"|'|\")")
_SIMPLE_ESCAPES = {
    "\n": "",
    "\\": "\\",
    "'": "'",
    '"': '"',
    "a": "\a",
    "b": "\b",
    "f": "\f",
    "n": "\n",
    "r": "\r",
    "t": "\t",
    "v": "\v",
}
_PLAIN_RUN = re.compile(r"[^\\{}'\"]+")
_CODE_ESCAPE = re.compile(r"[0-7]{1,3}|x[0-9a-fA-F]{2}|u[0-9a-fA-F]{4}|U[0-9a-fA-F]{8}|N\{[^}]*\}")
_PERCENT_SPEC = re.compile(r"%(?:\((?P<key>[^)]*)\))?[#0 +-]*(?:\*|\d+)?(?:\.(?:\*|\d+))?[hlL]?(?P<conv>[a-zA-Z%])")
_FIELD_NAME = re.compile(r"[^.\[!:]*")
#: Words after which a hole is a name, not a value.
_NAME_AFTER = frozenset({"INTO", "TABLE", "FROM", "JOIN", "UPDATE", "AS", "CONSTRAINT", "ONLY", "USING", "WITH"})


@dataclass(frozen=True)
class _Lit:
    """Literal text; ``offsets`` gives each character's source offset when known, else ``anchor`` stands for all."""

    text: str
    offsets: tuple[int, ...] | None
    anchor: int

    def part(self, start: int, end: int, text: str | None = None) -> _Lit:
        """The characters ``start:end``, or ``text`` standing for them (an escape such as ``{{`` or ``%%``)."""
        offsets = self.offsets[start:end] if self.offsets is not None else None
        anchor = offsets[0] if offsets else self.anchor
        if text is None:
            return _Lit(self.text[start:end], offsets, anchor)
        return _Lit(text, None if offsets is None else (anchor,) * len(text), anchor)


@dataclass(frozen=True)
class _Hole:
    """A part of the string computed at run time; ``label`` is the expression as written."""

    label: str
    anchor: int


_Piece = _Lit | _Hole


def sites_from_python(
    source: str, path: str, *, project: Project | None = None, wrappers: Sequence[Wrapper] = ()
) -> tuple[list[Site], list[ScanProblem]]:
    """Every upsert written as a string, built with SQLAlchemy or made by a wrapper call in a Python module, and a
    problem if the module does not parse.

    Sites in an Alembic revision script (module-level ``revision`` and ``down_revision``) get ``revision`` set, so
    they are judged against the schema at that revision; string sites there get ``origin="migration"``. ``project``
    (the scanned tree) lets tables and models defined in other modules be found; without it only this module is seen.
    """
    try:
        return _sites_from_python(source, path, project=project, wrappers=wrappers)
    except RecursionError:  # ast.parse (or walking its tree) of an expression thousands of levels deep
        return [], [ScanProblem(path, 0, rule_for("SP903").text("nested-too-deeply"))]


def _sites_from_python(
    source: str, path: str, *, project: Project | None, wrappers: Sequence[Wrapper]
) -> tuple[list[Site], list[ScanProblem]]:
    source = source.replace("\r\n", "\n").replace("\r", "\n")
    try:
        with warnings.catch_warnings():  # the user's invalid escapes and the like are not ours to report
            warnings.simplefilter("ignore")
            tree = ast.parse(source, filename=path)
    except (SyntaxError, ValueError) as exc:
        line = getattr(exc, "lineno", None) or 1
        message = getattr(exc, "msg", None) or str(exc)
        newer = newer_syntax(source)
        if newer is None and sys.version_info < (3, 12) and message.startswith("f-string"):
            # PEP 701 (3.12): quotes, backslashes and comments inside an f-string's braces; kept as written, so the
            # parse below fails again and the problem names the Python that reads the file
            newer = (source, "3.12")
        if newer is None:
            return [], [ScanProblem(path, line, rule_for("SP903").text("not-python", error=message))]
        readable, needed = newer
        try:
            with warnings.catch_warnings():
                warnings.simplefilter("ignore")
                tree = ast.parse(readable, filename=path)
        except (SyntaxError, ValueError):
            running = f"{sys.version_info.major}.{sys.version_info.minor}"
            return [], [
                ScanProblem(
                    path, line, rule_for("SP903").text("newer-python", needed=needed, running=running, error=message)
                )
            ]
        source = readable  # same lines and columns: only the newer syntax is blanked out
    module = _Module(source, path, tree)
    sites = module.sites()
    if "on_conflict_do" in source or any(wrapper.short_name in source for wrapper in wrappers):
        project = project or Project(Path("."), [])
        info = project.add(module_name(Path(path), Path(".")), tree)
        sites += sqlalchemy_sites(tree, source, path, module=info, revision=module.revision, wrappers=wrappers)
        sites.sort(key=lambda site: (site.line, site.column))
    return sites, []


def newer_syntax(source: str) -> tuple[str, str] | None:
    """``source`` with the syntax of newer Pythons that does not change what an upsert is blanked out, keeping every
    line and column (``type X = ...`` aliases and ``def f[T]``/``class C[T]`` type parameters of Python 3.12), and
    the Python version the file needs (3.14 for template strings ``t"..."``, which are not blanked); None when no
    such syntax is found (the file is simply not valid Python)."""
    try:
        tokens = list(tokenize.generate_tokens(io.StringIO(source).readline))
    except (tokenize.TokenError, SyntaxError, IndentationError):
        return None
    lines = source.split("\n")
    found = False
    starts = {tokenize.NEWLINE, tokenize.NL, tokenize.INDENT, tokenize.DEDENT}

    def blank(start: tuple[int, int], end: tuple[int, int], fill: str = " ") -> None:
        if start[0] != end[0]:
            return
        text = lines[start[0] - 1]
        lines[start[0] - 1] = text[: start[1]] + fill * (end[1] - start[1]) + text[end[1] :]

    def brackets(index: int) -> int | None:
        """The index of the ``]`` closing the ``[`` at ``index``."""
        depth = 0
        for position in range(index, len(tokens)):
            if tokens[position].string in "([{" and tokens[position].type == tokenize.OP:
                depth += 1
            elif tokens[position].string in ")]}" and tokens[position].type == tokenize.OP:
                depth -= 1
                if depth == 0:
                    return position
        return None

    needed = "3.12"
    for index, token in enumerate(tokens[:-2]):
        name, after = tokens[index + 1], tokens[index + 2]
        if token.type == tokenize.NAME and token.string.lower() in _TEMPLATE_PREFIXES and name.start == token.end:
            if name.type == tokenize.STRING:  # ``t"..."``: a template string (Python 3.14), not blanked
                needed, found = "3.14", True
            continue
        first = index == 0 or tokens[index - 1].type in starts
        if token.type != tokenize.NAME or name.type != tokenize.NAME:
            continue
        if token.string == "type" and first and after.string in ("=", "["):
            blank(token.start, name.start, "_")  # ``type X = ...`` → ``_____X = ...``: an assignment
            found = True
        elif token.string in ("def", "class") and after.string == "[":
            close = brackets(index + 2)
            if close is None:
                return None
            blank(after.start, tokens[close].end)
            found = True
        else:
            continue
        if token.string == "type" and after.string == "[":
            close = brackets(index + 2)
            if close is not None:
                blank(after.start, tokens[close].end)
    return ("\n".join(lines), needed) if found else None


_TEMPLATE_PREFIXES = frozenset({"t", "tr", "rt"})


def alembic_revision(tree: ast.Module) -> str | None:
    """The revision id of an Alembic revision script (``revision = "..."`` beside ``down_revision``), else None."""
    values: dict[str, ast.expr | None] = {}
    value: ast.expr | None
    for statement in tree.body:
        if isinstance(statement, ast.Assign) and len(statement.targets) == 1:
            target, value = statement.targets[0], statement.value
        elif isinstance(statement, ast.AnnAssign):
            target, value = statement.target, statement.value
        else:
            continue
        if isinstance(target, ast.Name):
            values[target.id] = value
    revision = values.get("revision")
    if "down_revision" in values and isinstance(revision, ast.Constant) and isinstance(revision.value, str):
        return revision.value
    return None


class _LineIndex:
    """Turns offsets in a text into 1-based (line, column) pairs; columns count characters."""

    def __init__(self, text: str) -> None:
        self._starts = [0] + [match.end() for match in re.finditer("\n", text)]

    def position(self, offset: int) -> tuple[int, int]:
        line = bisect_right(self._starts, offset)
        return line, offset - self._starts[line - 1] + 1


class _Module:
    """One parsed module: its text geometry, its string constants, and the walk that finds sites."""

    def __init__(self, source: str, path: str, tree: ast.Module) -> None:
        self.source = source
        self.path = path
        self.tree = tree
        self.lines = _LineIndex(source)
        self.line_starts = [0] + [match.end() for match in re.finditer("\n", source)]
        self.line_texts = source.split("\n")
        self.constants = _module_constants(tree)
        self.revision = alembic_revision(tree)
        self.origin: Origin = "migration" if self.revision else "python-string"
        self.hot_lines = self._hot_lines()
        #: ids of nodes not to examine on their own: docstrings, and parts of a larger string expression
        self.consumed: set[int] = set()

    def sites(self) -> list[Site]:
        sites: list[Site] = []
        stack: list[ast.AST] = [self.tree]
        while stack:
            node = stack.pop()
            if not self._hot(node):
                continue
            if isinstance(node, (ast.Module, ast.ClassDef, ast.FunctionDef, ast.AsyncFunctionDef)):
                self.consumed.update(id(docstring) for docstring in _docstring(node))
            elif isinstance(node, ast.Call) and (pattern := _regex_pattern(node)) is not None:
                self.consumed.update(id(part) for part in ast.walk(pattern))
            elif id(node) not in self.consumed and _may_be_upsert(node):
                pieces = self._pieces(node)
                if pieces is not None:
                    sites.extend(self._sites_in(pieces))
            stack.extend(reversed(list(ast.iter_child_nodes(node))))
        return sorted(sites, key=lambda site: (site.line, site.column))

    def _hot_lines(self) -> list[int]:
        """Lines that mention ``conflict``, or a module constant whose value does: only they can hold a site."""
        found = {self.lines.position(match.start())[0] for match in re.finditer("(?i)conflict", self.source)}
        names = [name for name, value in self.constants.items() if "conflict" in value.lower()]
        if names:
            uses = re.finditer(r"\b(?:{})\b".format("|".join(map(re.escape, names))), self.source)
            found.update(self.lines.position(match.start())[0] for match in uses)
        return sorted(found)

    def _hot(self, node: ast.AST) -> bool:
        """Whether ``node`` spans a hot line; walking only those keeps big modules cheap."""
        first = getattr(node, "lineno", None)
        if first is None:
            return True
        decorators = getattr(node, "decorator_list", ())  # they sit above the node's own first line
        first = min([first, *(decorator.lineno for decorator in decorators)])
        index = bisect_left(self.hot_lines, first)
        return index < len(self.hot_lines) and self.hot_lines[index] <= (node.end_lineno or first)  # type: ignore[attr-defined]

    # -- source geometry ------------------------------------------------------------------------------------------
    def _offset(self, line: int, byte_column: int) -> int:
        text = self.line_texts[line - 1].encode()[:byte_column].decode(errors="replace")
        return self.line_starts[line - 1] + len(text)

    def _start(self, node: ast.AST) -> int:
        return self._offset(node.lineno, node.col_offset)  # type: ignore[attr-defined]

    def _label(self, node: ast.AST) -> str:
        """The expression as written (``ast.get_source_segment`` re-splits the whole module on every call)."""
        end = self._offset(node.end_lineno or 0, node.end_col_offset or 0)  # type: ignore[attr-defined]
        return self.source[self._start(node) : end] or ast.unparse(node)

    # -- string expressions ---------------------------------------------------------------------------------------
    def _pieces(self, node: ast.expr) -> list[_Piece] | None:
        """The parts of a string expression, or None if ``node`` is not one; its nodes are not visited again."""
        pieces = self._parts(node)
        if pieces is not None:
            self.consumed.add(id(node))
        return pieces

    def _parts(self, node: ast.expr) -> list[_Piece] | None:
        if isinstance(node, ast.Constant):
            return [self._literal(node, node.value)] if isinstance(node.value, str) else None
        if isinstance(node, ast.JoinedStr):
            return self._fstring(node)
        if isinstance(node, ast.BinOp) and isinstance(node.op, ast.Add):
            operands = _flatten_add(node)
            parts = [self._pieces(operand) for operand in operands]
            if all(part is None for part in parts):
                return None
            self.consumed.update(id(item) for item in ast.walk(node) if isinstance(item, ast.BinOp))  # inner chains
            pieces: list[_Piece] = []
            for operand, part in zip(operands, parts, strict=True):
                pieces.extend(part if part is not None else [self._hole(operand)])
            return pieces
        if isinstance(node, ast.BinOp) and isinstance(node.op, ast.Mod):
            left = self._pieces(node.left)
            if left is None:
                return None
            return self._percent(left, node.right)
        if (
            isinstance(node, ast.Call)
            and isinstance(node.func, ast.Attribute)
            and node.func.attr == "format"
            and (template := self._pieces(node.func.value)) is not None
        ):
            return self._format(template, node)
        return None

    def _literal(self, node: ast.Constant, text: str) -> _Lit:
        start = self._start(node)
        items = _scan_literal(self.source, start, self._offset(node.end_lineno or 0, node.end_col_offset or 0))
        if (
            items is not None
            and all(char is not None for char, _ in items)
            and "".join(char or "" for char, _ in items) == text
        ):
            return _Lit(text, tuple(offset for char, offset in items for _ in char or ""), start)
        return _Lit(text, None, start)

    def _fstring(self, node: ast.JoinedStr) -> list[_Piece]:
        start = self._start(node)
        items = _scan_literal(self.source, start, self._offset(node.end_lineno or 0, node.end_col_offset or 0)) or []
        runs: list[str | None] = []  # literal runs and None for each replacement field, as the AST has them
        offsets: list[list[int]] = []
        for char, offset in items:
            if char is None:
                runs.append(None)
                offsets.append([offset])
            elif runs and runs[-1] is not None:
                runs[-1] += char
                offsets[-1].extend([offset] * len(char))
            else:
                runs.append(char)
                offsets.append([offset] * len(char))
        self.consumed.update(id(value) for value in node.values)
        expected = [value.value if isinstance(value, ast.Constant) else None for value in node.values]
        mapped = runs == expected
        pieces: list[_Piece] = []
        for index, value in enumerate(node.values):
            anchor = offsets[index][0] if mapped else start
            if isinstance(value, ast.Constant) and isinstance(value.value, str):  # an f-string's literal text
                pieces.append(_Lit(value.value, tuple(offsets[index]) if mapped else None, anchor))
            elif isinstance(value, ast.FormattedValue):
                plain = value.conversion == -1 and value.format_spec is None
                pieces.append(self._hole(value.value, anchor, resolve=plain))
        return pieces

    def _hole(self, node: ast.expr, anchor: int | None = None, *, resolve: bool = True) -> _Piece:
        anchor = self._start(node) if anchor is None else anchor
        value = self._constant(node) if resolve else None
        if value is not None:
            return _Lit(value, None, anchor)
        return _Hole(self._label(node), anchor)

    def _constant(self, node: ast.expr) -> str | None:
        if isinstance(node, ast.Constant) and isinstance(node.value, (str, int)) and not isinstance(node.value, bool):
            return str(node.value)
        if isinstance(node, ast.Name):
            return self.constants.get(node.id)
        return None

    def _percent(self, template: list[_Piece], args: ast.expr) -> list[_Piece]:
        """``template % args``: each conversion is a hole filled by the matching argument."""
        positional = args.elts if isinstance(args, ast.Tuple) else [args]
        keyed: dict[object, ast.expr] = {}
        if isinstance(args, ast.Dict):
            keyed = {
                key.value: value
                for key, value in zip(args.keys, args.values, strict=True)
                if isinstance(key, ast.Constant)
            }
        label = self._label(args)
        count = 0
        pieces: list[_Piece] = []
        for piece in template:
            if isinstance(piece, _Hole):
                pieces.append(piece)
                continue
            done = 0
            for spec in _PERCENT_SPEC.finditer(piece.text):
                pieces.append(piece.part(done, spec.start()))
                done = spec.end()
                if spec["conv"] == "%":
                    pieces.append(piece.part(spec.start(), spec.end(), "%"))
                    continue
                key = spec["key"]
                if key is not None:
                    arg = keyed.get(key)
                    name = f"{label}[{key!r}]"
                else:
                    arg = positional[count] if count < len(positional) else None
                    name = f"{label}[{count}]" if isinstance(args, ast.Tuple) else label
                    count += 1
                anchor = piece.part(spec.start(), spec.end()).anchor
                value = self._constant(arg) if arg is not None and spec["conv"] in "sd" else None
                if value is not None:
                    pieces.append(_Lit(value, None, anchor))
                else:
                    pieces.append(_Hole(self._label(arg) if arg is not None else name, anchor))
            pieces.append(piece.part(done, len(piece.text)))
        return pieces

    def _format(self, template: list[_Piece], call: ast.Call) -> list[_Piece]:
        """``template.format(...)``: each replacement field is a hole filled by the matching argument."""
        keywords = {keyword.arg: keyword.value for keyword in call.keywords if keyword.arg is not None}
        auto = 0
        pieces: list[_Piece] = []
        for piece in template:
            if isinstance(piece, _Hole):
                pieces.append(piece)
                continue
            text, index = piece.text, 0
            while index < len(text):
                char = text[index]
                if char not in "{}":
                    end = min((pos for pos in (text.find("{", index), text.find("}", index)) if pos >= 0), default=-1)
                    end = len(text) if end < 0 else end
                    pieces.append(piece.part(index, end))
                    index = end
                elif text.startswith(char * 2, index):
                    pieces.append(piece.part(index, index + 2, char))
                    index += 2
                elif char == "}":  # a lone "}" would fail at run time; keep it as text
                    pieces.append(piece.part(index, index + 1))
                    index += 1
                else:
                    end = _field_end(text, index)
                    field = text[index + 1 : end - 1]
                    written = _FIELD_NAME.match(field).group()  # type: ignore[union-attr]
                    rest = field[len(written) :]
                    name = written
                    if not written:
                        name, auto = str(auto), auto + 1
                    # str.format reads a field of decimal digits (any script's) as a position, anything else as a key
                    position = int(name) if name.isdecimal() else None
                    arg = call.args[position] if position is not None and position < len(call.args) else None
                    arg = keywords.get(name) if position is None else arg
                    anchor = piece.part(index, end).anchor
                    if arg is None:
                        pieces.append(_Hole(f"{{{field}}}", anchor))
                    elif rest:  # attribute, index, conversion or format spec: not filled in
                        pieces.append(_Hole(self._label(arg) + rest, anchor))
                    else:
                        pieces.append(self._hole(arg, anchor))
                    index = end
        return pieces

    # -- sites --------------------------------------------------------------------------------------------------
    def _sites_in(self, pieces: list[_Piece]) -> list[Site]:
        text_parts: list[str] = []
        offsets: list[int] = []
        labels: list[str] = []
        for piece in pieces:
            if isinstance(piece, _Lit):
                text_parts.append(piece.text)
                offsets.extend(piece.offsets if piece.offsets is not None else [piece.anchor] * len(piece.text))
            else:
                mark = _MARK.format(len(labels))
                labels.append(piece.label)
                text_parts.append(mark)
                offsets.extend([piece.anchor] * len(mark))
        text = "".join(text_parts)
        if not _mentions_upsert(text):
            return []
        # The SQL reader (sqlglot's tokenizer) is imported by the first string that may hold an upsert: a scan whose
        # files are all cached, or hold none, does not load it (a tenth of a warm scan's time).
        from schema_parity.sites.sql import upsert_statements

        sites = []
        for statement in upsert_statements(text, psql=False):
            line, column = self.lines.position(offsets[statement.start])
            sql, unresolved, key = _fill_holes(statement, text, labels)
            sites.append(
                Site(
                    self.path, line, column, self.origin, sql, revision=self.revision, unresolved=unresolved, reason=key
                )
            )
        return sites


def _fill_holes(statement: Statement, text: str, labels: list[str]) -> tuple[str | None, str | None, str | None]:
    """The statement's SQL with value holes as ``?``, or None, the reason and its key when a hole is a name."""
    sql = text[statement.start : statement.end]
    if not labels or not _MARK_RE.search(sql):
        return sql, None, None
    tokens = statement.tokens
    keywords = statement.upsert_keywords()
    assert keywords is not None
    insert, conflict = keywords
    table = statement.table_span(insert)
    target_end = next((i for i in range(conflict + 1, len(tokens)) if statement.word(i) == "DO"), len(tokens))
    columns = statement.group(table.stop)
    set_heads = statement.set_heads(target_end)
    reasons: list[tuple[int, str, str]] = []  # (rank, reason, key): the table name, then the target, then names
    fill: dict[str, str] = {}
    for index, token in enumerate(tokens):
        for match in _MARK_RE.finditer(token.text):
            label = labels[int(match.group(1))]
            if index in table:
                reasons.append((0, reason("string-table-at-run-time", label=label), "string-table-at-run-time"))
            elif conflict < index < target_end:
                reasons.append((1, reason("string-target-at-run-time", label=label), "string-target-at-run-time"))
            elif statement.is_string(index):
                fill[match.group()] = "?"
            elif (role := _name_role(statement, index, columns, set_heads)) is not None:
                reasons.append((2, reason("string-name-spliced", label=label, role=role), "string-name-spliced"))
            else:
                fill[match.group()] = "(?)" if statement.word(index - 1) == "VALUES" else "?"
    if reasons:
        _, said, key = min(reasons)
        return None, said, key
    return _MARK_RE.sub(lambda match: fill.get(match.group(), "?"), sql), None, None


def _name_role(statement: Statement, index: int, columns: range, set_heads: set[int]) -> str | None:
    """What kind of name a hole at token ``index`` stands for, or None if it stands for a value."""
    tokens = statement.tokens
    if statement.is_identifier(index) or not _MARK_RE.fullmatch(tokens[index].text):
        return "part of an identifier"
    if statement.is_dot(index - 1) or statement.is_dot(index + 1):
        return "part of a qualified name"
    if index in columns:
        return "the insert column list"
    if index in set_heads:
        return "a DO UPDATE SET assignment"
    if index and statement.word(index - 1) in _NAME_AFTER:
        return f"a name after {statement.word(index - 1)}"
    return None


def _mentions_upsert(text: str) -> bool:
    lowered = text.lower()
    return "conflict" in lowered and "insert" in lowered


# -- module facts -----------------------------------------------------------------------------------------------------
_REGEX_FUNCTIONS = frozenset({"compile", "match", "fullmatch", "search", "findall", "finditer", "sub", "subn", "split"})


def _regex_pattern(call: ast.Call) -> ast.expr | None:
    """The pattern of a ``re.compile(...)``-style call: a regular expression that mentions ON CONFLICT (to find
    statements in a log, say) is not a statement, and reading it as one was a false SP902 on a real project."""
    func = call.func
    if not (
        isinstance(func, ast.Attribute)
        and func.attr in _REGEX_FUNCTIONS
        and isinstance(func.value, ast.Name)
        and func.value.id in ("re", "regex")
    ):
        return None
    if call.args:
        return call.args[0]
    return next((k.value for k in call.keywords if k.arg == "pattern"), None)


def _docstring(holder: ast.Module | ast.ClassDef | ast.FunctionDef | ast.AsyncFunctionDef) -> list[ast.AST]:
    first = holder.body[0] if holder.body else None
    if isinstance(first, ast.Expr) and isinstance(first.value, ast.Constant) and isinstance(first.value.value, str):
        return [first.value]
    return []


def _may_be_upsert(node: ast.AST) -> TypeGuard[ast.expr]:
    """Whether ``node`` is worth decoding: a literal mentioning both words, or a compound string expression."""
    if isinstance(node, ast.Constant):
        return isinstance(node.value, str) and _mentions_upsert(node.value)
    return isinstance(node, (ast.JoinedStr, ast.BinOp, ast.Call))


def _module_constants(tree: ast.Module) -> dict[str, str]:
    """Module-level names bound exactly once, to a string literal: their values can fill holes."""
    counts: Counter[str] = Counter()
    values: dict[str, str] = {}
    for statement in tree.body:
        targets: list[ast.expr] = []
        value: ast.expr | None = None
        if isinstance(statement, ast.Assign):
            targets, value = statement.targets, statement.value
        elif isinstance(statement, (ast.AnnAssign, ast.AugAssign)):
            targets, value = [statement.target], statement.value
        for target in targets:
            for name in ast.walk(target):
                if isinstance(name, ast.Name):
                    counts[name.id] += 1
                    if isinstance(value, ast.Constant) and isinstance(value.value, str) and target is name:
                        values[name.id] = value.value
    return {name: value for name, value in values.items() if counts[name] == 1}


def _flatten_add(node: ast.BinOp) -> list[ast.expr]:
    """The operands of ``a + b + c`` in order, without recursion (long chains exist in generated code)."""
    operands: list[ast.expr] = []
    stack: list[ast.expr] = [node]
    while stack:
        item = stack.pop()
        if isinstance(item, ast.BinOp) and isinstance(item.op, ast.Add):
            stack.extend((item.right, item.left))
        else:
            operands.append(item)
    return operands


# -- reading literals in the source ---------------------------------------------------------------------------------
def _scan_literal(source: str, start: int, end: int) -> list[tuple[str | None, int]] | None:
    """Decode the string literal(s) in ``source[start:end]`` as (text, source offset) per character.

    An f-string replacement field becomes one ``(None, offset)`` item. None when the text is not what was expected
    (the caller then locates everything at the literal's start).
    """
    items: list[tuple[str | None, int]] = []
    pos = start
    while pos < end:
        char = source[pos]
        if char in " \t\n\f\\":
            pos += 1
            continue
        if char == "#":
            newline = source.find("\n", pos)
            pos = end if newline < 0 else newline
            continue
        match = _PREFIX.match(source, pos)
        if match is None or "b" in match.group(1).lower():
            return None
        prefix = match.group(1).lower()
        after = _scan_body(source, match.end(), match.group(2), items, raw="r" in prefix, fstring="f" in prefix)
        if after is None:
            return None
        pos = after
    return items


def _scan_body(
    source: str, pos: int, quote: str, items: list[tuple[str | None, int]], *, raw: bool, fstring: bool
) -> int | None:
    """Decode one literal's body from ``pos``; returns the offset after its closing quote."""
    while pos < len(source):
        plain = _PLAIN_RUN.match(source, pos)
        if plain is not None:  # fast path: characters that stand for themselves
            items.extend(zip(plain.group(), range(pos, plain.end()), strict=True))
            pos = plain.end()
            continue
        if source.startswith(quote, pos):
            return pos + len(quote)
        char = source[pos]
        if char == "\\" and raw:
            items.extend(((char, pos), (source[pos + 1], pos + 1)))
            pos += 2
        elif char == "\\":
            following = source[pos + 1 : pos + 2]
            code = _CODE_ESCAPE.match(source, pos + 1)
            if following in _SIMPLE_ESCAPES:
                items.append((_SIMPLE_ESCAPES[following], pos))
                pos += 2
            elif code is not None:
                items.append((_decode_escape(code.group()), pos))
                pos = code.end()
            else:
                items.append((char, pos))
                pos += 1
        elif fstring and char in "{}":
            if source.startswith(char * 2, pos):
                items.append((char, pos))
                pos += 2
            elif char == "}":
                return None
            else:
                items.append((None, pos))
                pos = _field_end(source, pos)
        else:
            items.append((char, pos))
            pos += 1
    return None


def _decode_escape(code: str) -> str:
    if code[0] == "N":
        return unicodedata.lookup(code[2:-1])
    if code[0] in "xuU":
        return chr(int(code[1:], 16))
    return chr(int(code, 8))


def _field_end(text: str, pos: int) -> int:
    """Offset after the ``}`` closing the replacement field that opens at ``pos`` (brackets and quotes nest)."""
    depth = 0
    while pos < len(text):
        char = text[pos]
        if char in "([{":
            depth += 1
        elif char in ")]}":
            depth -= 1
            if depth == 0:
                return pos + 1
        elif char in "'\"":
            pos = text.find(char, pos + 1)
            if pos < 0:
                break
        pos += 1
    return len(text)
