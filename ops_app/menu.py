"""The module tree of the requirement (附件 一/二/三), as data.

Source of each branch in the requirement's 附件:
  工作台 — 三、1 (常用功能, 已办业务, 通知公告, 业务经办统计, 待办事项 are its panels, not menu items);
  个人快捷受理 — 二、1–5, 9 and 三、4, 7 (个人信息管理 → 基础信息; 可办业务 → 档案转入, 档案转出,
      集体户口代理; 档案材料管理 with 补充材料; 出具相关证明);
  单位管理 — 一、1;  流动党员管理 — 一、3;  档案转递 — 三、2;
  库房管理 — 一、4 (二、6 calls it 档案库房; 政审考察 is part of 档案查阅);
  数字化档案管理 — 一、5;  综合统计 — 三、3 and 二、8 (数据概览 and 报表统计 merged; the text calls
      自定义查询 a 3rd-level module without naming its parent, so it sits beside them);
  系统管理 — 一、6.
A node with no endpoint is a module that later issues build: it is shown
greyed out with the tooltip 建设中 — never hidden, never a placeholder page.
`key` is the stable identifier the permission tree (用户权限) will grant on.
"""
from __future__ import annotations

from dataclasses import dataclass, field
from typing import Iterator

UNDER_CONSTRUCTION = "建设中"


@dataclass(frozen=True)
class MenuNode:
    key: str
    label: str
    children: tuple["MenuNode", ...] = ()
    endpoint: str | None = None  # Flask endpoint of a built module; None: not yet built
    icon: str | None = None
    aliases: tuple[str, ...] = field(default=())

    @property
    def enabled(self) -> bool:
        return self.endpoint is not None or any(c.enabled for c in self.children)

    @property
    def label_en(self) -> str:
        return EN_LABELS.get(self.key, self.label)

    def label_for(self, locale: str) -> str:
        """The label in `locale` (zh is the default; en from EN_LABELS)."""
        return self.label_en if locale == "en" else self.label

    def walk(self, level: int = 1) -> Iterator[tuple[int, "MenuNode"]]:
        yield level, self
        for child in self.children:
            yield from child.walk(level + 1)


def _n(key, label, *children, endpoint=None, icon=None, aliases=()):
    return MenuNode(key, label, tuple(children), endpoint, icon, tuple(aliases))


MENU: tuple[MenuNode, ...] = (
    _n("workbench", "工作台", endpoint="WorkbenchView.index", icon="fa-home"),
    _n("personal", "个人快捷受理",
       _n("personal.info", "个人信息管理", _n("personal.info.basic", "基础信息", endpoint="PersonView.list"),
          _n("personal.info.review", "待核实", endpoint="ReviewView.queue")),
       _n("personal.business", "可办业务",
          _n("personal.business.transfer_in", "档案转入", endpoint="TransferInView.list"),
          _n("personal.business.transfer_out", "档案转出", endpoint="PersonalTransferOutView.list"),
          _n("personal.business.hukou", "集体户口代理", endpoint="HukouView.list")),
       _n("personal.materials", "档案材料管理", endpoint="MaterialsView.index", aliases=("补充材料",)),
       _n("personal.certificate", "出具相关证明", endpoint="CertificateView.list"),
       icon="fa-user"),
    _n("unit", "单位管理",
       _n("unit.basic", "单位基础信息"),
       _n("unit.account", "单位立户信息",
          _n("unit.account.staff", "单位员工"),
          _n("unit.account.charts", "数据图表")),
       icon="fa-building"),
    _n("party", "流动党员管理",
       _n("party.member", "流动党员基础信息"),
       _n("party.dues", "党费交纳"),
       _n("party.transfer", "组织关系转接"),
       icon="fa-flag"),
    _n("transfer", "档案转递",
       _n("transfer.out", "档案转出", _n("transfer.out.notice", "转递通知单", endpoint="TransferNoticeView.list"),
          endpoint="TransferOutView.list"),
       _n("transfer.loan", "档案借阅", _n("transfer.loan.notice", "借阅告知单", endpoint="LoanNoticeView.list"),
          endpoint="LoanView.list"),
       icon="fa-exchange"),
    _n("warehouse", "库房管理",
       _n("warehouse.consult", "档案查阅", aliases=("政审考察",)),
       _n("warehouse.material_use", "材料利用"),
       _n("warehouse.inventory", "库存管理"),
       _n("warehouse.smart", "智能库房",
          _n("warehouse.smart.stocktake", "电子化盘库"),
          _n("warehouse.smart.monitor", "安全监控")),
       icon="fa-archive", aliases=("档案库房",)),
    _n("digital", "数字化档案管理",
       _n("digital.view", "图像查阅"),
       _n("digital.upload", "图像上传",
          _n("digital.upload.process", "图像处理"),
          _n("digital.upload.log", "操作日志")),
       icon="fa-image"),
    _n("stats", "综合统计",
       _n("stats.archive", "档案信息统计", endpoint="StatsArchiveView.index"),
       # 数据概览 (/bi/overview, the embedded dashboards) is the node's page; it links to 报表统计
       # (StatsReportView.index, /stats/reports) and back
       _n("stats.overview", "数据概览与报表统计", endpoint="BiView.overview", aliases=("数据概览", "报表统计")),
       _n("stats.custom", "自定义查询", endpoint="StatsCustomView.index"),
       icon="fa-bar-chart"),
    _n("system", "系统管理",
       _n("system.agency", "存档机构管理", endpoint="AgencyAdminView.list"),
       _n("system.user", "用户管理", endpoint="UserAdminView.list"),
       _n("system.group", "用户组", endpoint="GroupAdminView.list"),
       _n("system.notice", "通知公告", endpoint="NoticeView.list"),
       _n("system.permission", "用户权限", endpoint="PermissionTreeView.index"),
       _n("system.log", "系统日志", endpoint="AuditLogView.index"),
       icon="fa-cogs"),
)


# English labels (shown when the user switches the language to English); every node has one.
EN_LABELS: dict[str, str] = {
    "workbench": "Workbench",
    "personal": "Personal Services", "personal.info": "Personal Information", "personal.info.basic": "Basic Data",
    "personal.info.review": "Data to Verify",
    "personal.business": "Services", "personal.business.transfer_in": "Archive Transfer In",
    "personal.business.transfer_out": "Archive Transfer Out", "personal.business.hukou": "Collective Hukou Agency",
    "personal.materials": "Archive Materials", "personal.certificate": "Certificates",
    "unit": "Employers", "unit.basic": "Employer Data", "unit.account": "Employer Accounts",
    "unit.account.staff": "Employees", "unit.account.charts": "Charts",
    "party": "Floating Party Members", "party.member": "Party Member Data", "party.dues": "Party Dues",
    "party.transfer": "Party Membership Transfer",
    "transfer": "Archive Transfer", "transfer.out": "Transfer Out", "transfer.out.notice": "Transfer Notices",
    "transfer.loan": "Archive Loans", "transfer.loan.notice": "Loan Notices",
    "warehouse": "Archive Storage", "warehouse.consult": "Archive Consultation",
    "warehouse.material_use": "Material Use", "warehouse.inventory": "Inventory",
    "warehouse.smart": "Smart Storage", "warehouse.smart.stocktake": "Electronic Stocktake",
    "warehouse.smart.monitor": "Security Monitoring",
    "digital": "Digital Archives", "digital.view": "Image Viewing", "digital.upload": "Image Upload",
    "digital.upload.process": "Image Processing", "digital.upload.log": "Operation Log",
    "stats": "Statistics", "stats.archive": "Archive Statistics", "stats.overview": "Overview and Reports",
    "stats.custom": "Custom Queries",
    "system": "System Administration", "system.agency": "Archive Agencies", "system.user": "Users", "system.group": "User Groups",
    "system.notice": "Notices", "system.permission": "User Permissions", "system.log": "System Log",
}


def by_key() -> dict[str, MenuNode]:
    return {node.key: node for top in MENU for _, node in top.walk()}
