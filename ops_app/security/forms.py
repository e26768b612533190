"""Login and password forms (Flask-WTF: every POST carries the CSRF token)."""
from __future__ import annotations

from flask_wtf import FlaskForm
from wtforms import PasswordField, StringField
from ..i18n import _l
from wtforms.validators import DataRequired, EqualTo, Length, Regexp


class LoginForm(FlaskForm):
    username = StringField(_l("用户名"), validators=[DataRequired(message=_l("请输入用户名")), Length(max=128)])
    password = PasswordField(_l("口令"), validators=[DataRequired(message=_l("请输入口令")), Length(max=128)])


class ChangePasswordForm(FlaskForm):
    old_password = PasswordField(_l("原口令"), validators=[DataRequired(message=_l("请输入原口令"))])
    new_password = PasswordField(_l("新口令"), validators=[DataRequired(message=_l("请输入新口令")), Length(max=128)])
    confirm = PasswordField(_l("确认新口令"), validators=[DataRequired(message=_l("请再次输入新口令")),
                                                   EqualTo("new_password", message=_l("两次输入的新口令不一致"))])


class TotpForm(FlaskForm):
    code = StringField(_l("动态口令"), validators=[DataRequired(message=_l("请输入 6 位动态口令")),
                                              Regexp(r"^\s*\d{6}\s*$", message=_l("动态口令为 6 位数字"))])
