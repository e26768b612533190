"""自定义查询的数据字典 (data dictionary) as data: every data item a user may pick, filter on or group by.

Each entity (人员基本信息, 学习经历, 工作经历, 档案转入, 档案转出, 档案借阅, 出具证明, 集体户口, 流动党员, 党费交纳,
档案材料) is one table and its join path to the person; each item is (entity, column, Chinese label, type, PII
kind). The query builder (`custom_query`) reads columns from here by key only: nothing typed by the user
ever names a table or a column. A PII item (`id_number`, `phone`) is stored encrypted (`<column>_enc`,
decrypted through the codec for the rows shown) and found by its blind index (`<column>_bidx`); `name` items
are shown masked to users without 查看完整身份证号/电话.
"""
from __future__ import annotations

from dataclasses import dataclass

from ..models import (ArchiveLoan, ArchiveMaterial, ArchiveTransferIn, ArchiveTransferOut, Certificate,
                      CollectiveHukou, PartyDuesPayment, PartyMember, Person, PersonStudy, PersonWork)

TYPES = {"text": "文本", "date": "日期", "int": "整数", "number": "数值", "bool": "是/否"}


@dataclass(frozen=True)
class Entity:
    """A table of the dictionary and how it reaches the person: `person_id`, or through `via` (parent, fk)."""

    key: str
    label: str
    model: type
    via: tuple[type, str] | None = None


@dataclass(frozen=True)
class Item:
    key: str  # "<entity>.<column>"
    entity: Entity
    column: str
    label: str
    type: str
    pii: str | None = None  # id_number / phone (encrypted) / name (masked)

    @property
    def encrypted(self) -> bool:
        return self.pii in ("id_number", "phone")

    def as_dict(self) -> dict:
        return {"key": self.key, "entity": self.entity.key, "entity_label": self.entity.label, "label": self.label,
                "type": self.type, "type_label": TYPES[self.type], "pii": self.pii}


ENTITIES = {e.key: e for e in (
    Entity("person", "人员基本信息", Person),
    Entity("study", "学习经历", PersonStudy),
    Entity("work", "工作经历", PersonWork),
    Entity("transfer_in", "档案转入", ArchiveTransferIn),
    Entity("transfer_out", "档案转出", ArchiveTransferOut),
    Entity("loan", "档案借阅", ArchiveLoan),
    Entity("certificate", "出具证明", Certificate),
    Entity("hukou", "集体户口", CollectiveHukou),
    Entity("party", "流动党员", PartyMember),
    Entity("party_dues", "党费交纳", PartyDuesPayment, via=(PartyMember, "party_member_id")),
    Entity("material", "档案材料", ArchiveMaterial),
)}

# entity, column, label, type, pii — the table of the dictionary
_ROWS = """
person agency_code 存档机构代码 text
person archive_no 档案编号 text
person name 姓名 text name
person sex 性别 text
person ethnic 民族 text
person birth_date 出生日期 date
person id_number 公民身份号码 text id_number
person phone 联系电话 text phone
person political_status 政治面貌 text
person education_level 最高学历 text
person degree 最高学位 text
person school 毕业院校 text
person major 所学专业 text
person graduation_date 毕业时间 date
person professional_title 专业技术职务 text
person employer_name 工作单位 text
person entrust_mode 委托方式 text
person archive_source 档案来源 text
person archive_received_date 档案接收时间 date
person archive_status 档案状态 text
person hukou_address 户籍所在地 text
person collective_hukou 集体户口 bool
person transfer_out_date 转出日期 date
person employment_status 就业状态 text
study start_date 学习起始时间 date
study end_date 学习终止时间 date
study school 学校 text
study major 专业 text
study education_level 学历 text
study degree 学位 text
work start_date 工作起始时间 date
work end_date 工作终止时间 date
work employer 工作单位（经历） text
work department 部门 text
work position 职务 text
transfer_in in_date 转入日期 date
transfer_in from_unit 何处转入 text
transfer_in reason 转入原因 text
transfer_in archive_kind 档案类别 text
transfer_in receive_mode 接收方式 text
transfer_in cross_province 跨省转入 bool
transfer_in status 转入状态 text
transfer_out request_date 调档函日期 date
transfer_out out_date 转出日期（转递） date
transfer_out to_unit 转往单位 text
transfer_out reason 转出原因 text
transfer_out delivery_mode 转递方式 text
transfer_out receipt_returned 已收回执 bool
transfer_out receipt_date 回执日期 date
transfer_out cross_province 跨省转出 bool
transfer_out status 转出状态 text
loan borrower_unit 借阅单位 text
loan loan_date 借阅日期 date
loan due_date 应还日期 date
loan return_date 归还日期 date
loan reason 借阅原因 text
loan status 借阅状态 text
certificate cert_type 证明类型 text
certificate issued_on 出具日期 date
certificate purpose 证明用途 text
certificate recipient_unit 出具给 text
certificate revoked 已作废 bool
hukou hukou_reg_no 户籍编号 text
hukou settle_date 落户时间 date
hukou employer 工作单位（集体户） text
hukou in_accept_date 迁入受理时间 date
hukou out_accept_date 迁出受理时间 date
hukou status 集体户状态 text
party member_type 党员类型 text
party party_org 所属党组织 text
party join_date 入党时间 date
party org_in_date 组织关系转入时间 date
party dues_paid_until 党费交纳截止时间 date
party status 党员状态 text
party_dues paid_on 缴费日期 date
party_dues amount 缴纳金额（元） number
party_dues period_from 缴费所属期起 date
party_dues period_to 缴费所属期止 date
material category_code 材料类别 text
material title 材料名称 text
material material_date 材料形成时间 date
material stage 材料环节 text
material received_date 收集日期 date
material archived_date 归档日期 date
material pages 页数 int
"""


def _items() -> dict[str, Item]:
    out = {}
    for line in _ROWS.strip().splitlines():
        entity, column, label, type_, *pii = line.split()
        out[f"{entity}.{column}"] = Item(f"{entity}.{column}", ENTITIES[entity], column, label, type_,
                                         pii[0] if pii else None)
    return out


ITEMS: dict[str, Item] = _items()


def grouped() -> list[tuple[Entity, list[Item]]]:
    """The dictionary by entity, in the order above (for the page's item picker)."""
    return [(e, [i for i in ITEMS.values() if i.entity is e]) for e in ENTITIES.values()]
