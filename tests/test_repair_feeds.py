"""pipelines.feeds: reading the bulk feeds, FeedError for the steps that need a broken feed only."""
from __future__ import annotations

import json

import pandas as pd
import pyarrow as pa
import pyarrow.parquet as pq
import pytest

from pipelines.cleaning.repair import repair
from pipelines.feeds import FEEDS, FeedError, Feeds, read_feed

POLICE_HEADER = ",".join(FEEDS["police_population"].columns)
REGISTRY_HEADER = ",".join(FEEDS["business_registry"].columns)
SOCIAL_HEADER = ",".join(FEEDS["social_security"].columns)
EDU_HEADER = ",".join(FEEDS["education"].columns)


def _write(path, text, encoding="utf-8"):
    path.write_bytes(text.encode(encoding))


def _good_dir(tmp_path):
    d = tmp_path / "feeds"
    d.mkdir()
    _write(d / "police_population.csv",
           POLICE_HEADER + "\n52010219900101123x,张三,,男,汉族,1990-01-01,贵州省贵阳市,家庭户,1,,\n")
    _write(d / "business_registry.csv",
           REGISTRY_HEADER + "\n91520100MA6DK1234H,贵州黔润科技有限公司,贵州黔润信息有限公司,有限责任公司,I,李四,"
                             "2016-01-01,存续,贵阳,贵阳市市场监督管理局\n")
    _write(d / "social_security.csv",
           SOCIAL_HEADER + "\n52010219900101123X,张三,91520100MA6DK1234H,贵州黔润科技有限公司,参保缴费,就业,2021-12\n")
    _write(d / "education.csv",
           EDU_HEADER + "\n52010219900101123X,张三,贵州大学,会计学,本科,学士,2008-09-01,2012-07-01,1\n"
                        "52010219900101123X,张三,贵州大学,会计学,硕士研究生,硕士,2012-09-01,2015-07-01,2\n")
    return d


def test_reads_all_four_feeds_and_indexes_them(tmp_path):
    feeds = Feeds(_good_dir(tmp_path))
    assert feeds.police().get("52010219900101123X")["姓名"] == "张三"   # key upper-cased: x finds X
    assert feeds.police().get(" 52010219900101123x ")["姓名"] == "张三"
    assert feeds.social().positions(["52010219900101123X", "nope", None]).tolist() == [0, -1, -1]
    assert [r["学历层次"] for r in feeds.education().get("52010219900101123X")] == ["本科", "硕士研究生"]
    reg = feeds.registry()
    assert reg.by_uscc.get("91520100MA6DK1234H")["企业名称"] == "贵州黔润科技有限公司"
    m = reg.names.match("贵州黔润信息有限公司")  # 曾用名 → current name
    assert m.status == "former" and m.company == 0
    assert {k: v["status"] for k, v in feeds.status().items()} == dict.fromkeys(FEEDS, "ok")


def test_empty_cells_are_no_value_and_values_are_trimmed(tmp_path):
    t = read_feed(_good_dir(tmp_path), "police_population")
    row = t.to_pylist()[0]
    assert row["曾用名"] is None and row["迁入日期"] is None


def test_parquet_is_preferred_and_read_the_same(tmp_path):
    d = _good_dir(tmp_path)
    df = pd.DataFrame([{c: None for c in FEEDS["police_population"].columns}])
    df["公民身份号码"] = "520102199001011234"
    df["姓名"] = "李四"
    pq.write_table(pa.Table.from_pandas(df.astype(object), preserve_index=False), d / "police_population.parquet")
    assert Feeds(d).police().get("520102199001011234")["姓名"] == "李四"


@pytest.mark.parametrize("content, needle", [
    (None, "未找到"),
    ("", "空文件"),
    (POLICE_HEADER + "\n", "没有数据行"),
    ("公民身份号码,姓名\n520102199001011234,张三\n", "缺少列"),
    (POLICE_HEADER + ",姓名\n" + "1,2,3,4,5,6,7,8,9,10,11,12\n", "重复"),
    (POLICE_HEADER + "\n520102199001011234,张三\n", "格式错误"),
])
def test_broken_police_feed_is_a_feed_error(tmp_path, content, needle):
    d = _good_dir(tmp_path)
    p = d / "police_population.csv"
    if content is None:
        p.unlink()
    else:
        _write(p, content)
    feeds = Feeds(d)
    with pytest.raises(FeedError) as exc:
        feeds.police()
    assert exc.value.feed == "police_population"
    assert needle in exc.value.message
    # the same error again, and the other feeds still work
    with pytest.raises(FeedError):
        feeds.table("police_population")
    assert len(feeds.registry()) == 1 and len(feeds.social()) == 1


def test_non_utf8_feed_is_a_feed_error(tmp_path):
    d = _good_dir(tmp_path)
    _write(d / "education.csv", EDU_HEADER + "\n52010219900101123X,张三,贵州大学,会计学,本科,学士,,,1\n",
           encoding="gb18030")
    with pytest.raises(FeedError, match="UTF-8"):
        Feeds(d).education()


def test_in_memory_tables_are_checked_too():
    with pytest.raises(FeedError, match="缺少列"):
        Feeds.from_tables({"police_population": pd.DataFrame({"公民身份号码": ["1"]})}).police()
    with pytest.raises(FeedError, match="未提供"):
        Feeds.from_tables({}).registry()


def _records():
    return pd.DataFrame({
        "_agency": ["52010001"], "档案编号": ["A1"], "姓名": ["张三"], "性别": ["男"], "出生日期": ["1990-01"],
        "公民身份号码": ["52010219900101123X"], "工作单位": [None], "单位统一社会信用代码": [None],
        "毕业时间": [None], "毕业院校": [None],
        "_issues": [json.dumps([{"field": "出生日期", "code": "date_month_only", "raw": "1990.01"}],
                               ensure_ascii=False)],
    }, dtype="str")


def test_a_missing_feed_stops_only_the_steps_that_need_it(tmp_path):
    d = _good_dir(tmp_path)
    (d / "police_population.csv").unlink()
    _write(d / "education.csv", "")
    res = repair(_records(), None, None, Feeds(d))
    assert set(res.skipped) == {"ids", "names", "names_unregistered", "graduation_dates", "study",
                                "police_hukou"}  # 集体户口 addresses come from the 公安 feed
    assert "未找到公安人口数据文件" in res.skipped["ids"]
    # birth date (no feed), employer from 社保 (rule 8), status from 社保 went on
    assert res.records.at[0, "出生日期"] == "1990-01-01"
    assert res.records.at[0, "工作单位"] == "贵州黔润科技有限公司"
    assert res.records.at[0, "单位统一社会信用代码"] == "91520100MA6DK1234H"
    assert res.status.iloc[0]["就业状态"] == "就业"


def test_without_social_the_employer_step_runs_without_rule_8(tmp_path):
    d = _good_dir(tmp_path)
    (d / "social_security.csv").unlink()
    res = repair(_records(), None, None, Feeds(d))
    assert "employers" not in res.skipped and "employers.rule8" in res.skipped
    assert "social_status" in res.skipped
    # the names of IDs the register lacks: checked against 教育 alone
    assert "names_unregistered" not in res.skipped and "names_unregistered.social_security" in res.skipped
    assert pd.isna(res.records.at[0, "工作单位"])


def test_bom_header_and_extra_columns_are_accepted(tmp_path):
    d = _good_dir(tmp_path)
    _write(d / "social_security.csv", "\ufeff" + SOCIAL_HEADER + ",备注\n"
           "52010219900101123X,张三,91520100MA6DK1234H,贵州黔润科技有限公司,参保缴费,就业,2021-12,x\n")
    t = Feeds(d).table("social_security")
    assert t.column_names == list(FEEDS["social_security"].columns)
    assert t.num_rows == 1
