"""security hardening for login and audit

等保三级 login controls on ab_user (password age and forced change, lockout,
single session, last login shown to the user, TOTP secret), the password
history, and the audit chain head (the lock row that serialises appends).
Grants are not a migration's business: migrations run as the owner account,
and the programs run as the least-privilege accounts of `archives db accounts`
(archives_app may only SELECT and INSERT audit_log; see docs/security.md).

Revision ID: 0004
Revises: 0003
Create Date: 2026-11-24 06:12:27.608569
"""
from typing import Sequence, Union

import logging

from alembic import op
import sqlalchemy as sa

log = logging.getLogger("alembic.runtime.migration")
GENESIS_MAC = "0" * 64  # archives_domain.audit.GENESIS_MAC (migrations do not import app code)


revision: str = '0004'
down_revision: Union[str, None] = '0003'
branch_labels: Union[str, Sequence[str], None] = None
depends_on: Union[str, Sequence[str], None] = None


def upgrade() -> None:
    op.create_table('audit_chain_head',
    sa.Column('id', sa.Integer(), autoincrement=False, nullable=False, comment='主键（固定为1）'),
    sa.Column('last_id', sa.BigInteger().with_variant(sa.Integer(), 'sqlite'), nullable=True, comment='最后一条日志ID'),
    sa.Column('last_mac', sa.String(length=64), nullable=False, comment='最后一条日志校验值'),
    sa.Column('entries', sa.BigInteger().with_variant(sa.Integer(), 'sqlite'), server_default='0', nullable=False, comment='已追加条数'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_audit_chain_head')),
    comment='审计日志链头（串行化追加的锁行，记录最后一条的ID与校验值）',
    mysql_charset='utf8mb4',
    mysql_collate='utf8mb4_unicode_ci',
    mysql_engine='InnoDB'
    )
    op.create_table('ab_password_history',
    sa.Column('id', sa.Integer(), nullable=False, comment='主键'),
    sa.Column('user_id', sa.Integer(), nullable=False, comment='用户ID'),
    sa.Column('password', sa.String(length=256), nullable=False, comment='口令摘要（PBKDF2-HMAC-SM3）'),
    sa.Column('changed_at', sa.DateTime(), nullable=False, comment='设置时间'),
    sa.ForeignKeyConstraint(['user_id'], ['ab_user.id'], name=op.f('fk_ab_password_history_user_id'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_ab_password_history')),
    comment='用户历史口令（最近5次不得重复使用）',
    mysql_charset='utf8mb4',
    mysql_collate='utf8mb4_unicode_ci',
    mysql_engine='InnoDB'
    )
    with op.batch_alter_table('ab_password_history', schema=None) as batch_op:
        batch_op.create_index('ix_ab_password_history_user_time', ['user_id', 'changed_at'], unique=False)

    with op.batch_alter_table('ab_user', schema=None) as batch_op:
        batch_op.add_column(sa.Column('password_changed_at', sa.DateTime(), nullable=True, comment='口令最近修改时间（90天到期）'))
        batch_op.add_column(sa.Column('must_change_password', sa.Boolean(), server_default='1', nullable=False, comment='下次登录须修改口令'))
        batch_op.add_column(sa.Column('locked_until', sa.DateTime(), nullable=True, comment='锁定截止时间（连续登录失败）'))
        batch_op.add_column(sa.Column('session_id', sa.String(length=64), nullable=True, comment='当前有效会话标识（单点在线；登出或新登录即失效）'))
        batch_op.add_column(sa.Column('last_login_ip', sa.String(length=45), nullable=True, comment='最近登录IP'))
        batch_op.add_column(sa.Column('prev_login_at', sa.DateTime(), nullable=True, comment='上次登录时间（登录后向用户展示）'))
        batch_op.add_column(sa.Column('prev_login_ip', sa.String(length=45), nullable=True, comment='上次登录IP（登录后向用户展示）'))
        batch_op.add_column(sa.Column('totp_secret_enc', sa.String(length=160), nullable=True, comment='TOTP动态口令密钥（SM4密文）'))
        batch_op.add_column(sa.Column('totp_enabled', sa.Boolean(), server_default='0', nullable=False, comment='是否已启用TOTP动态口令'))

    # The chain head starts at the newest existing entry (or the genesis value).
    bind = op.get_bind()
    last = bind.execute(sa.text("select id, mac from audit_log order by id desc limit 1")).first()
    count = bind.execute(sa.text("select count(*) from audit_log")).scalar()
    bind.execute(sa.text("insert into audit_chain_head (id, last_id, last_mac, entries) values (1, :i, :m, :n)"),
                 {"i": last[0] if last else None, "m": last[1] if last else GENESIS_MAC, "n": count})
    if bind.dialect.name == "mysql":
        _note_grants()


def _note_grants() -> None:
    """Says where the append-only grant comes from.

    Earlier this revision revoked UPDATE/DELETE on audit_log from the migrating
    account; but that account is the owner (it must alter every table), and
    MySQL cannot take one table out of a database-wide grant anyway. The app's
    account is made by `archives db accounts` with SELECT/INSERT on audit_log.
    """
    log.info("审计日志只追加由 archives db accounts 创建的 archives_app 账号保证（仅 SELECT/INSERT audit_log），"
             "迁移账号为属主账号，不受此限；见 docs/security.md")


def downgrade() -> None:
    with op.batch_alter_table('ab_user', schema=None) as batch_op:
        batch_op.drop_column('totp_enabled')
        batch_op.drop_column('totp_secret_enc')
        batch_op.drop_column('prev_login_ip')
        batch_op.drop_column('prev_login_at')
        batch_op.drop_column('last_login_ip')
        batch_op.drop_column('session_id')
        batch_op.drop_column('locked_until')
        batch_op.drop_column('must_change_password')
        batch_op.drop_column('password_changed_at')

    # The index goes with its table: MySQL refuses to drop it first (the FK on user_id uses it).
    op.drop_table('ab_password_history')
    op.drop_table('audit_chain_head')
