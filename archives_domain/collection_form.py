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
