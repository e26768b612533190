"""Data-quality reports (`reports/`): the per-agency scorecard and the index from the dq_* tables (numbers
read back from the HTML's data attributes, values escaped), the GX Data Docs site of a run, the Dagster
asset `dq_scorecard`, `archives reports build`, and the scorecard in headless Chromium (screenshot
docs/screenshots/dq-scorecard.png). Every database test runs on SQLite and on MariaDB."""
from __future__ import annotations

import datetime as dt
import json
from decimal import Decimal
from html.parser import HTMLParser

import pandas as pd
import pytest
from sqlalchemy.orm import Session

from archives_domain.models import Agency, QuarantineRow, RepairLog, ReviewItem, RunStat
from conftest import COUNTY, PROVINCE

NOW = dt.datetime(2026, 11, 24, 2, 0, 0)  # UTC, naive as stored
LATEST = "7f3a9c1e-2b4d-4e8a-9c6f-0d1e2f3a4b5c"
XSS_FIELD = "<script>alert(1)</script>"
XSS_CATEGORY = '"><img src=x onerror=alert(2)>'
FIELDS = {"姓名": (1.0, 0.998), "公民身份号码": (0.995, 0.97), "性别": (0.99, 0.999), "出生日期": (0.97, 0.94),
          "工作单位": (0.88, 0.93), "学历": (0.92, 0.985)}
# rule, field, feed, applied, rows (of the latest run)
REPAIRS = [("id_typo_police", "公民身份号码", "公安", True, 9),
           ("id_typo_review", "公民身份号码", "公安", False, 3),
           ("name_variant_police", "姓名", "公安", True, 14),
           ("employer_fuzzy_review", "工作单位", "工商", False, 6),
           ("birth_date_from_id", "出生日期", None, True, 7)]
# category, field, age in days, rows (pending)
BACKLOG = [("单位不一致", "工作单位", 2, 4), ("单位不一致", "工作单位", 40, 2), ("身份证待核实", "公民身份号码", 12, 3),
           (XSS_CATEGORY, XSS_FIELD, 1, 1)]
QUARANTINE = [("缺少档案编号", "基本信息", 3), ("同一批次内档案编号重复且内容不同", "基本信息", 2), ("缺少档案编号", "工作经历", 1)]


def _agencies(engine):
    with Session(engine) as s:
        s.add(Agency(code=PROVINCE, name="贵州省人才大市场", level="省级", region_code="520000", active=True))
        s.flush()
        s.add(Agency(code=COUNTY, name="南明区公共就业和人才服务中心", level="县级", region_code="520102",
                     parent_code=PROVINCE, active=True))
        s.commit()


def seed_quality(engine, now=NOW, runs=3):
    """COUNTY: `runs` runs a week apart (the latest with a detail), its repair log, review queue, quarantine.
    PROVINCE: no run."""
    _agencies(engine)
    with Session(engine) as s:
        for i in range(runs):
            last = i == runs - 1
            detail = {"fields": {k: {"completeness": c, "validity": v} for k, (c, v) in FIELDS.items()},
                      "repairs_by_rule": {r[0]: r[4] for r in REPAIRS},
                      "review_by_category": {"单位不一致": 4, "身份证待核实": 3},
                      "review_by_field": {"工作单位": 4, "公民身份号码": 3}} if last else None
            s.add(RunStat(run_id=LATEST if last else f"run-{i:04d}", agency_code=COUNTY,
                          run_at=now - dt.timedelta(days=7 * (runs - 1 - i), hours=1),
                          rows_in=1200 + 10 * i, records=1000 + 10 * i, quarantined=12 - i, duplicates=5,
                          repaired=40 + i, review_items=20 - i, persons_written=1000,
                          completeness=Decimal(f"{0.93 + 0.006 * i:.4f}"), validity=Decimal(f"{0.90 + 0.01 * i:.4f}"),
                          seconds=Decimal("3.250"), detail=json.dumps(detail, ensure_ascii=False) if detail else None))
        for rule, field, feed, applied, n in REPAIRS:
            for _ in range(n):
                s.add(RepairLog(run_id=LATEST, agency_code=COUNTY, field=field, rule=rule, feed=feed, applied=applied))
        s.add(RepairLog(run_id="run-0000", agency_code=COUNTY, field="姓名", rule="name_variant_police",
                        feed="公安", applied=True))  # an older run: not in the latest's table
        for cat, field, days, n in BACKLOG:
            for _ in range(n):
                s.add(ReviewItem(agency_code=COUNTY, field=field, category=cat, reason="待核实", status="待处理",
                                 created_at=now - dt.timedelta(days=days), run_id=LATEST))
        s.add(ReviewItem(agency_code=COUNTY, field="姓名", category="姓名不一致", reason="x", status="已采纳",
                         created_at=now - dt.timedelta(days=50)))
        s.add(ReviewItem(agency_code=COUNTY, field="学历", category="学历不一致", reason="x", status="已驳回",
                         created_at=now - dt.timedelta(days=50)))
        row = 2
        for reason, sheet, n in QUARANTINE:
            for _ in range(n):
                s.add(QuarantineRow(agency_code=COUNTY, source_file=f"{COUNTY}/2020-01.xlsx", sheet=sheet, row_no=row,
                                    reason=reason, row_enc="SM4G1.k1.x"))
                row += 1
        s.commit()


class Page(HTMLParser):
    """The elements of a page with their attributes, and the text."""

    def __init__(self, html: str):
        super().__init__(convert_charrefs=True)
        self.elements: list[tuple[str, dict]] = []
        self.text: list[str] = []
        self.feed(html)

    def handle_starttag(self, tag, attrs):
        self.elements.append((tag, dict(attrs)))

    def handle_data(self, data):
        self.text.append(data)

    def kv(self) -> dict[str, str]:
        return {a["data-k"]: a.get("data-v") for _, a in self.elements if "data-k" in a}

    def rows(self, key: str) -> dict[str, dict]:
        return {a[key]: a for tag, a in self.elements if tag == "tr" and key in a}

    def tags(self, name: str) -> list[dict]:
        return [a for tag, a in self.elements if tag == name]


@pytest.fixture
def seeded(engine):
    seed_quality(engine)
    return engine


def test_scorecard_shows_the_figures_of_the_tables(seeded, tmp_path):
    from reports.scorecard import render_scorecard

    path = render_scorecard(seeded, COUNTY, tmp_path, now=NOW)
    assert path == tmp_path / COUNTY / "scorecard.html"
    page = Page(path.read_text(encoding="utf-8"))
    kv = page.kv()
    # the latest run
    assert kv["run_id"] == LATEST
    assert kv["completeness"] == "0.9420" and kv["validity"] == "0.9200"
    assert (kv["records"], kv["rows_in"], kv["quarantined"], kv["repaired"], kv["review_items"]) == \
        ("1020", "1220", "10", "42", "18")
    assert "较上次 +0.60 个百分点" in "".join(page.text)
    # per field, from detail["fields"], with the run's repairs and the backlog beside
    fields = page.rows("data-field")
    assert fields["公民身份号码"]["data-completeness"] == "0.9950" and fields["公民身份号码"]["data-validity"] == "0.9700"
    assert (fields["公民身份号码"]["data-applied"], fields["公民身份号码"]["data-review"],
            fields["公民身份号码"]["data-pending"]) == ("9", "3", "3")
    assert (fields["工作单位"]["data-review"], fields["工作单位"]["data-pending"]) == ("4", "6")  # review_by_field
    assert fields["姓名"]["data-review"] == "0"
    assert (fields["公民身份号码"]["data-key"], fields["性别"]["data-key"]) == ("1", "0")  # ★ fields graded
    assert fields[XSS_FIELD]["data-completeness"] == ""  # only in the review queue
    # repairs by rule of the latest run: applied vs review
    rules = page.rows("data-rule")
    assert (rules["id_typo_police"]["data-applied"], rules["id_typo_police"]["data-review"]) == ("9", "0")
    assert (rules["employer_fuzzy_review"]["data-applied"], rules["employer_fuzzy_review"]["data-review"]) == ("0", "6")
    assert rules["name_variant_police"]["data-total"] == "14"  # not the older run's row
    assert (rules["*"]["data-applied"], rules["*"]["data-review"], rules["*"]["data-total"]) == ("30", "9", "39")
    assert "公安" in "".join(page.text) and "工商" in "".join(page.text)
    # review backlog: pending by category with age, statuses, new in the run (from detail)
    assert kv["backlog"] == "10" and kv["oldest_days"] == "40"
    cats = page.rows("data-category")
    assert (cats["单位不一致"]["data-pending"], cats["单位不一致"]["data-age"]) == ("6", "40")
    assert (cats["身份证待核实"]["data-pending"], cats["身份证待核实"]["data-age"]) == ("3", "12")
    by_field = page.rows("data-backlog-field")
    assert by_field["工作单位"]["data-pending"] == "6" and by_field["公民身份号码"]["data-age"] == "12"
    statuses = {k: v["data-count"] for k, v in page.rows("data-status").items()}
    assert statuses == {"待处理": "10", "已修改": "0", "已采纳": "1", "已驳回": "1"}
    assert {k: v["data-count"] for k, v in page.rows("data-new-category").items()} == {"单位不一致": "4", "身份证待核实": "3"}
    # quarantine by reason and sheet
    q = [(a["data-reason"], a["data-sheet"], a["data-count"]) for a in page.tags("tr") if "data-reason" in a]
    assert sorted(q) == sorted((r, s, str(n)) for r, s, n in QUARANTINE)
    assert kv["quarantine_total"] == "6"
    # trend: the three runs, newest first, and a line per measure in the chart
    runs = [a["data-run"] for a in page.tags("tr") if "data-run" in a]
    assert runs == [LATEST, "run-0001", "run-0000"]
    assert page.rows("data-run")["run-0000"]["data-completeness"] == "0.9300"
    assert len(page.tags("path")) == 2 and len(page.tags("circle")) == 6
    # self-contained: no scripts, no external resources
    assert not page.tags("script") and not page.tags("link")
    assert not [a for a in page.tags("img")]


def test_values_are_escaped(seeded, tmp_path):
    from reports.scorecard import render_scorecard

    html = render_scorecard(seeded, COUNTY, tmp_path, now=NOW).read_text(encoding="utf-8")
    page = Page(html)
    assert not page.tags("script") and not page.tags("img")  # the field and category stay text
    assert "&lt;script&gt;alert(1)&lt;/script&gt;" in html
    assert XSS_FIELD in "".join(page.text) and XSS_CATEGORY in "".join(page.text)
    assert page.rows("data-category")[XSS_CATEGORY]["data-pending"] == "1"  # attribute values escaped too
    assert "default-src 'none'" in html  # and a CSP that would stop anything that slipped through


def test_scorecard_without_detail_or_runs(engine, tmp_path):
    from reports.scorecard import render_scorecard

    _agencies(engine)
    with Session(engine) as s:  # a run whose repair log is gone: the run's own totals; no field detail
        s.add(RunStat(run_id="r1", agency_code=COUNTY, run_at=NOW, rows_in=10, records=9, completeness=None,
                      validity=Decimal("0.5000"), detail=json.dumps({"repairs_by_rule": {"birth_date_from_id": 5}})))
        s.add(ReviewItem(agency_code=COUNTY, field="工作单位", category=None, reason="x", created_at=NOW, run_id="r1"))
        s.commit()
    page = Page(render_scorecard(engine, COUNTY, tmp_path, now=NOW).read_text(encoding="utf-8"))
    kv = page.kv()
    assert kv["completeness"] == "" and kv["validity"] == "0.5000"
    rules = page.rows("data-rule")
    assert (rules["birth_date_from_id"]["data-total"], rules["birth_date_from_id"]["data-applied"],
            rules["birth_date_from_id"]["data-review"]) == ("5", "5", "")
    assert "只含自动应用的修复" in "".join(page.text)
    assert "本次运行未记录各字段的完整率与有效率" in "".join(page.text)
    assert page.rows("data-field")["工作单位"]["data-pending"] == "1"
    assert page.rows("data-category")["（未分类）"]["data-age"] == "0"
    assert page.rows("data-new-category")["（未分类）"]["data-count"] == "1"  # counted in the queue
    assert len(page.tags("circle")) == 1  # one run, validity only

    empty = Page(render_scorecard(engine, PROVINCE, tmp_path, now=NOW).read_text(encoding="utf-8"))
    assert "该机构尚无流水线运行记录" in "".join(empty.text) and "data-run" not in str(empty.elements)
    with pytest.raises(LookupError):
        render_scorecard(engine, "59999999", tmp_path)


def test_index_lists_every_agency_with_latest_figures(seeded, tmp_path):
    from reports.scorecard import render_index, render_scorecard

    render_scorecard(seeded, COUNTY, tmp_path, now=NOW)
    page = Page(render_index(seeded, tmp_path, now=NOW).read_text(encoding="utf-8"))
    rows = page.rows("data-agency")
    assert set(rows) == {PROVINCE, COUNTY}
    assert (rows[COUNTY]["data-records"], rows[COUNTY]["data-completeness"], rows[COUNTY]["data-pending"]) == \
        ("1020", "0.9420", "10")
    assert rows[PROVINCE]["data-records"] == "" and rows[PROVINCE]["data-pending"] == "0"
    links = [a["href"] for a in page.tags("a")]
    assert f"{COUNTY}/scorecard.html" in links and f"{PROVINCE}/scorecard.html" not in links
    kv = page.kv()
    assert kv["with_runs"] == "1" and kv["records"] == "1020" and kv["backlog"] == "10"


def _records_frame(agency=COUNTY):
    return pd.DataFrame({"档案编号": ["A001", "A002", "A002", "A003"],
                         "姓名": ["张三", "李四", "李四", "王五"],
                         "公民身份号码": ["52010219900101123X", "520102199001011", None, "110101199003077777"],
                         "_agency": [agency] * 4}).astype("string")


def test_data_docs_site_has_the_run_and_no_personal_data(tmp_path):
    from reports.data_docs import build_data_docs, site_index, validation_result_files

    frame = _records_frame()
    res = build_data_docs({"persons": frame}, COUNTY, "run-42", tmp_path)
    assert res.index == site_index(tmp_path) == tmp_path / "gx" / "uncommitted" / "data_docs" / "local_site" / "index.html"
    assert res.index.exists()
    assert res.success is False  # 档案编号 A002 twice
    assert res.results == [{"suite": "records_person", "success": False, "run_name": f"{COUNTY}-run-42",
                            "evaluated": 5, "failed": 2}]
    [stored] = validation_result_files(tmp_path, COUNTY)
    result = json.loads(stored.read_text(encoding="utf-8"))
    assert result["meta"]["run_id"]["run_name"] == f"{COUNTY}-run-42"
    assert result["meta"]["active_batch_definition"]["data_asset_name"] == f"records_{COUNTY}"
    pages = list((res.index.parent / "validations").rglob("*.html"))
    assert len(pages) == 1 and f"{COUNTY}-run-42" in str(pages[0])
    assert f"{COUNTY}-run-42" in res.index.read_text(encoding="utf-8")
    # a second run of another agency joins the same site
    build_data_docs(_records_frame(PROVINCE), PROVINCE, "run-43", tmp_path)
    assert len(list((res.index.parent / "validations").rglob("*.html"))) == 2
    # no ID number or name of the frame is in a stored result or a page
    for f in [*tmp_path.rglob("*.json"), *tmp_path.rglob("*.html")]:
        text = f.read_text(encoding="utf-8", errors="replace")
        for value in ("52010219900101123X", "520102199001011", "110101199003077777", "张三", "李四"):
            assert value not in text, (f, value)
    # the ephemeral validation of the asset checks still works beside it
    from dq_rules.gx_suites import validate
    ok, rows = validate(frame, "records_person")
    assert ok is False and len(rows) == 5


def test_dq_scorecard_asset_writes_scorecard_index_and_data_docs(seeded, tmp_path):
    import dagster as dg

    from pipelines.assets.reports import dq_scorecard
    from pipelines.partitions import AGENCY_PARTITIONS
    from pipelines.resources import PipelineSettings

    @dg.asset(partitions_def=AGENCY_PARTITIONS, name="records")
    def records_stub(context) -> dict:
        return {"persons": _records_frame(context.partition_key)}

    settings = PipelineSettings.from_env(
        {"ARCHIVES_VAR_DIR": str(tmp_path / "var"), "DATABASE_URL": seeded.url.render_as_string(hide_password=False)},
        reports_dir=tmp_path / "reports", work_dir=tmp_path / "work")
    result = dg.materialize([records_stub, dq_scorecard], partition_key=COUNTY,
                            resources={"settings": settings, "io_manager": dg.mem_io_manager})
    assert result.success
    [event] = [e for e in result.get_asset_materialization_events() if e.asset_key == dg.AssetKey("dq_scorecard")]
    md = event.materialization.metadata
    out = tmp_path / "reports"
    assert md["scorecard"].value == str(out / COUNTY / "scorecard.html")
    assert md["index"].value == str(out / "index.html")
    assert md["gx_success"].value is False
    docs = out / "gx" / "uncommitted" / "data_docs" / "local_site" / "index.html"
    assert md["data_docs"].value == str(docs) and docs.exists()
    page = Page((out / COUNTY / "scorecard.html").read_text(encoding="utf-8"))
    assert page.kv()["completeness"] == "0.9420"
    assert "../gx/uncommitted/data_docs/local_site/index.html" in [a.get("href") for a in page.tags("a")]
    assert Page((out / "index.html").read_text(encoding="utf-8")).rows("data-agency")[COUNTY]["data-records"] == "1020"
    assert PipelineSettings.from_env({"ARCHIVES_VAR_DIR": "/v"}).reports == __import__("pathlib").Path("/v/reports")


def test_archives_reports_build(seeded, tmp_path):
    from click.testing import CliRunner

    from archives_cli.main import cli
    from pipelines.io import write_frames
    from pipelines.sealed import sealer_for_key_file

    work = tmp_path / "work"
    # sealed under the key file the command finds (the default one of its var dir)
    write_frames(work / "layers" / "records" / COUNTY, {"persons": _records_frame()},
                 sealer=sealer_for_key_file(tmp_path / "var" / "keys" / "pii.json", False))
    env = {"DATABASE_URL": seeded.url.render_as_string(hide_password=False), "ARCHIVES_VAR_DIR": str(tmp_path / "var"),
           "ARCHIVES_WORK_DIR": str(work)}
    out = tmp_path / "out"
    r = CliRunner().invoke(cli, ["reports", "build", "--out", str(out)], env=env, catch_exceptions=False)
    assert r.exit_code == 0, r.output
    assert (out / COUNTY / "scorecard.html").exists() and (out / "index.html").exists()
    assert not (out / PROVINCE).exists()  # no run, no scorecard (listed in the index)
    assert (out / "gx" / "uncommitted" / "data_docs" / "local_site" / "index.html").exists()
    assert "评分卡" in r.output and "GX 验证文档" in r.output
    r = CliRunner().invoke(cli, ["reports", "build", "--out", str(out), "--agency", PROVINCE, "--no-data-docs"],
                           env=env, catch_exceptions=False)
    assert r.exit_code == 0 and (out / PROVINCE / "scorecard.html").exists()
    r = CliRunner().invoke(cli, ["reports", "build", "--out", str(out), "--agency", "59999999"], env=env)
    assert r.exit_code == 2 and "未知的机构代码" in r.output


def test_scorecard_in_chromium_screenshot(engine, tmp_path, database_url):
    """The scorecard as an auditor's browser shows it: nothing fetched, no script run; refreshes the
    screenshot (from the SQLite run)."""
    from playwright.sync_api import sync_playwright

    from reports.scorecard import render_scorecard
    from test_ops_browser import CHROMIUM, SCREENSHOTS

    now = dt.datetime.now(dt.timezone.utc).replace(tzinfo=None)
    seed_quality(engine, now=now, runs=8)
    path = render_scorecard(engine, COUNTY, tmp_path)
    if not CHROMIUM.exists():
        pytest.fail("needs /usr/bin/chromium: run `make setup` (apt-get install chromium)", pytrace=False)
    requests, dialogs = [], []
    with sync_playwright() as p:
        browser = p.chromium.launch(executable_path=str(CHROMIUM), headless=True,
                                    args=["--no-sandbox", "--disable-background-networking"])
        page = browser.new_context(locale="zh-CN", viewport={"width": 1280, "height": 900}).new_page()
        page.on("request", lambda r: requests.append(r.url))
        page.on("dialog", lambda d: (dialogs.append(d.message), d.dismiss()))
        page.goto(path.as_uri(), wait_until="load")
        assert page.title() == "数据质量评分卡 · 南明区公共就业和人才服务中心（52010201）"
        assert page.locator('[data-k="completeness"] .value').inner_text() == "97.20%"
        assert page.locator('[data-k="backlog"] .value').inner_text() == "10"
        assert page.locator("#repairs tr.total").inner_text().split()[-3:] == ["30", "9", "39"]
        assert page.locator(f'tr[data-backlog-field="{XSS_FIELD}"] td').nth(1).inner_text() == XSS_FIELD
        assert page.locator("#trend svg circle").count() == 16
        if database_url.startswith("sqlite"):
            SCREENSHOTS.mkdir(parents=True, exist_ok=True)
            page.screenshot(path=str(SCREENSHOTS / "dq-scorecard.png"), full_page=True)
        page.emulate_media(media="print")
        assert page.locator("nav.links").is_hidden()
        browser.close()
    assert requests == [path.as_uri()] and dialogs == []
