"""档案材料 (archives_domain.business.materials): the class data (ten classes, sub-classes of 4 and 9), the stage
rules (no 归档 before a 合格 鉴别, no 删除 after 归档), 类内序号 by 形成时间, the 目录 order, the optimistic lock,
scope and audit. On SQLite and MariaDB."""
from __future__ import annotations

import datetime as dt

import pytest
from sqlalchemy import select
from sqlalchemy.orm import Session

from archives_domain import audit as audit_chain
from archives_domain.business import material_classes, materials
from archives_domain.business.base import Actor, ConflictError, Context, FieldErrors, NotFound, Refused
from archives_domain.models import ArchiveMaterial, AuditLog
from biz_seed import COUNTY_B, ID_A, ID_B, add_person, seed_tree_and_users
from conftest import COUNTY, seed_agencies_and_users

D = dt.date


def test_class_data_has_the_ten_classes_and_the_sub_classes_of_four_and_nine():
    tops = material_classes.top_classes()
    assert [c.code for c in tops] == [str(i) for i in range(1, 11)]
    assert [c.name for c in tops] == [
        "履历材料", "自传和思想材料", "考核鉴定材料", "学历学位、专业技术职务（职称）、学术评鉴和教育培训材料",
        "政审、审计和审核材料", "党、团材料", "表彰奖励材料", "违规违纪违法处理处分材料",
        "工资、任免、出国和会议代表等材料", "其他可供组织参考的材料"]
    subs = {c.code: c.parent for c in material_classes.classes() if c.parent}
    assert subs == {f"{p}-{i}": p for p in ("4", "9") for i in range(1, 5)}
    assert material_classes.by_code()["4-1"].name == "学历学位材料"
    assert material_classes.by_code()["9-3"].name == "出国（境）审批材料"
    # a material is filed under a class without sub-classes or under a sub-class (never under 4 or 9 itself)
    assert material_classes.choice_codes() == ("1", "2", "3", "4-1", "4-2", "4-3", "4-4", "5", "6", "7", "8",
                                               "9-1", "9-2", "9-3", "9-4", "10")
    assert material_classes.by_code()["10"].label == "第十类 其他可供组织参考的材料"
    assert material_classes.order_key("10") > material_classes.order_key("9-4") > material_classes.order_key("2")


@pytest.fixture
def world(engine, codec, tmp_path):
    seed_agencies_and_users(engine, {"clerk1": ["档案经办人"]})
    seed_tree_and_users(engine, codec)
    with Session(engine) as s:
        a = add_person(s, codec, COUNTY, "NM1", "张三", ID_A)
        b = add_person(s, codec, COUNTY_B, "YY1", "李四", ID_B)
        s.commit()
        ids = {"a": a.id, "b": b.id}
    sessions = []

    def ctx(username="clerk1", scope=(COUNTY,)):
        s = Session(engine)
        sessions.append(s)
        return Context(s, Actor(username, COUNTY, frozenset(scope), display_name="李经办"),
                       audit_chain.audit_key(codec.keyring), codec, tmp_path / "var", today=D(2026, 12, 7))
    yield ids, ctx
    for s in sessions:
        s.close()


ROWS = [
    {"title": "高等学校毕业生登记表", "category_code": "4-1", "material_date": "2012-06-30", "pages": "4",
     "copies": "1", "received_date": "2026-12-01"},
    {"title": "干部履历表", "category_code": "1", "material_date": "2015-03-01", "pages": "6"},
    {"title": "学士学位证书复印件", "category_code": "4-1", "material_date": "2012-07-01", "pages": "1"},
    {"title": "", "category_code": "", "received_date": "2026-12-01", "handler": "李经办"},  # an empty row
    {"title": "年度考核登记表", "category_code": "3", "material_date": "2020-12-20", "pages": "2",
     "is_supplement": "1", "remarks": "补充"},
]


def test_collect_identify_archive_and_the_catalogue_in_standard_order(world):
    ids, ctx = world
    c = ctx()
    added = materials.collect(c, ids["a"], ROWS)
    assert [m.title for m in added] == ["高等学校毕业生登记表", "干部履历表", "学士学位证书复印件", "年度考核登记表"]
    assert all(m.stage == "收集" and m.agency_code == COUNTY for m in added)
    assert added[3].is_supplement and not added[0].is_supplement
    by = {m.title: m.id for m in added}
    # 鉴别 (batch), then 归档 in an order unlike 形成时间: the 序号 still follow 形成时间 within each class
    done = materials.identify(ctx(), list(by.values()), {"identify_result": "合格归档"})
    assert {m.identified_by for m in done} == {"李经办"} and {m.identified_date for m in done} == {D(2026, 12, 7)}
    materials.archive(ctx(), [by["学士学位证书复印件"]], {"archived_date": "2026-12-08"})
    materials.archive(ctx(), [by["高等学校毕业生登记表"], by["干部履历表"], by["年度考核登记表"]], {})
    person, secs, rest = materials.catalogue(ctx(), ids["a"])
    assert rest == [] and person.archive_no == "NM1"
    assert [s.label for s in secs] == ["第一类 履历材料", "第三类 考核鉴定材料",
                                       "第四类 学历学位、专业技术职务（职称）、学术评鉴和教育培训材料"]
    rows = materials.catalogue_rows(secs)
    assert [(r["类号"], r["序号"], r["材料名称"]) for r in rows] == [
        ("1", 1, "干部履历表"), ("3", 1, "年度考核登记表"), ("4-1", 1, "高等学校毕业生登记表"),
        ("4-1", 2, "学士学位证书复印件")]
    assert rows[2]["材料形成时间"] == "2012.06.30" and rows[2]["页数"] == 4 and rows[1]["备注"] == "补充"
    # a late-filed older paper takes its place in its class: 序号 renumbered by 形成时间
    late = materials.collect(ctx(), ids["a"], [{"title": "高中毕业生登记表", "category_code": "4-1",
                                                "material_date": "2008-06-30"}])[0]
    materials.identify(ctx(), [late.id], {"identify_result": "合格归档", "identified_by": "王科长"})
    materials.archive(ctx(), [late.id], {})
    _, secs, _ = materials.catalogue(ctx(), ids["a"])
    assert [(r["序号"], r["材料名称"]) for r in materials.catalogue_rows(secs) if r["类号"] == "4-1"] == [
        (1, "高中毕业生登记表"), (2, "高等学校毕业生登记表"), (3, "学士学位证书复印件")]
    assert materials.supplements_by_day(ctx(), D(2026, 12, 1), D(2026, 12, 31)) == []  # 年度考核: no 收到日期
    materials.collect(ctx(), ids["a"], [{"title": "职称证书", "category_code": "4-2", "is_supplement": "1",
                                         "received_date": "2026-12-05"},
                                        {"title": "奖状", "category_code": "7", "received_date": "2026-12-05"}])
    assert materials.supplements_by_day(ctx(), D(2026, 12, 1), D(2026, 12, 31)) == [(D(2026, 12, 5), 1)]
    assert materials.count_for_person(ctx(), ids["a"]) == 7
    s = ctx().session
    entries = s.scalars(select(AuditLog).where(AuditLog.object_type == "archive_material")
                        .order_by(AuditLog.id)).all()
    assert [e.action for e in entries].count("收集") == 7 and [e.action for e in entries].count("归档") == 5
    assert "补充材料" in next(e.summary for e in entries if "年度考核" in e.summary)
    last = [e for e in entries if e.action == "归档"][-1]
    assert last.before_data and '"stage": "鉴别"' in last.before_data and '"seq": 1' in last.after_data


def test_stage_rules_no_archive_before_a_pass_no_delete_after_archive(world):
    ids, ctx = world
    a, b, c = materials.collect(ctx(), ids["a"], [{"title": "甲", "category_code": "7"},
                                                  {"title": "乙", "category_code": "8"},
                                                  {"title": "丙"}])  # no class: collected, never archived
    with pytest.raises(Refused, match="尚未鉴别"):
        materials.archive(ctx(), [a.id], {})
    materials.identify(ctx(), [b.id], {"identify_result": "退回补充"})
    with pytest.raises(Refused) as exc:  # every refusal named at once, nothing written
        materials.archive(ctx(), [a.id, b.id], {})
    assert "“甲”尚未鉴别" in exc.value.message and "“乙”的鉴别结论为“退回补充”" in exc.value.message
    materials.identify(ctx(), [b.id, c.id], {"identify_result": "合格归档"})  # made good: identified again
    with pytest.raises(Refused, match="未选择类别"):
        materials.archive(ctx(), [c.id], {})
    with pytest.raises(FieldErrors) as fe:
        materials.archive(ctx(), [b.id], {"archived_date": "2026-12-01"})  # before the 鉴别日期 2026-12-07
    assert "归档日期" in fe.value.errors["archived_date"]
    materials.archive(ctx(), [b.id], {})
    with pytest.raises(Refused, match="已归档，不能删除"):
        materials.delete(ctx(), b.id)
    with pytest.raises(Refused, match="已归档，不能鉴别"):
        materials.identify(ctx(), [b.id], {"identify_result": "不予归档"})
    with pytest.raises(FieldErrors, match="鉴别结论"):
        materials.identify(ctx(), [a.id], {})
    materials.delete(ctx(), a.id)  # before 归档: allowed
    s = ctx().session
    assert s.get(ArchiveMaterial, a.id) is None and s.get(ArchiveMaterial, b.id).stage == "归档"
    with pytest.raises(FieldErrors, match="已归档的材料须有类别"):
        materials.edit(ctx(), b.id, {"title": "乙", "category_code": ""})


def test_bad_input_names_every_field_and_row(world):
    ids, ctx = world
    with pytest.raises(FieldErrors) as exc:
        materials.collect(ctx(), ids["a"], [{"title": "甲", "category_code": "4", "material_date": "2023-02-30"},
                                            {"title": "乙", "pages": "三页", "received_date": "2026/13/01"}])
    e = exc.value.errors
    assert set(e) == {"rows-0-category_code", "rows-0-material_date", "rows-1-pages", "rows-1-received_date"}
    assert e["rows-0-material_date"].startswith("第 1 行 形成时间：2023-02-30 不是有效日期")
    assert e["rows-1-pages"].startswith("第 2 行 页数：三页")
    with pytest.raises(materials.BusinessError, match="没有填写任何材料"):
        materials.collect(ctx(), ids["a"], [{"title": "", "received_date": "2026-12-01"}])
    with pytest.raises(FieldErrors, match="鉴别结论"):
        materials.identify(ctx(), [1], {"identify_result": "通过"})


def test_another_agency_is_not_found_and_the_lock_names_the_other_editor(world):
    ids, ctx = world
    with pytest.raises(NotFound):
        materials.collect(ctx(), ids["b"], [{"title": "甲", "category_code": "1"}])
    theirs = materials.collect(ctx("clerkb", (COUNTY_B,)), ids["b"], [{"title": "乙", "category_code": "1"}])[0]
    for call in (lambda c: materials.identify(c, [theirs.id], {"identify_result": "合格归档"}),
                 lambda c: materials.edit(c, theirs.id, {"title": "改"}), lambda c: materials.delete(c, theirs.id),
                 lambda c: materials.catalogue(c, ids["b"])):
        with pytest.raises(NotFound):
            call(ctx())
    m = materials.collect(ctx(), ids["a"], [{"title": "干部履历表", "category_code": "1", "pages": "6"}])[0]
    original = {"title": "干部履历表", "pages": "6", "remarks": ""}
    materials.edit(ctx("clerk3"), m.id, {"title": "干部履历表", "category_code": "1", "pages": "8"}, 1, original)
    with pytest.raises(ConflictError) as exc:
        materials.edit(ctx(), m.id, {"title": "干部履历表（正本）", "category_code": "1", "pages": "6"}, 1, original)
    assert "clerk3" in exc.value.message and exc.value.changed == ["页数"]
    with pytest.raises(ConflictError):  # a batch from a stale list too
        materials.identify(ctx(), [m.id], {"identify_result": "合格归档"}, versions={m.id: 1})
    # the pending lists of the agency: only this agency's, waiting for 鉴别
    from archives_domain.paging import PageRequest
    page, total, persons = materials.pending(ctx(), "identify", PageRequest(size=10))
    assert [x.id for x in page.rows] == [m.id] and total == (1, True) and persons[m.person_id].name == "张三"
