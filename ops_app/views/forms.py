"""Forms of the business views (Flask-WTF: every POST carries the CSRF token)."""
from __future__ import annotations

from flask_wtf import FlaskForm
from wtforms import (BooleanField, HiddenField, PasswordField, SelectField, SelectMultipleField, StringField,
                     TextAreaField)
from wtforms.validators import DataRequired, Length, Optional, Regexp

from ..notice_service import NOTICE_TYPES

TYPE_CHOICES = [(t, t) for t in NOTICE_TYPES]


class NoticeTemplateForm(FlaskForm):
    name = StringField("模板名称", validators=[DataRequired(message="请输入模板名称"), Length(max=64)])
    notice_type = SelectField("公告类型", choices=TYPE_CHOICES)
    body = TextAreaField("正文", validators=[DataRequired(message="请输入正文"), Length(max=60000)])


class NoticeForm(FlaskForm):
    template_id = SelectField("文字模板", coerce=int, validators=[Optional()])
    title = StringField("标题", validators=[DataRequired(message="请输入标题"), Length(max=128)])
    notice_type = SelectField("公告类型", choices=TYPE_CHOICES)
    publisher_id = SelectField("发布者", coerce=int)
    body = TextAreaField("正文", validators=[DataRequired(message="请输入正文"), Length(max=60000)])


class PublishForm(FlaskForm):
    group_ids = SelectMultipleField("发布到用户组", coerce=int, validators=[Optional()])
    user_ids = SelectMultipleField("发布到用户", coerce=int, validators=[Optional()])


class QuickNoticeForm(PublishForm):
    """The 工作台's publish form: write and publish in one step (发布者 is the current user)."""
    title = StringField("标题", validators=[DataRequired(message="请输入标题"), Length(max=128)])
    notice_type = SelectField("公告类型", choices=TYPE_CHOICES)
    body = TextAreaField("正文", validators=[DataRequired(message="请输入正文"), Length(max=60000)])


class ShortcutForm(FlaskForm):
    menu_key = SelectField("功能", validators=[DataRequired()])


class ActionForm(FlaskForm):
    """A POST with nothing but the CSRF token (remove, move, mark read, done)."""
    direction = HiddenField(validators=[Optional()])


class AssignForm(FlaskForm):
    assignee = SelectField("分配给", validators=[DataRequired(message="请选择用户组或用户")])


class AgencyForm(FlaskForm):
    """存档机构 (系统管理 → 存档机构管理)."""
    code = StringField("机构代码", validators=[DataRequired(message="请输入机构代码"), Length(max=8)])
    name = StringField("机构名称", validators=[DataRequired(message="请输入机构名称"), Length(max=128)])
    level = SelectField("级别", choices=[(v, v) for v in ("省级", "市级", "县级")])
    region_code = StringField("行政区划代码", validators=[DataRequired(message="请输入行政区划代码"), Length(max=6)])
    parent_code = SelectField("上级机构", validators=[Optional()])
    address = StringField("地址", validators=[Optional(), Length(max=255)])
    phone = StringField("联系电话", validators=[Optional(), Length(max=32)])
    contact = StringField("联系人", validators=[Optional(), Length(max=64)])
    active = BooleanField("启用")


class UserForm(FlaskForm):
    """用户 (系统管理 → 用户管理); the initial password only when creating."""
    username = StringField("用户名", validators=[DataRequired(message="请输入用户名"), Length(max=64),
                                              Regexp(r"^[A-Za-z0-9_.-]+$", message="用户名只能含字母、数字、_ . -")])
    first_name = StringField("姓名", validators=[DataRequired(message="请输入姓名"), Length(max=64)])
    agency_code = SelectField("所属存档机构", validators=[DataRequired(message="请选择存档机构")])
    roles = SelectMultipleField("角色", validators=[Optional()])
    password = PasswordField("初始口令", validators=[Optional(), Length(max=128)])
    active = BooleanField("启用")
