"""数据概览's dashboards, as data: the Superset bundle `bi/assets/dashboards/*.yaml` (slug, uuid, Chinese title).

The tabs follow the bundle that `archives superset sync` imports, so a dashboard added there appears here;
their order is the catalogue's (`bi/dashboards.yaml`: 档案存量 first), other dashboards of the bundle after.
"""
from __future__ import annotations

from dataclasses import dataclass
from functools import lru_cache
from pathlib import Path

import yaml

from ..i18n import N_

# The six dashboards' titles, marked so the English catalogue has them (the tabs show `_(title)`).
TITLES = (N_("档案存量"), N_("业务经办"), N_("转递时限"), N_("人员结构"), N_("流动党员"), N_("数据质量"),
          N_("档案库存概览"))

BUNDLE = Path(__file__).resolve().parents[2] / "bi" / "assets" / "dashboards"
CATALOGUE = BUNDLE.parents[1] / "dashboards.yaml"


@dataclass(frozen=True)
class Dashboard:
    slug: str
    uuid: str
    title: str


def _catalogue_order(catalogue: Path) -> dict[str, int]:
    doc = yaml.safe_load(catalogue.read_text(encoding="utf-8")) if catalogue.is_file() else None
    return {str(d["slug"]): i for i, d in enumerate((doc or {}).get("dashboards") or [])}


@lru_cache(maxsize=4)
def dashboards(folder: Path = BUNDLE, catalogue: Path = CATALOGUE) -> tuple[Dashboard, ...]:
    out = []
    for path in sorted(folder.glob("*.yaml")):
        doc = yaml.safe_load(path.read_text(encoding="utf-8")) or {}
        if doc.get("slug") and doc.get("uuid"):
            out.append(Dashboard(str(doc["slug"]), str(doc["uuid"]), str(doc.get("dashboard_title") or doc["slug"])))
    order = _catalogue_order(catalogue)
    return tuple(sorted(out, key=lambda d: order.get(d.slug, len(order))))   # stable: the rest by file name


def by_slug(slug: str, folder: Path = BUNDLE) -> Dashboard | None:
    return next((d for d in dashboards(folder) if d.slug == slug), None)
