"""档案材料的类别: the ten classes of a personnel file and the sub-classes of 第四类 and 第九类, as data.

Source (`seeds/data/material_category.csv`, code type `material_category`, read through `archives_domain.codes`):

* the ten classes are those of 《干部人事档案工作条例》 (中共中央办公厅, 2018), the article on the content of
  the file, which lists 履历类, 自传和思想类, 考核鉴定类, 学历学位、专业技术职务（职称）、学术评鉴和教育培训类,
  政审、审计和审核类, 党、团类, 表彰奖励类, 违规违纪违法处理处分类, 工资、任免、出国和会议代表等类 and
  其他可供组织参考的 材料; the 目录 writes them without "类" (第一类 履历材料 …);
* the 条例 itself has no sub-classes: the split of 第四类 into 4-1…4-4 and of 第九类 into 9-1…9-4 is that of
  《干部档案整理工作细则》 (1991), kept by the 目录 practice since; their names follow what the 2018 条例 lists
  under those two classes (学历学位; 职业资格和专业技术职务（职称）; 学术评鉴和科研学术成果; 教育培训 — 工资待遇审批;
  录用、聘用、任免、转任、职务职级晋升、调动、退（离）休; 出国（境）审批; 当选代表会议代表或者委员).

A material is filed under a class without sub-classes (1–3, 5–8, 10) or under a sub-class of 4 or 9; the
目录 orders by class number, then sub-class number (`order_key`).
"""
from __future__ import annotations

from dataclasses import dataclass
from functools import lru_cache

from .. import codes

CODE_TYPE = "material_category"
NUMERALS = "一二三四五六七八九十"
UNFILED = (99, 0)  # a material collected without a class sorts after the ten classes


@dataclass(frozen=True)
class MaterialClass:
    code: str  # "4" or "4-1"
    name: str
    parent: str | None
    class_no: int
    sub_no: int  # 0 for a class

    @property
    def label(self) -> str:
        """"4-1 学历学位材料" (sub-class) or "第四类 …材料" (class)."""
        return f"{self.code} {self.name}" if self.parent else f"第{NUMERALS[self.class_no - 1]}类 {self.name}"


@lru_cache(maxsize=1)
def classes() -> tuple[MaterialClass, ...]:
    """Every class and sub-class, in 目录 order."""
    out = []
    for r in codes.code_rows(CODE_TYPE):
        head, _, sub = r["code"].partition("-")
        out.append(MaterialClass(r["code"], r["name"], r["parent_code"] or None, int(head), int(sub or 0)))
    return tuple(sorted(out, key=lambda c: (c.class_no, c.sub_no)))


def by_code() -> dict[str, MaterialClass]:
    return {c.code: c for c in classes()}


def top_classes() -> tuple[MaterialClass, ...]:
    return tuple(c for c in classes() if c.parent is None)


def filing_classes() -> tuple[MaterialClass, ...]:
    """What a material may be filed under: the classes without sub-classes and the sub-classes."""
    parents = {c.parent for c in classes() if c.parent}
    return tuple(c for c in classes() if c.code not in parents)


def choice_codes() -> tuple[str, ...]:
    return tuple(c.code for c in filing_classes())


def order_key(code: str | None) -> tuple[int, int]:
    c = by_code().get(code or "")
    return (c.class_no, c.sub_no) if c else UNFILED


def top_of(code: str | None) -> MaterialClass | None:
    c = by_code().get(code or "")
    if c is None:
        return None
    return by_code()[c.parent] if c.parent else c
