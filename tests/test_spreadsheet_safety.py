"""Formula injection: the one rule (archives_domain.spreadsheet_safety) of every CSV/Excel export (issue 13, defect 5)."""
from __future__ import annotations

import pytest

from archives_domain.spreadsheet_safety import looks_like_formula, safe_cell

PAYLOADS = ['=HYPERLINK("http://evil.example","点击")', "=cmd|' /C calc'!A0", "+SUM(A1:A3)", "-2+3+cmd|' /C calc'!A0",
            "@SUM(1+1)", "+A1", "-$B$2", "@A1"]
# Spreadsheets skip leading white space (spaces, tab, CR, LF, the ideographic space) before the sign.
LEADS = ["", "   ", "\t", "\r", "\n", "\u3000", " \t "]


@pytest.mark.parametrize("lead", LEADS)
@pytest.mark.parametrize("payload", PAYLOADS)
def test_each_dangerous_start_is_neutralised(lead, payload):
    text = lead + payload
    assert looks_like_formula(text)
    assert safe_cell(text) == "'" + text


@pytest.mark.parametrize("text", ["＝HYPERLINK(\"http://evil.example\")", "＝1+1", "＋SUM(A1:A2)", "－cmd|' /C calc'!A0",
                                  "＠SUM(1)", " ＝A1"])
def test_full_width_signs_count_too(text):
    assert safe_cell(text) == "'" + text


@pytest.mark.parametrize("text", ["+86 13800001234", "-", "—", "-5", "2019-03-05", "a=b", "@某人", "张三=李四", "登录失败",
                                  "", None])
def test_ordinary_values_are_left_alone(text):
    assert safe_cell(text) == text


def test_the_pipeline_uses_the_same_rule():
    import pyarrow as pa

    from pipelines.cleaning import text as pipeline_text
    from pipelines.export import _cell
    assert pipeline_text.looks_like_formula is looks_like_formula
    values = ["＝1+1", "\t=cmd|x", "+86 13800001234", "@某人", "=A1"]
    assert list(pipeline_text.formula_mask(pa.array(values))) == [looks_like_formula(v) for v in values]
    assert _cell("＝1+1") == "'＝1+1"
