"""What goes to the review queue (待核实) after repair, and how it is labelled — rules as data.

A standardisation issue (`pipelines/cleaning/standardise.py`) that the repair did not resolve (the cell's
value is still the standardised one) becomes a review item: the value is not canonical and nothing the
pipeline knows can make it so. Codes in ``INFORMATIONAL`` are kept in the layers but not sent: they mark a
value that is right as it is.
"""
from __future__ import annotations

#: issue codes that never go to review (a checksum-valid ID whose county code python-stdnum does not
#: know for the birth year is not a wrong number; see docs/pipeline.md)
INFORMATIONAL = frozenset({"id_region_year"})

#: 问题类别 of the review queue, by standardisation issue code or repair rule (fallback: the code itself)
CATEGORY = {
    # standardisation issues left unresolved
    "id_checksum": "身份证号校验位错误",
    "id_birth_date": "身份证号出生日期无效",
    "id_region_unknown": "身份证号地区码未知",
    "id_length": "身份证号位数错误",
    "id_format": "身份证号格式错误",
    "uscc_checksum": "信用代码校验位错误",
    "uscc_legacy": "旧工商注册号",
    "uscc_format": "信用代码格式错误",
    "date_month_only": "日期只有年月",
    "date_year_only": "日期只有年份",
    "date_impossible": "日期不存在",
    "date_out_of_range": "日期超出范围",
    "unknown_code": "代码值无法识别",
    "phone_format": "电话格式错误",
    "formula": "疑似公式注入",
    "too_long": "超出字段长度",
    # loader findings
    "multi_archive": "一人多档",
}

#: the category of a repair rule sent to review, by the rule's prefix (first match wins)
RULE_CATEGORY = (
    ("id_", "身份证号待核实"),
    ("name_mismatch_feed", "姓名与社保/教育数据不一致"),
    ("name", "姓名与公安数据不一致"),
    ("employer_changed", "单位与社保不一致"),
    ("employer", "单位名称待核实"),
    ("uscc", "信用代码待核实"),
    ("graduation", "毕业时间待核实"),
    ("study", "学习经历待核实"),
    ("birth", "出生日期待核实"),
)

#: fields whose review value is personal data: stored SM4-encrypted (current_value_enc)
PII_FIELDS = frozenset({"公民身份号码", "联系电话"})


def category_of_issue(code: str) -> str:
    return CATEGORY.get(code, code)[:32]


def category_of_rule(rule: str) -> str:
    for prefix, label in RULE_CATEGORY:
        if str(rule).startswith(prefix):
            return label
    return str(rule)[:32]
