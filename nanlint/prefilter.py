"""The pre-filter: which files can be skipped without parsing them.

Every rule reads names through the file's import statements (``ImportMap``) and asks
the catalog about them; tensor methods such as ``x.log()`` count only in a file that
imports a framework. So a file that imports no module the catalog knows cannot trigger
any rule, and libcst need not parse it. This test is a regular expression over the
text, run before anything is parsed.

The exact condition: a file is analysed when its text holds ``import X`` (also ``import
a, X``, ``import X.sub as y``) or ``from X`` (``from X.sub import y``), with any spacing
and line continuations in between, where ``X`` is one of ``ROOTS``. It reads the text,
not the syntax, so it errs only towards parsing: such an import in a string or a
comment, or a relative ``from . import torch`` (which the rules ignore), also counts.
"""

from __future__ import annotations

import re

from nanlint import catalog


def _roots() -> frozenset[str]:
    """The top-level modules the catalog knows: the frameworks, every module a catalog
    row lives in (``pandas``, ``cv2``, ``skorch``: data and training helpers the rules
    follow), and the other names a framework is imported by (``tf_keras``, ``pytensor``)."""
    rows = {name.split(".")[0] for name in catalog.FUNCTIONS}
    aliases = {prefix.split(".")[0] for prefix, _ in catalog._PREFIX_ALIASES}  # what canonical() folds
    return frozenset(catalog.FRAMEWORK_ROOTS | rows | aliases)


ROOTS: frozenset[str] = _roots()

_NAME = "|".join(sorted(map(re.escape, ROOTS), key=len, reverse=True))
_GAP = r"[\s\\]+"  # whitespace and backslash line continuations
_IMPORT = re.compile(
    rf"\bfrom{_GAP}(?:{_NAME})\b"
    rf"|\bimport{_GAP}(?:[\w.]+(?:{_GAP}as{_GAP}\w+)?[\s\\]*,[\s\\]*)*(?:{_NAME})\b"
)


def may_trigger(text: str) -> bool:
    """Whether some rule could report in ``text``: False only when it imports nothing
    the catalog knows (see the module docstring for the exact condition)."""
    return _IMPORT.search(text) is not None
