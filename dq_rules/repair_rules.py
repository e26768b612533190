"""Repair rules against the outside feeds (外部数据修复规则): names, confidences and thresholds as data.

The mechanisms live in ``pipelines/cleaning/repair/``; this module only says *how sure* each rule is and
*where the lines are*, so that a data-quality owner can tighten a rule without reading the code.

A proposal is applied by itself when its rule's confidence is at least ``APPLY_MIN_CONFIDENCE`` and the
rule is not a review rule; everything else goes to the review queue (待核实) with its candidates.
"""
from __future__ import annotations

#: A proposed change is applied when its confidence is at least this.
APPLY_MIN_CONFIDENCE = 0.90

# ---------------------------------------------------------------------------------------------------------
# Rule names (the `rule` column of the repair log / review queue) with their confidence.
# Rules whose confidence is below APPLY_MIN_CONFIDENCE never apply by themselves.

RULES: dict[str, dict] = {
    # 公民身份号码 (公安)
    "id_typo_police": {"confidence": 0.99, "feed": "police_population",
                       "text": "身份证号码校验码错误；唯一一个一位之差的候选号码在公安数据中姓名、出生日期一致"},
    "id_typo_police_no_birth": {"confidence": 0.95, "feed": "police_population",
                                "text": "身份证号码校验码错误；唯一候选号码在公安数据中姓名、性别一致（采集表无出生日期）"},
    "id_typo_police_former_name": {"confidence": 0.92, "feed": "police_population",
                                   "text": "身份证号码校验码错误；唯一候选号码在公安数据中曾用名、出生日期一致"},
    "id_typo_review": {"confidence": 0.0, "feed": "police_population",
                       "text": "身份证号码校验码错误，公安数据无法唯一确认正确号码"},
    # 姓名 (公安)
    "name_variant_police": {"confidence": 0.99, "feed": "police_population",
                            "text": "姓名与公安数据只差繁简体或间隔号写法"},
    "name_homophone_police": {"confidence": 0.95, "feed": "police_population",
                              "text": "姓名与公安数据读音相同（同音字），出生日期、性别一致"},
    "name_is_former_name": {"confidence": 0.0, "feed": "police_population",
                            "text": "姓名是公安数据中的曾用名，保留并记录"},
    "name_mismatch_review": {"confidence": 0.0, "feed": "police_population",
                             "text": "姓名与公安数据不一致"},
    # 姓名 of an ID the 公安 data lacks: against 社保 / 教育 (not the name authority: differences go to review)
    "name_variant_feed": {"confidence": 0.95, "feed": "social_security",
                          "text": "公安数据无此身份证号码；姓名与社保/教育数据只差繁简体或间隔号写法"},
    "name_mismatch_feed": {"confidence": 0.0, "feed": "social_security",
                           "text": "公安数据无此身份证号码；姓名与社保/教育数据不一致，请核实"},
    # 出生日期 (from the valid ID)
    "birth_date_from_id": {"confidence": 0.99, "feed": None,
                           "text": "出生日期只有年月或日期不存在，按身份证号码补正"},
    "birth_date_review": {"confidence": 0.0, "feed": None,
                          "text": "出生日期只有年月或日期不存在，且与身份证号码不符或号码无效"},
    # 工作单位 / 单位统一社会信用代码 (工商, 社保)
    "employer_by_uscc": {"confidence": 0.99, "feed": "business_registry",
                         "text": "统一社会信用代码有效且已登记，单位名称取工商登记的现名称"},
    "employer_exact_variant": {"confidence": 0.99, "feed": "business_registry",
                               "text": "单位名称与工商登记名称只差括号全半角、空格或标点"},
    "employer_former_name": {"confidence": 0.97, "feed": "business_registry",
                             "text": "单位名称是工商登记的曾用名，改为现名称"},
    "employer_key_match": {"confidence": 0.95, "feed": "business_registry",
                           "text": "单位名称去掉组织形式（有限公司等）后与唯一一家登记企业相同"},
    "employer_typo_match": {"confidence": 0.92, "feed": "business_registry",
                            "text": "单位名称与唯一一家登记企业只差一两个字，且与其他企业明显不同"},
    "employer_abbrev_match": {"confidence": 0.92, "feed": "business_registry",
                              "text": "单位名称是唯一一家登记企业的简称"},
    "employer_social_tiebreak": {"confidence": 0.95, "feed": "social_security",
                                 "text": "单位名称有多个登记企业可能，社保参保单位是其中之一"},
    "employer_person_tiebreak": {"confidence": 0.93, "feed": "business_registry",
                                 "text": "工作经历的当前单位有多个登记企业可能，基本信息的工作单位是其中之一"},
    "employer_ambiguous_review": {"confidence": 0.0, "feed": "business_registry",
                                  "text": "单位名称对应多个登记企业，无法唯一确定"},
    "employer_uscc_conflict_review": {"confidence": 0.0, "feed": "business_registry",
                                      "text": "统一社会信用代码对应的登记企业与单位名称明显不是同一家"},
    "employer_deregistered_note": {"confidence": 0.0, "feed": "business_registry",
                                   "text": "工作单位在工商登记中已注销、吊销或迁出（记录备查）"},
    "employer_from_social": {"confidence": 0.97, "feed": "social_security",
                             "text": "工作单位为空，取社保参保单位（契约规则8）"},
    "uscc_from_social": {"confidence": 0.97, "feed": "social_security",
                         "text": "工作单位为空，统一社会信用代码取社保参保单位的代码"},
    "employer_social_differs_review": {"confidence": 0.0, "feed": "social_security",
                                       "text": "采集表的工作单位与社保参保单位不是同一家（可能已换工作，契约规则8）"},
    "uscc_typo_registry": {"confidence": 0.98, "feed": "business_registry",
                           "text": "统一社会信用代码校验码错误；一位之差的登记代码与单位名称一致"},
    "uscc_legacy_by_name": {"confidence": 0.95, "feed": "business_registry",
                            "text": "旧15位工商注册号，按单位名称唯一确定的登记企业改为其统一社会信用代码"},
    "uscc_review": {"confidence": 0.0, "feed": "business_registry",
                    "text": "统一社会信用代码无效或为旧注册号，单位名称不能唯一确定登记企业"},
    # 教育
    "graduation_date_from_education": {"confidence": 0.97, "feed": "education",
                                       "text": "毕业时间只有年月，教育数据中院校、专业、学历一致的记录给出完整日期"},
    "graduation_date_review": {"confidence": 0.0, "feed": "education",
                               "text": "毕业时间只有年月，教育数据无法唯一确定"},
    "study_date_from_education": {"confidence": 0.95, "feed": "education",
                                  "text": "学习经历日期只有年月或日期不存在，教育数据中同一院校、学历的记录给出完整日期"},
    "study_fill_from_education": {"confidence": 0.93, "feed": "education",
                                  "text": "学习经历的专业或学位为空，教育数据中同一院校、学历的记录有值"},
    "study_row_from_education": {"confidence": 0.93, "feed": "education",
                                 "text": "学习经历为空，按教育数据补入学历记录"},
    "study_row_missing_review": {"confidence": 0.0, "feed": "education",
                                 "text": "教育数据有一条学历记录，采集表学习经历中没有"},
    "study_contradiction_review": {"confidence": 0.0, "feed": "education",
                                   "text": "学习经历与教育数据矛盾"},
    # 社保 (person-table status fields, not form fields)
    "status_from_social": {"confidence": 0.99, "feed": "social_security",
                           "text": "就业状态、参保状态取社保数据"},
}

# ---------------------------------------------------------------------------------------------------------
# ID numbers

#: At most this many candidates are listed in a review item.
MAX_REVIEW_CANDIDATES = 10

# ---------------------------------------------------------------------------------------------------------
# Employer names (工商)

#: Legal-form words removed from a company name to get its comparison key (longest first; brackets are
#: already dropped, so 合伙企业（有限合伙） reads 合伙企业有限合伙).
LEGAL_FORMS = ("股份有限公司", "有限责任公司", "股份合作公司", "有限公司", "股份公司", "合伙企业有限合伙",
               "合伙企业普通合伙", "有限合伙", "普通合伙", "合伙企业", "个人独资企业")
#: Suffixes that make a company a branch (a branch is its own company, contract rule 8).
BRANCH_MARKERS = ("分公司", "分厂", "分店", "分行", "支行", "营业部", "营业所", "办事处", "分部", "分所",
                  "分社", "分中心", "分院")
#: Typo rule (weighted Levenshtein distance of the keys: a substitution by a character of the same
#: reading — pypinyin, tones ignored: the usual slip of a pinyin input method — costs HOMOPHONE_COST,
#: any other edit 1): the best company is at most TYPO_MAX_COST_SHORT away (TYPO_MAX_COST_LONG for keys of
#: TYPO_LONG_KEY_CHARS or more characters) …
HOMOPHONE_COST = 0.5
#: … and a legal form that contradicts the company's (有限公司 typed for 有限责任公司) costs this.
LEGAL_FORM_MISMATCH_COST = 1.0
#: … and region words in another place or spelling (黔润（贵州）科技 for 贵州黔润科技) cost this.
REORDER_COST = 1.0
TYPO_MAX_COST_SHORT = 1.0
TYPO_MAX_COST_LONG = 2.0
TYPO_LONG_KEY_CHARS = 14
TYPO_MIN_KEY_CHARS = 5         # shorter keys are never corrected by edit distance
#: … and every other company at least TYPO_MIN_MARGIN further away (the clear margin).
TYPO_MIN_MARGIN = 1.0
#: Raw edit distance within which competitors are looked for (short / long keys).
TYPO_SEARCH_EDITS_SHORT = 2
TYPO_SEARCH_EDITS_LONG = 3
#: Abbreviation rule: the abbreviation covers at least this share of the company's core name.
ABBREV_MIN_COVERAGE = 0.4
ABBREV_MIN_CHARS = 2
#: Several companies containing the abbreviation: the one it follows in the fewest contiguous pieces wins
#: when every other needs at least this many more pieces (else review).
ABBREV_MIN_PIECE_MARGIN = 1
#: Organisation words an abbreviation leaves out (not counted when comparing how tightly it fits).
ORG_WORDS = ("集团", "控股", "股份", "总公司")
#: With a valid, registered USCC the registry decides the name when the form name is a variant of the
#: company's name: `fuzz.ratio` of the keys at least this, or an abbreviation, or a match by the rules above.
VARIANT_MIN_RATIO = 75.0
#: Blocking for the typo rule: candidates share a bigram of the query's key with it; a bigram held by more
#: name entries than this (区域词, 行业词: 贵州, 科技 …) is not used when rarer ones exist.
BLOCK_MAX_POSTING = 2000

#: Region words besides Guizhou's divisions (seeds/data/divisions.csv): the country and the other
#: provincial-level divisions, in the short form company names use.
EXTRA_REGION_WORDS = ("中国", "北京", "天津", "上海", "重庆", "河北", "山西", "内蒙古", "辽宁", "吉林", "黑龙江",
                      "江苏", "浙江", "安徽", "福建", "江西", "山东", "河南", "湖北", "湖南", "广东", "广西", "海南",
                      "四川", "云南", "西藏", "陕西", "甘肃", "青海", "宁夏", "新疆", "香港", "澳门", "台湾")

#: Fuzzy name matching is spread over worker processes when at least this many distinct names need it.
PARALLEL_MIN_NAMES = 4000

#: 登记状态 of a company that no longer exists here (its name is kept; the log notes it).
DEREGISTERED_STATUSES = ("注销", "吊销", "迁出")

#: 社保 rows whose 参保单位 may fill an empty 工作单位 (rule 8): the person is employed there.
SOCIAL_EMPLOYED_STATUSES = ("就业",)
SOCIAL_ACTIVE_INSURED = ("参保缴费", "暂停缴费")

# ---------------------------------------------------------------------------------------------------------
# Education

#: 最高学历 / 学习经历.学历 → the education feed's 学历层次 values it may correspond to.
LEVEL_TO_FEED = {
    "研究生": ("博士研究生", "硕士研究生"),
    "大学本科": ("本科",),
    "大学专科": ("专科",),
}
#: Add study rows from the feed when the person has no study rows at all (else: review).
ADD_STUDY_ROWS_WHEN_EMPTY = True


def confidence(rule: str) -> float:
    return float(RULES[rule]["confidence"])


def feed_of(rule: str) -> str | None:
    return RULES[rule]["feed"]


def text(rule: str) -> str:
    return RULES[rule]["text"]
