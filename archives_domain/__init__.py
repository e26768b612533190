"""Shared domain package of the archive system (流动人员人事档案 领域层).

Holds what both the pipelines and the operational app use: configuration,
the database schema (SQLAlchemy models and Alembic migrations), identity
checks, the PII codec and the code tables. It imports neither `pipelines`
nor `ops_app`, and importing it connects to nothing.
"""
