"""业务历史的规则与比例 (rates, seasons, growth, names) of the synthetic ten-year business history, as data.

Rates are per person (or per member, per household) and per ten years in custody unless said otherwise;
`synth.history_events` scales them by each person's years in custody. Volumes measured at 20k persons, ×47 for
943k (≈): 0.97M 转入, 60k 转出, 320k 借阅, 430k 查阅/政审, 335k 材料利用, 430k 证明, 2.4M 档案材料, 50k 集体户,
410k 户籍卡借用, 73k 党员 with 2.1M 党费 — about 7.7M rows, 3.6M business events.
"""
from __future__ import annotations

import datetime as dt

CREATED_BY = "synth-history"          # every row the history writes; a rerun deletes exactly these
HANDLERS = ("张敏", "李娜", "王芳", "刘洋", "陈静", "杨帆", "赵磊", "黄丽", "周强", "吴婷")

# --- time shape -----------------------------------------------------------------------------------------------
MONTH_WEIGHT = (0.75, 0.7, 1.0, 1.05, 1.05, 1.1, 1.15, 1.1, 1.05, 1.0, 1.0, 0.95)  # Jan … Dec, all business
TRANSFER_MONTH_WEIGHT = (0.7, 0.6, 0.9, 0.9, 0.95, 1.6, 2.0, 1.9, 1.5, 0.95, 0.9, 0.85)  # 毕业季 Jun–Sep
GROWTH_PER_YEAR = 0.07                # business grows ~7 % a year
SPRING_FESTIVAL = {                   # 春节 (正月初一): business drops to SPRING_DIP for ±7 days around it
    2016: (2, 8), 2017: (1, 28), 2018: (2, 16), 2019: (2, 5), 2020: (1, 25), 2021: (2, 12), 2022: (2, 1),
    2023: (1, 22), 2024: (2, 10), 2025: (1, 29), 2026: (2, 17), 2027: (2, 6), 2028: (1, 26), 2029: (2, 13),
    2030: (2, 3),
}
SPRING_DIP, SPRING_DAYS = 0.25, 7
WEEKEND_WEIGHT = 0.15                 # clerks rarely work on Saturdays and Sundays


def window(today: dt.date, years: int) -> tuple[dt.date, dt.date]:
    """The history's days: 1 January `years` years back … yesterday (Beijing time's today given)."""
    return dt.date(today.year - years, 1, 1), today - dt.timedelta(days=1)


# --- per-person event rates (per ten years in custody) ----------------------------------------------------------
RATES = {
    "reentry": 0.08,          # share of persons (received ≥ 400 days into the window) with an earlier 转入/转出
    "loan": 0.35,             # 借阅
    "loan_late": 0.10,        # share of returned loans back after their due date
    "open_loan_overdue": 0.35,  # share of 借出 persons whose open loan is past due
    "consultation": 0.40,     # 档案查阅
    "political_review": 0.12,  # 政审考察
    "material_use": 0.40,     # 材料利用
    "certificate": 0.50,      # 证明
    "certificate_revoked": 0.02,
    "supplement": 1.2,        # 补充材料 after receipt (besides 1–2 materials received with the archive)
    "request_late": 0.15,     # 转出 sent more than 2 months after the 调档函
    "receipt_late": 0.10,     # 回执 more than a month after sending
    "receipt_missing": 0.10,  # no 回执
    "shelve_late": 0.05,      # 上架 more than 2 months after receipt
    "cross_province": 0.10,
    "card_loan": 3.0,         # 户籍卡借用 per collective household
    "past_household": 0.06,   # share of non-collective persons who had a collective household and moved out
    "org_out": 0.25,          # share of members (archive still here) whose 组织关系 moved to a new employer's party
    "dues_arrears": 0.12,     # share of members in 在册 who stopped paying 3–18 months ago
}
LOAN_DUE_DAYS = 30
CARD_DUE_DAYS = 15

# --- names and choices (value, weight) -------------------------------------------------------------------------
# only the kinds the app issues and prints (archives_domain.business.certificate_texts.KINDS)
CERT_KINDS = (("存档证明", 55), ("经历证明", 25), ("亲属关系证明", 20))
CERT_PURPOSES = ("办理入职手续", "报考公务员", "办理落户", "申请职称评审", "办理出国（境）手续", "办理社保业务")
CERT_NOTE = "合成演示数据（synth-history）：未签名，不能通过核验"
RECIPIENTS = ("贵阳市人力资源和社会保障局", "遵义市公安局", "贵州省教育厅", "中国建设银行贵州省分行", "贵州大学",
              "六盘水市人民医院", "安顺市财政局", "毕节市住房和城乡建设局")
TO_UNITS = ("贵州省人才交流服务中心", "遵义市人才服务中心", "重庆市人才交流服务中心", "广东省人才服务局",
            "贵州大学人事处", "中国电信贵州分公司人力资源部", "四川省人才交流中心", "毕节市公共就业和人才服务局")
OUT_REASONS = (("工作调动", 45), ("考录公务员", 15), ("事业单位招聘", 20), ("升学", 10), ("户籍迁移", 10))
IN_REASONS = (("就业报到", 50), ("人事代理", 25), ("调入", 15), ("失业登记", 10))
FROM_UNITS = ("贵州大学", "贵州师范大学", "贵州民族大学", "遵义医科大学", "原工作单位", "贵州省人才大市场")
ARCHIVE_KINDS = (("正式", 90), ("暂存", 7), ("预存", 3))
RECEIVE_MODES = (("机要通信", 70), ("专人送取", 20), ("本人携带", 8), ("其他", 2))
DELIVERY_MODES = (("机要通信", 85), ("专人送取", 12), ("其他", 3))
BORROWERS = ("贵阳市委组织部", "遵义市人力资源和社会保障局", "贵州省纪委监委", "中国移动贵州公司人力资源部",
             "贵州茅台酒股份有限公司人力资源部", "贵州省人民检察院政治部")
LOAN_REASONS = ("政审", "干部考察", "职称评审", "招录审核", "入党审查")
CONSULT_UNITS = BORROWERS + ("贵阳银行人力资源部", "贵州电网公司人事部")
CONSULT_REASONS = ("招聘考察", "干部任免", "学历核实", "工龄认定", "退休审批")
REVIEW_REASONS = ("公务员录用政审", "参军政审", "入党政审", "事业单位招聘政审")
READERS = ("刘建华", "王志强", "陈晓燕", "杨光", "李红梅", "张伟", "黄建军", "罗敏")
USE_MODES = (("复印", 45), ("摘抄", 15), ("查看", 25), ("出具证明", 15))
CARD_REASONS = ("办理护照", "子女入学", "办理身份证", "婚姻登记", "购房")
POLICE_STATIONS = ("中华南路派出所", "大营坡派出所", "河滨派出所", "观山湖派出所", "碧云派出所")
MOVE_REASONS = ("工作调动", "购房迁出", "投靠亲属")
PARTY_FROM = ("贵州大学党委", "原工作单位党组织", "户籍所在地社区党委", "贵州师范大学党委", "县委组织部")
# (category_code, title, years before receipt the material was made)
MATERIALS = (("1", "干部履历表", 1), ("4-1", "高等学校毕业生登记表", 0), ("4-1", "学籍档案", 2),
             ("3", "年度考核登记表", 1), ("6", "入党志愿书", 3), ("7", "奖励审批表", 1), ("9-1", "工资审批表", 0),
             ("9-2", "聘用合同", 0), ("4-2", "专业技术职务任职资格评审表", 0), ("10", "其他材料", 0))
# 党费 ratio by monthly salary base (元): (upper bound exclusive, ratio) — 《中国共产党党费收缴、使用和管理的规定》
DUES_RATIO = ((3000, 0.005), (5000, 0.01), (10000, 0.015), (10 ** 9, 0.02))
DUES_MONTHS = ((1, 10), (3, 50), (6, 25), (12, 15))  # months paid at a time (monthly … yearly), weight
SALARY_BASE = (2500, 12000)           # uniform range of members' salary base in the window's first year
