"""The repairs on a small generated data set: precision of the applied changes and recall of the errors they
own, measured against the truth (the same measurement as bench/bench_repair.py, which runs it at scale)."""
from __future__ import annotations

import importlib.util
from pathlib import Path

import pytest

from pipelines.cleaning.repair import repair
from pipelines.feeds import Feeds

ROOT = Path(__file__).resolve().parent.parent


def _bench():
    spec = importlib.util.spec_from_file_location("bench_repair", ROOT / "bench" / "bench_repair.py")
    mod = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(mod)
    return mod


@pytest.fixture(scope="module")
def measured(tmp_path_factory):
    from synth.generate import generate
    out = tmp_path_factory.mktemp("repair-gen")
    generate(persons=4000, seed=11, out=out, progress=False)
    bench = _bench()
    records, study, work, truth, _errors, pre = bench.build_inputs(out)
    result = repair(records, study, work, Feeds(out / "feeds"))
    return result, bench.measure(result, (records, study, work), truth, pre)


@pytest.mark.slow
def test_applied_changes_are_right_and_resolvable_errors_repaired(measured):
    result, m = measured
    assert result.skipped == {}
    assert m["applied_changes"] > 300
    assert m["precision_applied"] >= 0.995
    assert m["false_repairs_on_clean_cells"] == 0
    assert m["recall_resolvable_in_scope"] >= 0.95
    assert m["review_items_without_error"] == 0


@pytest.mark.slow
def test_unresolvable_errors_go_to_review_not_changed(measured):
    _, m = measured
    changed = m["categories"]["employer_changed"]
    assert changed["changed_wrong"] == 0 and changed["sent_to_review"] >= changed["injected"] - 1
    for cat, c in m["categories"].items():
        assert c["changed_wrong"] <= max(1, 0.005 * c["injected"]), cat


@pytest.mark.slow
def test_log_and_review_tables_have_the_contract_columns(measured):
    result, _ = measured
    assert list(result.log.columns)[:3] == ["agency", "档案编号", "sheet"]
    assert {"field", "old", "new", "feed", "rule", "confidence", "applied"} <= set(result.log.columns)
    assert {"agency", "档案编号", "field", "current", "candidates", "reason", "rule", "feed", "confidence"} <= set(
        result.review.columns)
    assert result.log["feed"].dropna().isin(
        ["police_population", "business_registry", "social_security", "education"]).all()


@pytest.mark.slow
def test_on_records_made_by_the_real_cleaning_stages(tmp_path_factory):
    """read → standardise → merge (pipelines.cleaning) → repair, measured against the truth."""
    from synth.generate import generate
    out = tmp_path_factory.mktemp("repair-gen-pipeline")
    generate(persons=3000, seed=12, out=out, progress=False)
    bench = _bench()
    records, study, work, truth, _errors, pre, tpos = bench.build_inputs_pipeline(out, workers=1)
    result = repair(records, study, work, Feeds(out / "feeds"), workers=1)
    m = bench.measure(result, (records, study, work), truth, pre, tpos)
    assert m["precision_applied"] >= 0.995
    assert m["false_repairs_on_clean_cells"] == 0
    assert m["recall_resolvable_in_scope"] >= 0.95
