"""综合统计: saved custom queries and the counting indexes of the remaining kinds

`stats_saved_query` (自定义查询 saved per user: name, JSON definition of dictionary keys, owner, version);
(agency_code, date) indexes for the kinds 档案信息统计 counts that 0016 did not index (查阅/政审考察, 材料利用,
党费交纳, 党组织关系转接: archives_domain.models.counting); (agency_code, archive_received_date,
transfer_out_date) on person for 报表统计 → 档案存量 at a month end (an index-only count); (agency_code,
archive_status, sex, birth_date, education_level, political_status) on person: the statistical dimensions a
自定义查询 over 人员基本信息 filters and groups by, read from the index alone (archives_domain.models.statistics).

Revision ID: 0017
Revises: 0016
Create Date: 2026-12-07 09:50:00
"""
from typing import Sequence, Union

from alembic import op
import sqlalchemy as sa
from sqlalchemy.dialects import mysql


revision: str = '0017'
down_revision: Union[str, None] = '0016'
branch_labels: Union[str, Sequence[str], None] = None
depends_on: Union[str, Sequence[str], None] = None

TS = sa.DateTime().with_variant(mysql.DATETIME(fsp=6), 'mysql')
INDEXES = (('archive_consultation', 'consult_time'), ('material_use', 'use_time'),
           ('party_dues_payment', 'paid_on'), ('party_org_transfer', 'transfer_date'))


def upgrade() -> None:
    op.create_table(
        'stats_saved_query',
        sa.Column('owner', sa.String(length=64), nullable=False, comment='所有者用户名'),
        sa.Column('agency_code', sa.String(length=8), nullable=True, comment='所有者所属存档机构代码（保存时）'),
        sa.Column('name', sa.String(length=64), nullable=False, comment='查询名称（同一用户内唯一）'),
        sa.Column('definition', sa.Text(), nullable=False, comment='查询定义（JSON：数据项、条件、分组的字典键，不含SQL）'),
        sa.Column('id', sa.BigInteger().with_variant(sa.Integer(), 'sqlite'), autoincrement=True, nullable=False,
                  comment='主键'),
        sa.Column('version', sa.Integer(), server_default='1', nullable=False, comment='乐观锁版本号'),
        sa.Column('created_at', TS, server_default=sa.text('(CURRENT_TIMESTAMP)'), nullable=False, comment='创建时间'),
        sa.Column('created_by', sa.String(length=64), nullable=True, comment='创建人（用户名或流水线名）'),
        sa.Column('updated_at', TS, server_default=sa.text('(CURRENT_TIMESTAMP)'), nullable=False,
                  comment='最后修改时间'),
        sa.Column('updated_by', sa.String(length=64), nullable=True, comment='最后修改人'),
        sa.ForeignKeyConstraint(['agency_code'], ['agency.code'], name=op.f('fk_stats_saved_query_agency_code')),
        sa.PrimaryKeyConstraint('id', name=op.f('pk_stats_saved_query')),
        sa.UniqueConstraint('owner', 'name', name='uq_stats_saved_query_owner_name'),
        comment='自定义查询的已保存查询（每个用户只能看到和修改自己的）',
        mysql_charset='utf8mb4', mysql_collate='utf8mb4_unicode_ci', mysql_engine='InnoDB')
    op.create_index(op.f('ix_stats_saved_query_owner'), 'stats_saved_query', ['owner'], unique=False)
    for table, column in INDEXES:
        op.create_index(f'ix_cnt_{table}_{column}', table, ['agency_code', column], unique=False)
    op.create_index('ix_person_agency_received_out', 'person',
                    ['agency_code', 'archive_received_date', 'transfer_out_date'], unique=False)
    op.create_index('ix_person_stats_dims', 'person', ['agency_code', 'archive_status', 'sex', 'birth_date',
                                                       'education_level', 'political_status'], unique=False)


def downgrade() -> None:
    op.drop_index('ix_person_stats_dims', table_name='person')
    op.drop_index('ix_person_agency_received_out', table_name='person')
    for table, column in INDEXES:
        op.drop_index(f'ix_cnt_{table}_{column}', table_name=table)
    op.drop_index(op.f('ix_stats_saved_query_owner'), table_name='stats_saved_query')
    op.drop_table('stats_saved_query')
