"""The assets of the pipelines, checks beside their assets (one module per stage):

* migration stages `raw` → `std` → `records` → `repaired` → `final` → `loaded`, then the data-quality
  report `dq_scorecard`, all partitioned by agency (AGENCY_PARTITIONS);
* `analytics`: the analytics schema (分析库), one non-partitioned asset per model of `warehouse_models`.

``ASSETS`` stays the partitioned stages: `archives ingest` and the tests run
``materialize(ASSETS, partition_key=…)``, which must not rebuild the analytics schema once per
agency. ``ALL_ASSETS`` is everything the code location defines.

(Helpers editing this file: edit in place, do not rewrite it — several stages register here.)
"""
from __future__ import annotations

from . import analytics, final, loaded, raw, records, repaired, std
from . import reports as _reports

STAGES = ("raw", "std", "records", "repaired", "final", "loaded")
ASSETS = [raw.raw, std.std, records.records, repaired.repaired, final.final, loaded.loaded, _reports.dq_scorecard]
ASSET_CHECKS = [*raw.CHECKS, *std.CHECKS, *records.CHECKS, *repaired.CHECKS, *final.CHECKS, *loaded.CHECKS,
                *analytics.CHECKS]
ANALYTICS_ASSETS = analytics.ANALYTICS_ASSETS
ALL_ASSETS = [*ASSETS, *ANALYTICS_ASSETS]


def partitioned_assets() -> list:
    """The assets partitioned by agency (one `archives ingest` run per agency materialises these)."""
    return list(ASSETS)


def unpartitioned_assets() -> list:
    """The assets over all agencies (analytics models), built once after the agencies' runs."""
    return list(ANALYTICS_ASSETS)


__all__ = ["ALL_ASSETS", "ANALYTICS_ASSETS", "ASSETS", "ASSET_CHECKS", "STAGES", "partitioned_assets",
           "unpartitioned_assets"]
