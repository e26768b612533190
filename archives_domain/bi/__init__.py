"""Superset (综合统计的分析平台): what the archive system tells Superset, as data (see docs/superset.md)."""
