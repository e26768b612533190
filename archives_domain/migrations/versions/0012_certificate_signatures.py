"""certificate signatures (出具相关证明, issue 14)

certificate: the signed content snapshot, its SM3 digest, the SM2 signature and key id, 作废 time/by/reason,
indexes for the list's orders; agency_signing_key: each agency's SM2 key (private key as an SM4 token).

Revision ID: 0012
Revises: 0011
Create Date: 2026-12-07 06:35:43.144053
"""
from typing import Sequence, Union

from alembic import op
import sqlalchemy as sa
from sqlalchemy.dialects import mysql

revision: str = '0012'
down_revision: Union[str, None] = '0011'
branch_labels: Union[str, Sequence[str], None] = None
depends_on: Union[str, Sequence[str], None] = None


def upgrade() -> None:
    op.create_table('agency_signing_key',
    sa.Column('agency_code', sa.String(length=8), nullable=False, comment='存档机构代码'),
    sa.Column('key_id', sa.String(length=32), nullable=False, comment='密钥标识（公钥SM3摘要前16位）'),
    sa.Column('public_key', sa.String(length=130), nullable=False, comment='SM2公钥（未压缩点 x‖y，十六进制）'),
    sa.Column('private_key_enc', sa.String(length=160), nullable=False, comment='SM2私钥（SM4密文）'),
    sa.Column('active', sa.Boolean(), server_default='1', nullable=False, comment='是否当前签名密钥'),
    sa.Column('id', sa.BigInteger().with_variant(sa.Integer(), 'sqlite'), autoincrement=True, nullable=False, comment='主键'),
    sa.Column('created_at', sa.DateTime().with_variant(mysql.DATETIME(fsp=6), 'mysql'), server_default=sa.text('(CURRENT_TIMESTAMP)'), nullable=False, comment='创建时间'),
    sa.Column('created_by', sa.String(length=64), nullable=True, comment='创建人（用户名或流水线名）'),
    sa.Column('updated_at', sa.DateTime().with_variant(mysql.DATETIME(fsp=6), 'mysql'), server_default=sa.text('(CURRENT_TIMESTAMP)'), nullable=False, comment='最后修改时间'),
    sa.Column('updated_by', sa.String(length=64), nullable=True, comment='最后修改人'),
    sa.ForeignKeyConstraint(['agency_code'], ['agency.code'], name=op.f('fk_agency_signing_key_agency_code')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_agency_signing_key')),
    sa.UniqueConstraint('key_id', name=op.f('uq_agency_signing_key_key_id')),
    comment='存档机构证明签名密钥（SM2）',
    mysql_charset='utf8mb4',
    mysql_collate='utf8mb4_unicode_ci',
    mysql_engine='InnoDB'
    )
    with op.batch_alter_table('agency_signing_key', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_agency_signing_key_agency_code'), ['agency_code'], unique=False)

    with op.batch_alter_table('certificate', schema=None) as batch_op:
        batch_op.add_column(sa.Column('content_snapshot', sa.Text(), nullable=True, comment='证明内容快照（规范化JSON，签名的原文）'))
        batch_op.add_column(sa.Column('digest', sa.String(length=64), nullable=True, comment='内容摘要（SM3，十六进制）'))
        batch_op.add_column(sa.Column('signature', sa.String(length=160), nullable=True, comment='SM2签名（DER编码，十六进制）'))
        batch_op.add_column(sa.Column('signing_key_id', sa.String(length=32), nullable=True, comment='签名密钥标识（agency_signing_key.key_id）'))
        batch_op.add_column(sa.Column('revoked_at', sa.DateTime().with_variant(mysql.DATETIME(fsp=6), 'mysql'), nullable=True, comment='作废时间'))
        batch_op.add_column(sa.Column('revoked_by', sa.String(length=64), nullable=True, comment='作废人'))
        batch_op.add_column(sa.Column('revoked_reason', sa.String(length=255), nullable=True, comment='作废原因'))
        batch_op.create_index('ix_certificate_agency_issued', ['agency_code', 'issued_on', 'id'], unique=False)
        batch_op.create_index('ix_certificate_agency_type', ['agency_code', 'cert_type', 'id'], unique=False)



def downgrade() -> None:
    with op.batch_alter_table('certificate', schema=None) as batch_op:
        batch_op.drop_index('ix_certificate_agency_type')
        batch_op.drop_index('ix_certificate_agency_issued')
        batch_op.drop_column('revoked_reason')
        batch_op.drop_column('revoked_by')
        batch_op.drop_column('revoked_at')
        batch_op.drop_column('signing_key_id')
        batch_op.drop_column('signature')
        batch_op.drop_column('digest')
        batch_op.drop_column('content_snapshot')

    # (the agency_code index goes with the table: MySQL refuses to drop an index its foreign key needs)
    op.drop_table('agency_signing_key')
