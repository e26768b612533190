"""Superset-side check of the asset bundle (runs in .venv-superset, inside Superset's app context):

    SUPERSET_CONFIG_PATH=bi/superset_config.py … .venv-superset/bin/python bi/check_bundle.py BUNDLE_DIR ANALYTICS_URI

imports `BUNDLE_DIR` (bi/assets) with Superset's own importer, the 分析库 pointing at ANALYTICS_URI, then runs
every imported chart's saved data query (its query context, as `/api/v1/chart/<id>/data/` would) and prints
one JSON line: {"dashboards": {slug: [chart uuid, …]}, "charts": {uuid: {"name", "rows"} or {"name", "error"}}}.
Imports nothing of the archive packages.
"""
from __future__ import annotations

import json
import sys
from pathlib import Path

import yaml

DATABASE_UUID = "28b3c099-c2df-49da-9288-948e04658b11"


def bundle_contents(root: Path, uri: str) -> dict[str, str]:
    contents = {}
    for path in sorted(root.rglob("*.yaml")):
        rel = path.relative_to(root).as_posix()
        text = path.read_text(encoding="utf-8")
        if rel.startswith("databases/"):
            config = yaml.safe_load(text)
            if config.get("uuid") == DATABASE_UUID:
                config["sqlalchemy_uri"] = uri
                text = yaml.safe_dump(config, allow_unicode=True)
        contents[rel] = text
    return contents


def run_chart(chart) -> dict:
    from superset.charts.schemas import ChartDataQueryContextSchema
    from superset.commands.chart.data.get_data_command import ChartDataCommand
    try:
        form = json.loads(chart.query_context)
        form["force"] = True
        context = ChartDataQueryContextSchema().load(form)
        command = ChartDataCommand(context)
        command.validate()
        result = command.run()
        errors = [q.get("error") for q in result["queries"] if q.get("error")]
        if errors:
            return {"name": chart.slice_name, "error": "; ".join(map(str, errors))}
        return {"name": chart.slice_name, "rows": sum(q.get("rowcount") or 0 for q in result["queries"]),
                "data": json.loads(json.dumps(result["queries"][0].get("data", [])[:5], default=str))}
    except Exception as exc:  # reported per chart, so one bad chart does not hide the others
        return {"name": chart.slice_name, "error": f"{type(exc).__name__}: {exc}"}


def main(bundle_dir: str, uri: str, user: str = "admin") -> int:
    from superset.app import create_app
    app = create_app()
    with app.app_context():
        from superset import db, security_manager
        from superset.commands.importers.v1.assets import ImportAssetsCommand
        from superset.models.dashboard import Dashboard
        from superset.models.slice import Slice
        from superset.utils.core import override_user
        owner = security_manager.find_user(user)
        with override_user(owner):
            ImportAssetsCommand(bundle_contents(Path(bundle_dir), uri)).run()
            dashboards = {d.slug: [str(c.uuid) for c in d.slices] for d in db.session.query(Dashboard).all()}
            charts = {str(c.uuid): run_chart(c) for c in db.session.query(Slice).all()}
        db.session.commit()
    print(json.dumps({"dashboards": dashboards, "charts": charts}, ensure_ascii=False))
    return 0


if __name__ == "__main__":
    sys.exit(main(*sys.argv[1:]))
