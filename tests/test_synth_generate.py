"""`archives synth` end to end: determinism, the landing tree per the contract, truth that scores itself 100 %."""
from __future__ import annotations

import csv
import hashlib
import json
from pathlib import Path

import pandas as pd
import pytest
from click.testing import CliRunner

from archives_cli.main import cli
from archives_domain.collection_form import HEADERS, SHEETS
from seeds import data_path
from synth.generate import generate
from synth.score import export_from_truth, score

N = 1500


def _digest(root: Path) -> dict[str, str]:
    return {str(p.relative_to(root)): hashlib.sha256(p.read_bytes()).hexdigest()
            for p in sorted(root.rglob("*")) if p.is_file() and p.name != "manifest.json"}


@pytest.fixture(scope="module")
def dataset(tmp_path_factory):
    out = tmp_path_factory.mktemp("synth")
    summary = generate(persons=N, seed=11, out=out, workers=1, progress=False)
    return out, summary


def test_same_seed_gives_byte_identical_files(dataset, tmp_path):
    out, _ = dataset
    again = tmp_path / "again"
    # Two writer processes, forked as `archives synth` forks them: in a fresh single-threaded interpreter. (Forking
    # the test process itself, full of other tests' threads — Arrow's pools, servers, drivers — can deadlock.)
    import subprocess
    import sys
    subprocess.run([sys.executable, "-c", "from archives_cli.main import cli; cli()", "synth", "--persons", str(N),
                    "--seed", "11", "--out", str(again), "--workers", "2", "--quiet"], check=True, timeout=300,
                   capture_output=True)
    assert _digest(again) == _digest(out)
    other = tmp_path / "other"
    generate(persons=N, seed=12, out=other, workers=1, progress=False)
    assert _digest(other) != _digest(out)


def test_landing_tree_follows_the_contract(dataset):
    out, summary = dataset
    agencies = {row["code"] for row in csv.DictReader(data_path("agencies.csv").open(encoding="utf-8"))}
    landing = out / "landing"
    folders = {p.name for p in landing.iterdir()}
    assert folders <= agencies and len(folders) == len(agencies)
    formats = set()
    for folder in landing.iterdir():
        for f in folder.iterdir():
            batch, _, rest = f.name.partition(".")
            assert batch and "." not in batch
            if rest == "xlsx":
                formats.add("xlsx")
                from python_calamine import CalamineWorkbook
                wb = CalamineWorkbook.from_path(str(f))
                assert wb.sheet_names == list(SHEETS)
                for sheet in SHEETS:
                    header = wb.get_sheet_by_name(sheet).to_python(nrows=1)[0]
                    assert sorted(h.strip().strip("\u3000") for h in header) == sorted(HEADERS[sheet])
            else:
                sheet, ext = rest.rsplit(".", 1)
                assert ext == "csv" and sheet in SHEETS
                raw = f.read_bytes()
                if raw.startswith(b"\xef\xbb\xbf"):
                    formats.add("csv-utf8-bom")
                    text = raw[3:].decode("utf-8")
                else:
                    try:
                        text = raw.decode("utf-8")
                        formats.add("csv-utf8")
                    except UnicodeDecodeError:
                        text = raw.decode("gb18030")
                        formats.add("csv-gb18030")
                header = next(csv.reader([text.splitlines()[0]]))
                assert sorted(h.strip().strip("\u3000") for h in header) == sorted(HEADERS[sheet])
    assert formats == {"xlsx", "csv-utf8", "csv-utf8-bom", "csv-gb18030"}
    assert summary["files"] == sum(1 for _ in landing.rglob("*.*"))


def test_feeds_and_truth_are_written(dataset):
    out, summary = dataset
    for name in ("business_registry", "police_population", "social_security", "education"):
        assert (out / "feeds" / f"{name}.csv").stat().st_size > 0
    truth = out / "truth"
    persons = pd.read_parquet(truth / "persons.parquet")
    assert len(persons) == N
    assert not [c for c in persons.columns if c.startswith("_")]
    errors = pd.read_parquet(truth / "errors.parquet")
    assert len(errors) == summary["errors_total"] > 0
    manifest = json.loads((truth / "manifest.json").read_text(encoding="utf-8"))
    assert manifest["rows_in"] == summary["rows_in"] and manifest["seed"] == 11


def test_perfect_export_scores_100_and_a_planted_wrong_repair_is_caught(dataset, tmp_path):
    out, _ = dataset
    export = tmp_path / "export"
    export_from_truth(out / "truth", export, fmt="csv")
    result = score(out / "truth", export)
    assert result["auto_precision"] == 1.0 and result["resolvable_recall"] == 1.0
    assert result["false_repairs"] == 0
    # Plant one wrong value on a clean cell: a false repair, precision below 1.
    path = next((export).glob("*/*.基本信息.csv"))
    frame = pd.read_csv(path, dtype=str, keep_default_na=False, encoding="utf-8-sig")
    frame.loc[0, "民族"] = "蒙古族" if frame.loc[0, "民族"] != "蒙古族" else "汉族"
    frame.to_csv(path, index=False, encoding="utf-8-sig")
    planted = score(out / "truth", export)
    assert planted["false_repairs"] + sum(c["changed_wrong"] for c in planted["categories"].values()) == 1
    assert planted["auto_precision"] < 1.0


def test_cli_prints_a_closing_summary(tmp_path):
    result = CliRunner().invoke(cli, ["synth", "--persons", "300", "--seed", "3", "--out", str(tmp_path), "--quiet"])
    assert result.exit_code == 0, result.output
    assert "合成数据完成：300 条档案" in result.output and "注入错误" in result.output


def test_generated_feeds_load_in_the_feed_service_and_agree_with_the_truth(dataset):
    from synth.feed_store import FeedStore
    out, _ = dataset
    store = FeedStore.load(out / "feeds")
    assert store.errors == {}
    persons = pd.read_parquet(out / "truth" / "persons.parquet")
    hits = 0
    for row in persons.head(200).itertuples(index=False):
        record = store.person(row.公民身份号码)
        if record is None:
            continue  # about 3 % of people are missing from the police register, as in life
        hits += 1
        assert record["姓名"] == row.姓名 and record["出生日期"] == row.出生日期
    assert hits >= 180
    employed = persons.dropna(subset=["单位统一社会信用代码"]).head(50)
    for row in employed.itertuples(index=False):
        company = store.company(row.单位统一社会信用代码)
        assert company is not None and company["企业名称"] == row.工作单位
        best = store.search_companies(row.工作单位)[0]
        assert store.company_at(best.row)["统一社会信用代码"] == row.单位统一社会信用代码
