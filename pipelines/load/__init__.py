"""The last stages of the migration: *final* (what to write, as frames) and *load* (into the operational
tables, atomic per agency, idempotent, through the PII codec). `export` (in `pipelines.export`) reads back."""
from .final import final_frames
from .writer import LoadResult, load_agency, sweep_multi_archive

__all__ = ["final_frames", "load_agency", "LoadResult", "sweep_multi_archive"]
