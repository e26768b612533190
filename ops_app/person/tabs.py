"""The person page's tabs as data (附件 三.6: a tab that holds records is marked with its count), and what
the open tab shows. Only the open tab's rows are read; the marks come from one count statement
(`person_pages.tab_counts`), so the page costs the same at 943k persons as at 20."""
from __future__ import annotations

from dataclasses import dataclass

from archives_domain.business import person_history, person_pages

from ..i18n import N_


@dataclass(frozen=True)
class Tab:
    key: str
    label: str
    kind: str  # basic | rows (editable list) | hukou | materials | history


TABS: tuple[Tab, ...] = (
    Tab("basic", N_("基础信息"), "basic"), Tab("study", N_("学习经历"), "rows"), Tab("work", N_("工作经历"), "rows"),
    Tab("title", N_("职称（职业资格）"), "rows"), Tab("family", N_("家庭成员及主要社会关系"), "rows"),
    Tab("hukou", N_("集体户口"), "hukou"), Tab("materials", N_("档案材料"), "materials"),
    Tab("history", N_("经办记录"), "history"),
)
BY_KEY = {t.key: t for t in TABS}
ROW_TABS = tuple(t.key for t in TABS if t.kind == "rows")
# Buttons of the person page (links.md): the owners of these modules build the pages.
BUTTONS = (
    (N_("档案转入"), "/transfer/in/new?person_id={id}", "btn-transfer-in"),
    (N_("档案转出"), "/transfer/out/new?person_id={id}", "btn-transfer-out"),
    (N_("档案借阅"), "/transfer/loan/new?person_id={id}", "btn-loan"),
    (N_("出具证明"), "/certificates/new?person_id={id}", "btn-certificate"),
    (N_("集体户口代理"), "/hukou/person/{id}", "btn-hukou"),
    (N_("档案材料"), "/materials/person/{id}", "btn-materials"),
)


def tab_of(key: str | None) -> Tab:
    return BY_KEY.get(key or "basic", BY_KEY["basic"])


def tab_rows(ctx, tab: Tab, person_id: int) -> list:
    """The open tab's records (nothing for 基础信息, which is the person row itself)."""
    if tab.kind == "rows":
        return person_pages.rows_of(ctx, person_pages.kind_of(tab.key), person_id)
    if tab.kind == "hukou":
        return person_pages.hukou_rows(ctx, person_id)
    if tab.kind == "materials":
        return person_pages.material_rows(ctx, person_id)
    if tab.kind == "history":
        return person_history.history(ctx, person_id)
    return []


HUKOU_COLUMNS = (("hukou_reg_no", N_("户籍编号")), ("settle_date", N_("落户时间")), ("move_reason", N_("迁户原因")),
                 ("out_date", N_("迁出时间")), ("out_address", N_("迁出地址")), ("status", N_("状态")))
MATERIAL_COLUMNS = (("category_code", N_("类别")), ("seq", N_("序号")), ("title", N_("材料名称")),
                    ("material_date", N_("形成时间")), ("pages", N_("页数")), ("stage", N_("环节")),
                    ("identify_result", N_("鉴别结论")), ("archived_date", N_("归档日期")))
