"""Forms of the business views (Flask-WTF: every POST carries the CSRF token)."""
from __future__ import annotations

from flask_wtf import FlaskForm
from wtforms import (BooleanField, HiddenField, SelectField, SelectMultipleField, StringField,
                     TextAreaField)
from ..i18n import N_, _l
from wtforms.validators import DataRequired, Length, Optional, Regexp

from ..notice_service import NOTICE_TYPES

TYPE_CHOICES = [(t, _l(t)) for t in NOTICE_TYPES]  # stored value Chinese, label in the user's language


TITLE_LENGTH = Length(max=128, message=_l("标题不能超过 128 个字"))
BODY_LENGTH = Length(max=60000, message=_l("正文不能超过 60000 个字"))


class NoticeTemplateForm(FlaskForm):
    name = StringField(_l("模板名称"), validators=[DataRequired(message=_l("请输入模板名称")),
                                               Length(max=64, message=_l("模板名称不能超过 64 个字"))])
    notice_type = SelectField(_l("公告类型"), choices=TYPE_CHOICES)
    body = TextAreaField(_l("正文"), validators=[DataRequired(message=_l("请输入正文")), BODY_LENGTH])


class NoticeForm(FlaskForm):
    template_id = SelectField(_l("文字模板"), coerce=int, validators=[Optional()], validate_choice=False)
    title = StringField(_l("标题"), validators=[DataRequired(message=_l("请输入标题")), TITLE_LENGTH])
    notice_type = SelectField(_l("公告类型"), choices=TYPE_CHOICES)
    # Checked by the view against the scope's publishers, with a message naming the field (issue 13).
    publisher_id = SelectField(_l("发布者"), coerce=int, validate_choice=False)
    body = TextAreaField(_l("正文"), validators=[DataRequired(message=_l("请输入正文")), BODY_LENGTH])


class PublishForm(FlaskForm):
    # Checked by the view against the scope's users, with a message naming the field (issue 13).
    group_ids = SelectMultipleField(_l("发布到用户组"), coerce=int, validators=[Optional()], validate_choice=False)
    user_ids = SelectMultipleField(_l("发布到用户"), coerce=int, validators=[Optional()], validate_choice=False)


class QuickNoticeForm(PublishForm):
    """The 工作台's publish form: write and publish in one step (发布者 is the current user)."""
    title = StringField(_l("标题"), validators=[DataRequired(message=_l("请输入标题")), TITLE_LENGTH])
    notice_type = SelectField(_l("公告类型"), choices=TYPE_CHOICES)
    body = TextAreaField(_l("正文"), validators=[DataRequired(message=_l("请输入正文")), BODY_LENGTH])


class ShortcutForm(FlaskForm):
    menu_key = SelectField(_l("功能"), validators=[DataRequired()])


class ActionForm(FlaskForm):
    """A POST with nothing but the CSRF token (remove, move, mark read, done)."""
    direction = HiddenField(validators=[Optional()])


class AssignForm(FlaskForm):
    assignee = SelectField(_l("分配给"), validators=[DataRequired(message=_l("请选择用户组或用户"))])


class AgencyForm(FlaskForm):
    """存档机构 (系统管理 → 存档机构管理)."""
    code = StringField(_l("机构代码"), validators=[DataRequired(message=_l("请输入机构代码")), Length(max=8)])
    name = StringField(_l("机构名称"), validators=[DataRequired(message=_l("请输入机构名称")), Length(max=128)])
    level = SelectField(_l("级别"), choices=[(v, _l(v)) for v in (N_("省级"), N_("市级"), N_("县级"))])
    region_code = StringField(_l("行政区划代码"), validators=[DataRequired(message=_l("请输入行政区划代码")), Length(max=6)])
    parent_code = SelectField(_l("上级机构"), validators=[Optional()])
    address = StringField(_l("地址"), validators=[Optional(), Length(max=255)])
    phone = StringField(_l("联系电话"), validators=[Optional(), Length(max=32)])
    contact = StringField(_l("联系人"), validators=[Optional(), Length(max=64)])
    active = BooleanField(_l("启用"))


class UserForm(FlaskForm):
    """用户 (系统管理 → 用户管理). No password: a 安全管理员's confirmation issues it (三员分立)."""
    username = StringField(_l("用户名"), validators=[DataRequired(message=_l("请输入用户名")), Length(max=64),
                                              Regexp(r"^[A-Za-z0-9_.-]+$", message=_l("用户名只能含字母、数字、_ . -"))])
    first_name = StringField(_l("姓名"), validators=[DataRequired(message=_l("请输入姓名")), Length(max=64)])
    agency_code = SelectField(_l("所属存档机构"), validators=[DataRequired(message=_l("请选择存档机构"))])
    roles = SelectMultipleField(_l("角色"), validators=[Optional()])
    active = BooleanField(_l("启用"))
