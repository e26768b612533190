"""综合统计 → 数据概览 in headless Chromium against a real Superset 6.1, on SQLite and MariaDB: the platform's
`archives superset sync` (bundle, roles, RLS, embedding for the app's origin) on a small analytics schema;
a 业务负责人 of county A opens 数据概览 and the embedded dashboard (guest token, RLS from the app) shows A's
numbers only — equal to a direct count in the analytics schema; a 业务负责人 of the province sees every
agency. Screenshots docs/screenshots/bi-overview-county.png and bi-overview-province.png."""
from __future__ import annotations

import os
import subprocess
import uuid as uuidlib

import pytest
import sqlalchemy as sa
from sqlalchemy.orm import Session

import superset_live as live
from archives_domain.accounts.users import create_user
from archives_domain.bi.superset_secrets import ensure_secret
from biz_seed import seed_persons, seed_tree_and_users
from conftest import COUNTY, INITIAL_PASSWORD, PROVINCE
from ops_http import NEW_PASSWORD, login_ready
from test_ops_browser import SCREENSHOTS, _serve, page  # noqa: F401 (fixture)


def _dw_counts(engine) -> dict[str, int]:
    """档案数 per agency straight from the analytics schema (the chart's metric: SUM(person_count))."""
    from pipelines import analytics
    counts: dict[str, int] = {}
    for row in analytics.read_table(engine, "fact_archive_stock", environ={}):
        counts[row["agency_code"]] = counts.get(row["agency_code"], 0) + int(row["person_count"])
    return counts


@pytest.fixture
def site(make_ops_app, engine, codec, tmp_path, database_url):
    from pipelines import analytics
    seed_tree_and_users(engine, codec)
    seed_persons(engine, codec)
    with Session(engine) as s:
        create_user(s, username="provlead", password=INITIAL_PASSWORD, role_names=["业务负责人"], agency_code=PROVINCE,
                    first_name="省负责人")
        s.commit()
    port = live.free_port()
    app = make_ops_app(ARCHIVES_SUPERSET_URL=f"http://127.0.0.1:{port}")   # default grants sealed at start
    for user in ("leader", "provlead", "prefstat", "prefquery"):
        login_ready(app.test_client(), user, INITIAL_PASSWORD)
    analytics.build_all(engine, environ={})
    serving = _serve(app)
    app_url = next(serving)
    settings = app.extensions["archives_settings"]
    secret = ensure_secret(settings)
    meta = live.copy_template(live.make_template(tmp_path.parent / "superset-template-emb"), tmp_path / "ss.db")
    url = engine.url.render_as_string(hide_password=False)
    env = {**{k: v for k, v in os.environ.items() if not k.startswith(("SUPERSET_", "ARCHIVES_DW"))},
           "DATABASE_URL": url, "ARCHIVES_VAR_DIR": str(settings.var_dir), "SUPERSET_SECRET_KEY": secret,
           "ARCHIVES_SUPERSET_METADATA_URL": f"sqlite:///{meta}", "ARCHIVES_APP_ORIGIN": app_url,
           "PYTHONPATH": str(live.ROOT)}
    suffix = uuidlib.uuid4().hex[:6]
    if engine.dialect.name == "mysql":
        from archives_domain.db_accounts import create_accounts
        env["ARCHIVES_BI_DATABASE_URL"] = {a.role: a for a in create_accounts(engine, suffix=suffix)}["bi"].url
    sync = subprocess.run([str(live.ROOT / ".venv" / "bin" / "python"), "-m", "archives_cli.main", "superset", "sync",
                           "--skip-init"], env=env, capture_output=True, text=True, cwd=live.ROOT)
    assert sync.returncode == 0, sync.stdout[-2000:] + sync.stderr[-3000:]
    proc, ss_url = live.start(meta, port, app_url, secret, "", [], tmp_path / "superset.log",
                              ARCHIVES_SUPERSET_SQLITE_ANALYTICS="1" if engine.dialect.name == "sqlite" else "0",
                              ARCHIVES_VAR_DIR=str(settings.var_dir))
    try:
        yield {"app_url": app_url, "superset": ss_url, "engine": engine, "log": tmp_path / "superset.log",
               "meta": meta, "settings": settings}
    finally:
        proc.terminate()
        proc.wait(timeout=30)
        next(serving, None)
        if engine.dialect.name == "mysql":
            from archives_domain.db_accounts import drop_accounts
            drop_accounts(engine, suffix=suffix)
            with engine.connect() as conn:
                conn.execute(sa.text(f"drop database if exists {engine.url.database}_dw"))


CONSOLE: list[str] = []


def _embedded_rows(page, site, username) -> dict[str, int]:
    page.on("console", lambda m: CONSOLE.append(f"{m.type}: {m.text}"[:300]))
    page.goto(f"{site['app_url']}/login/")
    page.fill("#username", username)
    page.fill("#password", NEW_PASSWORD)
    page.click("#login-submit")
    page.wait_for_load_state("load")
    page.goto(f"{site['app_url']}/bi/overview")
    # 档案存量 is the first tab; the platform's reference board (one table: 档案数 per agency code) is opened
    page.click('#bi-tabs a[data-slug="archive-stock-overview"]')
    frame = page.frame_locator('.bi-board[data-slug="archive-stock-overview"] iframe')
    table = frame.locator("table tbody tr")
    try:
        table.first.wait_for(timeout=120000)
    except Exception:
        page.screenshot(path="/tmp/emb-fail.png", full_page=True)
        raise AssertionError("no table in the embedded dashboard: " + page.locator("#bi-error").inner_text()
                             + " | console: " + " / ".join(CONSOLE[-15:])
                             + " | superset log: " + site["log"].read_text(errors="replace")[-2500:])
    rows = {}
    for i in range(table.count()):
        cells = table.nth(i).locator("td").all_inner_texts()
        rows[cells[0].strip()] = int(cells[1].replace(",", "").strip())
    return rows


def test_overview_embeds_the_dashboard_with_the_users_scope(page, site):
    direct = _dw_counts(site["engine"])
    assert len(direct) >= 3, direct   # A, B and C each hold a person
    county = _embedded_rows(page, site, "leader")
    assert county == {COUNTY: direct[COUNTY]}, site["log"].read_text(errors="replace")[-3000:]
    SCREENSHOTS.mkdir(parents=True, exist_ok=True)
    page.screenshot(path=str(SCREENSHOTS / "bi-overview-county.png"), full_page=True)
    page.context.clear_cookies()
    province = _embedded_rows(page, site, "provlead")
    assert province == direct
    page.screenshot(path=str(SCREENSHOTS / "bi-overview-province.png"), full_page=True)
