"""business tables

Revision ID: 0003
Revises: 0002
Create Date: 2026-11-24 06:01:51.268907
"""
from typing import Sequence, Union

from alembic import op
import sqlalchemy as sa
from sqlalchemy.dialects import mysql

revision: str = '0003'
down_revision: Union[str, None] = '0002'
branch_labels: Union[str, Sequence[str], None] = None
depends_on: Union[str, Sequence[str], None] = None


def upgrade() -> None:
    op.create_table('notice_template',
    sa.Column('name', sa.String(length=64), nullable=False, comment='模板名称'),
    sa.Column('notice_type', sa.String(length=4), nullable=False, comment='公告类型：通知/提示/关注/政策'),
    sa.Column('body', sa.Text(), nullable=False, comment='正文模板（已净化的HTML）'),
    sa.Column('id', sa.BigInteger().with_variant(sa.Integer(), 'sqlite'), autoincrement=True, nullable=False, comment='主键'),
    sa.Column('version', sa.Integer(), server_default='1', nullable=False, comment='乐观锁版本号'),
    sa.Column('created_at', sa.DateTime().with_variant(mysql.DATETIME(fsp=6), 'mysql'), server_default=sa.text('(CURRENT_TIMESTAMP)'), nullable=False, comment='创建时间'),
    sa.Column('created_by', sa.String(length=64), nullable=True, comment='创建人（用户名或流水线名）'),
    sa.Column('updated_at', sa.DateTime().with_variant(mysql.DATETIME(fsp=6), 'mysql'), server_default=sa.text('(CURRENT_TIMESTAMP)'), nullable=False, comment='最后修改时间'),
    sa.Column('updated_by', sa.String(length=64), nullable=True, comment='最后修改人'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_notice_template')),
    sa.UniqueConstraint('name', name=op.f('uq_notice_template_name')),
    comment='通知公告文字模板',
    mysql_charset='utf8mb4',
    mysql_collate='utf8mb4_unicode_ci',
    mysql_engine='InnoDB'
    )
    op.create_table('attachment',
    sa.Column('owner_type', sa.String(length=32), nullable=False, comment='所属业务表：unit_account/party_org_transfer/archive_consultation/material_use/archive_transfer_out/archive_transfer_in/collective_hukou'),
    sa.Column('owner_id', sa.BigInteger(), nullable=False, comment='所属业务记录ID'),
    sa.Column('purpose', sa.String(length=32), nullable=True, comment='用途，如 转出回执、数据图表'),
    sa.Column('filename', sa.String(length=255), nullable=False, comment='原文件名'),
    sa.Column('content_type', sa.String(length=64), nullable=False, comment='文件类型'),
    sa.Column('size_bytes', sa.Integer(), nullable=False, comment='文件大小（字节）'),
    sa.Column('sm3', sa.String(length=64), nullable=False, comment='SM3 摘要'),
    sa.Column('storage_key', sa.String(length=255), nullable=False, comment='存储键'),
    sa.Column('id', sa.BigInteger().with_variant(sa.Integer(), 'sqlite'), autoincrement=True, nullable=False, comment='主键'),
    sa.Column('agency_code', sa.String(length=8), nullable=False, comment='存档机构代码'),
    sa.Column('version', sa.Integer(), server_default='1', nullable=False, comment='乐观锁版本号'),
    sa.Column('created_at', sa.DateTime().with_variant(mysql.DATETIME(fsp=6), 'mysql'), server_default=sa.text('(CURRENT_TIMESTAMP)'), nullable=False, comment='创建时间'),
    sa.Column('created_by', sa.String(length=64), nullable=True, comment='创建人（用户名或流水线名）'),
    sa.Column('updated_at', sa.DateTime().with_variant(mysql.DATETIME(fsp=6), 'mysql'), server_default=sa.text('(CURRENT_TIMESTAMP)'), nullable=False, comment='最后修改时间'),
    sa.Column('updated_by', sa.String(length=64), nullable=True, comment='最后修改人'),
    sa.ForeignKeyConstraint(['agency_code'], ['agency.code'], name=op.f('fk_attachment_agency_code')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_attachment')),
    comment='附件（上传的图片）',
    mysql_charset='utf8mb4',
    mysql_collate='utf8mb4_unicode_ci',
    mysql_engine='InnoDB'
    )
    with op.batch_alter_table('attachment', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_attachment_agency_code'), ['agency_code'], unique=False)
        batch_op.create_index('ix_attachment_owner', ['owner_type', 'owner_id'], unique=False)

    op.create_table('stocktake',
    sa.Column('started_at', sa.DateTime().with_variant(mysql.DATETIME(fsp=6), 'mysql'), nullable=True, comment='开始时间'),
    sa.Column('finished_at', sa.DateTime().with_variant(mysql.DATETIME(fsp=6), 'mysql'), nullable=True, comment='结束时间'),
    sa.Column('device_id', sa.String(length=64), nullable=True, comment='识别设备编号'),
    sa.Column('operator', sa.String(length=64), nullable=True, comment='盘点人'),
    sa.Column('scanned_count', sa.Integer(), server_default='0', nullable=False, comment='扫描数量'),
    sa.Column('remarks', sa.Text(), nullable=True, comment='备注'),
    sa.Column('id', sa.BigInteger().with_variant(sa.Integer(), 'sqlite'), autoincrement=True, nullable=False, comment='主键'),
    sa.Column('agency_code', sa.String(length=8), nullable=False, comment='存档机构代码'),
    sa.Column('version', sa.Integer(), server_default='1', nullable=False, comment='乐观锁版本号'),
    sa.Column('created_at', sa.DateTime().with_variant(mysql.DATETIME(fsp=6), 'mysql'), server_default=sa.text('(CURRENT_TIMESTAMP)'), nullable=False, comment='创建时间'),
    sa.Column('created_by', sa.String(length=64), nullable=True, comment='创建人（用户名或流水线名）'),
    sa.Column('updated_at', sa.DateTime().with_variant(mysql.DATETIME(fsp=6), 'mysql'), server_default=sa.text('(CURRENT_TIMESTAMP)'), nullable=False, comment='最后修改时间'),
    sa.Column('updated_by', sa.String(length=64), nullable=True, comment='最后修改人'),
    sa.ForeignKeyConstraint(['agency_code'], ['agency.code'], name=op.f('fk_stocktake_agency_code')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_stocktake')),
    comment='电子化盘库批次',
    mysql_charset='utf8mb4',
    mysql_collate='utf8mb4_unicode_ci',
    mysql_engine='InnoDB'
    )
    with op.batch_alter_table('stocktake', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_stocktake_agency_code'), ['agency_code'], unique=False)
        batch_op.create_index(batch_op.f('ix_stocktake_started_at'), ['started_at'], unique=False)

    op.create_table('unit',
    sa.Column('uscc', sa.String(length=18), nullable=True, comment='统一社会信用代码'),
    sa.Column('name', sa.String(length=255), nullable=False, comment='单位名称'),
    sa.Column('unit_type', sa.String(length=16), nullable=True, comment='单位类型'),
    sa.Column('unit_no', sa.String(length=32), nullable=True, comment='单位编号'),
    sa.Column('industry', sa.String(length=8), nullable=True, comment='所属行业（GB/T 4754 门类）'),
    sa.Column('phone_enc', sa.String(length=160), nullable=True, comment='联系电话（SM4密文）'),
    sa.Column('phone_bidx', sa.String(length=64), nullable=True, comment='联系电话（HMAC-SM3盲索引）'),
    sa.Column('contact', sa.String(length=64), nullable=True, comment='联系人'),
    sa.Column('other_contact', sa.String(length=128), nullable=True, comment='其他联系方式'),
    sa.Column('remarks', sa.Text(), nullable=True, comment='备注'),
    sa.Column('former_names', sa.Text(), nullable=True, comment='曾用名（工商数据，分号分隔）'),
    sa.Column('registry_status', sa.String(length=8), nullable=True, comment='登记状态：存续/在业/注销/吊销/迁出'),
    sa.Column('registry_checked_on', sa.Date(), nullable=True, comment='最近工商核验日期'),
    sa.Column('id', sa.BigInteger().with_variant(sa.Integer(), 'sqlite'), autoincrement=True, nullable=False, comment='主键'),
    sa.Column('agency_code', sa.String(length=8), nullable=False, comment='存档机构代码'),
    sa.Column('version', sa.Integer(), server_default='1', nullable=False, comment='乐观锁版本号'),
    sa.Column('created_at', sa.DateTime().with_variant(mysql.DATETIME(fsp=6), 'mysql'), server_default=sa.text('(CURRENT_TIMESTAMP)'), nullable=False, comment='创建时间'),
    sa.Column('created_by', sa.String(length=64), nullable=True, comment='创建人（用户名或流水线名）'),
    sa.Column('updated_at', sa.DateTime().with_variant(mysql.DATETIME(fsp=6), 'mysql'), server_default=sa.text('(CURRENT_TIMESTAMP)'), nullable=False, comment='最后修改时间'),
    sa.Column('updated_by', sa.String(length=64), nullable=True, comment='最后修改人'),
    sa.ForeignKeyConstraint(['agency_code'], ['agency.code'], name=op.f('fk_unit_agency_code')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_unit')),
    comment='单位基础信息',
    mysql_charset='utf8mb4',
    mysql_collate='utf8mb4_unicode_ci',
    mysql_engine='InnoDB'
    )
    with op.batch_alter_table('unit', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_unit_agency_code'), ['agency_code'], unique=False)
        batch_op.create_index('ix_unit_agency_name', ['agency_code', 'name'], unique=False)
        batch_op.create_index('ix_unit_agency_unit_no', ['agency_code', 'unit_no'], unique=False)
        batch_op.create_index(batch_op.f('ix_unit_name'), ['name'], unique=False)
        batch_op.create_index(batch_op.f('ix_unit_phone_bidx'), ['phone_bidx'], unique=False)
        batch_op.create_index(batch_op.f('ix_unit_uscc'), ['uscc'], unique=False)

    op.create_table('notice',
    sa.Column('agency_code', sa.String(length=8), nullable=True, comment='发布机构代码'),
    sa.Column('notice_type', sa.String(length=4), nullable=False, comment='公告类型：通知/提示/关注/政策'),
    sa.Column('title', sa.String(length=128), nullable=False, comment='标题'),
    sa.Column('body', sa.Text(), nullable=False, comment='正文（已净化的HTML）'),
    sa.Column('publisher_id', sa.Integer(), nullable=True, comment='发布者（用户ID）'),
    sa.Column('published_at', sa.DateTime().with_variant(mysql.DATETIME(fsp=6), 'mysql'), nullable=True, comment='发布时间'),
    sa.Column('status', sa.String(length=4), server_default='草稿', nullable=False, comment='状态：草稿/已发布/已撤回'),
    sa.Column('id', sa.BigInteger().with_variant(sa.Integer(), 'sqlite'), autoincrement=True, nullable=False, comment='主键'),
    sa.Column('version', sa.Integer(), server_default='1', nullable=False, comment='乐观锁版本号'),
    sa.Column('created_at', sa.DateTime().with_variant(mysql.DATETIME(fsp=6), 'mysql'), server_default=sa.text('(CURRENT_TIMESTAMP)'), nullable=False, comment='创建时间'),
    sa.Column('created_by', sa.String(length=64), nullable=True, comment='创建人（用户名或流水线名）'),
    sa.Column('updated_at', sa.DateTime().with_variant(mysql.DATETIME(fsp=6), 'mysql'), server_default=sa.text('(CURRENT_TIMESTAMP)'), nullable=False, comment='最后修改时间'),
    sa.Column('updated_by', sa.String(length=64), nullable=True, comment='最后修改人'),
    sa.ForeignKeyConstraint(['agency_code'], ['agency.code'], name=op.f('fk_notice_agency_code')),
    sa.ForeignKeyConstraint(['publisher_id'], ['ab_user.id'], name=op.f('fk_notice_publisher_id')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_notice')),
    comment='通知公告',
    mysql_charset='utf8mb4',
    mysql_collate='utf8mb4_unicode_ci',
    mysql_engine='InnoDB'
    )
    with op.batch_alter_table('notice', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_notice_agency_code'), ['agency_code'], unique=False)
        batch_op.create_index(batch_op.f('ix_notice_published_at'), ['published_at'], unique=False)
        batch_op.create_index('ix_notice_type_publisher', ['notice_type', 'publisher_id'], unique=False)

    op.create_table('todo',
    sa.Column('business_type', sa.String(length=16), nullable=False, comment='业务类型'),
    sa.Column('source_table', sa.String(length=64), nullable=True, comment='来源业务表'),
    sa.Column('source_id', sa.BigInteger().with_variant(sa.Integer(), 'sqlite'), nullable=True, comment='来源业务记录ID'),
    sa.Column('title', sa.String(length=255), nullable=False, comment='事项'),
    sa.Column('detail', sa.Text(), nullable=True, comment='说明'),
    sa.Column('due_on', sa.Date(), nullable=False, comment='办理日期'),
    sa.Column('assignee_group_id', sa.Integer(), nullable=True, comment='分配给用户组'),
    sa.Column('assignee_user_id', sa.Integer(), nullable=True, comment='分配给用户'),
    sa.Column('assigned_by', sa.String(length=64), nullable=True, comment='分配人'),
    sa.Column('status', sa.String(length=8), server_default='待分配', nullable=False, comment='状态：待分配/待办理/已办结'),
    sa.Column('done_by', sa.String(length=64), nullable=True, comment='办结人'),
    sa.Column('done_at', sa.DateTime().with_variant(mysql.DATETIME(fsp=6), 'mysql'), nullable=True, comment='办结时间'),
    sa.Column('id', sa.BigInteger().with_variant(sa.Integer(), 'sqlite'), autoincrement=True, nullable=False, comment='主键'),
    sa.Column('agency_code', sa.String(length=8), nullable=False, comment='存档机构代码'),
    sa.Column('version', sa.Integer(), server_default='1', nullable=False, comment='乐观锁版本号'),
    sa.Column('created_at', sa.DateTime().with_variant(mysql.DATETIME(fsp=6), 'mysql'), server_default=sa.text('(CURRENT_TIMESTAMP)'), nullable=False, comment='创建时间'),
    sa.Column('created_by', sa.String(length=64), nullable=True, comment='创建人（用户名或流水线名）'),
    sa.Column('updated_at', sa.DateTime().with_variant(mysql.DATETIME(fsp=6), 'mysql'), server_default=sa.text('(CURRENT_TIMESTAMP)'), nullable=False, comment='最后修改时间'),
    sa.Column('updated_by', sa.String(length=64), nullable=True, comment='最后修改人'),
    sa.ForeignKeyConstraint(['agency_code'], ['agency.code'], name=op.f('fk_todo_agency_code')),
    sa.ForeignKeyConstraint(['assignee_group_id'], ['ab_group.id'], name=op.f('fk_todo_assignee_group_id')),
    sa.ForeignKeyConstraint(['assignee_user_id'], ['ab_user.id'], name=op.f('fk_todo_assignee_user_id')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_todo')),
    sa.UniqueConstraint('agency_code', 'business_type', 'source_table', 'source_id', 'due_on', name='uq_todo_source_day'),
    comment='待办事项',
    mysql_charset='utf8mb4',
    mysql_collate='utf8mb4_unicode_ci',
    mysql_engine='InnoDB'
    )
    with op.batch_alter_table('todo', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_todo_agency_code'), ['agency_code'], unique=False)
        batch_op.create_index('ix_todo_agency_status', ['agency_code', 'status'], unique=False)
        batch_op.create_index(batch_op.f('ix_todo_assignee_group_id'), ['assignee_group_id'], unique=False)
        batch_op.create_index(batch_op.f('ix_todo_assignee_user_id'), ['assignee_user_id'], unique=False)
        batch_op.create_index(batch_op.f('ix_todo_due_on'), ['due_on'], unique=False)

    op.create_table('unit_account',
    sa.Column('account_no', sa.String(length=32), nullable=False, comment='立户编号'),
    sa.Column('unit_id', sa.BigInteger().with_variant(sa.Integer(), 'sqlite'), nullable=False, comment='单位ID'),
    sa.Column('valid_status', sa.String(length=4), server_default='有效', nullable=False, comment='有效状态：有效/无效'),
    sa.Column('phone_enc', sa.String(length=160), nullable=True, comment='联系电话（SM4密文）'),
    sa.Column('phone_bidx', sa.String(length=64), nullable=True, comment='联系电话（HMAC-SM3盲索引）'),
    sa.Column('region_code', sa.String(length=6), nullable=True, comment='区域（行政区划代码）'),
    sa.Column('handler', sa.String(length=64), nullable=True, comment='经办人'),
    sa.Column('start_date', sa.Date(), nullable=True, comment='立户开始日期'),
    sa.Column('end_date', sa.Date(), nullable=True, comment='立户结束日期'),
    sa.Column('related_unit', sa.String(length=255), nullable=True, comment='关联单位（名称）'),
    sa.Column('related_unit_id', sa.BigInteger().with_variant(sa.Integer(), 'sqlite'), nullable=True, comment='关联单位ID'),
    sa.Column('business_scope', sa.String(length=255), nullable=True, comment='代理的业务类型（分号分隔）'),
    sa.Column('remarks', sa.Text(), nullable=True, comment='备注'),
    sa.Column('id', sa.BigInteger().with_variant(sa.Integer(), 'sqlite'), autoincrement=True, nullable=False, comment='主键'),
    sa.Column('agency_code', sa.String(length=8), nullable=False, comment='存档机构代码'),
    sa.Column('version', sa.Integer(), server_default='1', nullable=False, comment='乐观锁版本号'),
    sa.Column('created_at', sa.DateTime().with_variant(mysql.DATETIME(fsp=6), 'mysql'), server_default=sa.text('(CURRENT_TIMESTAMP)'), nullable=False, comment='创建时间'),
    sa.Column('created_by', sa.String(length=64), nullable=True, comment='创建人（用户名或流水线名）'),
    sa.Column('updated_at', sa.DateTime().with_variant(mysql.DATETIME(fsp=6), 'mysql'), server_default=sa.text('(CURRENT_TIMESTAMP)'), nullable=False, comment='最后修改时间'),
    sa.Column('updated_by', sa.String(length=64), nullable=True, comment='最后修改人'),
    sa.ForeignKeyConstraint(['agency_code'], ['agency.code'], name=op.f('fk_unit_account_agency_code')),
    sa.ForeignKeyConstraint(['related_unit_id'], ['unit.id'], name=op.f('fk_unit_account_related_unit_id')),
    sa.ForeignKeyConstraint(['unit_id'], ['unit.id'], name=op.f('fk_unit_account_unit_id')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_unit_account')),
    sa.UniqueConstraint('agency_code', 'account_no', name='uq_unit_account_agency_no'),
    comment='单位立户信息',
    mysql_charset='utf8mb4',
    mysql_collate='utf8mb4_unicode_ci',
    mysql_engine='InnoDB'
    )
    with op.batch_alter_table('unit_account', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_unit_account_agency_code'), ['agency_code'], unique=False)
        batch_op.create_index(batch_op.f('ix_unit_account_phone_bidx'), ['phone_bidx'], unique=False)
        batch_op.create_index(batch_op.f('ix_unit_account_region_code'), ['region_code'], unique=False)
        batch_op.create_index(batch_op.f('ix_unit_account_related_unit'), ['related_unit'], unique=False)
        batch_op.create_index(batch_op.f('ix_unit_account_related_unit_id'), ['related_unit_id'], unique=False)
        batch_op.create_index(batch_op.f('ix_unit_account_unit_id'), ['unit_id'], unique=False)

    op.create_table('user_shortcut',
    sa.Column('user_id', sa.Integer(), nullable=False, comment='用户ID'),
    sa.Column('menu_key', sa.String(length=128), nullable=False, comment='菜单项标识'),
    sa.Column('sort_order', sa.Integer(), server_default='0', nullable=False, comment='排序号'),
    sa.Column('id', sa.BigInteger().with_variant(sa.Integer(), 'sqlite'), autoincrement=True, nullable=False, comment='主键'),
    sa.ForeignKeyConstraint(['user_id'], ['ab_user.id'], name=op.f('fk_user_shortcut_user_id'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_user_shortcut')),
    sa.UniqueConstraint('user_id', 'menu_key', name=op.f('uq_user_shortcut_user_id_menu_key')),
    comment='工作台常用功能（用户快捷方式）',
    mysql_charset='utf8mb4',
    mysql_collate='utf8mb4_unicode_ci',
    mysql_engine='InnoDB'
    )
    op.create_table('notice_read',
    sa.Column('notice_id', sa.BigInteger().with_variant(sa.Integer(), 'sqlite'), nullable=False, comment='通知公告ID'),
    sa.Column('user_id', sa.Integer(), nullable=False, comment='用户ID'),
    sa.Column('read_at', sa.DateTime().with_variant(mysql.DATETIME(fsp=6), 'mysql'), nullable=False, comment='阅读时间'),
    sa.Column('id', sa.BigInteger().with_variant(sa.Integer(), 'sqlite'), autoincrement=True, nullable=False, comment='主键'),
    sa.ForeignKeyConstraint(['notice_id'], ['notice.id'], name=op.f('fk_notice_read_notice_id'), ondelete='CASCADE'),
    sa.ForeignKeyConstraint(['user_id'], ['ab_user.id'], name=op.f('fk_notice_read_user_id'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_notice_read')),
    sa.UniqueConstraint('notice_id', 'user_id', name=op.f('uq_notice_read_notice_id_user_id')),
    comment='通知公告阅读记录',
    mysql_charset='utf8mb4',
    mysql_collate='utf8mb4_unicode_ci',
    mysql_engine='InnoDB'
    )
    with op.batch_alter_table('notice_read', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_notice_read_user_id'), ['user_id'], unique=False)

    op.create_table('notice_recipient',
    sa.Column('notice_id', sa.BigInteger().with_variant(sa.Integer(), 'sqlite'), nullable=False, comment='通知公告ID'),
    sa.Column('group_id', sa.Integer(), nullable=True, comment='接收用户组ID'),
    sa.Column('user_id', sa.Integer(), nullable=True, comment='接收用户ID'),
    sa.Column('id', sa.BigInteger().with_variant(sa.Integer(), 'sqlite'), autoincrement=True, nullable=False, comment='主键'),
    sa.ForeignKeyConstraint(['group_id'], ['ab_group.id'], name=op.f('fk_notice_recipient_group_id'), ondelete='CASCADE'),
    sa.ForeignKeyConstraint(['notice_id'], ['notice.id'], name=op.f('fk_notice_recipient_notice_id'), ondelete='CASCADE'),
    sa.ForeignKeyConstraint(['user_id'], ['ab_user.id'], name=op.f('fk_notice_recipient_user_id'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_notice_recipient')),
    sa.UniqueConstraint('notice_id', 'group_id', 'user_id', name='uq_notice_recipient'),
    comment='通知公告接收对象',
    mysql_charset='utf8mb4',
    mysql_collate='utf8mb4_unicode_ci',
    mysql_engine='InnoDB'
    )
    with op.batch_alter_table('notice_recipient', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_notice_recipient_group_id'), ['group_id'], unique=False)
        batch_op.create_index(batch_op.f('ix_notice_recipient_notice_id'), ['notice_id'], unique=False)
        batch_op.create_index(batch_op.f('ix_notice_recipient_user_id'), ['user_id'], unique=False)

    op.create_table('person',
    sa.Column('archive_no', sa.String(length=32), nullable=False, comment='档案编号（机构内唯一）'),
    sa.Column('name', sa.String(length=64), nullable=True, comment='姓名'),
    sa.Column('former_name', sa.String(length=64), nullable=True, comment='曾用名'),
    sa.Column('sex', sa.String(length=2), nullable=True, comment='性别：男/女'),
    sa.Column('ethnic', sa.String(length=16), nullable=True, comment='民族（GB 3304 名称）'),
    sa.Column('birth_date', sa.Date(), nullable=True, comment='出生日期'),
    sa.Column('id_number_enc', sa.String(length=160), nullable=True, comment='公民身份号码（SM4密文）'),
    sa.Column('id_number_bidx', sa.String(length=64), nullable=True, comment='公民身份号码（HMAC-SM3盲索引）'),
    sa.Column('political_status', sa.String(length=16), nullable=True, comment='政治面貌（GB/T 4762 名称）'),
    sa.Column('party_join_date', sa.Date(), nullable=True, comment='入党时间'),
    sa.Column('party_full_date', sa.Date(), nullable=True, comment='转正时间'),
    sa.Column('party_org', sa.String(length=128), nullable=True, comment='所属党组织'),
    sa.Column('party_member_type', sa.String(length=8), nullable=True, comment='党员类型：正式党员/预备党员'),
    sa.Column('org_rel_in_date', sa.Date(), nullable=True, comment='组织关系转入时间'),
    sa.Column('org_rel_out_date', sa.Date(), nullable=True, comment='组织关系转出日期'),
    sa.Column('hukou_address', sa.String(length=255), nullable=True, comment='户籍所在地'),
    sa.Column('phone_enc', sa.String(length=160), nullable=True, comment='联系电话（SM4密文）'),
    sa.Column('phone_bidx', sa.String(length=64), nullable=True, comment='联系电话（HMAC-SM3盲索引）'),
    sa.Column('education_level', sa.String(length=16), nullable=True, comment='最高学历（GB/T 4658 名称）'),
    sa.Column('degree', sa.String(length=8), nullable=True, comment='最高学位：博士/硕士/学士/无'),
    sa.Column('school', sa.String(length=128), nullable=True, comment='毕业院校'),
    sa.Column('major', sa.String(length=128), nullable=True, comment='所学专业'),
    sa.Column('graduation_date', sa.Date(), nullable=True, comment='毕业时间'),
    sa.Column('professional_title', sa.String(length=64), nullable=True, comment='专业技术职务'),
    sa.Column('vocational_qualification', sa.String(length=128), nullable=True, comment='职业资格'),
    sa.Column('employer_name', sa.String(length=255), nullable=True, comment='工作单位（工商登记企业名称）'),
    sa.Column('employer_uscc', sa.String(length=18), nullable=True, comment='单位统一社会信用代码'),
    sa.Column('unit_id', sa.BigInteger().with_variant(sa.Integer(), 'sqlite'), nullable=True, comment='关联单位ID'),
    sa.Column('entrust_mode', sa.String(length=8), nullable=True, comment='委托方式：个人委托/单位委托'),
    sa.Column('unit_account_no', sa.String(length=32), nullable=True, comment='立户编号（单位委托时）'),
    sa.Column('unit_account_id', sa.BigInteger().with_variant(sa.Integer(), 'sqlite'), nullable=True, comment='立户ID'),
    sa.Column('archive_source', sa.String(length=255), nullable=True, comment='档案来源'),
    sa.Column('archive_received_date', sa.Date(), nullable=True, comment='档案接收时间'),
    sa.Column('archive_status', sa.String(length=8), nullable=True, comment='档案状态：在库/借出/已转出'),
    sa.Column('collective_hukou', sa.Boolean(), nullable=True, comment='集体户口：是否在本机构集体户'),
    sa.Column('hukou_reg_no', sa.String(length=32), nullable=True, comment='户籍编号（集体户）'),
    sa.Column('settle_date', sa.Date(), nullable=True, comment='落户时间'),
    sa.Column('transfer_out_date', sa.Date(), nullable=True, comment='转出日期（与档案转出关联）'),
    sa.Column('transfer_out_to', sa.String(length=255), nullable=True, comment='转往单位（与档案转出关联）'),
    sa.Column('transfer_out_reason', sa.String(length=255), nullable=True, comment='转出原因（与档案转出关联）'),
    sa.Column('employment_status', sa.String(length=8), nullable=True, comment='就业状态：就业/失业（社保数据）'),
    sa.Column('insured_status', sa.String(length=8), nullable=True, comment='参保状态（社保数据）'),
    sa.Column('remarks', sa.Text(), nullable=True, comment='备注'),
    sa.Column('data_source', sa.String(length=8), server_default='业务', nullable=False, comment='数据来源：采集表/业务'),
    sa.Column('source_batch', sa.String(length=64), nullable=True, comment='来源批次（采集表导入）'),
    sa.Column('clerk_fields', sa.Text(), nullable=True, comment='经办人录入或确认的字段（表头，分号分隔）；数据流水线不覆盖这些字段'),
    sa.Column('id', sa.BigInteger().with_variant(sa.Integer(), 'sqlite'), autoincrement=True, nullable=False, comment='主键'),
    sa.Column('agency_code', sa.String(length=8), nullable=False, comment='存档机构代码'),
    sa.Column('version', sa.Integer(), server_default='1', nullable=False, comment='乐观锁版本号'),
    sa.Column('created_at', sa.DateTime().with_variant(mysql.DATETIME(fsp=6), 'mysql'), server_default=sa.text('(CURRENT_TIMESTAMP)'), nullable=False, comment='创建时间'),
    sa.Column('created_by', sa.String(length=64), nullable=True, comment='创建人（用户名或流水线名）'),
    sa.Column('updated_at', sa.DateTime().with_variant(mysql.DATETIME(fsp=6), 'mysql'), server_default=sa.text('(CURRENT_TIMESTAMP)'), nullable=False, comment='最后修改时间'),
    sa.Column('updated_by', sa.String(length=64), nullable=True, comment='最后修改人'),
    sa.ForeignKeyConstraint(['agency_code'], ['agency.code'], name=op.f('fk_person_agency_code')),
    sa.ForeignKeyConstraint(['unit_account_id'], ['unit_account.id'], name=op.f('fk_person_unit_account_id')),
    sa.ForeignKeyConstraint(['unit_id'], ['unit.id'], name=op.f('fk_person_unit_id')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_person')),
    sa.UniqueConstraint('agency_code', 'archive_no', name='uq_person_agency_archive_no'),
    comment='人员基础信息（存档人员）',
    mysql_charset='utf8mb4',
    mysql_collate='utf8mb4_unicode_ci',
    mysql_engine='InnoDB'
    )
    with op.batch_alter_table('person', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_person_agency_code'), ['agency_code'], unique=False)
        batch_op.create_index('ix_person_agency_name', ['agency_code', 'name'], unique=False)
        batch_op.create_index('ix_person_agency_status', ['agency_code', 'archive_status'], unique=False)
        batch_op.create_index(batch_op.f('ix_person_archive_received_date'), ['archive_received_date'], unique=False)
        batch_op.create_index(batch_op.f('ix_person_employer_name'), ['employer_name'], unique=False)
        batch_op.create_index(batch_op.f('ix_person_employer_uscc'), ['employer_uscc'], unique=False)
        batch_op.create_index(batch_op.f('ix_person_hukou_reg_no'), ['hukou_reg_no'], unique=False)
        batch_op.create_index(batch_op.f('ix_person_id_number_bidx'), ['id_number_bidx'], unique=False)
        batch_op.create_index(batch_op.f('ix_person_name'), ['name'], unique=False)
        batch_op.create_index(batch_op.f('ix_person_phone_bidx'), ['phone_bidx'], unique=False)
        batch_op.create_index(batch_op.f('ix_person_unit_account_id'), ['unit_account_id'], unique=False)
        batch_op.create_index(batch_op.f('ix_person_unit_account_no'), ['unit_account_no'], unique=False)
        batch_op.create_index(batch_op.f('ix_person_unit_id'), ['unit_id'], unique=False)

    op.create_table('archive_consultation',
    sa.Column('person_id', sa.BigInteger().with_variant(sa.Integer(), 'sqlite'), nullable=False, comment='人员ID'),
    sa.Column('kind', sa.String(length=8), server_default='档案查阅', nullable=False, comment='类别：档案查阅/政审考察'),
    sa.Column('consult_unit', sa.String(length=255), nullable=True, comment='查阅单位'),
    sa.Column('reason', sa.String(length=255), nullable=True, comment='查阅原因'),
    sa.Column('consult_time', sa.DateTime().with_variant(mysql.DATETIME(fsp=6), 'mysql'), nullable=True, comment='查阅时间'),
    sa.Column('reader1', sa.String(length=64), nullable=True, comment='查阅人1'),
    sa.Column('reader2', sa.String(length=64), nullable=True, comment='查阅人2'),
    sa.Column('handler', sa.String(length=64), nullable=True, comment='经办人'),
    sa.Column('remarks', sa.Text(), nullable=True, comment='备注'),
    sa.Column('id', sa.BigInteger().with_variant(sa.Integer(), 'sqlite'), autoincrement=True, nullable=False, comment='主键'),
    sa.Column('agency_code', sa.String(length=8), nullable=False, comment='存档机构代码'),
    sa.Column('version', sa.Integer(), server_default='1', nullable=False, comment='乐观锁版本号'),
    sa.Column('created_at', sa.DateTime().with_variant(mysql.DATETIME(fsp=6), 'mysql'), server_default=sa.text('(CURRENT_TIMESTAMP)'), nullable=False, comment='创建时间'),
    sa.Column('created_by', sa.String(length=64), nullable=True, comment='创建人（用户名或流水线名）'),
    sa.Column('updated_at', sa.DateTime().with_variant(mysql.DATETIME(fsp=6), 'mysql'), server_default=sa.text('(CURRENT_TIMESTAMP)'), nullable=False, comment='最后修改时间'),
    sa.Column('updated_by', sa.String(length=64), nullable=True, comment='最后修改人'),
    sa.ForeignKeyConstraint(['agency_code'], ['agency.code'], name=op.f('fk_archive_consultation_agency_code')),
    sa.ForeignKeyConstraint(['person_id'], ['person.id'], name=op.f('fk_archive_consultation_person_id'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_archive_consultation')),
    comment='档案查阅（含政审考察）登记',
    mysql_charset='utf8mb4',
    mysql_collate='utf8mb4_unicode_ci',
    mysql_engine='InnoDB'
    )
    with op.batch_alter_table('archive_consultation', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_archive_consultation_agency_code'), ['agency_code'], unique=False)
        batch_op.create_index(batch_op.f('ix_archive_consultation_consult_time'), ['consult_time'], unique=False)
        batch_op.create_index(batch_op.f('ix_archive_consultation_person_id'), ['person_id'], unique=False)

    op.create_table('archive_loan',
    sa.Column('person_id', sa.BigInteger().with_variant(sa.Integer(), 'sqlite'), nullable=False, comment='人员ID'),
    sa.Column('borrower_unit', sa.String(length=255), nullable=True, comment='借阅单位'),
    sa.Column('loan_date', sa.Date(), nullable=True, comment='借阅日期'),
    sa.Column('reason', sa.String(length=255), nullable=True, comment='借阅原因'),
    sa.Column('due_date', sa.Date(), nullable=True, comment='应还日期'),
    sa.Column('return_date', sa.Date(), nullable=True, comment='归还日期'),
    sa.Column('notice_no', sa.String(length=32), nullable=True, comment='借阅告知单编号'),
    sa.Column('status', sa.String(length=8), server_default='借出', nullable=False, comment='状态：借出/已归还'),
    sa.Column('handler', sa.String(length=64), nullable=True, comment='经办人'),
    sa.Column('remarks', sa.Text(), nullable=True, comment='备注'),
    sa.Column('id', sa.BigInteger().with_variant(sa.Integer(), 'sqlite'), autoincrement=True, nullable=False, comment='主键'),
    sa.Column('agency_code', sa.String(length=8), nullable=False, comment='存档机构代码'),
    sa.Column('version', sa.Integer(), server_default='1', nullable=False, comment='乐观锁版本号'),
    sa.Column('created_at', sa.DateTime().with_variant(mysql.DATETIME(fsp=6), 'mysql'), server_default=sa.text('(CURRENT_TIMESTAMP)'), nullable=False, comment='创建时间'),
    sa.Column('created_by', sa.String(length=64), nullable=True, comment='创建人（用户名或流水线名）'),
    sa.Column('updated_at', sa.DateTime().with_variant(mysql.DATETIME(fsp=6), 'mysql'), server_default=sa.text('(CURRENT_TIMESTAMP)'), nullable=False, comment='最后修改时间'),
    sa.Column('updated_by', sa.String(length=64), nullable=True, comment='最后修改人'),
    sa.ForeignKeyConstraint(['agency_code'], ['agency.code'], name=op.f('fk_archive_loan_agency_code')),
    sa.ForeignKeyConstraint(['person_id'], ['person.id'], name=op.f('fk_archive_loan_person_id'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_archive_loan')),
    comment='档案借阅',
    mysql_charset='utf8mb4',
    mysql_collate='utf8mb4_unicode_ci',
    mysql_engine='InnoDB'
    )
    with op.batch_alter_table('archive_loan', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_archive_loan_agency_code'), ['agency_code'], unique=False)
        batch_op.create_index(batch_op.f('ix_archive_loan_due_date'), ['due_date'], unique=False)
        batch_op.create_index(batch_op.f('ix_archive_loan_loan_date'), ['loan_date'], unique=False)
        batch_op.create_index(batch_op.f('ix_archive_loan_person_id'), ['person_id'], unique=False)

    op.create_table('archive_material',
    sa.Column('person_id', sa.BigInteger().with_variant(sa.Integer(), 'sqlite'), nullable=False, comment='人员ID'),
    sa.Column('category_code', sa.String(length=8), nullable=False, comment='材料类别（十大类及4-1…9-4子类）'),
    sa.Column('seq', sa.Integer(), nullable=True, comment='类内序号（目录）'),
    sa.Column('title', sa.String(length=255), nullable=False, comment='材料名称'),
    sa.Column('material_date', sa.Date(), nullable=True, comment='材料形成时间'),
    sa.Column('pages', sa.Integer(), nullable=True, comment='页数'),
    sa.Column('copies', sa.Integer(), nullable=True, comment='份数'),
    sa.Column('stage', sa.String(length=4), server_default='收集', nullable=False, comment='环节：收集/鉴别/归档'),
    sa.Column('is_supplement', sa.Boolean(), server_default='0', nullable=False, comment='是否补充材料'),
    sa.Column('received_date', sa.Date(), nullable=True, comment='收集日期'),
    sa.Column('identified_by', sa.String(length=64), nullable=True, comment='鉴别人'),
    sa.Column('identified_date', sa.Date(), nullable=True, comment='鉴别日期'),
    sa.Column('archived_date', sa.Date(), nullable=True, comment='归档日期'),
    sa.Column('handler', sa.String(length=64), nullable=True, comment='经办人'),
    sa.Column('remarks', sa.Text(), nullable=True, comment='备注'),
    sa.Column('id', sa.BigInteger().with_variant(sa.Integer(), 'sqlite'), autoincrement=True, nullable=False, comment='主键'),
    sa.Column('agency_code', sa.String(length=8), nullable=False, comment='存档机构代码'),
    sa.Column('version', sa.Integer(), server_default='1', nullable=False, comment='乐观锁版本号'),
    sa.Column('created_at', sa.DateTime().with_variant(mysql.DATETIME(fsp=6), 'mysql'), server_default=sa.text('(CURRENT_TIMESTAMP)'), nullable=False, comment='创建时间'),
    sa.Column('created_by', sa.String(length=64), nullable=True, comment='创建人（用户名或流水线名）'),
    sa.Column('updated_at', sa.DateTime().with_variant(mysql.DATETIME(fsp=6), 'mysql'), server_default=sa.text('(CURRENT_TIMESTAMP)'), nullable=False, comment='最后修改时间'),
    sa.Column('updated_by', sa.String(length=64), nullable=True, comment='最后修改人'),
    sa.ForeignKeyConstraint(['agency_code'], ['agency.code'], name=op.f('fk_archive_material_agency_code')),
    sa.ForeignKeyConstraint(['person_id'], ['person.id'], name=op.f('fk_archive_material_person_id'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_archive_material')),
    comment='档案材料（收集、鉴别、归档；补充材料；目录）',
    mysql_charset='utf8mb4',
    mysql_collate='utf8mb4_unicode_ci',
    mysql_engine='InnoDB'
    )
    with op.batch_alter_table('archive_material', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_archive_material_agency_code'), ['agency_code'], unique=False)
        batch_op.create_index(batch_op.f('ix_archive_material_category_code'), ['category_code'], unique=False)
        batch_op.create_index(batch_op.f('ix_archive_material_person_id'), ['person_id'], unique=False)
        batch_op.create_index(batch_op.f('ix_archive_material_received_date'), ['received_date'], unique=False)

    op.create_table('archive_transfer_in',
    sa.Column('person_id', sa.BigInteger().with_variant(sa.Integer(), 'sqlite'), nullable=False, comment='人员ID'),
    sa.Column('in_date', sa.Date(), nullable=True, comment='转入日期'),
    sa.Column('from_unit', sa.String(length=255), nullable=True, comment='何处转入（原存档单位）'),
    sa.Column('reason', sa.String(length=255), nullable=True, comment='转入原因'),
    sa.Column('archive_kind', sa.String(length=8), nullable=True, comment='档案类别：正式/暂存/预存'),
    sa.Column('receive_mode', sa.String(length=16), nullable=True, comment='接收方式：机要通信/专人送取/其他'),
    sa.Column('confidential_no', sa.String(length=32), nullable=True, comment='机要编号'),
    sa.Column('material_count', sa.Integer(), nullable=True, comment='材料份数'),
    sa.Column('cross_province', sa.Boolean(), server_default='0', nullable=False, comment='是否跨省转入'),
    sa.Column('platform_ref', sa.String(length=64), nullable=True, comment='全国档案服务平台业务编号'),
    sa.Column('status', sa.String(length=8), server_default='已接收', nullable=False, comment='状态：待接收/已接收/已退回'),
    sa.Column('handler', sa.String(length=64), nullable=True, comment='经办人'),
    sa.Column('remarks', sa.Text(), nullable=True, comment='备注'),
    sa.Column('id', sa.BigInteger().with_variant(sa.Integer(), 'sqlite'), autoincrement=True, nullable=False, comment='主键'),
    sa.Column('agency_code', sa.String(length=8), nullable=False, comment='存档机构代码'),
    sa.Column('version', sa.Integer(), server_default='1', nullable=False, comment='乐观锁版本号'),
    sa.Column('created_at', sa.DateTime().with_variant(mysql.DATETIME(fsp=6), 'mysql'), server_default=sa.text('(CURRENT_TIMESTAMP)'), nullable=False, comment='创建时间'),
    sa.Column('created_by', sa.String(length=64), nullable=True, comment='创建人（用户名或流水线名）'),
    sa.Column('updated_at', sa.DateTime().with_variant(mysql.DATETIME(fsp=6), 'mysql'), server_default=sa.text('(CURRENT_TIMESTAMP)'), nullable=False, comment='最后修改时间'),
    sa.Column('updated_by', sa.String(length=64), nullable=True, comment='最后修改人'),
    sa.ForeignKeyConstraint(['agency_code'], ['agency.code'], name=op.f('fk_archive_transfer_in_agency_code')),
    sa.ForeignKeyConstraint(['person_id'], ['person.id'], name=op.f('fk_archive_transfer_in_person_id'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_archive_transfer_in')),
    comment='档案转入',
    mysql_charset='utf8mb4',
    mysql_collate='utf8mb4_unicode_ci',
    mysql_engine='InnoDB'
    )
    with op.batch_alter_table('archive_transfer_in', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_archive_transfer_in_agency_code'), ['agency_code'], unique=False)
        batch_op.create_index(batch_op.f('ix_archive_transfer_in_confidential_no'), ['confidential_no'], unique=False)
        batch_op.create_index(batch_op.f('ix_archive_transfer_in_in_date'), ['in_date'], unique=False)
        batch_op.create_index(batch_op.f('ix_archive_transfer_in_person_id'), ['person_id'], unique=False)

    op.create_table('archive_transfer_out',
    sa.Column('person_id', sa.BigInteger().with_variant(sa.Integer(), 'sqlite'), nullable=False, comment='人员ID'),
    sa.Column('to_unit', sa.String(length=255), nullable=True, comment='转往单位'),
    sa.Column('to_address', sa.String(length=255), nullable=True, comment='转往地址'),
    sa.Column('out_date', sa.Date(), nullable=True, comment='转出日期（转档日期）'),
    sa.Column('reason', sa.String(length=255), nullable=True, comment='转出原因'),
    sa.Column('confidential_no', sa.String(length=32), nullable=True, comment='机要编号'),
    sa.Column('delivery_mode', sa.String(length=16), nullable=True, comment='转递方式'),
    sa.Column('notice_no', sa.String(length=32), nullable=True, comment='转递通知单编号'),
    sa.Column('receipt_returned', sa.Boolean(), server_default='0', nullable=False, comment='转出回执：是否已收回执'),
    sa.Column('receipt_date', sa.Date(), nullable=True, comment='回执日期'),
    sa.Column('status', sa.String(length=8), server_default='待审核', nullable=False, comment='状态：待审核/已审核/已寄出/已回执/已撤销'),
    sa.Column('reviewed_by', sa.String(length=64), nullable=True, comment='审核人'),
    sa.Column('reviewed_on', sa.Date(), nullable=True, comment='审核日期'),
    sa.Column('cross_province', sa.Boolean(), server_default='0', nullable=False, comment='是否跨省转出'),
    sa.Column('platform_ref', sa.String(length=64), nullable=True, comment='全国档案服务平台业务编号'),
    sa.Column('handler', sa.String(length=64), nullable=True, comment='经办人'),
    sa.Column('remarks', sa.Text(), nullable=True, comment='备注'),
    sa.Column('id', sa.BigInteger().with_variant(sa.Integer(), 'sqlite'), autoincrement=True, nullable=False, comment='主键'),
    sa.Column('agency_code', sa.String(length=8), nullable=False, comment='存档机构代码'),
    sa.Column('version', sa.Integer(), server_default='1', nullable=False, comment='乐观锁版本号'),
    sa.Column('created_at', sa.DateTime().with_variant(mysql.DATETIME(fsp=6), 'mysql'), server_default=sa.text('(CURRENT_TIMESTAMP)'), nullable=False, comment='创建时间'),
    sa.Column('created_by', sa.String(length=64), nullable=True, comment='创建人（用户名或流水线名）'),
    sa.Column('updated_at', sa.DateTime().with_variant(mysql.DATETIME(fsp=6), 'mysql'), server_default=sa.text('(CURRENT_TIMESTAMP)'), nullable=False, comment='最后修改时间'),
    sa.Column('updated_by', sa.String(length=64), nullable=True, comment='最后修改人'),
    sa.ForeignKeyConstraint(['agency_code'], ['agency.code'], name=op.f('fk_archive_transfer_out_agency_code')),
    sa.ForeignKeyConstraint(['person_id'], ['person.id'], name=op.f('fk_archive_transfer_out_person_id'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_archive_transfer_out')),
    comment='档案转出',
    mysql_charset='utf8mb4',
    mysql_collate='utf8mb4_unicode_ci',
    mysql_engine='InnoDB'
    )
    with op.batch_alter_table('archive_transfer_out', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_archive_transfer_out_agency_code'), ['agency_code'], unique=False)
        batch_op.create_index(batch_op.f('ix_archive_transfer_out_confidential_no'), ['confidential_no'], unique=False)
        batch_op.create_index(batch_op.f('ix_archive_transfer_out_notice_no'), ['notice_no'], unique=False)
        batch_op.create_index(batch_op.f('ix_archive_transfer_out_out_date'), ['out_date'], unique=False)
        batch_op.create_index(batch_op.f('ix_archive_transfer_out_person_id'), ['person_id'], unique=False)

    op.create_table('certificate',
    sa.Column('person_id', sa.BigInteger().with_variant(sa.Integer(), 'sqlite'), nullable=False, comment='人员ID'),
    sa.Column('cert_type', sa.String(length=16), nullable=False, comment='证明类型：存档证明/经历证明/亲属关系证明/政审证明/托管证明'),
    sa.Column('cert_no', sa.String(length=32), nullable=False, comment='证明编号'),
    sa.Column('purpose', sa.String(length=255), nullable=True, comment='用途'),
    sa.Column('recipient_unit', sa.String(length=255), nullable=True, comment='出具给（接收单位）'),
    sa.Column('content', sa.Text(), nullable=True, comment='证明正文'),
    sa.Column('issued_on', sa.Date(), nullable=False, comment='出具日期'),
    sa.Column('handler', sa.String(length=64), nullable=True, comment='经办人'),
    sa.Column('revoked', sa.Boolean(), server_default='0', nullable=False, comment='是否作废'),
    sa.Column('verify_code', sa.String(length=32), nullable=True, comment='电子证照核验码'),
    sa.Column('id', sa.BigInteger().with_variant(sa.Integer(), 'sqlite'), autoincrement=True, nullable=False, comment='主键'),
    sa.Column('agency_code', sa.String(length=8), nullable=False, comment='存档机构代码'),
    sa.Column('version', sa.Integer(), server_default='1', nullable=False, comment='乐观锁版本号'),
    sa.Column('created_at', sa.DateTime().with_variant(mysql.DATETIME(fsp=6), 'mysql'), server_default=sa.text('(CURRENT_TIMESTAMP)'), nullable=False, comment='创建时间'),
    sa.Column('created_by', sa.String(length=64), nullable=True, comment='创建人（用户名或流水线名）'),
    sa.Column('updated_at', sa.DateTime().with_variant(mysql.DATETIME(fsp=6), 'mysql'), server_default=sa.text('(CURRENT_TIMESTAMP)'), nullable=False, comment='最后修改时间'),
    sa.Column('updated_by', sa.String(length=64), nullable=True, comment='最后修改人'),
    sa.ForeignKeyConstraint(['agency_code'], ['agency.code'], name=op.f('fk_certificate_agency_code')),
    sa.ForeignKeyConstraint(['person_id'], ['person.id'], name=op.f('fk_certificate_person_id'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_certificate')),
    sa.UniqueConstraint('cert_no', name=op.f('uq_certificate_cert_no')),
    comment='出具的证明',
    mysql_charset='utf8mb4',
    mysql_collate='utf8mb4_unicode_ci',
    mysql_engine='InnoDB'
    )
    with op.batch_alter_table('certificate', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_certificate_agency_code'), ['agency_code'], unique=False)
        batch_op.create_index(batch_op.f('ix_certificate_cert_type'), ['cert_type'], unique=False)
        batch_op.create_index(batch_op.f('ix_certificate_issued_on'), ['issued_on'], unique=False)
        batch_op.create_index(batch_op.f('ix_certificate_person_id'), ['person_id'], unique=False)

    op.create_table('collective_hukou',
    sa.Column('person_id', sa.BigInteger().with_variant(sa.Integer(), 'sqlite'), nullable=False, comment='人员ID'),
    sa.Column('hukou_reg_no', sa.String(length=32), nullable=True, comment='户籍编号'),
    sa.Column('original_address', sa.String(length=255), nullable=True, comment='户籍原所在地'),
    sa.Column('settle_date', sa.Date(), nullable=True, comment='落户时间'),
    sa.Column('employer', sa.String(length=255), nullable=True, comment='工作单位'),
    sa.Column('move_reason', sa.String(length=255), nullable=True, comment='迁户原因'),
    sa.Column('police_station_in', sa.String(length=128), nullable=True, comment='迁入派出所'),
    sa.Column('in_accept_date', sa.Date(), nullable=True, comment='迁入受理时间'),
    sa.Column('in_handler', sa.String(length=64), nullable=True, comment='迁入经办人'),
    sa.Column('out_accept_date', sa.Date(), nullable=True, comment='迁出受理时间'),
    sa.Column('out_date', sa.Date(), nullable=True, comment='迁出时间'),
    sa.Column('out_address', sa.String(length=255), nullable=True, comment='迁出地址'),
    sa.Column('status', sa.String(length=8), server_default='在户', nullable=False, comment='状态：在户/已迁出'),
    sa.Column('police_checked_on', sa.Date(), nullable=True, comment='最近公安数据核对日期'),
    sa.Column('remarks', sa.Text(), nullable=True, comment='备注'),
    sa.Column('id', sa.BigInteger().with_variant(sa.Integer(), 'sqlite'), autoincrement=True, nullable=False, comment='主键'),
    sa.Column('agency_code', sa.String(length=8), nullable=False, comment='存档机构代码'),
    sa.Column('version', sa.Integer(), server_default='1', nullable=False, comment='乐观锁版本号'),
    sa.Column('created_at', sa.DateTime().with_variant(mysql.DATETIME(fsp=6), 'mysql'), server_default=sa.text('(CURRENT_TIMESTAMP)'), nullable=False, comment='创建时间'),
    sa.Column('created_by', sa.String(length=64), nullable=True, comment='创建人（用户名或流水线名）'),
    sa.Column('updated_at', sa.DateTime().with_variant(mysql.DATETIME(fsp=6), 'mysql'), server_default=sa.text('(CURRENT_TIMESTAMP)'), nullable=False, comment='最后修改时间'),
    sa.Column('updated_by', sa.String(length=64), nullable=True, comment='最后修改人'),
    sa.ForeignKeyConstraint(['agency_code'], ['agency.code'], name=op.f('fk_collective_hukou_agency_code')),
    sa.ForeignKeyConstraint(['person_id'], ['person.id'], name=op.f('fk_collective_hukou_person_id'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_collective_hukou')),
    comment='集体户口与集体户口代理',
    mysql_charset='utf8mb4',
    mysql_collate='utf8mb4_unicode_ci',
    mysql_engine='InnoDB'
    )
    with op.batch_alter_table('collective_hukou', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_collective_hukou_agency_code'), ['agency_code'], unique=False)
        batch_op.create_index(batch_op.f('ix_collective_hukou_hukou_reg_no'), ['hukou_reg_no'], unique=False)
        batch_op.create_index(batch_op.f('ix_collective_hukou_out_date'), ['out_date'], unique=False)
        batch_op.create_index(batch_op.f('ix_collective_hukou_person_id'), ['person_id'], unique=False)

    op.create_table('dq_repair_log',
    sa.Column('run_id', sa.String(length=64), nullable=False, comment='流水线运行ID'),
    sa.Column('agency_code', sa.String(length=8), nullable=False, comment='存档机构代码'),
    sa.Column('person_id', sa.BigInteger().with_variant(sa.Integer(), 'sqlite'), nullable=True, comment='人员ID'),
    sa.Column('archive_no', sa.String(length=32), nullable=True, comment='档案编号'),
    sa.Column('field', sa.String(length=32), nullable=False, comment='字段（采集表表头）'),
    sa.Column('old_value', sa.Text(), nullable=True, comment='原值（非敏感字段）'),
    sa.Column('new_value', sa.Text(), nullable=True, comment='新值（非敏感字段）'),
    sa.Column('old_value_enc', sa.String(length=160), nullable=True, comment='原值（敏感字段）（SM4密文）'),
    sa.Column('new_value_enc', sa.String(length=160), nullable=True, comment='新值（敏感字段）（SM4密文）'),
    sa.Column('feed', sa.String(length=16), nullable=True, comment='依据的外部数据：工商/公安/社保/教育'),
    sa.Column('rule', sa.String(length=64), nullable=False, comment='修复规则'),
    sa.Column('confidence', sa.Numeric(precision=4, scale=3), nullable=True, comment='置信度'),
    sa.Column('applied', sa.Boolean(), nullable=False, comment='是否已自动应用（否：进入审核队列）'),
    sa.Column('created_at', sa.DateTime().with_variant(mysql.DATETIME(fsp=6), 'mysql'), nullable=False, comment='记录时间'),
    sa.Column('id', sa.BigInteger().with_variant(sa.Integer(), 'sqlite'), autoincrement=True, nullable=False, comment='主键'),
    sa.ForeignKeyConstraint(['person_id'], ['person.id'], name=op.f('fk_dq_repair_log_person_id'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_dq_repair_log')),
    comment='数据修复日志',
    mysql_charset='utf8mb4',
    mysql_collate='utf8mb4_unicode_ci',
    mysql_engine='InnoDB'
    )
    with op.batch_alter_table('dq_repair_log', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_dq_repair_log_archive_no'), ['archive_no'], unique=False)
        batch_op.create_index(batch_op.f('ix_dq_repair_log_person_id'), ['person_id'], unique=False)
        batch_op.create_index(batch_op.f('ix_dq_repair_log_rule'), ['rule'], unique=False)
        batch_op.create_index('ix_dq_repair_run_agency', ['run_id', 'agency_code'], unique=False)

    op.create_table('dq_review_item',
    sa.Column('person_id', sa.BigInteger().with_variant(sa.Integer(), 'sqlite'), nullable=True, comment='人员ID'),
    sa.Column('archive_no', sa.String(length=32), nullable=True, comment='档案编号'),
    sa.Column('field', sa.String(length=32), nullable=False, comment='字段（采集表表头）'),
    sa.Column('category', sa.String(length=32), nullable=True, comment='问题类别（如 一人多档、单位不一致）'),
    sa.Column('current_value', sa.Text(), nullable=True, comment='当前值（非敏感字段）'),
    sa.Column('current_value_enc', sa.String(length=160), nullable=True, comment='当前值（敏感字段）（SM4密文）'),
    sa.Column('candidates_enc', sa.String(length=160), nullable=True, comment='候选值列表JSON（含评分与来源）（SM4密文）'),
    sa.Column('reason', sa.String(length=255), nullable=False, comment='原因'),
    sa.Column('rule', sa.String(length=64), nullable=True, comment='规则'),
    sa.Column('feed', sa.String(length=16), nullable=True, comment='依据的外部数据：工商/公安/社保/教育'),
    sa.Column('confidence', sa.Numeric(precision=4, scale=3), nullable=True, comment='最佳候选置信度'),
    sa.Column('run_id', sa.String(length=64), nullable=True, comment='产生该事项的流水线运行ID'),
    sa.Column('status', sa.String(length=8), server_default='待处理', nullable=False, comment='状态：待处理/已采纳/已驳回/已修改'),
    sa.Column('decided_by', sa.String(length=64), nullable=True, comment='处理人'),
    sa.Column('decided_at', sa.DateTime().with_variant(mysql.DATETIME(fsp=6), 'mysql'), nullable=True, comment='处理时间'),
    sa.Column('decision_enc', sa.String(length=160), nullable=True, comment='处理结果值（SM4密文）'),
    sa.Column('id', sa.BigInteger().with_variant(sa.Integer(), 'sqlite'), autoincrement=True, nullable=False, comment='主键'),
    sa.Column('agency_code', sa.String(length=8), nullable=False, comment='存档机构代码'),
    sa.Column('version', sa.Integer(), server_default='1', nullable=False, comment='乐观锁版本号'),
    sa.Column('created_at', sa.DateTime().with_variant(mysql.DATETIME(fsp=6), 'mysql'), server_default=sa.text('(CURRENT_TIMESTAMP)'), nullable=False, comment='创建时间'),
    sa.Column('created_by', sa.String(length=64), nullable=True, comment='创建人（用户名或流水线名）'),
    sa.Column('updated_at', sa.DateTime().with_variant(mysql.DATETIME(fsp=6), 'mysql'), server_default=sa.text('(CURRENT_TIMESTAMP)'), nullable=False, comment='最后修改时间'),
    sa.Column('updated_by', sa.String(length=64), nullable=True, comment='最后修改人'),
    sa.ForeignKeyConstraint(['agency_code'], ['agency.code'], name=op.f('fk_dq_review_item_agency_code')),
    sa.ForeignKeyConstraint(['person_id'], ['person.id'], name=op.f('fk_dq_review_item_person_id'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_dq_review_item')),
    comment='数据质量审核队列（待核实字段）',
    mysql_charset='utf8mb4',
    mysql_collate='utf8mb4_unicode_ci',
    mysql_engine='InnoDB'
    )
    with op.batch_alter_table('dq_review_item', schema=None) as batch_op:
        batch_op.create_index('ix_dq_review_agency_status', ['agency_code', 'status'], unique=False)
        batch_op.create_index(batch_op.f('ix_dq_review_item_agency_code'), ['agency_code'], unique=False)
        batch_op.create_index(batch_op.f('ix_dq_review_item_category'), ['category'], unique=False)
        batch_op.create_index(batch_op.f('ix_dq_review_item_person_id'), ['person_id'], unique=False)
        batch_op.create_index(batch_op.f('ix_dq_review_item_run_id'), ['run_id'], unique=False)
        batch_op.create_index('ix_dq_review_person_field', ['person_id', 'field'], unique=False)

    op.create_table('inventory_mark',
    sa.Column('business_type', sa.String(length=16), nullable=False, comment='业务类型：档案转入/档案转出/补充材料'),
    sa.Column('business_id', sa.BigInteger(), nullable=False, comment='业务记录ID'),
    sa.Column('person_id', sa.BigInteger().with_variant(sa.Integer(), 'sqlite'), nullable=False, comment='人员ID'),
    sa.Column('mark', sa.String(length=4), nullable=False, comment='标记：确认/搁置/提示'),
    sa.Column('note', sa.Text(), nullable=True, comment='提示内容'),
    sa.Column('marked_by', sa.String(length=64), nullable=True, comment='标记人'),
    sa.Column('marked_at', sa.DateTime().with_variant(mysql.DATETIME(fsp=6), 'mysql'), nullable=True, comment='标记时间'),
    sa.Column('id', sa.BigInteger().with_variant(sa.Integer(), 'sqlite'), autoincrement=True, nullable=False, comment='主键'),
    sa.Column('agency_code', sa.String(length=8), nullable=False, comment='存档机构代码'),
    sa.Column('version', sa.Integer(), server_default='1', nullable=False, comment='乐观锁版本号'),
    sa.Column('created_at', sa.DateTime().with_variant(mysql.DATETIME(fsp=6), 'mysql'), server_default=sa.text('(CURRENT_TIMESTAMP)'), nullable=False, comment='创建时间'),
    sa.Column('created_by', sa.String(length=64), nullable=True, comment='创建人（用户名或流水线名）'),
    sa.Column('updated_at', sa.DateTime().with_variant(mysql.DATETIME(fsp=6), 'mysql'), server_default=sa.text('(CURRENT_TIMESTAMP)'), nullable=False, comment='最后修改时间'),
    sa.Column('updated_by', sa.String(length=64), nullable=True, comment='最后修改人'),
    sa.ForeignKeyConstraint(['agency_code'], ['agency.code'], name=op.f('fk_inventory_mark_agency_code')),
    sa.ForeignKeyConstraint(['person_id'], ['person.id'], name=op.f('fk_inventory_mark_person_id'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_inventory_mark')),
    comment='库存管理标记（确认/搁置/提示）',
    mysql_charset='utf8mb4',
    mysql_collate='utf8mb4_unicode_ci',
    mysql_engine='InnoDB'
    )
    with op.batch_alter_table('inventory_mark', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_inventory_mark_agency_code'), ['agency_code'], unique=False)
        batch_op.create_index('ix_inventory_mark_business', ['agency_code', 'business_type', 'business_id'], unique=False)
        batch_op.create_index(batch_op.f('ix_inventory_mark_mark'), ['mark'], unique=False)
        batch_op.create_index(batch_op.f('ix_inventory_mark_person_id'), ['person_id'], unique=False)

    op.create_table('material_use',
    sa.Column('person_id', sa.BigInteger().with_variant(sa.Integer(), 'sqlite'), nullable=False, comment='人员ID'),
    sa.Column('user_name', sa.String(length=64), nullable=True, comment='利用人'),
    sa.Column('user_id_number_enc', sa.String(length=160), nullable=True, comment='利用人身份证（SM4密文）'),
    sa.Column('user_id_number_bidx', sa.String(length=64), nullable=True, comment='利用人身份证（HMAC-SM3盲索引）'),
    sa.Column('use_time', sa.DateTime().with_variant(mysql.DATETIME(fsp=6), 'mysql'), nullable=True, comment='利用时间'),
    sa.Column('use_mode', sa.String(length=32), nullable=True, comment='利用方式：复印/摘抄/查看/出具证明'),
    sa.Column('handler', sa.String(length=64), nullable=True, comment='经办人'),
    sa.Column('remarks', sa.Text(), nullable=True, comment='备注'),
    sa.Column('id', sa.BigInteger().with_variant(sa.Integer(), 'sqlite'), autoincrement=True, nullable=False, comment='主键'),
    sa.Column('agency_code', sa.String(length=8), nullable=False, comment='存档机构代码'),
    sa.Column('version', sa.Integer(), server_default='1', nullable=False, comment='乐观锁版本号'),
    sa.Column('created_at', sa.DateTime().with_variant(mysql.DATETIME(fsp=6), 'mysql'), server_default=sa.text('(CURRENT_TIMESTAMP)'), nullable=False, comment='创建时间'),
    sa.Column('created_by', sa.String(length=64), nullable=True, comment='创建人（用户名或流水线名）'),
    sa.Column('updated_at', sa.DateTime().with_variant(mysql.DATETIME(fsp=6), 'mysql'), server_default=sa.text('(CURRENT_TIMESTAMP)'), nullable=False, comment='最后修改时间'),
    sa.Column('updated_by', sa.String(length=64), nullable=True, comment='最后修改人'),
    sa.ForeignKeyConstraint(['agency_code'], ['agency.code'], name=op.f('fk_material_use_agency_code')),
    sa.ForeignKeyConstraint(['person_id'], ['person.id'], name=op.f('fk_material_use_person_id'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_material_use')),
    comment='材料利用登记',
    mysql_charset='utf8mb4',
    mysql_collate='utf8mb4_unicode_ci',
    mysql_engine='InnoDB'
    )
    with op.batch_alter_table('material_use', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_material_use_agency_code'), ['agency_code'], unique=False)
        batch_op.create_index(batch_op.f('ix_material_use_person_id'), ['person_id'], unique=False)
        batch_op.create_index(batch_op.f('ix_material_use_use_time'), ['use_time'], unique=False)
        batch_op.create_index(batch_op.f('ix_material_use_user_id_number_bidx'), ['user_id_number_bidx'], unique=False)

    op.create_table('monitor_event',
    sa.Column('archive_no', sa.String(length=32), nullable=False, comment='档案编号'),
    sa.Column('person_id', sa.BigInteger().with_variant(sa.Integer(), 'sqlite'), nullable=True, comment='人员ID'),
    sa.Column('out_time', sa.DateTime().with_variant(mysql.DATETIME(fsp=6), 'mysql'), nullable=True, comment='出库时间'),
    sa.Column('in_time', sa.DateTime().with_variant(mysql.DATETIME(fsp=6), 'mysql'), nullable=True, comment='入库时间'),
    sa.Column('device_id', sa.String(length=64), nullable=True, comment='识别设备编号'),
    sa.Column('alarm', sa.Boolean(), server_default='0', nullable=False, comment='是否触发声音报警'),
    sa.Column('alarm_reason', sa.String(length=255), nullable=True, comment='报警原因'),
    sa.Column('id', sa.BigInteger().with_variant(sa.Integer(), 'sqlite'), autoincrement=True, nullable=False, comment='主键'),
    sa.Column('agency_code', sa.String(length=8), nullable=False, comment='存档机构代码'),
    sa.Column('version', sa.Integer(), server_default='1', nullable=False, comment='乐观锁版本号'),
    sa.Column('created_at', sa.DateTime().with_variant(mysql.DATETIME(fsp=6), 'mysql'), server_default=sa.text('(CURRENT_TIMESTAMP)'), nullable=False, comment='创建时间'),
    sa.Column('created_by', sa.String(length=64), nullable=True, comment='创建人（用户名或流水线名）'),
    sa.Column('updated_at', sa.DateTime().with_variant(mysql.DATETIME(fsp=6), 'mysql'), server_default=sa.text('(CURRENT_TIMESTAMP)'), nullable=False, comment='最后修改时间'),
    sa.Column('updated_by', sa.String(length=64), nullable=True, comment='最后修改人'),
    sa.ForeignKeyConstraint(['agency_code'], ['agency.code'], name=op.f('fk_monitor_event_agency_code')),
    sa.ForeignKeyConstraint(['person_id'], ['person.id'], name=op.f('fk_monitor_event_person_id'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_monitor_event')),
    comment='智能库房安全监控（出入库记录）',
    mysql_charset='utf8mb4',
    mysql_collate='utf8mb4_unicode_ci',
    mysql_engine='InnoDB'
    )
    with op.batch_alter_table('monitor_event', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_monitor_event_agency_code'), ['agency_code'], unique=False)
        batch_op.create_index(batch_op.f('ix_monitor_event_archive_no'), ['archive_no'], unique=False)
        batch_op.create_index(batch_op.f('ix_monitor_event_in_time'), ['in_time'], unique=False)
        batch_op.create_index(batch_op.f('ix_monitor_event_out_time'), ['out_time'], unique=False)
        batch_op.create_index(batch_op.f('ix_monitor_event_person_id'), ['person_id'], unique=False)

    op.create_table('party_member',
    sa.Column('person_id', sa.BigInteger().with_variant(sa.Integer(), 'sqlite'), nullable=False, comment='人员ID'),
    sa.Column('member_type', sa.String(length=8), nullable=True, comment='党员类型：正式党员/预备党员'),
    sa.Column('party_org', sa.String(length=128), nullable=True, comment='所属党组织'),
    sa.Column('join_date', sa.Date(), nullable=True, comment='入党时间'),
    sa.Column('full_date', sa.Date(), nullable=True, comment='转正时间'),
    sa.Column('development_type', sa.String(length=32), nullable=True, comment='发展类型'),
    sa.Column('org_in_date', sa.Date(), nullable=True, comment='组织关系转入时间'),
    sa.Column('org_out_date', sa.Date(), nullable=True, comment='组织关系转出时间'),
    sa.Column('from_where', sa.String(length=255), nullable=True, comment='何处转入'),
    sa.Column('to_where', sa.String(length=255), nullable=True, comment='转往何处'),
    sa.Column('dues_paid_until', sa.Date(), nullable=True, comment='党费交纳截止时间'),
    sa.Column('status', sa.String(length=8), server_default='在册', nullable=False, comment='状态：在册/已转出'),
    sa.Column('remarks', sa.Text(), nullable=True, comment='备注'),
    sa.Column('id', sa.BigInteger().with_variant(sa.Integer(), 'sqlite'), autoincrement=True, nullable=False, comment='主键'),
    sa.Column('agency_code', sa.String(length=8), nullable=False, comment='存档机构代码'),
    sa.Column('version', sa.Integer(), server_default='1', nullable=False, comment='乐观锁版本号'),
    sa.Column('created_at', sa.DateTime().with_variant(mysql.DATETIME(fsp=6), 'mysql'), server_default=sa.text('(CURRENT_TIMESTAMP)'), nullable=False, comment='创建时间'),
    sa.Column('created_by', sa.String(length=64), nullable=True, comment='创建人（用户名或流水线名）'),
    sa.Column('updated_at', sa.DateTime().with_variant(mysql.DATETIME(fsp=6), 'mysql'), server_default=sa.text('(CURRENT_TIMESTAMP)'), nullable=False, comment='最后修改时间'),
    sa.Column('updated_by', sa.String(length=64), nullable=True, comment='最后修改人'),
    sa.ForeignKeyConstraint(['agency_code'], ['agency.code'], name=op.f('fk_party_member_agency_code')),
    sa.ForeignKeyConstraint(['person_id'], ['person.id'], name=op.f('fk_party_member_person_id'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_party_member')),
    sa.UniqueConstraint('person_id', name='uq_party_member_person'),
    comment='流动党员基础信息',
    mysql_charset='utf8mb4',
    mysql_collate='utf8mb4_unicode_ci',
    mysql_engine='InnoDB'
    )
    with op.batch_alter_table('party_member', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_party_member_agency_code'), ['agency_code'], unique=False)
        batch_op.create_index(batch_op.f('ix_party_member_party_org'), ['party_org'], unique=False)
        batch_op.create_index(batch_op.f('ix_party_member_person_id'), ['person_id'], unique=False)

    op.create_table('person_study',
    sa.Column('person_id', sa.BigInteger().with_variant(sa.Integer(), 'sqlite'), nullable=False, comment='人员ID'),
    sa.Column('start_date', sa.Date(), nullable=True, comment='起始时间'),
    sa.Column('end_date', sa.Date(), nullable=True, comment='终止时间'),
    sa.Column('school', sa.String(length=128), nullable=True, comment='学校'),
    sa.Column('major', sa.String(length=128), nullable=True, comment='专业'),
    sa.Column('education_level', sa.String(length=16), nullable=True, comment='学历'),
    sa.Column('degree', sa.String(length=8), nullable=True, comment='学位'),
    sa.Column('cert_no', sa.String(length=64), nullable=True, comment='学历证书编号（教育数据）'),
    sa.Column('source', sa.String(length=8), nullable=True, comment='来源：采集表/教育/业务'),
    sa.Column('seq', sa.Integer(), server_default='0', nullable=False, comment='序号'),
    sa.Column('id', sa.BigInteger().with_variant(sa.Integer(), 'sqlite'), autoincrement=True, nullable=False, comment='主键'),
    sa.Column('agency_code', sa.String(length=8), nullable=False, comment='存档机构代码'),
    sa.Column('version', sa.Integer(), server_default='1', nullable=False, comment='乐观锁版本号'),
    sa.Column('created_at', sa.DateTime().with_variant(mysql.DATETIME(fsp=6), 'mysql'), server_default=sa.text('(CURRENT_TIMESTAMP)'), nullable=False, comment='创建时间'),
    sa.Column('created_by', sa.String(length=64), nullable=True, comment='创建人（用户名或流水线名）'),
    sa.Column('updated_at', sa.DateTime().with_variant(mysql.DATETIME(fsp=6), 'mysql'), server_default=sa.text('(CURRENT_TIMESTAMP)'), nullable=False, comment='最后修改时间'),
    sa.Column('updated_by', sa.String(length=64), nullable=True, comment='最后修改人'),
    sa.ForeignKeyConstraint(['agency_code'], ['agency.code'], name=op.f('fk_person_study_agency_code')),
    sa.ForeignKeyConstraint(['person_id'], ['person.id'], name=op.f('fk_person_study_person_id'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_person_study')),
    comment='学习经历',
    mysql_charset='utf8mb4',
    mysql_collate='utf8mb4_unicode_ci',
    mysql_engine='InnoDB'
    )
    with op.batch_alter_table('person_study', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_person_study_agency_code'), ['agency_code'], unique=False)
        batch_op.create_index(batch_op.f('ix_person_study_person_id'), ['person_id'], unique=False)

    op.create_table('person_title',
    sa.Column('person_id', sa.BigInteger().with_variant(sa.Integer(), 'sqlite'), nullable=False, comment='人员ID'),
    sa.Column('kind', sa.String(length=8), nullable=False, comment='类别：职称/职业资格'),
    sa.Column('name', sa.String(length=128), nullable=False, comment='名称'),
    sa.Column('level', sa.String(length=32), nullable=True, comment='等级（正高级/副高级/中级/初级，或一至五级）'),
    sa.Column('grant_date', sa.Date(), nullable=True, comment='取得时间'),
    sa.Column('issuer', sa.String(length=128), nullable=True, comment='评审或发证机关'),
    sa.Column('cert_no', sa.String(length=64), nullable=True, comment='证书编号'),
    sa.Column('id', sa.BigInteger().with_variant(sa.Integer(), 'sqlite'), autoincrement=True, nullable=False, comment='主键'),
    sa.Column('agency_code', sa.String(length=8), nullable=False, comment='存档机构代码'),
    sa.Column('version', sa.Integer(), server_default='1', nullable=False, comment='乐观锁版本号'),
    sa.Column('created_at', sa.DateTime().with_variant(mysql.DATETIME(fsp=6), 'mysql'), server_default=sa.text('(CURRENT_TIMESTAMP)'), nullable=False, comment='创建时间'),
    sa.Column('created_by', sa.String(length=64), nullable=True, comment='创建人（用户名或流水线名）'),
    sa.Column('updated_at', sa.DateTime().with_variant(mysql.DATETIME(fsp=6), 'mysql'), server_default=sa.text('(CURRENT_TIMESTAMP)'), nullable=False, comment='最后修改时间'),
    sa.Column('updated_by', sa.String(length=64), nullable=True, comment='最后修改人'),
    sa.ForeignKeyConstraint(['agency_code'], ['agency.code'], name=op.f('fk_person_title_agency_code')),
    sa.ForeignKeyConstraint(['person_id'], ['person.id'], name=op.f('fk_person_title_person_id'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_person_title')),
    comment='职称与职业资格',
    mysql_charset='utf8mb4',
    mysql_collate='utf8mb4_unicode_ci',
    mysql_engine='InnoDB'
    )
    with op.batch_alter_table('person_title', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_person_title_agency_code'), ['agency_code'], unique=False)
        batch_op.create_index(batch_op.f('ix_person_title_person_id'), ['person_id'], unique=False)

    op.create_table('person_work',
    sa.Column('person_id', sa.BigInteger().with_variant(sa.Integer(), 'sqlite'), nullable=False, comment='人员ID'),
    sa.Column('start_date', sa.Date(), nullable=True, comment='起始时间'),
    sa.Column('end_date', sa.Date(), nullable=True, comment='终止时间'),
    sa.Column('employer', sa.String(length=255), nullable=True, comment='工作单位'),
    sa.Column('department', sa.String(length=128), nullable=True, comment='部门'),
    sa.Column('position', sa.String(length=128), nullable=True, comment='职务'),
    sa.Column('source', sa.String(length=8), nullable=True, comment='来源：采集表/社保/业务'),
    sa.Column('seq', sa.Integer(), server_default='0', nullable=False, comment='序号'),
    sa.Column('id', sa.BigInteger().with_variant(sa.Integer(), 'sqlite'), autoincrement=True, nullable=False, comment='主键'),
    sa.Column('agency_code', sa.String(length=8), nullable=False, comment='存档机构代码'),
    sa.Column('version', sa.Integer(), server_default='1', nullable=False, comment='乐观锁版本号'),
    sa.Column('created_at', sa.DateTime().with_variant(mysql.DATETIME(fsp=6), 'mysql'), server_default=sa.text('(CURRENT_TIMESTAMP)'), nullable=False, comment='创建时间'),
    sa.Column('created_by', sa.String(length=64), nullable=True, comment='创建人（用户名或流水线名）'),
    sa.Column('updated_at', sa.DateTime().with_variant(mysql.DATETIME(fsp=6), 'mysql'), server_default=sa.text('(CURRENT_TIMESTAMP)'), nullable=False, comment='最后修改时间'),
    sa.Column('updated_by', sa.String(length=64), nullable=True, comment='最后修改人'),
    sa.ForeignKeyConstraint(['agency_code'], ['agency.code'], name=op.f('fk_person_work_agency_code')),
    sa.ForeignKeyConstraint(['person_id'], ['person.id'], name=op.f('fk_person_work_person_id'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_person_work')),
    comment='工作经历',
    mysql_charset='utf8mb4',
    mysql_collate='utf8mb4_unicode_ci',
    mysql_engine='InnoDB'
    )
    with op.batch_alter_table('person_work', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_person_work_agency_code'), ['agency_code'], unique=False)
        batch_op.create_index(batch_op.f('ix_person_work_person_id'), ['person_id'], unique=False)

    op.create_table('stocktake_item',
    sa.Column('stocktake_id', sa.BigInteger().with_variant(sa.Integer(), 'sqlite'), nullable=False, comment='盘库批次ID'),
    sa.Column('archive_no', sa.String(length=32), nullable=False, comment='档案编号'),
    sa.Column('person_id', sa.BigInteger().with_variant(sa.Integer(), 'sqlite'), nullable=True, comment='人员ID'),
    sa.Column('scanned_at', sa.DateTime().with_variant(mysql.DATETIME(fsp=6), 'mysql'), nullable=True, comment='扫描时间'),
    sa.Column('status', sa.String(length=8), nullable=False, comment='状态：在库/不在库/未登记'),
    sa.Column('location', sa.String(length=64), nullable=True, comment='架位'),
    sa.Column('id', sa.BigInteger().with_variant(sa.Integer(), 'sqlite'), autoincrement=True, nullable=False, comment='主键'),
    sa.Column('agency_code', sa.String(length=8), nullable=False, comment='存档机构代码'),
    sa.Column('version', sa.Integer(), server_default='1', nullable=False, comment='乐观锁版本号'),
    sa.Column('created_at', sa.DateTime().with_variant(mysql.DATETIME(fsp=6), 'mysql'), server_default=sa.text('(CURRENT_TIMESTAMP)'), nullable=False, comment='创建时间'),
    sa.Column('created_by', sa.String(length=64), nullable=True, comment='创建人（用户名或流水线名）'),
    sa.Column('updated_at', sa.DateTime().with_variant(mysql.DATETIME(fsp=6), 'mysql'), server_default=sa.text('(CURRENT_TIMESTAMP)'), nullable=False, comment='最后修改时间'),
    sa.Column('updated_by', sa.String(length=64), nullable=True, comment='最后修改人'),
    sa.ForeignKeyConstraint(['agency_code'], ['agency.code'], name=op.f('fk_stocktake_item_agency_code')),
    sa.ForeignKeyConstraint(['person_id'], ['person.id'], name=op.f('fk_stocktake_item_person_id'), ondelete='CASCADE'),
    sa.ForeignKeyConstraint(['stocktake_id'], ['stocktake.id'], name=op.f('fk_stocktake_item_stocktake_id'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_stocktake_item')),
    comment='电子化盘库明细（盘点列表）',
    mysql_charset='utf8mb4',
    mysql_collate='utf8mb4_unicode_ci',
    mysql_engine='InnoDB'
    )
    with op.batch_alter_table('stocktake_item', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_stocktake_item_agency_code'), ['agency_code'], unique=False)
        batch_op.create_index(batch_op.f('ix_stocktake_item_archive_no'), ['archive_no'], unique=False)
        batch_op.create_index(batch_op.f('ix_stocktake_item_person_id'), ['person_id'], unique=False)
        batch_op.create_index(batch_op.f('ix_stocktake_item_stocktake_id'), ['stocktake_id'], unique=False)

    op.create_table('digital_image',
    sa.Column('person_id', sa.BigInteger().with_variant(sa.Integer(), 'sqlite'), nullable=False, comment='人员ID'),
    sa.Column('material_id', sa.BigInteger().with_variant(sa.Integer(), 'sqlite'), nullable=True, comment='档案材料ID'),
    sa.Column('category_code', sa.String(length=8), nullable=False, comment='材料类别'),
    sa.Column('page_no', sa.Integer(), server_default='1', nullable=False, comment='页序号'),
    sa.Column('storage_key', sa.String(length=255), nullable=False, comment='存储键（统一存储中的对象路径）'),
    sa.Column('content_type', sa.String(length=64), nullable=False, comment='文件类型'),
    sa.Column('size_bytes', sa.Integer(), nullable=False, comment='文件大小（字节）'),
    sa.Column('width', sa.Integer(), nullable=True, comment='宽（像素）'),
    sa.Column('height', sa.Integer(), nullable=True, comment='高（像素）'),
    sa.Column('dpi', sa.Integer(), nullable=True, comment='分辨率（DPI）'),
    sa.Column('sm3', sa.String(length=64), nullable=False, comment='SM3 摘要（完整性校验）'),
    sa.Column('processing', sa.String(length=64), nullable=True, comment='已做处理：裁剪/去污/清晰度（分号分隔）'),
    sa.Column('id', sa.BigInteger().with_variant(sa.Integer(), 'sqlite'), autoincrement=True, nullable=False, comment='主键'),
    sa.Column('agency_code', sa.String(length=8), nullable=False, comment='存档机构代码'),
    sa.Column('version', sa.Integer(), server_default='1', nullable=False, comment='乐观锁版本号'),
    sa.Column('created_at', sa.DateTime().with_variant(mysql.DATETIME(fsp=6), 'mysql'), server_default=sa.text('(CURRENT_TIMESTAMP)'), nullable=False, comment='创建时间'),
    sa.Column('created_by', sa.String(length=64), nullable=True, comment='创建人（用户名或流水线名）'),
    sa.Column('updated_at', sa.DateTime().with_variant(mysql.DATETIME(fsp=6), 'mysql'), server_default=sa.text('(CURRENT_TIMESTAMP)'), nullable=False, comment='最后修改时间'),
    sa.Column('updated_by', sa.String(length=64), nullable=True, comment='最后修改人'),
    sa.ForeignKeyConstraint(['agency_code'], ['agency.code'], name=op.f('fk_digital_image_agency_code')),
    sa.ForeignKeyConstraint(['material_id'], ['archive_material.id'], name=op.f('fk_digital_image_material_id')),
    sa.ForeignKeyConstraint(['person_id'], ['person.id'], name=op.f('fk_digital_image_person_id'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_digital_image')),
    comment='数字化档案图像',
    mysql_charset='utf8mb4',
    mysql_collate='utf8mb4_unicode_ci',
    mysql_engine='InnoDB'
    )
    with op.batch_alter_table('digital_image', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_digital_image_agency_code'), ['agency_code'], unique=False)
        batch_op.create_index(batch_op.f('ix_digital_image_category_code'), ['category_code'], unique=False)
        batch_op.create_index(batch_op.f('ix_digital_image_material_id'), ['material_id'], unique=False)
        batch_op.create_index(batch_op.f('ix_digital_image_person_id'), ['person_id'], unique=False)

    op.create_table('hukou_card_loan',
    sa.Column('collective_hukou_id', sa.BigInteger().with_variant(sa.Integer(), 'sqlite'), nullable=False, comment='集体户口ID'),
    sa.Column('borrower', sa.String(length=64), nullable=True, comment='借用人'),
    sa.Column('loan_date', sa.Date(), nullable=True, comment='借出日期'),
    sa.Column('reason', sa.String(length=255), nullable=True, comment='借用原因'),
    sa.Column('due_date', sa.Date(), nullable=True, comment='应还日期'),
    sa.Column('return_date', sa.Date(), nullable=True, comment='归还日期'),
    sa.Column('handler', sa.String(length=64), nullable=True, comment='经办人'),
    sa.Column('remarks', sa.Text(), nullable=True, comment='备注'),
    sa.Column('id', sa.BigInteger().with_variant(sa.Integer(), 'sqlite'), autoincrement=True, nullable=False, comment='主键'),
    sa.Column('agency_code', sa.String(length=8), nullable=False, comment='存档机构代码'),
    sa.Column('version', sa.Integer(), server_default='1', nullable=False, comment='乐观锁版本号'),
    sa.Column('created_at', sa.DateTime().with_variant(mysql.DATETIME(fsp=6), 'mysql'), server_default=sa.text('(CURRENT_TIMESTAMP)'), nullable=False, comment='创建时间'),
    sa.Column('created_by', sa.String(length=64), nullable=True, comment='创建人（用户名或流水线名）'),
    sa.Column('updated_at', sa.DateTime().with_variant(mysql.DATETIME(fsp=6), 'mysql'), server_default=sa.text('(CURRENT_TIMESTAMP)'), nullable=False, comment='最后修改时间'),
    sa.Column('updated_by', sa.String(length=64), nullable=True, comment='最后修改人'),
    sa.ForeignKeyConstraint(['agency_code'], ['agency.code'], name=op.f('fk_hukou_card_loan_agency_code')),
    sa.ForeignKeyConstraint(['collective_hukou_id'], ['collective_hukou.id'], name=op.f('fk_hukou_card_loan_collective_hukou_id'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_hukou_card_loan')),
    comment='户籍卡借阅与归还',
    mysql_charset='utf8mb4',
    mysql_collate='utf8mb4_unicode_ci',
    mysql_engine='InnoDB'
    )
    with op.batch_alter_table('hukou_card_loan', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_hukou_card_loan_agency_code'), ['agency_code'], unique=False)
        batch_op.create_index(batch_op.f('ix_hukou_card_loan_collective_hukou_id'), ['collective_hukou_id'], unique=False)
        batch_op.create_index(batch_op.f('ix_hukou_card_loan_loan_date'), ['loan_date'], unique=False)

    op.create_table('hukou_dependent',
    sa.Column('collective_hukou_id', sa.BigInteger().with_variant(sa.Integer(), 'sqlite'), nullable=False, comment='集体户口ID'),
    sa.Column('name', sa.String(length=64), nullable=False, comment='姓名'),
    sa.Column('relation', sa.String(length=16), nullable=True, comment='与户主关系（子/女）'),
    sa.Column('id_number_enc', sa.String(length=160), nullable=True, comment='公民身份号码（SM4密文）'),
    sa.Column('id_number_bidx', sa.String(length=64), nullable=True, comment='公民身份号码（HMAC-SM3盲索引）'),
    sa.Column('birth_date', sa.Date(), nullable=True, comment='出生日期'),
    sa.Column('settle_date', sa.Date(), nullable=True, comment='落户时间'),
    sa.Column('out_date', sa.Date(), nullable=True, comment='迁出时间'),
    sa.Column('remarks', sa.Text(), nullable=True, comment='备注'),
    sa.Column('id', sa.BigInteger().with_variant(sa.Integer(), 'sqlite'), autoincrement=True, nullable=False, comment='主键'),
    sa.Column('agency_code', sa.String(length=8), nullable=False, comment='存档机构代码'),
    sa.Column('version', sa.Integer(), server_default='1', nullable=False, comment='乐观锁版本号'),
    sa.Column('created_at', sa.DateTime().with_variant(mysql.DATETIME(fsp=6), 'mysql'), server_default=sa.text('(CURRENT_TIMESTAMP)'), nullable=False, comment='创建时间'),
    sa.Column('created_by', sa.String(length=64), nullable=True, comment='创建人（用户名或流水线名）'),
    sa.Column('updated_at', sa.DateTime().with_variant(mysql.DATETIME(fsp=6), 'mysql'), server_default=sa.text('(CURRENT_TIMESTAMP)'), nullable=False, comment='最后修改时间'),
    sa.Column('updated_by', sa.String(length=64), nullable=True, comment='最后修改人'),
    sa.ForeignKeyConstraint(['agency_code'], ['agency.code'], name=op.f('fk_hukou_dependent_agency_code')),
    sa.ForeignKeyConstraint(['collective_hukou_id'], ['collective_hukou.id'], name=op.f('fk_hukou_dependent_collective_hukou_id'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_hukou_dependent')),
    comment='集体户子女挂靠落户',
    mysql_charset='utf8mb4',
    mysql_collate='utf8mb4_unicode_ci',
    mysql_engine='InnoDB'
    )
    with op.batch_alter_table('hukou_dependent', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_hukou_dependent_agency_code'), ['agency_code'], unique=False)
        batch_op.create_index(batch_op.f('ix_hukou_dependent_collective_hukou_id'), ['collective_hukou_id'], unique=False)
        batch_op.create_index(batch_op.f('ix_hukou_dependent_id_number_bidx'), ['id_number_bidx'], unique=False)

    op.create_table('party_dues_payment',
    sa.Column('party_member_id', sa.BigInteger().with_variant(sa.Integer(), 'sqlite'), nullable=False, comment='流动党员ID'),
    sa.Column('salary_base', sa.Numeric(precision=12, scale=2), nullable=True, comment='工资基数（元/月）'),
    sa.Column('standard', sa.String(length=32), nullable=True, comment='缴费标准（按比例/固定金额）'),
    sa.Column('ratio', sa.Numeric(precision=6, scale=4), nullable=True, comment='缴费比例'),
    sa.Column('fixed_amount', sa.Numeric(precision=12, scale=2), nullable=True, comment='固定金额（元/月）'),
    sa.Column('amount', sa.Numeric(precision=12, scale=2), nullable=False, comment='本次缴纳金额（元）'),
    sa.Column('period_from', sa.Date(), nullable=True, comment='缴费所属期起'),
    sa.Column('period_to', sa.Date(), nullable=True, comment='缴费所属期止'),
    sa.Column('paid_until', sa.Date(), nullable=True, comment='党费交纳截止时间'),
    sa.Column('paid_on', sa.Date(), nullable=True, comment='缴费日期'),
    sa.Column('receipt_no', sa.String(length=32), nullable=True, comment='收据编号'),
    sa.Column('handler', sa.String(length=64), nullable=True, comment='经办人'),
    sa.Column('id', sa.BigInteger().with_variant(sa.Integer(), 'sqlite'), autoincrement=True, nullable=False, comment='主键'),
    sa.Column('agency_code', sa.String(length=8), nullable=False, comment='存档机构代码'),
    sa.Column('version', sa.Integer(), server_default='1', nullable=False, comment='乐观锁版本号'),
    sa.Column('created_at', sa.DateTime().with_variant(mysql.DATETIME(fsp=6), 'mysql'), server_default=sa.text('(CURRENT_TIMESTAMP)'), nullable=False, comment='创建时间'),
    sa.Column('created_by', sa.String(length=64), nullable=True, comment='创建人（用户名或流水线名）'),
    sa.Column('updated_at', sa.DateTime().with_variant(mysql.DATETIME(fsp=6), 'mysql'), server_default=sa.text('(CURRENT_TIMESTAMP)'), nullable=False, comment='最后修改时间'),
    sa.Column('updated_by', sa.String(length=64), nullable=True, comment='最后修改人'),
    sa.ForeignKeyConstraint(['agency_code'], ['agency.code'], name=op.f('fk_party_dues_payment_agency_code')),
    sa.ForeignKeyConstraint(['party_member_id'], ['party_member.id'], name=op.f('fk_party_dues_payment_party_member_id'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_party_dues_payment')),
    comment='党费交纳记录',
    mysql_charset='utf8mb4',
    mysql_collate='utf8mb4_unicode_ci',
    mysql_engine='InnoDB'
    )
    with op.batch_alter_table('party_dues_payment', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_party_dues_payment_agency_code'), ['agency_code'], unique=False)
        batch_op.create_index(batch_op.f('ix_party_dues_payment_paid_on'), ['paid_on'], unique=False)
        batch_op.create_index(batch_op.f('ix_party_dues_payment_party_member_id'), ['party_member_id'], unique=False)

    op.create_table('party_org_transfer',
    sa.Column('party_member_id', sa.BigInteger().with_variant(sa.Integer(), 'sqlite'), nullable=False, comment='流动党员ID'),
    sa.Column('direction', sa.String(length=4), nullable=False, comment='方向：转入/转出'),
    sa.Column('transfer_date', sa.Date(), nullable=True, comment='转入时间或转出时间'),
    sa.Column('place', sa.String(length=255), nullable=True, comment='何处转入或转往何处'),
    sa.Column('letter_no', sa.String(length=32), nullable=True, comment='介绍信编号'),
    sa.Column('handler', sa.String(length=64), nullable=True, comment='经办人'),
    sa.Column('remarks', sa.Text(), nullable=True, comment='备注'),
    sa.Column('id', sa.BigInteger().with_variant(sa.Integer(), 'sqlite'), autoincrement=True, nullable=False, comment='主键'),
    sa.Column('agency_code', sa.String(length=8), nullable=False, comment='存档机构代码'),
    sa.Column('version', sa.Integer(), server_default='1', nullable=False, comment='乐观锁版本号'),
    sa.Column('created_at', sa.DateTime().with_variant(mysql.DATETIME(fsp=6), 'mysql'), server_default=sa.text('(CURRENT_TIMESTAMP)'), nullable=False, comment='创建时间'),
    sa.Column('created_by', sa.String(length=64), nullable=True, comment='创建人（用户名或流水线名）'),
    sa.Column('updated_at', sa.DateTime().with_variant(mysql.DATETIME(fsp=6), 'mysql'), server_default=sa.text('(CURRENT_TIMESTAMP)'), nullable=False, comment='最后修改时间'),
    sa.Column('updated_by', sa.String(length=64), nullable=True, comment='最后修改人'),
    sa.ForeignKeyConstraint(['agency_code'], ['agency.code'], name=op.f('fk_party_org_transfer_agency_code')),
    sa.ForeignKeyConstraint(['party_member_id'], ['party_member.id'], name=op.f('fk_party_org_transfer_party_member_id'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_party_org_transfer')),
    comment='党员组织关系转接',
    mysql_charset='utf8mb4',
    mysql_collate='utf8mb4_unicode_ci',
    mysql_engine='InnoDB'
    )
    with op.batch_alter_table('party_org_transfer', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_party_org_transfer_agency_code'), ['agency_code'], unique=False)
        batch_op.create_index(batch_op.f('ix_party_org_transfer_party_member_id'), ['party_member_id'], unique=False)
        batch_op.create_index(batch_op.f('ix_party_org_transfer_transfer_date'), ['transfer_date'], unique=False)

    op.create_table('image_operation_log',
    sa.Column('agency_code', sa.String(length=8), nullable=False, comment='存档机构代码'),
    sa.Column('username', sa.String(length=64), nullable=False, comment='用户名'),
    sa.Column('op_time', sa.DateTime().with_variant(mysql.DATETIME(fsp=6), 'mysql'), nullable=False, comment='操作时间'),
    sa.Column('action', sa.String(length=16), nullable=False, comment='操作：查阅/上传/编辑/删除/目录编辑'),
    sa.Column('summary', sa.String(length=255), nullable=False, comment='操作摘要'),
    sa.Column('person_id', sa.BigInteger().with_variant(sa.Integer(), 'sqlite'), nullable=True, comment='人员ID'),
    sa.Column('image_id', sa.BigInteger().with_variant(sa.Integer(), 'sqlite'), nullable=True, comment='图像ID'),
    sa.Column('id', sa.BigInteger().with_variant(sa.Integer(), 'sqlite'), autoincrement=True, nullable=False, comment='主键'),
    sa.ForeignKeyConstraint(['agency_code'], ['agency.code'], name=op.f('fk_image_operation_log_agency_code')),
    sa.ForeignKeyConstraint(['image_id'], ['digital_image.id'], name=op.f('fk_image_operation_log_image_id'), ondelete='SET NULL'),
    sa.ForeignKeyConstraint(['person_id'], ['person.id'], name=op.f('fk_image_operation_log_person_id'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_image_operation_log')),
    comment='数字化档案操作日志（图像查阅、图像处理）',
    mysql_charset='utf8mb4',
    mysql_collate='utf8mb4_unicode_ci',
    mysql_engine='InnoDB'
    )
    with op.batch_alter_table('image_operation_log', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_image_operation_log_agency_code'), ['agency_code'], unique=False)
        batch_op.create_index(batch_op.f('ix_image_operation_log_op_time'), ['op_time'], unique=False)
        batch_op.create_index(batch_op.f('ix_image_operation_log_person_id'), ['person_id'], unique=False)



def downgrade() -> None:
    op.drop_table('image_operation_log')
    op.drop_table('party_org_transfer')
    op.drop_table('party_dues_payment')
    op.drop_table('hukou_dependent')
    op.drop_table('hukou_card_loan')
    op.drop_table('digital_image')
    op.drop_table('stocktake_item')
    op.drop_table('person_work')
    op.drop_table('person_title')
    op.drop_table('person_study')
    op.drop_table('party_member')
    op.drop_table('monitor_event')
    op.drop_table('material_use')
    op.drop_table('inventory_mark')
    op.drop_table('dq_review_item')
    op.drop_table('dq_repair_log')
    op.drop_table('collective_hukou')
    op.drop_table('certificate')
    op.drop_table('archive_transfer_out')
    op.drop_table('archive_transfer_in')
    op.drop_table('archive_material')
    op.drop_table('archive_loan')
    op.drop_table('archive_consultation')
    op.drop_table('person')
    op.drop_table('notice_recipient')
    op.drop_table('notice_read')
    op.drop_table('user_shortcut')
    op.drop_table('unit_account')
    op.drop_table('todo')
    op.drop_table('notice')
    op.drop_table('unit')
    op.drop_table('stocktake')
    op.drop_table('attachment')
    op.drop_table('notice_template')
