"""collective hukou: source and the list's indexes (集体户口代理, issue 14)

`collective_hukou.source` (数据来源): 采集表 for the rows the migration load makes and keeps in step with
the forms, 业务 once a clerk has done anything with the row (the load never touches it again); existing
rows count as 业务. The list searches 户籍编号, 落户时间 and 状态 within the data scope: one index per search,
scope column first, so each keyset page walks an index in order (no sort, no offset) at 943k persons.

Revision ID: 0013
Revises: 0012
Create Date: 2026-12-07 06:55:15.479610
"""
from typing import Sequence, Union

from alembic import op
import sqlalchemy as sa


revision: str = '0013'
down_revision: Union[str, None] = '0012'
branch_labels: Union[str, Sequence[str], None] = None
depends_on: Union[str, Sequence[str], None] = None


def upgrade() -> None:
    with op.batch_alter_table('collective_hukou', schema=None) as batch_op:
        batch_op.add_column(sa.Column('source', sa.String(length=8), server_default='业务', nullable=False, comment='数据来源：采集表（迁移装载所建，流水线随采集表更新）/业务（经办人办理或修改过，流水线不再改动）'))
        batch_op.create_index('ix_collective_hukou_agency_reg_no', ['agency_code', 'hukou_reg_no'], unique=False)
        batch_op.create_index('ix_collective_hukou_agency_settle', ['agency_code', 'settle_date'], unique=False)
        batch_op.create_index('ix_collective_hukou_agency_status', ['agency_code', 'status'], unique=False)



def downgrade() -> None:
    with op.batch_alter_table('collective_hukou', schema=None) as batch_op:
        batch_op.drop_index('ix_collective_hukou_agency_status')
        batch_op.drop_index('ix_collective_hukou_agency_settle')
        batch_op.drop_index('ix_collective_hukou_agency_reg_no')
        batch_op.drop_column('source')

