"""The simulated outside systems (synth.feed_store / synth.feed_service / `archives feeds serve`).

httpx is not installed, so the app runs in a real uvicorn server on 127.0.0.1 (a free port, in a thread)
and is called with `requests`.
"""
from __future__ import annotations

import contextlib
import csv
import socket
import threading
import time
from collections import defaultdict
from pathlib import Path

import pyarrow as pa
import pyarrow.parquet as pq
import pytest
import requests
import uvicorn
from click.testing import CliRunner

from synth.feed_service import create_app
from synth.feed_store import FEEDS, FeedStore, name_parts

KEY = "test-key-贵州".encode().hex()
H = {"X-API-Key": KEY}

# ---------------------------------------------------------------------------------------------------------
# Small feeds, by hand

TARGET = "91520100MA6DQC0001"
COMPANIES = [
    # 统一社会信用代码, 企业名称, 曾用名, 企业类型, 所属行业, 法定代表人, 成立日期, 登记状态, 住所, 登记机关
    [TARGET, "贵州黔创科技有限公司", "贵州黔创电子有限公司;贵阳黔创电子经营部", "有限责任公司", "I", "王立新",
     "2012-05-08", "存续", "贵州省贵阳市观山湖区林城西路1号", "贵阳市市场监督管理局"],
    ["91520300MA6DQC0002", "贵州黔创科技有限公司遵义分公司", "", "有限责任公司分公司", "I", "李红",
     "2016-03-01", "存续", "贵州省遵义市汇川区上海路8号", "遵义市市场监督管理局"],
    ["91520100MA6DQC0003", "贵州黔创信息科技有限公司", "", "有限责任公司", "I", "赵强", "2018-09-20", "在业",
     "贵州省贵阳市南明区花果园", "贵阳市市场监督管理局"],
    ["91520100MA6DQC0004", "贵州黔川科技有限公司", "", "有限责任公司", "M", "钱明", "2019-01-11", "注销",
     "贵州省贵阳市云岩区中华北路", "贵阳市市场监督管理局"],
    ["91520000214400005X", "中国贵州茅台酒厂（集团）有限责任公司", "中国贵州茅台酒厂", "有限责任公司（国有独资）",
     "C", "丁雄军", "1998-01-24", "存续", "贵州省仁怀市茅台镇", "贵州省市场监督管理局"],
    ["91520000214400006A", "贵州茅台酒销售有限公司", "", "有限责任公司", "F", "张某", "2010-01-01", "存续",
     "贵州省贵阳市", "贵州省市场监督管理局"],
    ["9152000021440007XB", "中国建筑第四工程局有限公司", "", "有限责任公司", "E", "孙某", "1999-12-31", "存续",
     "贵州省贵阳市", "贵州省市场监督管理局"],
    ["91520000MA6DQC0008", "贵阳银行股份有限公司", "贵阳市商业银行股份有限公司", "股份有限公司", "J", "张正海",
     "1997-04-09", "存续", "贵州省贵阳市观山湖区长岭北路", "贵州省市场监督管理局"],
    ["91520300MA6DQC0009", "贵阳银行股份有限公司遵义分行", "", "股份有限公司分公司", "J", "吴某", "2010-06-01",
     "存续", "贵州省遵义市", "遵义市市场监督管理局"],
    ["91520000MA6DQC0010", "贵州银行股份有限公司", "", "股份有限公司", "J", "杨明尧", "2012-09-28", "存续",
     "贵州省贵阳市", "贵州省市场监督管理局"],
    ["92520102MA6DQC0011", "南明区老凯俚酸汤鱼店", "", "个体工商户", "H", "韦某", "2005-08-08", "吊销", "贵阳市南明区",
     "南明区市场监督管理局"],
    ["91520100MA6DQC0012", "贵州云上数据（集团）有限公司", "", "有限责任公司", "I", "周某", "2017-01-01", "迁出",
     "贵州省贵阳市", "贵州省市场监督管理局"],
]
P1, P2, P3 = "520102199001011234", "52010219850505123X", "522601197712120027"
PERSONS = [
    # 公民身份号码, 姓名, 曾用名, 性别, 民族, 出生日期, 户籍地址, 户口类别, 户籍编号, 迁入日期, 迁出日期
    [P1, "张伟", "", "男", "汉族", "1990-01-01", "贵州省贵阳市南明区新华路1号", "家庭户", "520102001234", "1990-01-01", ""],
    [P2, "杨秀英", "杨秀", "女", "苗族", "1985-05-05", "贵州省贵阳市南明区人才市场集体户", "集体户", "520102009999",
     "2008-07-01", ""],
    [P3, "阿依古丽·吾守尔", "", "女", "维吾尔族", "1977-12-12", "贵州省凯里市北京东路", "家庭户", "522601000027",
     "1977-12-12", "2020-01-01"],
]
SOCIAL = [
    # 公民身份号码, 姓名, 参保单位统一社会信用代码, 参保单位名称, 参保状态, 就业状态, 最近缴费年月
    [P1, "张伟", TARGET, "贵州黔创科技有限公司", "参保缴费", "就业", "2024-05"],
    [P2, "杨秀英", "", "", "终止参保", "失业", "2019-12"],
]
EDUCATION = [
    # 公民身份号码, 姓名, 院校名称, 专业名称, 学历层次, 学位, 入学日期, 毕业日期, 证书编号
    [P1, "张伟", "贵州大学", "计算机科学与技术", "本科", "工学学士", "2008-09-01", "2012-07-01", "106571201205000123"],
    [P1, "张伟", "贵州大学", "软件工程", "硕士研究生", "工学硕士", "2012-09-01", "2015-07-01", "106571201502000456"],
] + [
    [P3, "阿依古丽·吾守尔", f"培训学校{i:02d}", "继续教育", "专科", "", f"20{i:02d}-03-01", f"20{i:02d}-12-31",
     f"9999{i:014d}"] for i in range(25)
]
ROWS = {"business_registry": COMPANIES, "police_population": PERSONS, "social_security": SOCIAL,
        "education": EDUCATION}


def write_feeds(folder: Path, fmt: str = "csv", rows: dict | None = None, skip: tuple[str, ...] = ()) -> Path:
    folder.mkdir(parents=True, exist_ok=True)
    for name, spec in FEEDS.items():
        if name in skip:
            continue
        data = (rows or ROWS)[name]
        if fmt == "csv":
            with open(folder / f"{name}.csv", "w", encoding="utf-8", newline="") as f:
                w = csv.writer(f)
                w.writerow(spec.columns)
                w.writerows(data)
        else:
            table = pa.table({c: [r[i] or None for r in data] for i, c in enumerate(spec.columns)},
                             schema=pa.schema([(c, pa.string()) for c in spec.columns]))
            pq.write_table(table, folder / f"{name}.parquet")
    return folder


def as_record(spec_name: str, row: list[str]) -> dict:
    rec = {c: (v or None) for c, v in zip(FEEDS[spec_name].columns, row)}
    if spec_name == "business_registry":
        rec["曾用名"] = [p for p in (row[2] or "").split(";") if p]
    return rec


# ---------------------------------------------------------------------------------------------------------
# A live server

@contextlib.contextmanager
def running(app):
    sock = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
    sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    sock.bind(("127.0.0.1", 0))
    port = sock.getsockname()[1]
    server = uvicorn.Server(uvicorn.Config(app, log_level="warning", lifespan="off"))
    thread = threading.Thread(target=server.run, kwargs={"sockets": [sock]}, daemon=True)
    thread.start()
    deadline = time.monotonic() + 10
    while not server.started:
        assert thread.is_alive() and time.monotonic() < deadline, "server did not start"
        time.sleep(0.01)
    try:
        yield f"http://127.0.0.1:{port}"
    finally:
        server.should_exit = True
        thread.join(10)
        sock.close()


@pytest.fixture(scope="module", params=["csv", "parquet"])
def store(request, tmp_path_factory):
    folder = write_feeds(tmp_path_factory.mktemp(f"feeds_{request.param}"), request.param)
    s = FeedStore.load(folder)
    assert s.errors == {}, s.errors
    return s


@pytest.fixture(scope="module")
def base(store):
    with running(create_app(store, KEY)) as url:
        yield url


def get(base, path, headers=H, **params):
    return requests.get(base + path, headers=headers, params=params, timeout=10)


def search(base, name, **params):
    r = get(base, "/v1/business/companies", name=name, **params)
    assert r.status_code == 200, r.text
    return r.json()


def assert_error(r, status, code):
    assert r.status_code == status, r.text
    assert r.headers["content-type"].startswith("application/json")
    body = r.json()
    assert set(body) == {"error"} and body["error"]["code"] == code
    assert body["error"]["message"]
    return body["error"]["message"]


# ---------------------------------------------------------------------------------------------------------
# Lookups answer as the files say

def test_every_company_answers_as_the_registry_file(base):
    for row in COMPANIES:
        r = get(base, f"/v1/business/companies/{row[0]}")
        assert r.status_code == 200, r.text
        assert r.json() == as_record("business_registry", row)
    assert get(base, f"/v1/business/companies/{TARGET.lower()}").json()["企业名称"] == "贵州黔创科技有限公司"


def test_every_person_answers_as_the_police_and_social_files(base):
    for row in PERSONS:
        assert get(base, f"/v1/police/persons/{row[0]}").json() == as_record("police_population", row)
    for row in SOCIAL:
        assert get(base, f"/v1/social/persons/{row[0]}").json() == as_record("social_security", row)
    # a final lowercase x is accepted
    assert get(base, f"/v1/police/persons/{P2.lower()}").json()["姓名"] == "杨秀英"
    assert get(base, f"/v1/social/persons/{P2.lower()}").json()["参保状态"] == "终止参保"


def test_every_education_row_answers_as_the_file(base):
    by_person = defaultdict(list)
    for row in EDUCATION:
        by_person[row[0]].append(as_record("education", row))
    for id_number, expected in by_person.items():
        body = get(base, f"/v1/education/persons/{id_number}", page_size=100).json()
        assert body["total"] == len(expected) and body["page"] == 1 and body["page_size"] == 100
        assert body["items"] == sorted(expected, key=lambda r: r["入学日期"])


def test_education_paging(base):
    first = get(base, f"/v1/education/persons/{P3}").json()
    assert (first["total"], first["page_size"], len(first["items"])) == (25, 20, 20)
    second = get(base, f"/v1/education/persons/{P3}", page=2).json()
    assert len(second["items"]) == 5
    everything = get(base, f"/v1/education/persons/{P3}", page_size=100).json()["items"]
    assert first["items"] + second["items"] == everything
    past = get(base, f"/v1/education/persons/{P3}", page=3)
    assert past.status_code == 200 and past.json()["items"] == [] and past.json()["total"] == 25
    assert_error(get(base, f"/v1/education/persons/{P3}", page_size=101), 400, "invalid_parameter")
    assert_error(get(base, f"/v1/education/persons/{P3}", page=0), 400, "invalid_parameter")
    assert_error(get(base, f"/v1/education/persons/{P3}", page="a"), 400, "invalid_parameter")


def test_not_found(base):
    assert_error(get(base, "/v1/business/companies/91520100MA6DQC9999"), 404, "not_found")
    assert_error(get(base, "/v1/police/persons/520102199001019999"), 404, "not_found")
    assert_error(get(base, f"/v1/social/persons/{P3}"), 404, "not_found")  # in police, not in social
    message = assert_error(get(base, f"/v1/education/persons/{P2}"), 404, "not_found")  # no education row
    assert P2 not in message


def test_malformed_numbers_are_400(base):
    for bad in ["91520100MA6DQC000", "91520100MA6DQC00011", "91520100MA6DQC000I", "91520100MA6DQC00-1"]:
        assert_error(get(base, f"/v1/business/companies/{bad}"), 400, "invalid_uscc")
    for bad in ["52010219900101123", "5201021990010112345", "52010219900101123Y", "5201021990A1011234"]:
        for route in ("police", "social", "education"):
            assert_error(get(base, f"/v1/{route}/persons/{bad}"), 400, "invalid_id_number")


# ---------------------------------------------------------------------------------------------------------
# Fuzzy name search

def top(base, name, **params):
    items = search(base, name, **params)["items"]
    assert items, name
    return items[0]


def test_exact_name_ranks_above_branch_and_namesakes(base):
    body = search(base, "贵州黔创科技有限公司")
    names = [i["record"]["企业名称"] for i in body["items"]]
    assert names[0] == "贵州黔创科技有限公司"
    assert body["items"][0]["score"] == 100 and body["items"][0]["matched_on"] == "企业名称"
    assert {"贵州黔创科技有限公司遵义分公司", "贵州黔创信息科技有限公司"} <= set(names)
    assert all(i["score"] < 100 for i in body["items"][1:])
    assert body["total"] == len(body["items"])
    scores = [i["score"] for i in body["items"]]
    assert scores == sorted(scores, reverse=True)


@pytest.mark.parametrize("query, expected", [
    ("黔创科技", TARGET),                                     # abbreviation (region and suffix dropped)
    ("贵州黔创科技", TARGET),                                 # no legal-form suffix
    ("贵州黔创科枝有限公司", TARGET),                         # one wrong character
    (" 贵州 黔创科技有限公司 ", TARGET),                      # spaces
    ("中国贵州茅台酒厂(集团)有限责任公司", "91520000214400005X"),  # half-width brackets, registry full-width
    ("贵州云上数据(集团)有限公司", "91520100MA6DQC0012"),
    ("中建四局", "9152000021440007XB"),                      # abbreviation by initial characters
    ("贵阳银行", "91520000MA6DQC0008"),                      # above its branch and 贵州银行
    ("贵阳银行遵义分行", "91520300MA6DQC0009"),              # a branch asked for: the branch first
    ("贵州黔创科技有限公司遵义分公司", "91520300MA6DQC0002"),
])
def test_variants_find_the_company_first(base, query, expected):
    hit = top(base, query)
    assert hit["record"]["统一社会信用代码"] == expected, search(base, query)["items"][:3]


def test_former_name_is_found_and_said(base):
    hit = top(base, "贵州黔创电子有限公司")
    assert hit["record"]["统一社会信用代码"] == TARGET
    assert hit["matched_on"] == "曾用名" and hit["matched_name"] == "贵州黔创电子有限公司"
    assert hit["score"] == 100
    hit = top(base, "贵阳市商业银行")
    assert hit["record"]["统一社会信用代码"] == "91520000MA6DQC0008" and hit["matched_on"] == "曾用名"
    # one hit per company, on its current name when that matches as well
    items = search(base, "贵州黔创科技有限公司")["items"]
    assert [i["record"]["统一社会信用代码"] for i in items].count(TARGET) == 1
    assert items[0]["matched_on"] == "企业名称"


def test_search_paging_and_min_score(base):
    everything = search(base, "黔创科技", page_size=100, min_score=0)
    assert everything["total"] == len(everything["items"]) >= 4
    pages = [search(base, "黔创科技", page_size=2, page=p, min_score=0) for p in (1, 2, 3, 4, 5, 6, 7)]
    assert all(p["total"] == everything["total"] and p["page_size"] == 2 for p in pages)
    assert [i for p in pages for i in p["items"]] == everything["items"]
    assert search(base, "黔创科技", limit=3, min_score=0)["page_size"] == 3
    assert len(search(base, "黔创科技", limit=3, min_score=0)["items"]) == 3
    strict = search(base, "黔创科技", min_score=90, page_size=100)
    assert strict["items"] and all(i["score"] >= 90 for i in strict["items"])
    assert strict["total"] < everything["total"]
    assert search(base, "完全无关的名字毫不相干")["total"] == 0


@pytest.mark.parametrize("params", [
    {"name": ""}, {"name": "   "}, {}, {"name": "贵" * 101}, {"name": "黔创", "limit": 101},
    {"name": "黔创", "page_size": 0}, {"name": "黔创", "page": 0}, {"name": "黔创", "min_score": 101},
    {"name": "黔创", "min_score": "abc"}, {"name": "黔创", "page_size": "x"},
])
def test_search_bad_parameters(base, params):
    r = requests.get(base + "/v1/business/companies", headers=H, params=params, timeout=10)
    assert_error(r, 400, "invalid_parameter")


def test_name_parts():
    p = name_parts("贵州省贵阳市南明区黔创科技有限公司")
    assert (p.core, p.regions, p.branch) == ("黔创科技", ("贵州", "贵阳", "南明"), False)
    p = name_parts("贵州黔创科技有限公司遵义分公司")
    assert (p.body, p.branch) == ("贵州黔创科技", True)
    assert name_parts("黔东南州凯里恒达建材有限公司").regions == ("黔东南", "凯里")
    assert name_parts("黔东南苗族侗族自治州凯里恒达建材有限公司").core == "恒达建材"
    assert name_parts("中国贵州茅台酒厂（集团）有限责任公司").norm == name_parts("中国贵州茅台酒厂(集团)有限责任公司").norm


# ---------------------------------------------------------------------------------------------------------
# HTTP behaviour

def test_api_key(base):
    for headers in ({}, {"X-API-Key": ""}, {"X-API-Key": "wrong"}, {"X-API-Key": KEY + "x"}):
        assert_error(get(base, f"/v1/police/persons/{P1}", headers=headers), 401, "unauthorized")
        assert_error(get(base, "/v1/business/companies", headers=headers, name="黔创"), 401, "unauthorized")
    r = get(base, "/healthz", headers={})
    assert r.status_code == 200
    body = r.json()
    assert body["status"] == "ok"
    assert {k: v["rows"] for k, v in body["feeds"].items()} == {k: len(v) for k, v in ROWS.items()}


def test_unknown_route_and_wrong_method_are_json(base):
    assert_error(get(base, "/v1/nothing/here"), 404, "not_found")
    assert_error(get(base, "/nothing", headers={}), 404, "not_found")
    r = requests.post(f"{base}/v1/police/persons/{P1}", headers=H, timeout=10)
    assert_error(r, 405, "method_not_allowed")
    assert "GET" in r.headers["allow"]
    assert_error(requests.delete(f"{base}/v1/business/companies", headers=H, timeout=10), 405,
                 "method_not_allowed")
    assert_error(requests.post(f"{base}/healthz", timeout=10), 405, "method_not_allowed")


def test_responses_are_utf8_json(base):
    r = get(base, f"/v1/police/persons/{P3}")
    assert r.headers["content-type"] == "application/json; charset=utf-8"
    assert "阿依古丽·吾守尔".encode() in r.content  # not \\u-escaped


# ---------------------------------------------------------------------------------------------------------
# Faults

def test_failure_rate_one_always_fails_and_zero_never(store):
    with running(create_app(store, KEY, failure_rate=1.0, seed=1)) as url:
        for path in (f"/v1/police/persons/{P1}", f"/v1/business/companies/{TARGET}", "/v1/nothing"):
            r = get(url, path)
            assert assert_error(r, 503, "service_unavailable").startswith("服务暂时不可用")
            assert r.headers["retry-after"] == "1"
        assert get(url, "/healthz", headers={}).status_code == 200  # the probe is not failed
    with running(create_app(store, KEY, failure_rate=0.0)) as url:
        assert all(get(url, f"/v1/police/persons/{P1}").status_code == 200 for _ in range(50))


def test_failures_are_deterministic_with_a_seed(store):
    def pattern():
        with running(create_app(store, KEY, failure_rate=0.5, seed=42)) as url:
            return [get(url, f"/v1/social/persons/{P1}").status_code for _ in range(40)]
    first = pattern()
    assert first == pattern()
    assert set(first) == {200, 503}


def test_latency_is_added(store):
    with running(create_app(store, KEY, latency_ms=300)) as url:
        started = time.perf_counter()
        assert get(url, f"/v1/police/persons/{P1}").status_code == 200
        assert time.perf_counter() - started >= 0.3
        started = time.perf_counter()
        get(url, "/healthz", headers={})
        assert time.perf_counter() - started < 0.3


def test_faults_change_at_run_time(store):
    with running(create_app(store, KEY)) as url:
        admin = f"{url}/v1/_admin/faults"
        assert_error(requests.put(admin, json={"failure_rate": 1}, timeout=10), 401, "unauthorized")
        assert requests.get(admin, headers=H, timeout=10).json() == {"latency_ms": 0, "failure_rate": 0.0,
                                                                      "seed": None}
        r = requests.put(admin, headers=H, json={"failure_rate": 1.0}, timeout=10)
        assert r.status_code == 200 and r.json()["failure_rate"] == 1.0
        assert_error(get(url, f"/v1/police/persons/{P1}"), 503, "service_unavailable")
        r = requests.put(admin, headers=H, json={"failure_rate": 0, "latency_ms": 250}, timeout=10)
        assert r.json() == {"latency_ms": 250, "failure_rate": 0.0, "seed": None}
        started = time.perf_counter()
        assert get(url, f"/v1/police/persons/{P1}").status_code == 200
        assert time.perf_counter() - started >= 0.25
        requests.put(admin, headers=H, json={"latency_ms": 0}, timeout=10)
        started = time.perf_counter()
        assert get(url, f"/v1/police/persons/{P1}").status_code == 200
        assert time.perf_counter() - started < 0.25
        for bad in ({"failure_rate": 1.5}, {"failure_rate": "x"}, {"latency_ms": -1}, {"latency_ms": 1.5},
                    {"other": 1}, [1], {"seed": "a"}):
            assert_error(requests.put(admin, headers=H, json=bad, timeout=10), 400, "invalid_parameter")
        assert_error(requests.put(admin, headers=H, data=b"{not json", timeout=10), 400, "invalid_parameter")


def test_create_app_refuses_bad_settings(store):
    with pytest.raises(ValueError):
        create_app(store, "")
    with pytest.raises(Exception):
        create_app(store, KEY, failure_rate=2.0)


# ---------------------------------------------------------------------------------------------------------
# Missing and malformed feeds stop only their own routes

def _only_broken(url: str, broken: str) -> str:
    routes = {
        "business_registry": [f"/v1/business/companies/{TARGET}", "/v1/business/companies?name=黔创科技"],
        "police_population": [f"/v1/police/persons/{P1}"],
        "social_security": [f"/v1/social/persons/{P1}"],
        "education": [f"/v1/education/persons/{P1}"],
    }
    message = None
    for feed, paths in routes.items():
        for path in paths:
            r = requests.get(url + path, headers=H, timeout=10)
            if feed == broken:
                message = assert_error(r, 503, "feed_unavailable")
            else:
                assert r.status_code == 200, (path, r.text)
    health = requests.get(url + "/healthz", timeout=10).json()
    assert health["status"] == "degraded"
    assert {k for k, v in health["feeds"].items() if v["status"] == "error"} == {broken}
    assert health["feeds"][broken]["error"] == message
    return message


@pytest.mark.parametrize("fmt", ["csv", "parquet"])
def test_missing_feed(tmp_path, fmt):
    store = FeedStore.load(write_feeds(tmp_path, fmt, skip=("social_security",)))
    assert set(store.errors) == {"social_security"}
    with running(create_app(store, KEY)) as url:
        message = _only_broken(url, "social_security")
    assert "social_security.csv" in message and "未找到" in message


@pytest.mark.parametrize("fmt", ["csv", "parquet"])
@pytest.mark.parametrize("feed, column", [("police_population", "户口类别"), ("business_registry", "企业名称"),
                                          ("education", "公民身份号码")])
def test_feed_with_a_missing_column(tmp_path, fmt, feed, column):
    write_feeds(tmp_path, fmt, skip=(feed,))
    spec = FEEDS[feed]
    keep = [i for i, c in enumerate(spec.columns) if c != column]
    cols = [spec.columns[i] for i in keep]
    if fmt == "csv":
        with open(tmp_path / f"{feed}.csv", "w", encoding="utf-8", newline="") as f:
            w = csv.writer(f)
            w.writerow(cols)
            w.writerows([[r[i] for i in keep] for r in ROWS[feed]])
    else:
        pq.write_table(pa.table({c: [r[i] for r in ROWS[feed]] for c, i in zip(cols, keep)}),
                       tmp_path / f"{feed}.parquet")
    store = FeedStore.load(tmp_path)
    assert set(store.errors) == {feed}
    assert f"{feed}.{fmt}" in store.errors[feed] and f"缺少列：{column}" in store.errors[feed]
    with running(create_app(store, KEY)) as url:
        assert _only_broken(url, feed) == store.errors[feed]


def test_not_utf8_empty_and_duplicate_header_feeds(tmp_path):
    write_feeds(tmp_path, "csv")
    spec = FEEDS["police_population"]
    text = ",".join(spec.columns) + "\n" + ",".join(PERSONS[0]) + "\n"
    (tmp_path / "police_population.csv").write_bytes(text.encode("gbk"))
    (tmp_path / "education.csv").write_text(",".join(FEEDS["education"].columns) + "\n", encoding="utf-8")
    (tmp_path / "social_security.csv").write_text(
        ",".join(FEEDS["social_security"].columns + ("姓名",)) + "\n" + ",".join(SOCIAL[0] + ["x"]) + "\n",
        encoding="utf-8")
    store = FeedStore.load(tmp_path)
    assert set(store.errors) == {"police_population", "education", "social_security"}
    assert "police_population.csv" in store.errors["police_population"] and "UTF-8" in store.errors["police_population"]
    assert "education.csv" in store.errors["education"] and "没有数据行" in store.errors["education"]
    assert "重复" in store.errors["social_security"] and "姓名" in store.errors["social_security"]
    assert store.company(TARGET)["企业名称"] == "贵州黔创科技有限公司"
    (tmp_path / "education.csv").write_bytes(b"")
    assert "education.csv" in FeedStore.load(tmp_path).errors["education"]


def test_bom_extra_columns_duplicates_and_parquet_preferred(tmp_path):
    write_feeds(tmp_path, "csv")
    spec = FEEDS["police_population"]
    rows = PERSONS + [[P1, "重复的人"] + PERSONS[0][2:]]
    with open(tmp_path / "police_population.csv", "w", encoding="utf-8-sig", newline="") as f:
        w = csv.writer(f)
        w.writerow(list(spec.columns) + ["备注"])
        w.writerows(r + ["x"] for r in rows)
    store = FeedStore.load(tmp_path)
    assert store.errors == {}
    assert store.person(P1)["姓名"] == "张伟"  # the first row of the file wins
    assert "备注" not in store.person(P1)
    assert any("备注" in w for w in store.warnings["police_population"])
    assert any("重复" in w for w in store.warnings["police_population"])
    # Parquet next to CSV: the Parquet file is used
    pq.write_table(pa.table({c: [PERSONS[1][i]] for i, c in enumerate(spec.columns)}),
                   tmp_path / "police_population.parquet")
    store = FeedStore.load(tmp_path)
    assert store.feeds["police_population"].source.name == "police_population.parquet"
    assert store.person(P1) is None and store.person(P2)["姓名"] == "杨秀英"


def test_parquet_with_typed_columns_is_read_as_strings(tmp_path):
    write_feeds(tmp_path, "parquet")
    spec = FEEDS["social_security"]
    cols = {c: [r[i] or None for r in SOCIAL] for i, c in enumerate(spec.columns)}
    table = pa.table(cols).set_column(6, "最近缴费年月", pa.array([202405, None], pa.int64()))
    pq.write_table(table, tmp_path / "social_security.parquet")
    store = FeedStore.load(tmp_path)
    assert store.social(P1)["最近缴费年月"] == "202405" and store.social(P2)["最近缴费年月"] is None


# ---------------------------------------------------------------------------------------------------------
# CLI

def test_cli_refuses_to_start_without_a_key(tmp_path):
    from archives_cli.feeds import feeds
    write_feeds(tmp_path)
    result = CliRunner().invoke(feeds, ["serve", "--feeds", str(tmp_path)], env={"ARCHIVES_FEEDS_API_KEY": ""})
    assert result.exit_code == 2
    assert "未提供接口密钥" in result.output and "ARCHIVES_FEEDS_API_KEY" in result.output
    result = CliRunner().invoke(feeds, ["serve", "--feeds", str(tmp_path / "nope"), "--api-key", "k"])
    assert result.exit_code == 2
    result = CliRunner().invoke(feeds, ["serve", "--feeds", str(tmp_path), "--api-key", "k",
                                        "--failure-rate", "1.5"])
    assert result.exit_code == 2


def test_cli_serves(tmp_path, monkeypatch):
    """`feeds serve` loads the folder and hands the settings to uvicorn (uvicorn.run itself is stubbed)."""
    from archives_cli.feeds import feeds
    seen = {}

    def fake_run(app, host, port, **kwargs):
        seen.update(app=app, host=host, port=port)

    monkeypatch.setattr(uvicorn, "run", fake_run)
    write_feeds(tmp_path, skip=("education",))
    result = CliRunner().invoke(feeds, ["serve", "--feeds", str(tmp_path), "--port", "8799", "--latency-ms", "5",
                                        "--failure-rate", "0.25"], env={"ARCHIVES_FEEDS_API_KEY": "env-key"})
    assert result.exit_code == 0, result.output
    assert seen["host"] == "127.0.0.1" and seen["port"] == 8799
    assert seen["app"].state.faults.as_dict() == {"latency_ms": 5, "failure_rate": 0.25, "seed": None}
    assert "工商登记数据" in result.output and "education" in result.output and "503" in result.output
