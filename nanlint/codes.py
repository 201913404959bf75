"""The public table of codes. A code never changes meaning once released.

Every code of the rule catalog is known here, implemented or not, so that
``ignore = ["NAN301"]`` in a configuration is valid before the rule ships.
Each implemented rule module must agree with its row (a test checks this).
"""

from __future__ import annotations

from typing import NamedTuple


class CodeInfo(NamedTuple):
    code: str
    name: str
    severity: str
    fix: str  # "safe", "unsafe", "none"


CODES: dict[str, CodeInfo] = {
    row.code: row
    for row in (
        CodeInfo("NAN001", "syntax-error", "error", "none"),
        CodeInfo("NAN101", "log-of-softmax", "error", "safe"),
        CodeInfo("NAN102", "log-of-sigmoid", "error", "safe"),
        CodeInfo("NAN103", "unguarded-log", "warning", "unsafe"),
        CodeInfo("NAN104", "manual-cross-entropy", "warning", "unsafe"),
        CodeInfo("NAN105", "unstable-exp", "warning", "safe"),
        CodeInfo("NAN106", "probabilities-into-logit-loss", "warning", "safe"),
        CodeInfo("NAN201", "unguarded-division", "warning", "unsafe"),
        CodeInfo("NAN202", "sqrt-at-zero", "warning", "unsafe"),
        CodeInfo("NAN203", "acos-asin-domain", "warning", "unsafe"),
        CodeInfo("NAN204", "where-does-not-guard-gradient", "warning", "unsafe"),
        CodeInfo("NAN301", "suspicious-learning-rate", "warning", "none"),
        CodeInfo("NAN302", "half-precision-epsilon", "warning", "unsafe"),
        CodeInfo("NAN303", "missing-gradient-clipping", "info", "none"),
        CodeInfo("NAN304", "fp16-without-loss-scaling", "warning", "none"),
        CodeInfo("NAN305", "absorbed-epsilon", "warning", "unsafe"),
        CodeInfo("NAN401", "float-labels-to-sparse-loss", "error", "unsafe"),
        CodeInfo("NAN402", "labels-out-of-range", "error", "none"),
        CodeInfo("NAN403", "missing-input-normalization", "warning", "unsafe"),
        CodeInfo("NAN404", "unchecked-nan-input", "info", "none"),
    )
}

SYNTAX_ERROR = CODES["NAN001"]
