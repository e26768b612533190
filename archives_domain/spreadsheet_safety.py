"""Formula injection (CSV/Excel): which text a spreadsheet would run as a formula, and how to neutralise it.

One rule for every export of the project — the collection-form export (`pipelines.export`), the
系统日志 export of the app — and for the pipeline's reader, which keeps such values as text.

A cell is dangerous when, after optional leading white space (tab, CR, LF, spaces, the ideographic
space U+3000 — spreadsheets skip them), it starts with ``=`` followed by anything, or with ``+ - @``
followed by a cell reference (``+A1``) or later by a function call ``NAME(``, a DDE pipe ``|`` or a
sheet reference ``!A``. The full-width signs ``＝ ＋ － ＠`` count too: Chinese input methods type
them, and some spreadsheets convert them on input. Plain values such as ``+86 138…``, ``-5`` or
``@某人`` are left alone, so ordinary data reads back unchanged.

Neutralised by a leading ``'``: spreadsheets show the rest as text (the pipeline's reader strips it again).
"""
from __future__ import annotations

import re

_SIGN = "+\\-@\uff0b\uff0d\uff20"
FORMULA_RE = re.compile(r"^[\s\u3000]*(?:[=\uff1d].|[" + _SIGN + r"](?:\$?[A-Za-z]{1,3}\$?[0-9]+"
                        r"|.*?(?:[A-Za-z_][A-Za-z0-9_.]*\s*\(|\||![A-Za-z$])))", re.S)
#: The same rule in RE2 syntax (pyarrow.compute, for whole columns in the pipeline).
FORMULA_RE2 = (r"(?s)^[\t\n\r\v\f \x{3000}]*(?:[=\x{ff1d}].|[+\-@\x{ff0b}\x{ff0d}\x{ff20}]"
               r"(?:\$?[A-Za-z]{1,3}\$?[0-9]+|.*?(?:[A-Za-z_][A-Za-z0-9_.]*\s*\(|\||![A-Za-z$])))")


def looks_like_formula(text: str | None) -> bool:
    """Whether a cell would run as a formula in a spreadsheet (``=…``, ``+SUM(…)``, ``@A1``, DDE ``|``)."""
    return isinstance(text, str) and FORMULA_RE.match(text) is not None


def safe_cell(text: str | None) -> str | None:
    """The text as a spreadsheet cell that cannot run: a formula-like value gets a leading ``'``."""
    return "'" + text if looks_like_formula(text) else text
