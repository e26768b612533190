"""档案材料 (issue 14): indexes of the materials module

(agency_code, stage, id) serves the agency's list of materials waiting for 鉴别/归档 (keyset, one index
for scope, filter and order); (agency_code, received_date) replaces the single-column received_date index
for 库存管理, which counts 补充材料 by 收到日期 per agency.

Revision ID: 0014
Revises: 0013
Create Date: 2026-12-07 06:36:05.381690
"""
from typing import Sequence, Union

from alembic import op
import sqlalchemy as sa


revision: str = '0014'
down_revision: Union[str, None] = '0013'
branch_labels: Union[str, Sequence[str], None] = None
depends_on: Union[str, Sequence[str], None] = None


def upgrade() -> None:
    with op.batch_alter_table('archive_material', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_archive_material_received_date'))
        batch_op.create_index('ix_archive_material_agency_received', ['agency_code', 'received_date'], unique=False)
        batch_op.create_index('ix_archive_material_agency_stage', ['agency_code', 'stage', 'id'], unique=False)



def downgrade() -> None:
    with op.batch_alter_table('archive_material', schema=None) as batch_op:
        batch_op.drop_index('ix_archive_material_agency_stage')
        batch_op.drop_index('ix_archive_material_agency_received')
        batch_op.create_index(batch_op.f('ix_archive_material_received_date'), ['received_date'], unique=False)

