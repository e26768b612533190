"""The four bulk feed files (外部数据文件): ``write_feeds(pop, registry, out_dir, seed)``.

Writes ``business_registry.csv``, ``police_population.csv``, ``social_security.csv`` and
``education.csv`` into `out_dir`, UTF-8 without BOM, a header row with exactly the columns of
../shared/spec/feeds.md in their order, "\\n" line ends, every text value quoted (CSV
"quote where needed" for text; an empty cell is no value).  No internal ``_`` column is written.

* 工商: every company of the registry (head offices, branches and decoys), sorted by USCC;
  曾用名 ``;``-separated.
* 公安 / 社保: one row per HUMAN (一人多档 collapsed by ``person_key``) flagged ``_in_police`` /
  ``_in_social``; sorted by 公民身份号码.  姓名 is the clean name, 曾用名 from ``_former_name``,
  户籍地址 = 户籍所在地, 户口类别 / 户籍编号 / 迁入日期 / 迁出日期 from ``_hukou_category`` /
  ``_household_no`` / ``_moved_in`` / ``_moved_out``.
* 教育: one row per 大学专科-or-higher study row of each human flagged ``_in_education``,
  学历层次 博士研究生 / 硕士研究生 / 本科 / 专科, 证书编号 from ``_cert_no``; sorted by ID and 入学日期.

The content depends only on the population and the registry (`seed` is accepted for the
interface and not needed: nothing is drawn here), so the bytes are deterministic.
"""
from __future__ import annotations

from pathlib import Path

import numpy as np
import pandas as pd
import pyarrow as pa
import pyarrow.compute as pc
import pyarrow.csv as pacsv

FEED_COLUMNS = {
    "business_registry.csv": ("统一社会信用代码", "企业名称", "曾用名", "企业类型", "所属行业", "法定代表人", "成立日期",
                              "登记状态", "住所", "登记机关"),
    "police_population.csv": ("公民身份号码", "姓名", "曾用名", "性别", "民族", "出生日期", "户籍地址", "户口类别", "户籍编号",
                              "迁入日期", "迁出日期"),
    "social_security.csv": ("公民身份号码", "姓名", "参保单位统一社会信用代码", "参保单位名称", "参保状态", "就业状态",
                            "最近缴费年月"),
    "education.csv": ("公民身份号码", "姓名", "院校名称", "专业名称", "学历层次", "学位", "入学日期", "毕业日期", "证书编号"),
}
_LEVEL = {"大学专科": "专科", "大学本科": "本科"}


def _arrow(df: pd.DataFrame, columns) -> pa.Table:
    """Columns of a frame as an Arrow table of strings (no row copy for Arrow-backed columns)."""
    table = pa.Table.from_pandas(df[list(columns)], preserve_index=False)
    return pa.table([c.cast(pa.string()) for c in table.columns], names=list(columns))


def _write(table: pa.Table, path: Path) -> int:
    with open(path, "wb") as fh:
        fh.write((",".join(table.column_names) + "\n").encode("utf-8"))
        if table.num_rows:
            pacsv.write_csv(table, fh, pacsv.WriteOptions(include_header=False, quoting_style="needed"))
    return table.num_rows


def _first_records(persons: pd.DataFrame, flag: str) -> np.ndarray:
    """Row positions of the first record of each human flagged `flag`, in order of 公民身份号码."""
    _, first = np.unique(persons["person_key"].to_numpy(), return_index=True)
    first = np.sort(first)
    first = first[persons[flag].to_numpy(dtype=bool)[first]]
    ids = _arrow(persons, ["公民身份号码"]).column(0).take(pa.array(first))
    return first[pc.sort_indices(ids).to_numpy()]


def _rename(table: pa.Table, mapping: dict[str, str], columns: tuple[str, ...]) -> pa.Table:
    return pa.table([table.column(mapping.get(c, c)) for c in columns], names=list(columns))


def write_feeds(pop, registry: pd.DataFrame, out_dir: Path, seed: int) -> dict[str, int]:
    """Write the four feed files into `out_dir`; returns {file name: data rows}."""
    out_dir = Path(out_dir)
    out_dir.mkdir(parents=True, exist_ok=True)
    counts: dict[str, int] = {}
    persons = pop.persons

    name = "business_registry.csv"
    reg = _arrow(registry, FEED_COLUMNS[name])
    reg = reg.take(pc.sort_indices(reg.column("统一社会信用代码")))
    counts[name] = _write(reg, out_dir / name)

    name = "police_population.csv"
    mapping = {"曾用名": "_former_name", "户籍地址": "户籍所在地", "户口类别": "_hukou_category",
               "户籍编号": "_household_no", "迁入日期": "_moved_in", "迁出日期": "_moved_out"}
    rows = pa.array(_first_records(persons, "_in_police"))
    table = _arrow(persons, [mapping.get(c, c) for c in FEED_COLUMNS[name]]).take(rows)
    counts[name] = _write(_rename(table, mapping, FEED_COLUMNS[name]), out_dir / name)

    name = "social_security.csv"
    mapping = {"参保单位统一社会信用代码": "_social_uscc", "参保单位名称": "_social_employer", "参保状态": "_insured_status",
               "就业状态": "_employment_status", "最近缴费年月": "_last_paid"}
    rows = pa.array(_first_records(persons, "_in_social"))
    table = _arrow(persons, [mapping.get(c, c) for c in FEED_COLUMNS[name]]).take(rows)
    counts[name] = _write(_rename(table, mapping, FEED_COLUMNS[name]), out_dir / name)

    name = "education.csv"
    people = _arrow(persons, ["agency_code", "档案编号", "姓名"]).take(pa.array(_first_records(persons, "_in_education")))
    study = _arrow(pop.study, ["agency_code", "档案编号", "公民身份号码", "学校", "专业", "学历", "学位", "起始时间",
                               "终止时间", "_cert_no"])
    level = study.column("学历")
    tertiary = pc.is_in(level, value_set=pa.array(["研究生", "大学本科", "大学专科"]))
    study = study.filter(tertiary)
    key = pc.binary_join_element_wise(study.column("agency_code"), study.column("档案编号"), "|")
    people_key = pc.binary_join_element_wise(people.column("agency_code"), people.column("档案编号"), "|")
    pos = pc.index_in(key, value_set=people_key)
    keep = pc.is_valid(pos)
    study = study.filter(keep)
    pos = pos.filter(keep)
    level = study.column("学历")
    degree = study.column("学位")
    tier = pc.if_else(pc.equal(level, "研究生"),
                      pc.if_else(pc.fill_null(pc.equal(degree, "博士"), False), "博士研究生", "硕士研究生"),
                      pc.if_else(pc.equal(level, "大学本科"), "本科", "专科"))
    edu = pa.table([study.column("公民身份号码"), people.column("姓名").take(pos), study.column("学校"),
                    study.column("专业"), tier, degree, study.column("起始时间"), study.column("终止时间"),
                    study.column("_cert_no")], names=list(FEED_COLUMNS[name]))
    edu = edu.take(pc.sort_indices(edu, sort_keys=[("公民身份号码", "ascending"), ("入学日期", "ascending"),
                                                   ("毕业日期", "ascending")]))
    counts[name] = _write(edu, out_dir / name)
    return counts


def feed_level(level: str, degree: str | None) -> str | None:
    """学历层次 of the education feed for a study row's 学历 and 学位 (None below 大学专科)."""
    if level == "研究生":
        return "博士研究生" if degree == "博士" else "硕士研究生"
    return _LEVEL.get(level)
