"""Agency partitions (按存档机构分区): one agency's bad file never blocks another."""
from __future__ import annotations

import csv

import dagster as dg

from seeds import data_path


def agency_codes() -> list[str]:
    with data_path("agencies.csv").open(encoding="utf-8") as fh:
        return sorted(row["code"] for row in csv.DictReader(fh))


AGENCY_PARTITIONS = dg.StaticPartitionsDefinition(agency_codes())
