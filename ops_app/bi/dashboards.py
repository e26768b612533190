"""数据概览's dashboards, as data: the Superset bundle `bi/assets/dashboards/*.yaml` (slug, uuid, Chinese title).

The tabs follow the bundle that `archives superset sync` imports, so a dashboard added there appears here.
"""
from __future__ import annotations

from dataclasses import dataclass
from functools import lru_cache
from pathlib import Path

import yaml

BUNDLE = Path(__file__).resolve().parents[2] / "bi" / "assets" / "dashboards"


@dataclass(frozen=True)
class Dashboard:
    slug: str
    uuid: str
    title: str


@lru_cache(maxsize=4)
def dashboards(folder: Path = BUNDLE) -> tuple[Dashboard, ...]:
    out = []
    for path in sorted(folder.glob("*.yaml")):
        doc = yaml.safe_load(path.read_text(encoding="utf-8")) or {}
        if doc.get("slug") and doc.get("uuid"):
            out.append(Dashboard(str(doc["slug"]), str(doc["uuid"]), str(doc.get("dashboard_title") or doc["slug"])))
    return tuple(out)


def by_slug(slug: str, folder: Path = BUNDLE) -> Dashboard | None:
    return next((d for d in dashboards(folder) if d.slug == slug), None)
