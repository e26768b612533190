"""Forms of the business views (Flask-WTF: every POST carries the CSRF token)."""
from __future__ import annotations

from flask_wtf import FlaskForm
from wtforms import HiddenField, SelectField, SelectMultipleField, StringField, TextAreaField
from wtforms.validators import DataRequired, Length, Optional

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
