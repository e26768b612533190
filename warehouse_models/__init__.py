"""The analytics schema (分析库): a star schema for the statistics module and Superset.

Each model is one SELECT in ``warehouse_models/<name>.sql``; this module holds the
list of models as data (kind, grain, upstream models, indexes, how it is built).
The mechanism that renders and builds them is `pipelines.analytics`; nothing here
connects to a database or imports the pipelines.

Placeholders in the SQL files (rendered per backend by `pipelines.analytics.render`):

* ``{{ops}}``, ``{{dw}}`` — the schema qualifiers of the operational and analytics schemas;
* ``{{today}}`` — the snapshot date (Beijing time) as a DATE literal;
* a few function macros for what MariaDB/MySQL and SQLite spell differently:
  ``{{date_key(d)}}`` (YYYYMMDD integer), ``{{year(d)}}``, ``{{month(d)}}``, ``{{day(d)}}``,
  ``{{weekday(d)}}`` (1 = Monday … 7 = Sunday), ``{{add_days(d, n)}}``, ``{{days_between(a, b)}}``,
  ``{{year_start(y)}}``, ``{{year_end(y)}}``, ``{{concat(a, b, …)}}``, ``{{pad2(n)}}``.

Everything else is SQL both accept: no ``WITH`` at the top (a CREATE TABLE … AS takes the
SELECT as written), no ``||`` (MySQL's OR), integer division only through CASE.
"""
from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

MODELS_DIR = Path(__file__).resolve().parent

REBUILD = "rebuild"          # full rebuild into <name>__new, then swap
APPEND_DAILY = "append_daily"  # that day's rows deleted and inserted again, history kept


@dataclass(frozen=True)
class Model:
    name: str
    kind: str                      # "dimension" | "fact"
    description: str
    grain: str
    deps: tuple[str, ...] = ()     # upstream models (built first); () → only the operational tables
    indexes: tuple[tuple[str, ...], ...] = ()
    mode: str = REBUILD
    must_have_rows: bool = False   # an empty table is an error (not just a warning)
    has_agency: bool = True        # carries agency_code (row-level security in Superset)
    pii_scan: bool = False         # check that no value looks like an ID or a mobile number

    @property
    def path(self) -> Path:
        return MODELS_DIR / f"{self.name}.sql"

    def sql(self) -> str:
        """The model's SELECT (placeholders not yet rendered)."""
        return self.path.read_text(encoding="utf-8")


MODELS: tuple[Model, ...] = (
    Model("dim_agency", "dimension",
          "存档机构维度：机构、级别、上级机构、所在市州与区县（行政区划）",
          "one row per agency (agency.code)",
          indexes=(("agency_code",), ("prefecture_agency_code",), ("region_code",)),
          must_have_rows=True),
    Model("dim_date", "dimension",
          "日期维度：覆盖业务数据的日历（年、季、月、日、星期，中文标签）",
          "one row per calendar day, 1 January of the earliest business date's year (not before 1949) "
          "to 31 December of the snapshot year",
          indexes=(("date_key",), ("full_date",), ("year", "month")),
          must_have_rows=True, has_agency=False),
    Model("dim_unit", "dimension",
          "单位维度：单位基础信息与立户情况（不含联系电话、联系人）",
          "one row per unit (unit.id)",
          indexes=(("unit_key",), ("agency_code",), ("uscc",))),
    Model("dim_person", "dimension",
          "人员维度（脱敏）：姓氏加*、出生年份与年龄段、性别、民族、学历、政治面貌、委托方式、档案状态等；"
          "不含身份证号、电话、全名",
          "one row per person record (person.id)",
          deps=("dim_unit",),
          indexes=(("person_key",), ("agency_code",), ("agency_code", "archive_status")),
          pii_scan=True),
    Model("fact_archive_stock", "fact",
          "档案库存日快照：每天每个机构按档案状态、委托方式的在档人数（按日追加，保留历史）",
          "snapshot_date × agency_code × archive_status × entrust_mode",
          deps=("dim_agency", "dim_date"),
          indexes=(("snapshot_date_key", "agency_code"), ("agency_code",)),
          mode=APPEND_DAILY),
    Model("fact_business_event", "fact",
          "业务事件：转入、转出、借阅、归还、查阅、政审考察、开具证明、材料利用、集体户迁入迁出、户籍卡借用、"
          "党组织关系转入转出，每个事件一行",
          "one row per business event (source_table, source_id, event_type)",
          deps=("dim_agency", "dim_date", "dim_person"),
          indexes=(("agency_code", "date_key"), ("event_type",), ("person_key",))),
    Model("fact_party_dues", "fact",
          "党费交纳：每笔缴费的金额、所属期、缴费标准",
          "one row per dues payment (party_dues_payment.id)",
          deps=("dim_agency", "dim_date", "dim_person"),
          indexes=(("agency_code", "date_key"), ("person_key",))),
    Model("fact_dq_run", "fact",
          "数据质量：每次流水线运行每个机构的输入行数、记录数、隔离、重复、修复、待核实、完整率、有效率",
          "one row per pipeline run × agency (dq_run_stat)",
          deps=("dim_agency", "dim_date"),
          indexes=(("agency_code", "run_date_key"), ("run_id",))),
    Model("fact_review_backlog", "fact",
          "数据核实积压：审核队列按机构、工作表、字段、问题类别、状态的事项数与最早日期",
          "agency_code × sheet × field × category × status (dq_review_item)",
          deps=("dim_agency",),
          indexes=(("agency_code", "status"),)),
    # -- the dashboards' aggregates (issue 15): each chart reads one of these, a few thousand rows at most
    Model("fact_stock_monthly", "fact",
          "档案存量月末数：近十年每月每个机构的月末在档数及当月接收、转出数",
          "agency_code × month (120 months up to the snapshot month)",
          deps=("dim_agency", "dim_date"),
          indexes=(("agency_code", "year_month_key"), ("year_month_key",))),
    Model("fact_business_monthly", "fact",
          "业务经办月汇总：每个机构每月各类业务事件数",
          "agency_code × month × event_type",
          deps=("dim_agency", "fact_business_event"),
          indexes=(("agency_code", "year_month_key"), ("event_type",))),
    Model("fact_transfer_deadline", "fact",
          "转递时限：每笔转出（调档函→转出、转出→回执）与转入（接收→上架）对照期限的办理结果",
          "one row per transfer × stage (转出/回执 of archive_transfer_out, 上架 of archive_transfer_in)",
          deps=("dim_agency",),
          indexes=(("agency_code", "start_month_key"), ("stage", "result"))),
    Model("fact_transfer_deadline_monthly", "fact",
          "转递时限月汇总：每个机构每个环节每个起算月份各办理结果的笔数（看板读它）",
          "agency_code × stage × start month × result",
          deps=("dim_agency", "fact_transfer_deadline"),
          indexes=(("agency_code", "start_month_key"), ("stage",))),
    Model("fact_party_dues_monthly", "fact",
          "党费交纳月汇总：每个机构每月交纳笔数与金额（看板读它）",
          "agency_code × month paid",
          deps=("dim_agency", "fact_party_dues"),
          indexes=(("agency_code", "year_month_key"),)),
    Model("fact_person_structure", "fact",
          "人员结构：每个机构按档案状态、性别、年龄段、学历、单位行业的人数",
          "agency_code × archive_status × sex × age_band × education_level × industry",
          deps=("dim_agency", "dim_person"),
          indexes=(("agency_code",),)),
    Model("fact_party_member", "fact",
          "流动党员：在册党员的党员类型、党费交至日期、欠缴月数与近12个月缴费额",
          "one row per party member in the register (party_member.id, status 在册)",
          deps=("dim_agency",),
          indexes=(("agency_code",), ("dues_state",))),
    Model("fact_dq_repair", "fact",
          "数据修复：每次运行每个机构按修复规则、字段、依据数据的修复数（自动修复或转人工核实）",
          "run_id × agency_code × rule × field × feed × outcome (dq_repair_log)",
          deps=("dim_agency",),
          indexes=(("agency_code", "run_id"), ("rule",))),
)

BY_NAME: dict[str, Model] = {m.name: m for m in MODELS}


def get(name: str) -> Model:
    try:
        return BY_NAME[name]
    except KeyError:
        raise KeyError(f"未知的分析模型：{name}（可选：{', '.join(BY_NAME)}）") from None


def build_order(names=None) -> list[Model]:
    """The models (all, or `names` and nothing else) with every model after its upstream models."""
    wanted = set(BY_NAME) if names is None else {get(n).name for n in names}
    ordered, done = [], set()

    def visit(m: Model, trail=()):
        if m.name in done:
            return
        if m.name in trail:
            raise ValueError(f"分析模型依赖成环：{' → '.join((*trail, m.name))}")
        for d in m.deps:
            visit(get(d), (*trail, m.name))
        done.add(m.name)
        if m.name in wanted:
            ordered.append(m)

    for m in MODELS:
        visit(m)
    return ordered


__all__ = ["APPEND_DAILY", "BY_NAME", "MODELS", "Model", "REBUILD", "build_order", "get"]
