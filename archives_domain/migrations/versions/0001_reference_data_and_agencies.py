"""reference data and agencies

Revision ID: 0001
Revises: 
Create Date: 2026-11-24 06:01:50.977009
"""
from typing import Sequence, Union

from alembic import op
import sqlalchemy as sa
from sqlalchemy.dialects import mysql

revision: str = '0001'
down_revision: Union[str, None] = None
branch_labels: Union[str, Sequence[str], None] = None
depends_on: Union[str, Sequence[str], None] = None


def upgrade() -> None:
    op.create_table('agency',
    sa.Column('code', sa.String(length=8), nullable=False, comment='机构代码（8位）'),
    sa.Column('name', sa.String(length=128), nullable=False, comment='机构名称'),
    sa.Column('level', sa.String(length=8), nullable=False, comment='级别：省级/市级/县级'),
    sa.Column('region_code', sa.String(length=6), nullable=False, comment='所在行政区划代码'),
    sa.Column('parent_code', sa.String(length=8), nullable=True, comment='上级机构代码（县级指向市级）'),
    sa.Column('address', sa.String(length=255), nullable=True, comment='地址'),
    sa.Column('phone', sa.String(length=32), nullable=True, comment='联系电话'),
    sa.Column('contact', sa.String(length=64), nullable=True, comment='联系人'),
    sa.Column('active', sa.Boolean(), server_default='1', nullable=False, comment='是否启用'),
    sa.ForeignKeyConstraint(['parent_code'], ['agency.code'], name=op.f('fk_agency_parent_code')),
    sa.PrimaryKeyConstraint('code', name=op.f('pk_agency')),
    sa.UniqueConstraint('name', name=op.f('uq_agency_name')),
    comment='存档机构（省、市州、县区三级）',
    mysql_charset='utf8mb4',
    mysql_collate='utf8mb4_unicode_ci',
    mysql_engine='InnoDB'
    )
    with op.batch_alter_table('agency', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_agency_parent_code'), ['parent_code'], unique=False)
        batch_op.create_index(batch_op.f('ix_agency_region_code'), ['region_code'], unique=False)

    op.create_table('code_item',
    sa.Column('code_type', sa.String(length=32), nullable=False, comment='代码类别，如 ethnic、political_status'),
    sa.Column('code', sa.String(length=16), nullable=False, comment='代码值（标准代码）'),
    sa.Column('name', sa.String(length=64), nullable=False, comment='名称（规范值）'),
    sa.Column('parent_code', sa.String(length=16), nullable=True, comment='上级代码（分类层级）'),
    sa.Column('sort_order', sa.Integer(), nullable=False, comment='排序号'),
    sa.Column('standard', sa.String(length=32), nullable=True, comment='依据标准，如 GB 3304-1991'),
    sa.Column('note', sa.String(length=255), nullable=True, comment='说明'),
    sa.Column('id', sa.BigInteger().with_variant(sa.Integer(), 'sqlite'), autoincrement=True, nullable=False, comment='主键'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_code_item')),
    sa.UniqueConstraint('code_type', 'code', name=op.f('uq_code_item_code_type_code')),
    comment='代码表（民族、政治面貌、学历、学位、材料类别、业务类型、公告类型等）',
    mysql_charset='utf8mb4',
    mysql_collate='utf8mb4_unicode_ci',
    mysql_engine='InnoDB'
    )
    with op.batch_alter_table('code_item', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_code_item_code_type'), ['code_type'], unique=False)

    op.create_table('division',
    sa.Column('code', sa.String(length=6), nullable=False, comment='六位行政区划代码'),
    sa.Column('name', sa.String(length=64), nullable=False, comment='区划名称'),
    sa.Column('province', sa.String(length=32), nullable=True, comment='所属省级名称'),
    sa.Column('prefecture', sa.String(length=64), nullable=True, comment='所属地级名称'),
    sa.Column('level', sa.String(length=8), nullable=False, comment='层级：省级/地级/县级'),
    sa.Column('parent_code', sa.String(length=6), nullable=True, comment='上级区划代码'),
    sa.Column('valid_from', sa.Integer(), nullable=True, comment='启用年份（可空：未知）'),
    sa.Column('valid_to', sa.Integer(), nullable=True, comment='停用年份（空：现行有效）'),
    sa.PrimaryKeyConstraint('code', name=op.f('pk_division')),
    comment='行政区划代码（GB/T 2260，含历史代码）',
    mysql_charset='utf8mb4',
    mysql_collate='utf8mb4_unicode_ci',
    mysql_engine='InnoDB'
    )
    with op.batch_alter_table('division', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_division_name'), ['name'], unique=False)
        batch_op.create_index(batch_op.f('ix_division_parent_code'), ['parent_code'], unique=False)

    op.create_table('pii_key',
    sa.Column('kid', sa.String(length=32), nullable=False, comment='密钥ID（index 为盲索引密钥）'),
    sa.Column('fingerprint', sa.String(length=32), nullable=False, comment='密钥校验值'),
    sa.Column('created_at', sa.DateTime().with_variant(mysql.DATETIME(fsp=6), 'mysql'), nullable=False, comment='登记时间'),
    sa.Column('retired_at', sa.DateTime().with_variant(mysql.DATETIME(fsp=6), 'mysql'), nullable=True, comment='停用时间（轮换完成后）'),
    sa.PrimaryKeyConstraint('kid', name=op.f('pk_pii_key')),
    comment='个人信息加密密钥登记（仅存校验值，不存密钥）',
    mysql_charset='utf8mb4',
    mysql_collate='utf8mb4_unicode_ci',
    mysql_engine='InnoDB'
    )
    op.create_table('synonym',
    sa.Column('field', sa.String(length=32), nullable=False, comment='采集表字段名（表头）'),
    sa.Column('alias', sa.String(length=64), nullable=False, comment='原始写法'),
    sa.Column('canonical', sa.String(length=64), nullable=False, comment='规范值'),
    sa.Column('id', sa.BigInteger().with_variant(sa.Integer(), 'sqlite'), autoincrement=True, nullable=False, comment='主键'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_synonym')),
    sa.UniqueConstraint('field', 'alias', name=op.f('uq_synonym_field_alias')),
    comment='清洗同义词映射（如 汉→汉族、本科→大学本科）',
    mysql_charset='utf8mb4',
    mysql_collate='utf8mb4_unicode_ci',
    mysql_engine='InnoDB'
    )


def downgrade() -> None:
    op.drop_table('synonym')
    op.drop_table('pii_key')
    op.drop_table('division')
    op.drop_table('code_item')
    op.drop_table('agency')
