"""The stage assets of the migration (one module per stage, checks beside their assets):
`raw` → `std` → `records` → `repaired`, all partitioned by agency (AGENCY_PARTITIONS)."""
from __future__ import annotations

from . import raw, records, repaired, std

STAGES = ("raw", "std", "records", "repaired")
ASSETS = [raw.raw, std.std, records.records, repaired.repaired]
ASSET_CHECKS = [*raw.CHECKS, *std.CHECKS, *records.CHECKS, *repaired.CHECKS]

__all__ = ["ASSETS", "ASSET_CHECKS", "STAGES"]
