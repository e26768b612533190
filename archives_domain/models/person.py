"""人员基本信息 and its data pages: 学习经历, 工作经历, 职称/职业资格."""
from __future__ import annotations

import datetime as dt

from sqlalchemy import BigInteger, Boolean, Date, ForeignKey, Index, Integer, String, Text, UniqueConstraint, event
from sqlalchemy.orm import Mapped, relationship

from ..pinyin import MAX_LEN as INITIALS_LEN, name_initials
from .base import BigId, Base, BusinessRecord, col, person_fk, pii_bidx, pii_enc, table_args


class Person(BusinessRecord, Base):
    """人员基础信息: one archive holder's record at one agency (基础信息 data page)."""

    __tablename__ = "person"
    __table_args__ = table_args(
        "人员基础信息（存档人员）",
        UniqueConstraint("agency_code", "archive_no", name="uq_person_agency_archive_no"),
        Index("ix_person_agency_name", "agency_code", "name"),
        Index("ix_person_agency_status", "agency_code", "archive_status"),
        # 拼音首字母 search inside the user's scope (agency_code IN …), in index order (id is the key's tail)
        Index("ix_person_agency_initials", "agency_code", "name_initials"),
    )

    archive_no: Mapped[str] = col(String(32), "档案编号（机构内唯一）", nullable=False)
    name: Mapped[str | None] = col(String(64), "姓名", index=True)
    name_initials: Mapped[str | None] = col(
        String(INITIALS_LEN), "姓名拼音首字母（检索用，由姓名计算：archives_domain.pinyin，姓氏按姓氏读音）")
    former_name: Mapped[str | None] = col(String(64), "曾用名")
    sex: Mapped[str | None] = col(String(2), "性别：男/女")
    ethnic: Mapped[str | None] = col(String(16), "民族（GB 3304 名称）")
    birth_date: Mapped[dt.date | None] = col(Date, "出生日期")
    id_number_enc: Mapped[str | None] = pii_enc("id_number", "公民身份号码")
    id_number_bidx: Mapped[str | None] = pii_bidx("公民身份号码")
    political_status: Mapped[str | None] = col(String(16), "政治面貌（GB/T 4762 名称）")
    party_join_date: Mapped[dt.date | None] = col(Date, "入党时间")
    party_full_date: Mapped[dt.date | None] = col(Date, "转正时间")
    party_org: Mapped[str | None] = col(String(128), "所属党组织")
    party_member_type: Mapped[str | None] = col(String(8), "党员类型：正式党员/预备党员")
    org_rel_in_date: Mapped[dt.date | None] = col(Date, "组织关系转入时间")
    org_rel_out_date: Mapped[dt.date | None] = col(Date, "组织关系转出日期")
    hukou_address: Mapped[str | None] = col(String(255), "户籍所在地")
    phone_enc: Mapped[str | None] = pii_enc("phone", "联系电话")
    phone_bidx: Mapped[str | None] = pii_bidx("联系电话")
    education_level: Mapped[str | None] = col(String(16), "最高学历（GB/T 4658 名称）")
    degree: Mapped[str | None] = col(String(8), "最高学位：博士/硕士/学士/无")
    school: Mapped[str | None] = col(String(128), "毕业院校")
    major: Mapped[str | None] = col(String(128), "所学专业")
    graduation_date: Mapped[dt.date | None] = col(Date, "毕业时间")
    professional_title: Mapped[str | None] = col(String(64), "专业技术职务")
    vocational_qualification: Mapped[str | None] = col(String(128), "职业资格")
    employer_name: Mapped[str | None] = col(String(255), "工作单位（工商登记企业名称）", index=True)
    employer_uscc: Mapped[str | None] = col(String(18), "单位统一社会信用代码", index=True)
    unit_id: Mapped[int | None] = col(BigId, "关联单位ID", ForeignKey("unit.id"), index=True)
    entrust_mode: Mapped[str | None] = col(String(8), "委托方式：个人委托/单位委托")
    unit_account_no: Mapped[str | None] = col(String(32), "立户编号（单位委托时）", index=True)
    unit_account_id: Mapped[int | None] = col(BigId, "立户ID", ForeignKey("unit_account.id"), index=True)
    archive_source: Mapped[str | None] = col(String(255), "档案来源")
    archive_received_date: Mapped[dt.date | None] = col(Date, "档案接收时间", index=True)
    archive_status: Mapped[str | None] = col(String(8), "档案状态：在库/借出/已转出")
    collective_hukou: Mapped[bool | None] = col(Boolean, "集体户口：是否在本机构集体户")
    hukou_reg_no: Mapped[str | None] = col(String(32), "户籍编号（集体户）", index=True)
    settle_date: Mapped[dt.date | None] = col(Date, "落户时间")
    transfer_out_date: Mapped[dt.date | None] = col(Date, "转出日期（与档案转出关联）")
    transfer_out_to: Mapped[str | None] = col(String(255), "转往单位（与档案转出关联）")
    transfer_out_reason: Mapped[str | None] = col(String(255), "转出原因（与档案转出关联）")
    employment_status: Mapped[str | None] = col(String(8), "就业状态：就业/失业（社保数据）")
    insured_status: Mapped[str | None] = col(String(8), "参保状态（社保数据）")
    remarks: Mapped[str | None] = col(Text, "备注")
    data_source: Mapped[str] = col(String(8), "数据来源：采集表/业务", nullable=False,
                                   default="业务", server_default="业务")
    source_batch: Mapped[str | None] = col(String(64), "来源批次（采集表导入）")
    clerk_fields: Mapped[str | None] = col(
        Text, "经办人录入或确认的字段（表头，分号分隔）；数据流水线不覆盖这些字段")
    pending_raw: Mapped[str | None] = col(
        Text, "待核实的原值（JSON 表头→原样文本）：不能存入本列的非规范值，如只有年月的日期")
    load_hash: Mapped[str | None] = col(String(64), "迁移装载指纹（HMAC-SM3，含子表）；相同则重跑不写")

    studies: Mapped[list["PersonStudy"]] = relationship(back_populates="person", cascade="all, delete-orphan")
    works: Mapped[list["PersonWork"]] = relationship(back_populates="person", cascade="all, delete-orphan")
    titles: Mapped[list["PersonTitle"]] = relationship(back_populates="person", cascade="all, delete-orphan")
    family: Mapped[list["PersonFamily"]] = relationship(back_populates="person", cascade="all, delete-orphan")


@event.listens_for(Person, "before_insert")
@event.listens_for(Person, "before_update")
def _keep_initials(_mapper, _conn, target: Person) -> None:
    """The search column follows 姓名 on every ORM write (the bulk load fills it with `initials_many`)."""
    target.name_initials = name_initials(target.name)


class PersonStudy(BusinessRecord, Base):
    """学习经历."""

    __tablename__ = "person_study"
    __table_args__ = table_args("学习经历")

    person_id: Mapped[int] = person_fk()
    start_date: Mapped[dt.date | None] = col(Date, "起始时间")
    end_date: Mapped[dt.date | None] = col(Date, "终止时间")
    school: Mapped[str | None] = col(String(128), "学校")
    major: Mapped[str | None] = col(String(128), "专业")
    education_level: Mapped[str | None] = col(String(16), "学历")
    degree: Mapped[str | None] = col(String(8), "学位")
    cert_no: Mapped[str | None] = col(String(64), "学历证书编号（教育数据）")
    source: Mapped[str | None] = col(String(8), "来源：采集表/教育/业务")
    pending_raw: Mapped[str | None] = col(Text, "待核实的原值（JSON 表头→原样文本）")
    seq: Mapped[int] = col(Integer, "序号", nullable=False, default=0, server_default="0")

    person: Mapped[Person] = relationship(back_populates="studies")


class PersonWork(BusinessRecord, Base):
    """工作经历."""

    __tablename__ = "person_work"
    __table_args__ = table_args("工作经历")

    person_id: Mapped[int] = person_fk()
    start_date: Mapped[dt.date | None] = col(Date, "起始时间")
    end_date: Mapped[dt.date | None] = col(Date, "终止时间")
    employer: Mapped[str | None] = col(String(255), "工作单位")
    department: Mapped[str | None] = col(String(128), "部门")
    position: Mapped[str | None] = col(String(128), "职务")
    source: Mapped[str | None] = col(String(8), "来源：采集表/社保/业务")
    pending_raw: Mapped[str | None] = col(Text, "待核实的原值（JSON 表头→原样文本）")
    seq: Mapped[int] = col(Integer, "序号", nullable=False, default=0, server_default="0")

    person: Mapped[Person] = relationship(back_populates="works")


class PersonTitle(BusinessRecord, Base):
    """职称（专业技术职务）与职业资格."""

    __tablename__ = "person_title"
    __table_args__ = table_args("职称与职业资格")

    person_id: Mapped[int] = person_fk()
    kind: Mapped[str] = col(String(8), "类别：职称/职业资格", nullable=False)
    name: Mapped[str] = col(String(128), "名称", nullable=False)
    level: Mapped[str | None] = col(String(32), "等级（正高级/副高级/中级/初级，或一至五级）")
    grant_date: Mapped[dt.date | None] = col(Date, "取得时间")
    issuer: Mapped[str | None] = col(String(128), "评审或发证机关")
    cert_no: Mapped[str | None] = col(String(64), "证书编号")

    person: Mapped[Person] = relationship(back_populates="titles")


class PersonFamily(BusinessRecord, Base):
    """家庭成员及主要社会关系 (the data page behind 亲属关系证明)."""

    __tablename__ = "person_family"
    __table_args__ = table_args("家庭成员及主要社会关系")

    person_id: Mapped[int] = person_fk()
    relation: Mapped[str | None] = col(String(16), "称谓（与本人关系：父亲/母亲/配偶/子女/兄弟姐妹等）")
    name: Mapped[str | None] = col(String(64), "姓名")
    birth_date: Mapped[dt.date | None] = col(Date, "出生日期")
    id_number_enc: Mapped[str | None] = pii_enc("id_number", "公民身份号码")
    id_number_bidx: Mapped[str | None] = pii_bidx("公民身份号码")
    political_status: Mapped[str | None] = col(String(16), "政治面貌")
    employer: Mapped[str | None] = col(String(255), "工作单位及职务")
    remarks: Mapped[str | None] = col(Text, "备注")
    seq: Mapped[int] = col(Integer, "序号", nullable=False, default=0, server_default="0")

    person: Mapped[Person] = relationship(back_populates="family")
