"""图片上传和查看: images attached to a business record (附件: 档案转入, 档案转出 with 转出回执, 集体户口代理,
数据图表, 组织关系转接, 档案查阅, 材料利用, and the person's own), as commands like any other business.

`OWNERS` (data) says for each owner type its model, its label and the module of the 用户权限 tree whose
holders may see its images; the app asks that module, the command asks the data scope: an image of another
agency's record is NotFound. Files live under the var dir (`archives_domain.files`), their SM3 digest in the
row; reading checks the digest, so a file changed on disk is refused, not shown.
"""
from __future__ import annotations

import io
from dataclasses import dataclass
from pathlib import Path

from sqlalchemy import select

from .. import files as store
from ..models import (ArchiveConsultation, ArchiveTransferIn, ArchiveTransferOut, Attachment, CollectiveHukou,
                      MaterialUse, PartyOrgTransfer, Person, UnitAccount)
from ..private_files import private_dir, write_private
from .base import BusinessError, Context, NotFound, audit, get_in_scope, in_scope, stamp


@dataclass(frozen=True)
class Owner:
    model: type
    label: str
    module: str  # key of the 用户权限 tree (ops_app.menu) whose holders see these images
    path: tuple[str, ...]  # module path for the audit log


OWNERS: dict[str, Owner] = {
    "person": Owner(Person, "人员", "personal.info.basic", ("个人快捷受理", "个人信息管理", "基础信息")),
    "archive_transfer_in": Owner(ArchiveTransferIn, "档案转入", "personal.business.transfer_in",
                                 ("个人快捷受理", "可办业务", "档案转入")),
    "archive_transfer_out": Owner(ArchiveTransferOut, "档案转出", "transfer.out", ("档案转递", "档案转出")),
    "collective_hukou": Owner(CollectiveHukou, "集体户口代理", "personal.business.hukou",
                              ("个人快捷受理", "可办业务", "集体户口代理")),
    "unit_account": Owner(UnitAccount, "单位立户·数据图表", "unit.account.charts", ("单位管理", "单位立户信息", "数据图表")),
    "party_org_transfer": Owner(PartyOrgTransfer, "组织关系转接", "party.transfer", ("流动党员管理", "组织关系转接")),
    "archive_consultation": Owner(ArchiveConsultation, "档案查阅", "warehouse.consult", ("库房管理", "档案查阅")),
    "material_use": Owner(MaterialUse, "材料利用", "warehouse.material_use", ("库房管理", "材料利用")),
}
THUMB_PX = 240


def owner(owner_type: str) -> Owner:
    if owner_type not in OWNERS:
        raise NotFound("附件所属业务")
    return OWNERS[owner_type]


def attach_image(ctx: Context, owner_type: str, owner_id: int, filename: str | None, data: bytes, *,
                 purpose: str | None = None) -> Attachment:
    """Upload: the owner must be in scope; the file must be an image (JPEG/PNG/TIFF, ≤ 5 MB); audited with
    its SM3 digest. A failed commit removes the stored file (nothing half-kept)."""
    o = owner(owner_type)
    record = get_in_scope(ctx, o.model, owner_id, o.label)
    try:
        stored = store.store(ctx.var_dir, record.agency_code, filename, data)
    except store.UploadError as exc:
        raise BusinessError(str(exc), "file") from None
    try:
        row = Attachment(agency_code=record.agency_code, owner_type=owner_type, owner_id=record.id,
                         purpose=(purpose or "").strip()[:32] or None, filename=stored.filename,
                         content_type=stored.content_type, size_bytes=stored.size_bytes, sm3=stored.sm3,
                         storage_key=stored.storage_key)
        stamp(ctx, row, new=True)
        ctx.session.add(row)
        ctx.session.flush()
        audit(ctx, "上传", f"为{o.label}（ID {record.id}）上传图片“{stored.filename}”", module=o.path,
              object_type=owner_type, object_id=record.id,
              after={"attachment_id": row.id, "filename": stored.filename, "content_type": stored.content_type,
                     "size_bytes": stored.size_bytes, "sm3": stored.sm3, "purpose": row.purpose})
        ctx.session.commit()
    except BaseException:
        ctx.session.rollback()
        store.remove(ctx.var_dir, stored.storage_key)
        raise
    return row


def list_for(ctx: Context, owner_type: str, owner_id: int) -> list[Attachment]:
    return list(ctx.session.scalars(select(Attachment).where(
        Attachment.owner_type == owner_type, Attachment.owner_id == owner_id, in_scope(ctx, Attachment))
        .order_by(Attachment.id)))


def counts_for(ctx: Context, owner_type: str, owner_ids: list[int]) -> dict[int, int]:
    """Images per record, for a list page's 图片 column (one query)."""
    from sqlalchemy import func
    if not owner_ids:
        return {}
    rows = ctx.session.execute(select(Attachment.owner_id, func.count()).where(
        Attachment.owner_type == owner_type, Attachment.owner_id.in_(owner_ids), in_scope(ctx, Attachment))
        .group_by(Attachment.owner_id)).all()
    return {r[0]: r[1] for r in rows}


def get(ctx: Context, attachment_id: int) -> Attachment:
    return get_in_scope(ctx, Attachment, attachment_id, "图片")


def read_bytes(ctx: Context, att: Attachment) -> bytes:
    """The stored file, its SM3 digest checked (a changed or missing file is refused)."""
    import hashlib
    path = Path(ctx.var_dir) / att.storage_key
    try:
        data = path.read_bytes()
    except FileNotFoundError:
        raise NotFound("图片文件") from None
    if hashlib.new("sm3", data).hexdigest() != att.sm3:
        raise BusinessError("图片文件已被改动（SM3 校验不符），不予显示")
    return data


def thumbnail(ctx: Context, att: Attachment) -> bytes:
    """A JPEG of at most THUMB_PX on the long side, made once and kept beside the file (0600)."""
    path = Path(ctx.var_dir) / "thumbs" / f"{att.sm3}.jpg"
    if path.exists():
        return path.read_bytes()
    from PIL import Image, ImageOps
    with Image.open(io.BytesIO(read_bytes(ctx, att))) as img:
        img.draft("RGB", (THUMB_PX * 2, THUMB_PX * 2))  # JPEG: decode at a reduced scale (fast)
        img = ImageOps.exif_transpose(img)
        img.thumbnail((THUMB_PX, THUMB_PX))
        buf = io.BytesIO()
        img.convert("RGB").save(buf, format="JPEG", quality=82)
    data = buf.getvalue()
    private_dir(path.parent)
    write_private(path, data)
    return data


def view_image(ctx: Context, attachment_id: int) -> tuple[Attachment, bytes]:
    """查看: the full image, audited (personal documents: who looked at which)."""
    att = get(ctx, attachment_id)
    data = read_bytes(ctx, att)
    o = OWNERS.get(att.owner_type)
    audit(ctx, "查看", f"查看图片“{att.filename}”（{o.label if o else att.owner_type} ID {att.owner_id}）",
          module=o.path if o else ("附件",), object_type="attachment", object_id=att.id)
    ctx.session.commit()
    return att, data
