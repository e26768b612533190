"""/files: upload an image to a business record, its thumbnail, its full view.

Who: the module of the owner (`archives_domain.business.attachments.OWNERS[...].module`) must be held, and
the record must be in the data scope (else 404); uploading needs 上传附件 too. Upload and full view are
audited (by the commands); thumbnails are not (they are made from the same checked file, 240 px).
Pages include the panel with `{% from "business/_macros.html" import attachments_panel %}`.
"""
from __future__ import annotations

from flask import abort, flash, redirect, request, url_for
from flask_appbuilder import BaseView, expose
from flask_wtf import FlaskForm

from archives_domain.business import attachments
from archives_domain.business.base import BusinessError, NotFound

from .. import business_ui
from ..access import can
from ..i18n import _
from ..security import permissions as P
from ..security.permissions import forbidden


def _may_see(owner_type: str) -> bool:
    o = attachments.OWNERS.get(owner_type)
    return o is not None and P.can(o.module)


def _back(default: str) -> str:
    nxt = request.form.get("next") or ""
    return nxt if nxt.startswith("/") and not nxt.startswith("//") else default


class FilesView(BaseView):
    route_base = "/files"
    archives_module = "workbench"  # every business user; the owner's module is checked per request

    @expose("/<owner_type>/<int:owner_id>", methods=["POST"])
    def upload(self, owner_type: str, owner_id: int):
        if not _may_see(owner_type):
            abort(404)
        if not can(self._user(), "attachment.upload"):
            return forbidden(_("您没有上传附件的权限"))
        if not FlaskForm().validate_on_submit():
            return forbidden(_("表单已过期，请重试"))
        upload = request.files.get("file")
        data = upload.read(attachments.store.MAX_BYTES + 1) if upload else b""
        ctx = business_ui.context()
        back = _back(url_for("WorkbenchView.index"))
        try:
            attachments.attach_image(ctx, owner_type, owner_id, upload.filename if upload else None, data,
                                     purpose=request.form.get("purpose"))
        except NotFound:
            abort(404)
        except BusinessError as exc:
            flash(_("未上传：") + _(exc.message), "danger")
            return redirect(back)
        flash(_("图片已上传"), "success")
        return redirect(back)

    @expose("/<int:attachment_id>")
    def view(self, attachment_id: int):
        ctx = business_ui.context()
        try:
            att = attachments.get(ctx, attachment_id)
            if not _may_see(att.owner_type):
                abort(404)
            att, data = attachments.view_image(ctx, attachment_id)
        except NotFound:
            abort(404)
        except BusinessError as exc:
            return forbidden(exc.message)
        return business_ui.send_image(data, att.content_type, att.filename)

    @expose("/<int:attachment_id>/thumb")
    def thumb(self, attachment_id: int):
        ctx = business_ui.context()
        try:
            att = attachments.get(ctx, attachment_id)
            if not _may_see(att.owner_type):
                abort(404)
            data = attachments.thumbnail(ctx, att)
        except NotFound:
            abort(404)
        except BusinessError as exc:
            return forbidden(exc.message)
        return business_ui.send_image(data, "image/jpeg", f"thumb-{att.id}.jpg")

    @staticmethod
    def _user():
        from flask import g
        return g.user
