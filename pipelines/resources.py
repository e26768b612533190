"""Resources of the code location, configured from the environment (环境变量)."""
from __future__ import annotations

import os
from pathlib import Path

import dagster as dg

from archives_domain.config import Settings


class PipelineSettings(dg.ConfigurableResource):
    """Where the pipeline reads and writes.

    DATABASE_URL           operational database (SQLite under var/ by default)
    ARCHIVES_LANDING_DIR   collection forms, `<landing>/<agency>/<batch>.*`
    ARCHIVES_FEEDS_DIR     bulk feeds (工商/公安/社保/教育)
    ARCHIVES_FEEDS_URL     the HTTP feed service, for lookups of single records (optional)
    ARCHIVES_WORK_DIR      intermediate Parquet layers (default var/pipeline)
    """

    database_url: str
    landing_dir: str
    feeds_dir: str
    work_dir: str
    feeds_url: str = ""

    @classmethod
    def from_env(cls, environ: dict | None = None, **overrides) -> "PipelineSettings":
        env = os.environ if environ is None else environ
        settings = Settings.from_env(env)
        var = settings.var_dir
        values = dict(
            database_url=settings.database_url,
            landing_dir=env.get("ARCHIVES_LANDING_DIR") or str(var / "synth" / "landing"),
            feeds_dir=env.get("ARCHIVES_FEEDS_DIR") or str(var / "synth" / "feeds"),
            work_dir=env.get("ARCHIVES_WORK_DIR") or str(var / "pipeline"),
            feeds_url=env.get("ARCHIVES_FEEDS_URL", ""),
        )
        values.update({k: str(v) for k, v in overrides.items() if v is not None})
        return cls(**values)

    @property
    def landing(self) -> Path:
        return Path(self.landing_dir)

    @property
    def feeds(self) -> Path:
        return Path(self.feeds_dir)

    @property
    def work(self) -> Path:
        return Path(self.work_dir)


def build_resources(settings: PipelineSettings | None = None) -> dict:
    """The resources of the code location: ``settings`` and the Parquet ``io_manager``."""
    from .io import ParquetIOManager

    settings = settings or PipelineSettings.from_env()
    return {"settings": settings, "io_manager": ParquetIOManager(base_dir=str(settings.work / "layers"))}
