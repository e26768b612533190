"""Authoring of the 综合统计 dashboards (issue 15): `bi/dashboards_spec.py` → Superset → `bi/assets/`.

    PYTHONPATH=$PWD .venv/bin/python bi/author_dashboards.py --dw-url mysql+pymysql://root@127.0.0.1:3306/x_dw \\
        --superset http://127.0.0.1:8121 --user admin --password …

1. builds the bundle (datasets with the analytics tables' columns read from --dw-url, charts with a saved
   query context, dashboards with native filters 市州 / 机构 / 统计期间) under stable uuids;
2. imports it into the running Superset (`POST /api/v1/assets/import/`), so Superset validates it;
3. exports the six dashboards with Superset's own export (`GET /api/v1/dashboard/export/`) and writes the
   datasets, charts and dashboards into `bi/assets/` under deterministic names (datasets/分析库/<table>.yaml,
   charts/<key>.yaml, dashboards/<slug>.yaml); the database file and metadata.yaml stay the PLATFORM's;
4. writes `bi/dashboards.yaml` (slug → title, uuid, description) for the app.

Runs in the main venv (requests, PyYAML, SQLAlchemy); imports no archive package and no Superset.
"""
from __future__ import annotations

import argparse
import io
import json
import sys
import zipfile
from pathlib import Path

import requests
import sqlalchemy as sa
import yaml

sys.path.insert(0, str(Path(__file__).resolve().parent))
import dashboards_spec as spec  # noqa: E402

ASSETS = Path(__file__).resolve().parent / "assets"
DATE_COLUMNS = {"month_start", "start_date", "due_date", "done_date", "paid_until", "paid_on", "period_from",
                "period_to", "run_at", "run_date", "oldest_date"}


# -- the bundle ------------------------------------------------------------------------------------------
def _dataset_yaml(table: str, columns: list[tuple[str, str]]) -> dict:
    dttm, description = spec.DATASETS[table]
    return {
        "table_name": table, "main_dttm_col": dttm, "description": description, "default_endpoint": None,
        "offset": 0, "cache_timeout": None, "catalog": None, "schema": None, "sql": None, "params": None,
        "template_params": None, "filter_select_enabled": True, "fetch_values_predicate": None, "extra": None,
        "normalize_columns": False, "always_filter_main_dttm": False,
        "uuid": spec.stable_uuid("dataset", table),
        "metrics": [{"metric_name": "count", "verbose_name": "行数", "metric_type": "count",
                     "expression": "COUNT(*)", "description": None, "d3format": None, "currency": None,
                     "extra": None, "warning_text": None}],
        "columns": [{"column_name": name, "verbose_name": spec.LABELS.get(name), "is_dttm": name in DATE_COLUMNS,
                     "is_active": True, "type": typ, "advanced_data_type": None,
                     "groupby": True, "filterable": True, "expression": None, "description": None,
                     "python_date_format": None, "extra": None} for name, typ in columns],
        "version": "1.0.0", "database_uuid": spec.DATABASE_UUID,
    }


def _metric(mt: dict) -> dict:
    return {"expressionType": "SQL", "sqlExpression": mt["sql"], "label": mt["label"], "hasCustomLabel": True,
            "optionName": "metric_" + spec.stable_uuid("metric", mt["label"] + mt["sql"])[:8]}


def _filters(chart: dict) -> list[dict]:
    out = []
    if chart.get("where"):
        out.append({"expressionType": "SQL", "sqlExpression": chart["where"], "clause": "WHERE", "subject": None,
                    "operator": None, "comparator": None, "isExtra": False, "isNew": False,
                    "filterOptionName": "filter_" + spec.stable_uuid("filter", chart["key"])[:8]})
    temporal = chart.get("x") if chart.get("grain") else (
        spec.DATASETS[chart["dataset"]][0] if chart.get("time") else None)
    if temporal:  # the native 统计期间 filter narrows this column
        out.append({"expressionType": "SIMPLE", "subject": temporal, "operator": "TEMPORAL_RANGE",
                    "comparator": "No filter", "clause": "WHERE", "isExtra": False, "isNew": False,
                    "filterOptionName": "filter_" + spec.stable_uuid("time", chart["key"])[:8]})
    return out


def _params(chart: dict) -> dict:
    metrics = [_metric(x) for x in chart["metrics"]]
    order = next((x for x in metrics if x["label"] == chart.get("order")), None)
    p = {"viz_type": chart["viz"], "datasource": "1__table", "adhoc_filters": _filters(chart), "extra_form_data": {},
         "dashboards": []}
    viz = chart["viz"]
    if viz == "big_number_total":
        fmt = chart["metrics"][0].get("format", "SMART_NUMBER")
        p.update(metric=metrics[0], subheader="", y_axis_format=fmt, header_font_size=0.4, subheader_font_size=0.15)
    elif viz == "table":
        p.update(query_mode="aggregate", groupby=chart.get("groupby", []), metrics=metrics, all_columns=[],
                 percent_metrics=[], order_desc=not chart.get("ascending", False), row_limit=chart.get("limit", 1000),
                 server_page_length=20, table_timestamp_format="smart_date", show_cell_bars=True,
                 include_search=False, allow_rearrange_columns=False, color_pn=True,
                 column_config={x["label"]: {"d3NumberFormat": x.get("format")} for x in chart["metrics"]
                                if x.get("format")})
        if order:
            p["timeseries_limit_metric"] = order
    elif viz == "pie":
        p.update(groupby=chart["groupby"], metric=metrics[0], row_limit=100, sort_by_metric=True, show_labels=True,
                 label_type="key_percent", show_legend=True, legendType="scroll", legendOrientation="top",
                 number_format="SMART_NUMBER", donut=True, innerRadius=30, outerRadius=70, labels_outside=True,
                 color_scheme="supersetColors")
    else:  # echarts_timeseries_bar / _line: time axis (grain) or a category axis
        p.update(x_axis=chart["x"], metrics=metrics, groupby=chart.get("groupby", []), row_limit=10000,
                 truncate_metric=True, show_legend=True, legendType="scroll", legendOrientation="top",
                 x_axis_title=chart.get("x_title", ""), x_axis_title_margin=30, y_axis_title=chart.get("y_title", ""),
                 y_axis_title_margin=50, y_axis_title_position="Left",
                 y_axis_format=chart.get("y_format", "SMART_NUMBER"),
                 rich_tooltip=True, color_scheme="supersetColors", orientation="vertical",
                 stack="Stack" if chart.get("stack") else None, only_total=True, show_value=False,
                 x_axis_time_format={"P1M": "%Y-%m", "P1D": "%Y-%m-%d"}.get(chart.get("grain"), "smart_date"),
                 markerEnabled=viz == "echarts_timeseries_line", markerSize=6,
                 comparison_type="values", annotation_layers=[], forecastPeriods=10, forecastInterval=0.8)
        if chart.get("grain"):
            p["time_grain_sqla"] = chart["grain"]
        if order:
            p.update(x_axis_sort=order["label"], x_axis_sort_asc=chart.get("ascending", False),
                     timeseries_limit_metric=order)
        else:
            p.update(x_axis_sort_asc=True)
        if not chart.get("grain"):   # category axis: the Chinese names are long
            p.update(xAxisLabelRotation=45, x_axis_title_margin=90)
    return p


def _query_context(chart: dict, params: dict) -> str:
    """The saved query of the chart (what `/api/v1/chart/<id>/data/` runs): the same columns, metrics and
    filters as the chart, without the browser's post-processing (pivot for series)."""
    columns: list = []
    if chart.get("x"):
        columns.append({"timeGrain": chart["grain"], "columnType": "BASE_AXIS", "sqlExpression": chart["x"],
                        "label": chart["x"], "expressionType": "SQL"} if chart.get("grain") else chart["x"])
    columns += chart.get("groupby", [])
    metrics = [_metric(x) for x in chart["metrics"]]
    order = next((x for x in metrics if x["label"] == chart.get("order")), None)
    filters = [{"col": f["subject"], "op": "TEMPORAL_RANGE", "val": "No filter"}
               for f in params["adhoc_filters"] if f["expressionType"] == "SIMPLE"]
    where = " AND ".join(f"({f['sqlExpression']})" for f in params["adhoc_filters"] if f["expressionType"] == "SQL")
    query = {"columns": columns, "metrics": metrics, "filters": filters,
             "extras": {"where": where, "having": ""}, "orderby": [[order, chart.get("ascending", False)]] if order
             else [], "row_limit": chart.get("limit", 10000), "series_limit": 0, "time_range": "No filter",
             "annotation_layers": [], "applied_time_extras": {}, "url_params": {}, "custom_params": {},
             "custom_form_data": {}}
    return json.dumps({"datasource": {"id": 1, "type": "table"}, "force": False, "queries": [query],
                       "form_data": params, "result_format": "json", "result_type": "full"}, ensure_ascii=False)


def _chart_yaml(chart: dict) -> dict:
    params = _params(chart)
    return {"slice_name": chart["title"], "description": None, "certified_by": None,
            "certification_details": None, "viz_type": chart["viz"], "params": params,
            "query_context": _query_context(chart, params), "cache_timeout": None,
            "uuid": spec.stable_uuid("chart", chart["key"]), "version": "1.0.0",
            "dataset_uuid": spec.stable_uuid("dataset", chart["dataset"])}


def _position(dash: dict) -> dict:
    pos = {"DASHBOARD_VERSION_KEY": "v2", "ROOT_ID": {"children": ["GRID_ID"], "id": "ROOT_ID", "type": "ROOT"},
           "GRID_ID": {"children": [], "id": "GRID_ID", "parents": ["ROOT_ID"], "type": "GRID"},
           "HEADER_ID": {"id": "HEADER_ID", "meta": {"text": dash["title"]}, "type": "HEADER"}}
    row, used = None, 12
    for chart in dash["charts"]:
        width = chart.get("width", 6)
        if used + width > 12:
            row = f"ROW-{dash['slug']}-{len(pos['GRID_ID']['children']) + 1}"
            pos["GRID_ID"]["children"].append(row)
            pos[row] = {"children": [], "id": row, "meta": {"background": "BACKGROUND_TRANSPARENT"},
                        "parents": ["ROOT_ID", "GRID_ID"], "type": "ROW"}
            used = 0
        cid = f"CHART-{chart['key']}"
        pos[row]["children"].append(cid)
        pos[cid] = {"children": [], "id": cid, "parents": ["ROOT_ID", "GRID_ID", row], "type": "CHART",
                    "meta": {"chartId": 0, "height": 25 if chart["viz"] == "big_number_total" else 50,
                             "sliceName": chart["title"], "uuid": spec.stable_uuid("chart", chart["key"]),
                             "width": width}}
        used += width
    return pos


def _native_filters(dash: dict) -> list[dict]:
    target = spec.stable_uuid("dataset", dash["charts"][0]["dataset"])
    scope = {"rootPath": ["ROOT_ID"], "excluded": []}

    def select(fid: str, name: str, column: str, parents: list[str]) -> dict:
        return {"id": fid, "name": name, "filterType": "filter_select", "type": "NATIVE_FILTER",
                "targets": [{"column": {"name": column}, "datasetUuid": target}],
                "controlValues": {"enableEmptyFilter": False, "defaultToFirstItem": False, "multiSelect": True,
                                  "searchAllOptions": False, "inverseSelection": False},
                "defaultDataMask": {"extraFormData": {}, "filterState": {}, "ownState": {}},
                "cascadeParentIds": parents, "scope": scope, "description": "", "tabsInScope": []}

    out = [select("NATIVE_FILTER-prefecture", "市州", "prefecture_name", []),
           select("NATIVE_FILTER-agency", "存档机构", "agency_name", ["NATIVE_FILTER-prefecture"])]
    if dash["period"]:
        out.append({"id": "NATIVE_FILTER-period", "name": "统计期间", "filterType": "filter_time",
                    "type": "NATIVE_FILTER", "targets": [{}], "controlValues": {"enableEmptyFilter": False},
                    "defaultDataMask": {"extraFormData": {}, "filterState": {}, "ownState": {}},
                    "cascadeParentIds": [], "scope": scope, "description": "", "tabsInScope": []})
    return out


def _dashboard_yaml(dash: dict) -> dict:
    return {"dashboard_title": dash["title"], "description": dash["description"], "css": "", "slug": dash["slug"],
            "certified_by": None, "certification_details": None, "published": True,
            "uuid": spec.stable_uuid("dashboard", dash["slug"]), "position": _position(dash),
            "metadata": {"color_scheme": "supersetColors", "refresh_frequency": 0, "expanded_slices": {},
                         "label_colors": {}, "timed_refresh_immune_slices": [], "cross_filters_enabled": True,
                         "default_filters": "{}", "chart_configuration": {},
                         "native_filter_configuration": _native_filters(dash)},
            "version": "1.0.0"}


def table_columns(dw_url: str, table: str) -> list[tuple[str, str]]:
    engine = sa.create_engine(dw_url)
    try:
        return [(c["name"], str(c["type"])) for c in sa.inspect(engine).get_columns(table)]
    finally:
        engine.dispose()


def build_bundle(dw_url: str) -> dict[str, str]:
    """File name → YAML text of the bundle (with the PLATFORM's metadata.yaml and database file)."""
    files = {"metadata.yaml": (ASSETS / "metadata.yaml").read_text(encoding="utf-8")}
    for db_file in (ASSETS / "databases").glob("*.yaml"):
        files[f"databases/{db_file.name}"] = db_file.read_text(encoding="utf-8")
    for table in spec.DATASETS:
        files[f"datasets/分析库/{table}.yaml"] = _dump(_dataset_yaml(table, table_columns(dw_url, table)))
    for dash in spec.DASHBOARDS:
        for chart in dash["charts"]:
            files[f"charts/{chart['key']}.yaml"] = _dump(_chart_yaml(chart))
        files[f"dashboards/{dash['slug']}.yaml"] = _dump(_dashboard_yaml(dash))
    return files


def _dump(data: dict) -> str:
    return yaml.safe_dump(data, allow_unicode=True, sort_keys=False)


# -- Superset round trip ------------------------------------------------------------------------------------
def login(base: str, user: str, password: str) -> requests.Session:
    s = requests.Session()
    r = s.post(f"{base}/api/v1/security/login", json={"username": user, "password": password, "provider": "db",
                                                       "refresh": True}, timeout=60)
    r.raise_for_status()
    s.headers["Authorization"] = f"Bearer {r.json()['access_token']}"
    csrf = s.get(f"{base}/api/v1/security/csrf_token/", timeout=60).json()["result"]
    s.headers.update({"X-CSRFToken": csrf, "Referer": base})
    return s


def import_bundle(s: requests.Session, base: str, files: dict[str, str], db_uri: str | None = None) -> None:
    buf = io.BytesIO()
    with zipfile.ZipFile(buf, "w") as z:
        for name, text in files.items():
            if db_uri and name.startswith("databases/"):
                cfg = yaml.safe_load(text)
                cfg["sqlalchemy_uri"] = db_uri
                text = _dump(cfg)
            z.writestr(f"bundle/{name}", text)
    r = s.post(f"{base}/api/v1/assets/import/", files={"bundle": ("bundle.zip", buf.getvalue(), "application/zip")},
               data={"passwords": "{}"}, timeout=300)
    if r.status_code != 200:
        raise SystemExit(f"导入失败：HTTP {r.status_code} {r.text[:2000]}")


def dashboard_ids(s: requests.Session, base: str) -> dict[str, int]:
    r = s.get(f"{base}/api/v1/dashboard/", params={"q": "(page_size:100,columns:!(id,slug))"}, timeout=60)
    r.raise_for_status()
    return {d["slug"]: d["id"] for d in r.json()["result"]}


def export_to_assets(s: requests.Session, base: str, out: Path = ASSETS) -> list[str]:
    """Superset's export of the six dashboards, written under deterministic names; returns the paths."""
    ids = dashboard_ids(s, base)
    wanted = [ids[d["slug"]] for d in spec.DASHBOARDS]
    r = s.get(f"{base}/api/v1/dashboard/export/", params={"q": f"!({','.join(map(str, wanted))})"}, timeout=300)
    r.raise_for_status()
    keys = {spec.stable_uuid("chart", c["key"]): c["key"] for d in spec.DASHBOARDS for c in d["charts"]}
    written = []
    with zipfile.ZipFile(io.BytesIO(r.content)) as z:
        for name in sorted(z.namelist()):
            rel = name.split("/", 1)[1]
            if not rel.startswith(("charts/", "datasets/", "dashboards/")):
                continue   # metadata.yaml and the database file stay the PLATFORM's (URI set by the sync)
            config = yaml.safe_load(z.read(name))
            if rel.startswith("charts/"):
                rel = f"charts/{keys[config['uuid']]}.yaml"
            elif rel.startswith("dashboards/"):
                rel = f"dashboards/{config['slug']}.yaml"
            else:
                rel = f"datasets/分析库/{config['table_name']}.yaml"
            path = out / rel
            path.parent.mkdir(parents=True, exist_ok=True)
            path.write_text(_dump(config), encoding="utf-8")
            written.append(rel)
    return written


def write_catalogue(path: Path = ASSETS.parent / "dashboards.yaml") -> None:
    rows = [{"slug": d["slug"], "title": d["title"], "uuid": spec.stable_uuid("dashboard", d["slug"]),
             "description": d["description"]} for d in spec.DASHBOARDS]
    path.write_text("# 综合统计看板（slug → 标题）：bi/author_dashboards.py 生成，供应用嵌入（/bi/…）引用\n"
                    + _dump({"dashboards": rows}), encoding="utf-8")


def main(argv=None) -> int:
    ap = argparse.ArgumentParser(description="综合统计看板：生成资源包，导入 Superset，再以 Superset 导出写回 bi/assets")
    ap.add_argument("--dw-url", required=True, help="分析库的 SQLAlchemy URL（读取表的列）")
    ap.add_argument("--superset", required=True)
    ap.add_argument("--user", default="admin")
    ap.add_argument("--password", required=True)
    ap.add_argument("--db-uri", help="导入时 分析库 使用的 URI（默认同 --dw-url）")
    args = ap.parse_args(argv)
    files = build_bundle(args.dw_url)
    s = login(args.superset, args.user, args.password)
    import_bundle(s, args.superset, files, args.db_uri or args.dw_url)
    written = export_to_assets(s, args.superset)
    write_catalogue()
    print(f"已导入并导出 {len(written)} 个文件到 {ASSETS}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
