"""Reference data of the archive system (基础代码数据).

The data lives as UTF-8 CSV files in ``seeds/data/`` (one file per code type
or table, header row first). ``seeds.loader`` upserts them into the database;
``archives_domain.codes`` reads the same files for in-memory lookups.
``seeds/build_divisions.py`` regenerates ``divisions.csv`` from python-stdnum.

This module only says where the files are; it imports nothing from the project.
"""
from __future__ import annotations

from pathlib import Path

DATA_DIR = Path(__file__).resolve().parent / "data"


def data_path(name: str) -> Path:
    """Path of the data file `name` (e.g. ``"ethnic.csv"``) in ``seeds/data``."""
    return DATA_DIR / name
