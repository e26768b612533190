"""FAB's user model, extended with the columns our migrations add to ab_user.

The table itself is owned by archives_domain (models/security.py, migrations);
this mapping only lets FAB's session load and save those columns.
"""
from __future__ import annotations

from flask_appbuilder.security.sqla.models import User
from sqlalchemy import BigInteger, Boolean, Column, DateTime, Integer, String


class ArchivesUser(User):
    __tablename__ = "ab_user"

    agency_code = Column(String(8))
    password_changed_at = Column(DateTime)
    must_change_password = Column(Boolean, nullable=False, default=True)
    locked_until = Column(DateTime)
    session_id = Column(String(64))
    last_login_ip = Column(String(45))
    prev_login_at = Column(DateTime)
    prev_login_ip = Column(String(45))
    totp_secret_enc = Column(String(160))
    totp_enabled = Column(Boolean, nullable=False, default=False)
    totp_last_step = Column(BigInteger().with_variant(Integer, "sqlite"))
