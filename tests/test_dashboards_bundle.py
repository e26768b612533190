"""The six 综合统计 dashboards as code (bi/assets, bi/dashboards_spec.py): the files agree with the spec, and
Superset's own importer accepts the bundle on a fresh Superset and every chart's saved data query returns
rows — on the analytics schema built from a small data set on SQLite and on MariaDB, with the 当前在档人数
equal to a direct count of the operational tables."""
from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
from pathlib import Path

import pytest
import yaml

from pipelines import analytics
from tests.test_analytics import DAY, wh  # noqa: F401  (wh is a fixture)
from tests.test_analytics_dashboards import _held, _seed_dashboards

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT / "bi"))
import dashboards_spec as spec  # noqa: E402

ASSETS = ROOT / "bi" / "assets"
VENV = Path(os.environ.get("ARCHIVES_SUPERSET_VENV") or ROOT / ".venv-superset")


def _load(rel: str) -> dict:
    return yaml.safe_load((ASSETS / rel).read_text(encoding="utf-8"))


def test_assets_follow_the_spec():
    catalogue = yaml.safe_load((ROOT / "bi" / "dashboards.yaml").read_text(encoding="utf-8"))["dashboards"]
    assert [(d["slug"], d["title"]) for d in catalogue] == [(d["slug"], d["title"]) for d in spec.DASHBOARDS]
    assert [d["slug"] for d in catalogue] == ["archive-stock", "business", "transfer-deadline", "person-structure",
                                              "party", "data-quality"]
    datasets = {_load(f"datasets/分析库/{t}.yaml")["uuid"]: t for t in spec.DATASETS}
    for dash in spec.DASHBOARDS:
        board = _load(f"dashboards/{dash['slug']}.yaml")
        assert board["uuid"] == spec.stable_uuid("dashboard", dash["slug"])
        assert board["dashboard_title"] == dash["title"]
        in_layout = {v["meta"]["uuid"] for v in board["position"].values() if isinstance(v, dict)
                     and v.get("type") == "CHART"}
        assert in_layout == {spec.stable_uuid("chart", c["key"]) for c in dash["charts"]}
        filters = {f["name"]: f for f in board["metadata"]["native_filter_configuration"]}
        assert set(filters) == {"市州", "存档机构"} | ({"统计期间"} if dash["period"] else set())
        assert filters["存档机构"]["cascadeParentIds"] == [filters["市州"]["id"]]
        for chart in dash["charts"]:
            config = _load(f"charts/{chart['key']}.yaml")
            assert config["slice_name"] == chart["title"] and datasets[config["dataset_uuid"]] == chart["dataset"]
            assert json.loads(config["query_context"])["queries"], chart["key"]
            # Chinese labels: metric labels and axis titles as the spec has them
            labels = [mt["label"] for mt in ([config["params"]["metric"]] if "metric" in config["params"]
                                             else config["params"]["metrics"])]
            assert labels == [mt["label"] for mt in chart["metrics"]]
    for table in spec.DATASETS:
        columns = _load(f"datasets/分析库/{table}.yaml")["columns"]
        unlabelled = [c["column_name"] for c in columns if not c["verbose_name"]]
        assert not unlabelled, (table, unlabelled)
        assert {"agency_code", "agency_name", "prefecture_name"} <= {c["column_name"] for c in columns}


# -- on a real Superset ---------------------------------------------------------------------------------------
def _superset_env(tmp: Path, metadata: Path, **extra) -> dict:
    env = {k: v for k, v in os.environ.items() if not k.startswith(("SUPERSET_", "ARCHIVES_SUPERSET_"))}
    env.update(SUPERSET_CONFIG_PATH=str(ROOT / "bi" / "superset_config.py"), FLASK_APP="superset",
               SUPERSET_SECRET_KEY="test-dashboards-bundle-secret-key-0123456789",
               ARCHIVES_SUPERSET_METADATA_URL=f"sqlite:///{metadata}", ARCHIVES_VAR_DIR=str(tmp), **extra)
    return env


@pytest.fixture(scope="session")
def superset_metadata(tmp_path_factory):
    """A fresh Superset metadata database (db upgrade, init, an admin), made once per session."""
    if not (VENV / "bin" / "superset").exists():
        message = f"Superset 未安装（{VENV}）：执行 make setup 安装 .venv-superset"
        if os.environ.get("CI", "").lower() == "true":
            pytest.fail(message, pytrace=False)
        pytest.skip(message)
    tmp = tmp_path_factory.mktemp("superset")
    metadata = tmp / "superset.db"
    env = _superset_env(tmp, metadata)
    for args in (["db", "upgrade"], ["fab", "create-admin", "--username", "admin", "--password", "Admin#1234",
                                     "--firstname", "a", "--lastname", "b", "--email", "a@example.com"], ["init"]):
        done = subprocess.run([str(VENV / "bin" / "superset"), *args], env=env, cwd=tmp, capture_output=True,
                              text=True, timeout=600)
        assert done.returncode == 0, done.stderr[-3000:]
    return metadata


def test_bundle_imports_and_every_chart_returns_rows(wh, superset_metadata, tmp_path):  # noqa: F811
    _seed_dashboards(wh)
    analytics.build_all(wh, today=DAY, environ={})
    target = analytics.target_for(wh, {})
    if target.dialect == "mysql":
        uri = wh.url.set(database=target.dw_name).render_as_string(hide_password=False)
        extra = {}
    else:
        uri = f"sqlite:///{target.dw_name}"
        extra = {"ARCHIVES_SUPERSET_SQLITE_ANALYTICS": "1"}
    metadata = tmp_path / "superset.db"
    shutil.copy(superset_metadata, metadata)
    done = subprocess.run([str(VENV / "bin" / "python"), str(ROOT / "bi" / "check_bundle.py"), str(ASSETS), uri],
                          env=_superset_env(tmp_path, metadata, **extra), cwd=tmp_path, capture_output=True,
                          text=True, timeout=600)
    assert done.returncode == 0, done.stderr[-3000:]
    out = json.loads(done.stdout.strip().splitlines()[-1])
    for dash in spec.DASHBOARDS:
        assert sorted(out["dashboards"][dash["slug"]]) == sorted(spec.stable_uuid("chart", c["key"])
                                                                  for c in dash["charts"])
        for chart in dash["charts"]:
            got = out["charts"][spec.stable_uuid("chart", chart["key"])]
            assert "error" not in got, (chart["key"], got)
            assert got["rows"] >= 1, (chart["key"], got)
    # the headline number is the operational count
    from sqlalchemy.orm import Session

    from archives_domain.models import Person
    with Session(wh) as s:
        held = sum(_held(p, DAY) for p in s.query(Person).all())
    stock = out["charts"][spec.stable_uuid("chart", "stock-total")]["data"][0]
    assert int(stock["在档人数"]) == held == 7


def test_overview_tabs_follow_the_catalogue():
    """数据概览's tabs: the six dashboards in the catalogue's order (档案存量 first), other boards after."""
    from ops_app.bi.dashboards import dashboards
    catalogue = [d["slug"] for d in yaml.safe_load((ROOT / "bi" / "dashboards.yaml").read_text(encoding="utf-8"))
                 ["dashboards"]]
    slugs = [d.slug for d in dashboards()]
    assert slugs[:len(catalogue)] == catalogue and set(slugs[len(catalogue):]) == {"archive-stock-overview"}
