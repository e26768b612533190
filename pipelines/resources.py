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
    ARCHIVES_WORK_DIR      the stages' layers (raw as Parquet, the rest Arrow IPC; default var/pipeline)
    ARCHIVES_REPORTS_DIR   data-quality reports: scorecards and GX Data Docs (default var/reports)
    ARCHIVES_PII_KEY_FILE  the SM4/HMAC key file of the load (default var/keys/pii.json, created on first use)
    """

    database_url: str
    landing_dir: str
    feeds_dir: str
    work_dir: str
    feeds_url: str = ""
    reports_dir: str = ""
    pii_key_file: str = ""
    pii_key_explicit: bool = False
    # set by `archives ingest` for the initial migration: 一人多档 swept once after all agencies
    defer_multi_archive: bool = False

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
            reports_dir=env.get("ARCHIVES_REPORTS_DIR") or str(var / "reports"),
            pii_key_file=str(settings.pii_key_file),
            pii_key_explicit=settings.pii_key_file_explicit,
        )
        values.update({k: (v if isinstance(v, bool) else str(v)) for k, v in overrides.items() if v is not None})
        return cls(**values)

    def codec(self):
        """The PII codec of the key file (the embedded default creates its key once)."""
        from archives_domain.pii.codec import PiiCodec
        from archives_domain.pii.keyring import load_keyring

        return PiiCodec(load_keyring(Path(self.pii_key_file), create=not self.pii_key_explicit))

    def sealer(self):
        """The sealer of the layer files (`pipelines.sealed`), under the same key file."""
        from pipelines.sealed import sealer_for_key_file

        return sealer_for_key_file(self.pii_key_file, self.pii_key_explicit)

    def engine(self):
        """An engine for the load (MySQL: LOCAL INFILE allowed); the caller disposes of it."""
        from pipelines.load.bulk import loader_engine

        return loader_engine(self.database_url)

    def loader_engine(self):
        """The process's shared loader engine (`pipelines.load.bulk.shared_loader_engine`): not disposed by
        the caller."""
        from pipelines.load.bulk import shared_loader_engine

        return shared_loader_engine(self.database_url)

    @property
    def landing(self) -> Path:
        return Path(self.landing_dir)

    @property
    def feeds(self) -> Path:
        return Path(self.feeds_dir)

    @property
    def work(self) -> Path:
        return Path(self.work_dir)

    @property
    def reports(self) -> Path:
        """Data-quality reports; beside the work dir when not configured."""
        return Path(self.reports_dir) if self.reports_dir else self.work.parent / "reports"


def build_resources(settings: PipelineSettings | None = None, *, release_frames: bool = False,
                    hand_over: dict[str, int] | None = None) -> dict:
    """The resources of the code location: ``settings`` and the layers' ``io_manager`` (``release_frames``,
    ``hand_over``: see `LayerIOManager`; `archives ingest` sets them)."""
    from .io import LayerIOManager

    settings = settings or PipelineSettings.from_env()
    return {"settings": settings, "io_manager": LayerIOManager(base_dir=str(settings.work / "layers"),
                                                                  key_file=settings.pii_key_file or
                                                                  str(Settings.from_env().pii_key_file),
                                                                  key_explicit=settings.pii_key_explicit,
                                                                  release_frames=release_frames,
                                                                  hand_over=dict(hand_over or {}))}
