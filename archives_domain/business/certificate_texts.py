"""出具相关证明: the fixed texts of each kind of certificate, as data (附件 一.2, 二.5).

Each kind names its PDF template (`documents/templates/certificate_*.html`), its title and the sentences
printed around the facts; `{…}` placeholders are filled from the certificate's content snapshot, so what is
printed is exactly what was signed. Changing a text changes only certificates issued afterwards (the snapshot
of an issued one keeps the sentences it was issued with).
"""
from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True)
class CertKind:
    name: str  # 证明类型 (certificate.cert_type, numbering kind)
    template: str  # documents/templates file
    slug: str  # ASCII name for files and screenshots
    opening: str  # the first paragraph, before any table
    closing: str = "特此证明。"
    columns: tuple[tuple[str, str], ...] = ()  # (key, header) of the table of facts, if any


ARCHIVE = CertKind(
    name="存档证明", template="certificate_archive.html", slug="archive",
    opening="兹证明{name}（{sex_part}公民身份号码：{id_number}），其人事档案{since_part}存放于{agency_name}，"
            "档案编号为{archive_no}{status_part}。")
EXPERIENCE = CertKind(
    name="经历证明", template="certificate_experience.html", slug="experience",
    opening="兹证明{name}（{sex_part}公民身份号码：{id_number}，档案编号：{archive_no}），"
            "其人事档案存放于{agency_name}。经查阅其人事档案，其学习、工作经历如下：",
    columns=(("period", "起止时间"), ("kind", "类别"), ("where", "学校（单位）"), ("what", "专业（部门、职务）")))
FAMILY = CertKind(
    name="亲属关系证明", template="certificate_family.html", slug="family",
    opening="兹证明{name}（{sex_part}公民身份号码：{id_number}，档案编号：{archive_no}），"
            "其人事档案存放于{agency_name}。经查阅其人事档案记载，其与下列人员的亲属关系如下：",
    columns=(("relation", "称谓"), ("name", "姓名"), ("birth_date", "出生日期")))

KINDS: dict[str, CertKind] = {k.name: k for k in (ARCHIVE, EXPERIENCE, FAMILY)}

PURPOSE = "本证明用于{purpose}。"
VALIDITY = "本证明经本机构电子签名，可扫描二维码或访问核验地址查验真伪；涂改、复印无效。"
# Printed across a revoked certificate (and shown on its pages).
REVOKED_MARK = "已作废"
