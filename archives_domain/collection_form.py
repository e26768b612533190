"""The collection form (采集表) contract: sheets, headers, required columns.

Declared once here (from ../shared/spec/collection_form.md) for the generator,
the pipelines and the export alike.
"""
from __future__ import annotations

SHEET_PERSON = "基本信息"
SHEET_STUDY = "学习经历"
SHEET_WORK = "工作经历"
SHEETS = (SHEET_PERSON, SHEET_STUDY, SHEET_WORK)

PERSON_HEADERS = (
    "档案编号", "姓名", "性别", "民族", "出生日期", "公民身份号码", "政治面貌", "入党时间", "转正时间",
    "所属党组织", "户籍所在地", "户口性质", "联系电话", "最高学历", "最高学位", "毕业院校", "所学专业",
    "毕业时间", "专业技术职务", "职业资格", "工作单位", "单位统一社会信用代码", "委托方式", "立户编号",
    "档案来源", "档案接收时间", "档案状态", "集体户口", "户籍编号", "落户时间", "备注",
)
STUDY_HEADERS = ("档案编号", "公民身份号码", "起始时间", "终止时间", "学校", "专业", "学历", "学位")
WORK_HEADERS = ("档案编号", "公民身份号码", "起始时间", "终止时间", "工作单位", "部门", "职务")
HEADERS = {SHEET_PERSON: PERSON_HEADERS, SHEET_STUDY: STUDY_HEADERS, SHEET_WORK: WORK_HEADERS}

REQUIRED = {
    SHEET_PERSON: ("档案编号", "姓名", "公民身份号码"),
    SHEET_STUDY: ("档案编号",),
    SHEET_WORK: ("档案编号",),
}

# 户口性质 is read into the raw layer only (requirement 三.4); the export keeps its header, empty.
DROPPED_HEADERS = ("户口性质",)

DATE_HEADERS = {
    SHEET_PERSON: ("出生日期", "入党时间", "转正时间", "毕业时间", "档案接收时间", "落户时间"),
    SHEET_STUDY: ("起始时间", "终止时间"),
    SHEET_WORK: ("起始时间", "终止时间"),
}

# Export-only columns appended to 基本信息 (contract: "What the system hands back").
EXPORT_EXTRA_HEADERS = ("待核实字段", "数据来源")
QUARANTINE_HEADERS = ("来源文件", "工作表", "行号", "原因")

# Rule 1: these mean "no value" in every column (except 最高学位, where 无 is a code).
NULL_TOKENS = frozenset({"", "无", "/", "-", "—", "NULL", "null"})
NULL_EXEMPT = {"最高学位": frozenset({"无"})}

# Where each header lives in the operational schema (装载与导出共用): (column, kind) with kind one of
# "text" (String/Text column), "date", "bool" (是/否), "pii" (SM4 `<column>_enc` + `<column>_bidx`).
# 户口性质 has no column (rule 2); the child sheets' 公民身份号码 is the person's.
PERSON_COLUMNS: dict[str, tuple[str, str]] = {
    "档案编号": ("archive_no", "text"), "姓名": ("name", "text"), "性别": ("sex", "text"),
    "民族": ("ethnic", "text"), "出生日期": ("birth_date", "date"), "公民身份号码": ("id_number", "pii"),
    "政治面貌": ("political_status", "text"), "入党时间": ("party_join_date", "date"),
    "转正时间": ("party_full_date", "date"), "所属党组织": ("party_org", "text"),
    "户籍所在地": ("hukou_address", "text"), "联系电话": ("phone", "pii"),
    "最高学历": ("education_level", "text"), "最高学位": ("degree", "text"), "毕业院校": ("school", "text"),
    "所学专业": ("major", "text"), "毕业时间": ("graduation_date", "date"),
    "专业技术职务": ("professional_title", "text"), "职业资格": ("vocational_qualification", "text"),
    "工作单位": ("employer_name", "text"), "单位统一社会信用代码": ("employer_uscc", "text"),
    "委托方式": ("entrust_mode", "text"), "立户编号": ("unit_account_no", "text"),
    "档案来源": ("archive_source", "text"), "档案接收时间": ("archive_received_date", "date"),
    "档案状态": ("archive_status", "text"), "集体户口": ("collective_hukou", "bool"),
    "户籍编号": ("hukou_reg_no", "text"), "落户时间": ("settle_date", "date"), "备注": ("remarks", "text"),
}
STUDY_COLUMNS: dict[str, tuple[str, str]] = {
    "起始时间": ("start_date", "date"), "终止时间": ("end_date", "date"), "学校": ("school", "text"),
    "专业": ("major", "text"), "学历": ("education_level", "text"), "学位": ("degree", "text"),
}
WORK_COLUMNS: dict[str, tuple[str, str]] = {
    "起始时间": ("start_date", "date"), "终止时间": ("end_date", "date"), "工作单位": ("employer", "text"),
    "部门": ("department", "text"), "职务": ("position", "text"),
}
SHEET_COLUMNS = {SHEET_PERSON: PERSON_COLUMNS, SHEET_STUDY: STUDY_COLUMNS, SHEET_WORK: WORK_COLUMNS}
# 数据来源 (export column) and the child rows' 来源
SOURCE_FORM = "采集表"
SOURCE_BUSINESS = "业务"
FEED_SOURCE = {"education": "教育", "social_security": "社保", "police_population": "公安",
               "business_registry": "工商"}


def clerk_field_key(sheet: str, header: str, seq=None) -> str:
    """The entry of ``person.clerk_fields`` for a field a clerk decided: the header alone on 基本信息
    (``姓名``), ``<sheet>#<序号>/<header>`` for a 学习经历/工作经历 row (``工作经历#2/工作单位``) — the loader keeps
    these values and raises no review item on them."""
    if sheet == SHEET_PERSON or sheet is None:
        return header
    return f"{sheet}#{'' if seq is None else int(seq)}/{header}"


def parse_clerk_child_key(key: str) -> tuple[str, int, str] | None:
    """(sheet, seq, header) of a child-row entry of ``person.clerk_fields``; None for a 基本信息 header."""
    if "#" not in key or "/" not in key:
        return None
    sheet, rest = key.split("#", 1)
    seq, header = rest.split("/", 1)
    if sheet not in (SHEET_STUDY, SHEET_WORK) or not seq.isdigit():
        return None
    return sheet, int(seq), header
