"""users, roles and audit log

Revision ID: 0002
Revises: 0001
Create Date: 2026-11-24 06:01:51.024832
"""
from typing import Sequence, Union

from alembic import op
import sqlalchemy as sa
from sqlalchemy.dialects import mysql

revision: str = '0002'
down_revision: Union[str, None] = '0001'
branch_labels: Union[str, Sequence[str], None] = None
depends_on: Union[str, Sequence[str], None] = None


def upgrade() -> None:
    op.create_table('ab_group',
    sa.Column('id', sa.Integer(), nullable=False, comment='主键'),
    sa.Column('name', sa.String(length=100), nullable=False, comment='用户组名称'),
    sa.Column('label', sa.String(length=150), nullable=True, comment='显示名称'),
    sa.Column('description', sa.String(length=512), nullable=True, comment='说明'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_ab_group')),
    sa.UniqueConstraint('name', name=op.f('uq_ab_group_name')),
    comment='用户组',
    mysql_charset='utf8mb4',
    mysql_collate='utf8mb4_unicode_ci',
    mysql_engine='InnoDB'
    )
    op.create_table('ab_permission',
    sa.Column('id', sa.Integer(), nullable=False, comment='主键'),
    sa.Column('name', sa.String(length=100), nullable=False, comment='权限名称'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_ab_permission')),
    sa.UniqueConstraint('name', name=op.f('uq_ab_permission_name')),
    comment='权限动作（FAB）',
    mysql_charset='utf8mb4',
    mysql_collate='utf8mb4_unicode_ci',
    mysql_engine='InnoDB'
    )
    op.create_table('ab_register_user',
    sa.Column('id', sa.Integer(), nullable=False, comment='主键'),
    sa.Column('first_name', sa.String(length=64), nullable=False, comment='名'),
    sa.Column('last_name', sa.String(length=64), nullable=False, comment='姓'),
    sa.Column('username', sa.String(length=128), nullable=False, comment='用户名'),
    sa.Column('password', sa.String(length=256), nullable=True, comment='口令摘要'),
    sa.Column('email', sa.String(length=320), nullable=False, comment='电子邮箱'),
    sa.Column('registration_date', sa.DateTime(), nullable=True, comment='申请时间'),
    sa.Column('registration_hash', sa.String(length=256), nullable=True, comment='校验串'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_ab_register_user')),
    sa.UniqueConstraint('username', name=op.f('uq_ab_register_user_username')),
    comment='自助注册申请（FAB；本系统不开放自助注册）',
    mysql_charset='utf8mb4',
    mysql_collate='utf8mb4_unicode_ci',
    mysql_engine='InnoDB'
    )
    op.create_table('ab_role',
    sa.Column('id', sa.Integer(), nullable=False, comment='主键'),
    sa.Column('name', sa.String(length=64), nullable=False, comment='角色名称'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_ab_role')),
    sa.UniqueConstraint('name', name=op.f('uq_ab_role_name')),
    comment='角色',
    mysql_charset='utf8mb4',
    mysql_collate='utf8mb4_unicode_ci',
    mysql_engine='InnoDB'
    )
    op.create_table('ab_view_menu',
    sa.Column('id', sa.Integer(), nullable=False, comment='主键'),
    sa.Column('name', sa.String(length=250), nullable=False, comment='视图或菜单名称'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_ab_view_menu')),
    sa.UniqueConstraint('name', name=op.f('uq_ab_view_menu_name')),
    comment='视图与菜单（FAB）；对应1、2、3级模块',
    mysql_charset='utf8mb4',
    mysql_collate='utf8mb4_unicode_ci',
    mysql_engine='InnoDB'
    )
    op.create_table('audit_log',
    sa.Column('ts', sa.DateTime().with_variant(mysql.DATETIME(fsp=6), 'mysql'), nullable=False, comment='操作时间'),
    sa.Column('username', sa.String(length=128), nullable=True, comment='用户名'),
    sa.Column('agency_code', sa.String(length=8), nullable=True, comment='用户所属机构代码'),
    sa.Column('module1', sa.String(length=32), nullable=True, comment='一级模块'),
    sa.Column('module2', sa.String(length=32), nullable=True, comment='二级模块'),
    sa.Column('module3', sa.String(length=32), nullable=True, comment='三级模块'),
    sa.Column('action', sa.String(length=32), nullable=False, comment='操作类型：登录/登出/登录失败/锁定/新增/修改/删除/查看明文/导出/打印/上传/授权/配置'),
    sa.Column('summary', sa.String(length=512), nullable=False, comment='操作摘要'),
    sa.Column('object_type', sa.String(length=64), nullable=True, comment='操作对象类型'),
    sa.Column('object_id', sa.String(length=64), nullable=True, comment='操作对象ID'),
    sa.Column('before_data', sa.Text(), nullable=True, comment='修改前（JSON，敏感字段已脱敏）'),
    sa.Column('after_data', sa.Text(), nullable=True, comment='修改后（JSON，敏感字段已脱敏）'),
    sa.Column('client_ip', sa.String(length=45), nullable=True, comment='客户端IP'),
    sa.Column('result', sa.String(length=8), nullable=False, comment='结果：成功/失败'),
    sa.Column('prev_mac', sa.String(length=64), nullable=False, comment='上一条日志的校验值'),
    sa.Column('mac', sa.String(length=64), nullable=False, comment='本条校验值 HMAC-SM3(上一条校验值‖本条内容)'),
    sa.Column('id', sa.BigInteger().with_variant(sa.Integer(), 'sqlite'), autoincrement=True, nullable=False, comment='主键'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_audit_log')),
    comment='系统日志（审计日志，只追加，HMAC-SM3链式防篡改）',
    mysql_charset='utf8mb4',
    mysql_collate='utf8mb4_unicode_ci',
    mysql_engine='InnoDB'
    )
    with op.batch_alter_table('audit_log', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_audit_log_action'), ['action'], unique=False)
        batch_op.create_index('ix_audit_log_agency_time', ['agency_code', 'ts'], unique=False)
        batch_op.create_index(batch_op.f('ix_audit_log_ts'), ['ts'], unique=False)
        batch_op.create_index('ix_audit_log_user_time', ['username', 'ts'], unique=False)

    op.create_table('ab_group_role',
    sa.Column('id', sa.Integer(), nullable=False, comment='主键'),
    sa.Column('group_id', sa.Integer(), nullable=True, comment='用户组ID'),
    sa.Column('role_id', sa.Integer(), nullable=True, comment='角色ID'),
    sa.ForeignKeyConstraint(['group_id'], ['ab_group.id'], name=op.f('fk_ab_group_role_group_id'), ondelete='CASCADE'),
    sa.ForeignKeyConstraint(['role_id'], ['ab_role.id'], name=op.f('fk_ab_group_role_role_id'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_ab_group_role')),
    sa.UniqueConstraint('group_id', 'role_id', name=op.f('uq_ab_group_role_group_id_role_id')),
    comment='用户组的角色',
    mysql_charset='utf8mb4',
    mysql_collate='utf8mb4_unicode_ci',
    mysql_engine='InnoDB'
    )
    with op.batch_alter_table('ab_group_role', schema=None) as batch_op:
        batch_op.create_index('idx_group_id', ['group_id'], unique=False)
        batch_op.create_index('idx_group_role_id', ['role_id'], unique=False)

    op.create_table('ab_permission_view',
    sa.Column('id', sa.Integer(), nullable=False, comment='主键'),
    sa.Column('permission_id', sa.Integer(), nullable=True, comment='权限ID'),
    sa.Column('view_menu_id', sa.Integer(), nullable=True, comment='视图ID'),
    sa.ForeignKeyConstraint(['permission_id'], ['ab_permission.id'], name=op.f('fk_ab_permission_view_permission_id')),
    sa.ForeignKeyConstraint(['view_menu_id'], ['ab_view_menu.id'], name=op.f('fk_ab_permission_view_view_menu_id')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_ab_permission_view')),
    sa.UniqueConstraint('permission_id', 'view_menu_id', name=op.f('uq_ab_permission_view_permission_id_view_menu_id')),
    comment='权限与视图的组合（FAB）',
    mysql_charset='utf8mb4',
    mysql_collate='utf8mb4_unicode_ci',
    mysql_engine='InnoDB'
    )
    with op.batch_alter_table('ab_permission_view', schema=None) as batch_op:
        batch_op.create_index('idx_permission_id', ['permission_id'], unique=False)
        batch_op.create_index('idx_view_menu_id', ['view_menu_id'], unique=False)

    op.create_table('ab_user',
    sa.Column('id', sa.Integer(), nullable=False, comment='主键'),
    sa.Column('first_name', sa.String(length=64), nullable=False, comment='名'),
    sa.Column('last_name', sa.String(length=64), nullable=False, comment='姓'),
    sa.Column('username', sa.String(length=128), nullable=False, comment='用户名'),
    sa.Column('password', sa.String(length=256), nullable=True, comment='口令摘要（PBKDF2-HMAC-SM3）'),
    sa.Column('active', sa.Boolean(), nullable=True, comment='是否启用'),
    sa.Column('email', sa.String(length=320), nullable=False, comment='电子邮箱'),
    sa.Column('last_login', sa.DateTime(), nullable=True, comment='最近登录时间'),
    sa.Column('login_count', sa.Integer(), nullable=True, comment='登录次数'),
    sa.Column('fail_login_count', sa.Integer(), nullable=True, comment='连续登录失败次数'),
    sa.Column('created_on', sa.DateTime(), nullable=True, comment='创建时间'),
    sa.Column('changed_on', sa.DateTime(), nullable=True, comment='修改时间'),
    sa.Column('created_by_fk', sa.Integer(), nullable=True, comment='创建人ID'),
    sa.Column('changed_by_fk', sa.Integer(), nullable=True, comment='修改人ID'),
    sa.Column('agency_code', sa.String(length=8), nullable=True, comment='所属存档机构代码'),
    sa.ForeignKeyConstraint(['agency_code'], ['agency.code'], name=op.f('fk_ab_user_agency_code')),
    sa.ForeignKeyConstraint(['changed_by_fk'], ['ab_user.id'], name=op.f('fk_ab_user_changed_by_fk')),
    sa.ForeignKeyConstraint(['created_by_fk'], ['ab_user.id'], name=op.f('fk_ab_user_created_by_fk')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_ab_user')),
    sa.UniqueConstraint('email', name=op.f('uq_ab_user_email')),
    sa.UniqueConstraint('username', name=op.f('uq_ab_user_username')),
    comment='系统用户（每个用户属于一个存档机构）',
    mysql_charset='utf8mb4',
    mysql_collate='utf8mb4_unicode_ci',
    mysql_engine='InnoDB'
    )
    with op.batch_alter_table('ab_user', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_ab_user_agency_code'), ['agency_code'], unique=False)

    op.create_table('ab_permission_view_role',
    sa.Column('id', sa.Integer(), nullable=False, comment='主键'),
    sa.Column('permission_view_id', sa.Integer(), nullable=True, comment='权限视图ID'),
    sa.Column('role_id', sa.Integer(), nullable=True, comment='角色ID'),
    sa.ForeignKeyConstraint(['permission_view_id'], ['ab_permission_view.id'], name=op.f('fk_ab_permission_view_role_permission_view_id'), ondelete='CASCADE'),
    sa.ForeignKeyConstraint(['role_id'], ['ab_role.id'], name=op.f('fk_ab_permission_view_role_role_id'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_ab_permission_view_role')),
    sa.UniqueConstraint('permission_view_id', 'role_id', name=op.f('uq_ab_permission_view_role_permission_view_id_role_id')),
    comment='角色拥有的权限',
    mysql_charset='utf8mb4',
    mysql_collate='utf8mb4_unicode_ci',
    mysql_engine='InnoDB'
    )
    with op.batch_alter_table('ab_permission_view_role', schema=None) as batch_op:
        batch_op.create_index('idx_permission_view_id', ['permission_view_id'], unique=False)
        batch_op.create_index('idx_role_id', ['role_id'], unique=False)

    op.create_table('ab_user_group',
    sa.Column('id', sa.Integer(), nullable=False, comment='主键'),
    sa.Column('user_id', sa.Integer(), nullable=True, comment='用户ID'),
    sa.Column('group_id', sa.Integer(), nullable=True, comment='用户组ID'),
    sa.ForeignKeyConstraint(['group_id'], ['ab_group.id'], name=op.f('fk_ab_user_group_group_id'), ondelete='CASCADE'),
    sa.ForeignKeyConstraint(['user_id'], ['ab_user.id'], name=op.f('fk_ab_user_group_user_id'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_ab_user_group')),
    sa.UniqueConstraint('user_id', 'group_id', name=op.f('uq_ab_user_group_user_id_group_id')),
    comment='用户所属用户组',
    mysql_charset='utf8mb4',
    mysql_collate='utf8mb4_unicode_ci',
    mysql_engine='InnoDB'
    )
    with op.batch_alter_table('ab_user_group', schema=None) as batch_op:
        batch_op.create_index('idx_user_group_id', ['group_id'], unique=False)
        batch_op.create_index('idx_user_id', ['user_id'], unique=False)

    op.create_table('ab_user_role',
    sa.Column('id', sa.Integer(), nullable=False, comment='主键'),
    sa.Column('user_id', sa.Integer(), nullable=True, comment='用户ID'),
    sa.Column('role_id', sa.Integer(), nullable=True, comment='角色ID'),
    sa.ForeignKeyConstraint(['role_id'], ['ab_role.id'], name=op.f('fk_ab_user_role_role_id'), ondelete='CASCADE'),
    sa.ForeignKeyConstraint(['user_id'], ['ab_user.id'], name=op.f('fk_ab_user_role_user_id'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_ab_user_role')),
    sa.UniqueConstraint('user_id', 'role_id', name=op.f('uq_ab_user_role_user_id_role_id')),
    comment='用户的角色',
    mysql_charset='utf8mb4',
    mysql_collate='utf8mb4_unicode_ci',
    mysql_engine='InnoDB'
    )


def downgrade() -> None:
    op.drop_table('ab_user_role')
    op.drop_table('ab_user_group')
    op.drop_table('ab_permission_view_role')
    op.drop_table('ab_user')
    op.drop_table('ab_permission_view')
    op.drop_table('ab_group_role')
    op.drop_table('audit_log')
    op.drop_table('ab_view_menu')
    op.drop_table('ab_role')
    op.drop_table('ab_register_user')
    op.drop_table('ab_permission')
    op.drop_table('ab_group')
