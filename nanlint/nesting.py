"""How deeply a source nests, measured before libcst sees it.

libcst's parser, its code generation and its metadata visitors recurse once or more per
level of the tree, and the parser's time and memory grow faster than the depth: a
10,000-deep expression overflows the C stack (a crash no ``except`` can catch), and a
few thousand levels take seconds and gigabytes. Real code nests a few dozen levels
(the deepest file of the standard library, transformers, keras, timm and torch is
under 100 by this measure). So a text is measured first and not parsed by libcst when
it is deeper than ``MAX_NESTING``; the engine reports that as NAN001.

The measure is the depth of CPython's own syntax tree (its parser is iterative with
hard limits, so it fails cleanly), counted as libcst would nest it: libcst wraps call
arguments, container elements, subscripts and comparison targets in nodes of their
own, and nests ``a and b and c`` and implicitly concatenated strings pairwise. For a
text CPython cannot parse (a syntax error, or syntax newer than the running Python),
the measure comes from its tokens instead.
"""

from __future__ import annotations

import ast
import io
import re
import tokenize
from dataclasses import dataclass

# Tree levels analysed. Each level costs libcst's visitors about three Python frames, and
# the rules some more: 200 levels stay well inside Python's default recursion limit of
# 1000 even when the caller (flake8, an editor, a test runner) is itself deep.
MAX_NESTING = 200

# libcst levels that the children of these types add beyond their own node (an Element,
# a DictElement, a FormattedStringExpression); calls, subscripts and comparisons, which
# wrap only some of their children, are counted in ``_deepest_node``.
_WRAPPERS: dict[type, int] = {
    ast.List: 1, ast.Tuple: 1, ast.Set: 1, ast.Dict: 1, ast.JoinedStr: 1, ast.FormattedValue: 1,
}
_LINE_BREAK = re.compile(r"\r\n|\r|\n")
_ONE_TRIPLE_QUOTED = re.compile(
    r'[rRbBuUfF]{0,2}(?:"""(?:[^"\\]|\\.|"(?!""))*"""'
    r"|'''(?:[^'\\]|\\.|'(?!''))*''')",
    re.DOTALL,
)
# A string literal's first token: STRING, or FSTRING_START for an f-string since Python 3.12.
_STRING_STARTS = frozenset({tokenize.STRING, getattr(tokenize, "FSTRING_START", tokenize.STRING)})
# Tokens that nest an operand one level deeper in libcst's tree (with the brackets).
_NESTING_WORDS = frozenset({"not", "and", "or", "lambda", "if", "else", "await", "yield", "in", "is"})
_OPENING, _CLOSING = "([{", ")]}"
_OPERANDS = frozenset({tokenize.NAME, tokenize.NUMBER, tokenize.STRING})
_SEPARATORS = frozenset({",", ";", "="})
TOO_DEEP = f"nested too deeply to analyse (nanlint reads up to {MAX_NESTING} levels)"


@dataclass(frozen=True)
class Nesting:
    """What CPython's parser says of a text: its syntax error, if any, and where it nests
    deeper than ``MAX_NESTING``, if it does; each as (line, column, message)."""

    syntax_error: tuple[int, int, str] | None
    too_deep: tuple[int, int, str] | None


def measure(text: str) -> Nesting:
    try:
        tree = ast.parse(text)
    except SyntaxError as exc:
        error = (exc.lineno or 1, exc.offset or 1, exc.msg)
        return Nesting(error, _deepest_tokens(text))
    except (RecursionError, MemoryError):  # CPython's own limits: thousands of levels
        return Nesting(None, _deepest_tokens(text) or (1, 1, TOO_DEEP))
    except ValueError as exc:  # NUL bytes in a str (bytes input is refused by ``decode``)
        return Nesting((1, 1, str(exc)), None)
    return Nesting(None, _deepest_node(tree, text))


def _deepest_node(tree: ast.AST, text: str) -> tuple[int, int, str] | None:
    lines: list[str] | None = None
    stack: list[tuple[ast.AST, int]] = [(tree, 1)]
    pop, push = stack.pop, stack.append
    while stack:
        node, depth = pop()
        line = getattr(node, "lineno", None)
        if line is not None and line == node.end_lineno and depth + node.end_col_offset - node.col_offset < MAX_NESTING:
            continue  # a level takes at least a character: this one-line node is shallow enough
        kind = type(node)
        if (kind is ast.Constant and isinstance(node.value, (str, bytes))) or kind is ast.JoinedStr:
            lines = lines if lines is not None else _lines(text)
            depth += _string_parts(node, lines) - 1
        elif kind is ast.BoolOp:
            depth += len(node.values) - 1
        if depth > MAX_NESTING and hasattr(node, "lineno"):
            lines = lines if lines is not None else _lines(text)
            return node.lineno, _column(lines[node.lineno - 1], node.col_offset), TOO_DEEP
        if kind is ast.Call:
            push((node.func, depth + 1))
            for argument in node.args:
                push((argument, depth + 2))  # in an Arg
            for keyword in node.keywords:
                push((keyword, depth + 1))  # the Arg itself
        elif kind is ast.Subscript:
            push((node.value, depth + 1))
            push((node.slice, depth + 3))  # in a SubscriptElement and an Index
        elif kind is ast.Compare:
            push((node.left, depth + 1))
            for comparator in node.comparators:
                push((comparator, depth + 2))  # in a ComparisonTarget
        else:
            child_depth = depth + 1 + _WRAPPERS.get(kind, 0)
            for child in ast.iter_child_nodes(node):
                push((child, child_depth))
    return None


def _lines(text: str) -> list[str]:
    """The lines as CPython numbers them (``str.splitlines`` also splits at form feeds)."""
    return _LINE_BREAK.split(text)


def _column(line: str, offset: int) -> int:
    """The 1-based character column of a UTF-8 byte ``offset`` (CPython's unit)."""
    return len(line.encode()[:offset].decode(errors="replace")) + 1


def _string_parts(node: ast.expr, lines: list[str]) -> int:
    """The literals an (implicitly concatenated) string is made of: libcst nests them."""
    first, last = node.lineno - 1, node.end_lineno - 1
    # Offsets count UTF-8 bytes.
    segment = "\n".join(lines[first:last + 1]).encode()
    segment = segment[node.col_offset:len(segment) - len(lines[last].encode()) + node.end_col_offset]
    segment = segment.decode(errors="replace")
    if _ONE_TRIPLE_QUOTED.fullmatch(segment):  # a docstring: no need to tokenize it
        return 1
    try:  # in brackets, the parts' indentation does not matter
        tokens = tokenize.generate_tokens(io.StringIO(f"({segment})").readline)
        return sum(1 for token in tokens if token.type in _STRING_STARTS)
    except (tokenize.TokenError, SyntaxError):
        return 1


def _deepest_tokens(text: str) -> tuple[int, int, str] | None:
    """An upper bound from the tokens: one level per open bracket (two in libcst: the
    container and its element), plus one per operator, string or trailer (a call or a
    subscript after an operand) since the last separator at each bracket level. A text
    that cannot be tokenized is not measured: it counts as too deep, so that its syntax
    error is reported without libcst parsing it."""
    runs = [0]
    depth = 0
    after_operand = False
    try:
        for token in tokenize.generate_tokens(io.StringIO(text).readline):
            kind, string = token.type, token.string
            if kind == tokenize.OP and string in _OPENING:
                trailer = int(after_operand)
                runs[-1] += trailer
                runs.append(0)
                depth += 2 + trailer
            elif kind == tokenize.OP and string in _CLOSING and len(runs) > 1:
                depth -= 2 + runs.pop()
            elif (kind == tokenize.OP and string in _SEPARATORS) or kind == tokenize.NEWLINE:
                depth -= runs[-1]
                runs[-1] = 0
                if kind == tokenize.NEWLINE:
                    runs, depth = [0], 0
            elif kind == tokenize.OP or kind == tokenize.STRING or (
                    kind == tokenize.NAME and string in _NESTING_WORDS):
                runs[-1] += 1
                depth += 1
            if depth > MAX_NESTING:
                return token.start[0], token.start[1] + 1, TOO_DEEP
            after_operand = (kind in _OPERANDS and string not in _NESTING_WORDS) or string in _CLOSING
    except (tokenize.TokenError, SyntaxError) as exc:
        return 1, 1, f"cannot tokenize: {exc}"
    return None
