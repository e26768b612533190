"""Personal-data protection: SM4-GCM codec, blind index, masking, key checks, rotation."""
from __future__ import annotations

import datetime as dt
import json
import os

import pytest
import sqlalchemy as sa
from sqlalchemy.orm import Session

from archives_domain.config import ConfigError, Settings
from archives_domain.models import (Agency, Base, CollectiveHukou, HukouDependent, MaterialUse, Person, Unit,
                                    UnitAccount)
from archives_domain.pii import PiiCodec, PiiKeyError, mask_id, mask_phone
from archives_domain.pii.keyring import generate_keyring, load_keyring, write_keyring
from archives_domain.pii.store import codec_from_settings, pii_columns, rotate_key, verify_keys

ID = "52010219900307123X"
ID2 = "520103198512310027"
PHONE = "13812345678"


def _agency(session):
    session.add(Agency(code="52000001", name="贵州省人才大市场", level="省级", region_code="520000"))
    session.flush()


def _person(session, codec, archive_no="A0001", id_number=ID, phone=PHONE):
    p = Person(agency_code="52000001", archive_no=archive_no, name="张三", birth_date=dt.date(1990, 3, 7))
    codec.set(p, "id_number", id_number)
    codec.set(p, "phone", phone)
    session.add(p)
    session.flush()
    return p


def test_round_trip_and_fresh_nonce(codec):
    a, b = codec.encrypt("id_number", ID), codec.encrypt("id_number", ID)
    assert a != b  # equal plaintexts give different ciphertexts
    assert codec.decrypt("id_number", a) == ID == codec.decrypt("id_number", b)
    assert ID not in a and "1990" not in a
    assert codec.encrypt("id_number", None) is None and codec.decrypt("id_number", None) is None


def test_normalisation_before_encrypt_and_index(codec):
    lower = "52010219900307123x"
    assert codec.decrypt("id_number", codec.encrypt("id_number", " " + lower)) == ID
    assert codec.blind_index("id_number", lower) == codec.blind_index("id_number", ID)
    assert codec.blind_index("phone", PHONE) != codec.blind_index("id_number", PHONE)


def test_token_bound_to_its_kind(codec):
    token = codec.encrypt("id_number", ID)
    with pytest.raises(PiiKeyError):
        codec.decrypt("phone", token)


def test_tampered_token_is_rejected(codec):
    token = codec.encrypt("phone", PHONE)
    flipped = token[:-3] + ("A" if token[-3] != "A" else "B") + token[-2:]
    with pytest.raises(PiiKeyError):
        codec.decrypt("phone", flipped)


def test_wrong_key_is_a_clear_error(codec):
    other = PiiCodec(generate_keyring())
    other.keyring.keys = {codec.keyring.active: other.keyring.keys[other.keyring.active]}
    other.keyring.active = codec.keyring.active
    with pytest.raises(PiiKeyError, match="密钥"):
        other.decrypt("id_number", codec.encrypt("id_number", ID))


def test_unknown_key_id_is_a_clear_error(codec):
    with pytest.raises(PiiKeyError, match="不在密钥文件中"):
        PiiCodec(generate_keyring()).decrypt("id_number", codec.encrypt("id_number", ID))


def test_masks():
    assert mask_id(ID) == "520102********123X"
    assert mask_phone(PHONE) == "138****5678"
    assert mask_phone("0851-86812345") == "0851-****2345"


def test_display_masks_unless_permitted(codec):
    p = Person(agency_code="52000001", archive_no="A1")
    codec.set(p, "id_number", ID)
    assert codec.display(p, "id_number", full=False) == "520102********123X"
    assert codec.display(p, "id_number", full=True) == ID


def test_default_key_file_created_once_with_mode_0600(tmp_path):
    s = Settings.from_env({"ARCHIVES_VAR_DIR": str(tmp_path)})
    first = codec_from_settings(s)
    assert oct(os.stat(s.pii_key_file).st_mode & 0o777) == "0o600"
    assert codec_from_settings(s).keyring.keys == first.keyring.keys


def test_missing_explicit_key_file_is_an_error(tmp_path):
    s = Settings.from_env({"ARCHIVES_VAR_DIR": str(tmp_path),
                           "ARCHIVES_PII_KEY_FILE": str(tmp_path / "nope.json")})
    with pytest.raises(ConfigError, match="找不到个人信息密钥文件"):
        codec_from_settings(s)
    assert not (tmp_path / "nope.json").exists()


def test_world_readable_or_malformed_key_file_is_an_error(tmp_path):
    path = tmp_path / "k.json"
    write_keyring(path, generate_keyring())
    os.chmod(path, 0o644)
    with pytest.raises(ConfigError, match="chmod 600"):
        load_keyring(path, create=False)
    os.chmod(path, 0o600)
    doc = json.loads(path.read_text())
    doc["keys"][doc["active"]] = "abcd"
    path.write_text(json.dumps(doc))
    with pytest.raises(ConfigError, match="128 位"):
        load_keyring(path, create=False)


def test_blind_index_lookup_finds_the_row(engine, codec):
    with Session(engine) as s:
        _agency(s)
        _person(s, codec, "A1", ID)
        _person(s, codec, "A2", ID2, "13900001111")
        s.commit()
        found = s.scalars(sa.select(Person).where(codec.lookup(Person, "id_number", ID.lower()))).all()
        assert [p.archive_no for p in found] == ["A1"]
        assert codec.get(found[0], "phone") == PHONE


def test_key_file_checked_against_database(engine, settings, tmp_path):
    codec = codec_from_settings(settings)
    verify_keys(engine, codec)  # first use registers the keys
    verify_keys(engine, codec)
    wrong = tmp_path / "wrong.json"
    kr = generate_keyring()
    kr.keys = {codec.keyring.active: kr.keys[kr.active]}
    kr.active = codec.keyring.active
    write_keyring(wrong, kr)
    with pytest.raises(ConfigError, match="不符"):
        verify_keys(engine, PiiCodec(load_keyring(wrong, create=False)))
    with pytest.raises(ConfigError, match="没有该密钥"):
        verify_keys(engine, PiiCodec(generate_keyring()))


def _all_text_values(engine):
    with engine.connect() as conn:
        for table in Base.metadata.sorted_tables:
            cols = [c for c in table.columns if isinstance(c.type, (sa.String, sa.Text))]
            if not cols:
                continue
            for row in conn.execute(sa.select(*cols)):
                for value in row:
                    if value:
                        yield table.name, value


def test_no_plaintext_id_or_phone_anywhere_after_writes(engine, codec):
    with Session(engine) as s:
        _agency(s)
        p = _person(s, codec)
        unit = Unit(agency_code="52000001", name="贵州某某科技有限公司")
        codec.set(unit, "phone", "0851-86812345")
        s.add(unit)
        s.flush()
        acct = UnitAccount(agency_code="52000001", account_no="L001", unit_id=unit.id)
        codec.set(acct, "phone", "13700002222")
        use = MaterialUse(agency_code="52000001", person_id=p.id, user_name="李四")
        codec.set(use, "user_id_number", ID2)
        hukou = CollectiveHukou(agency_code="52000001", person_id=p.id, hukou_reg_no="H001")
        s.add_all([acct, use, hukou])
        s.flush()
        child = HukouDependent(agency_code="52000001", collective_hukou_id=hukou.id, name="张小")
        codec.set(child, "id_number", "520102201501011234")
        s.add(child)
        s.commit()
    secrets = [ID, ID.lower(), ID2, PHONE, "86812345", "13700002222", "520102201501011234"]
    values = list(_all_text_values(engine))
    assert len(values) > 10
    for table, value in values:
        for secret in secrets:
            assert secret not in str(value), f"{secret} in plain text in {table}"


def test_every_pii_column_is_found_by_schema_walk():
    found = {(c.table.name, c.column) for c in pii_columns(Base.metadata)}
    assert {("person", "id_number_enc"), ("person", "phone_enc"), ("material_use", "user_id_number_enc"),
            ("hukou_dependent", "id_number_enc"), ("unit", "phone_enc")} <= found
    for table, column in found:
        name = column.removesuffix("_enc")
        bidx = Base.metadata.tables[table].c.get(f"{name}_bidx")
        kind = Base.metadata.tables[table].c[column].info["pii"]
        assert kind == "text" or bidx is not None, f"{table}.{name} has no blind index"


def test_rotate_key_reencrypts_online_and_keeps_lookups(engine, settings):
    codec = codec_from_settings(settings)
    verify_keys(engine, codec)
    with Session(engine) as s:
        _agency(s)
        for i in range(25):
            _person(s, codec, f"A{i:03d}", ID if i == 7 else f"5201021990030{i:04d}"[:17] + "0",
                    f"1380000{i:04d}")
        s.commit()
    old_kid = codec.keyring.active
    counts = rotate_key(engine, settings, Base.metadata, batch=10)
    assert counts["person.id_number_enc"] == 25 and counts["person.phone_enc"] == 25
    new = codec_from_settings(settings)
    assert new.keyring.active != old_kid and old_kid in new.keyring.keys
    with Session(engine) as s:
        people = s.scalars(sa.select(Person).order_by(Person.archive_no)).all()
        assert all(PiiCodec.key_id(p.id_number_enc) == new.keyring.active for p in people)
        assert [new.get(p, "phone") for p in people] == [f"1380000{i:04d}" for i in range(25)]
        hit = s.scalars(sa.select(Person).where(new.lookup(Person, "id_number", ID))).one()
        assert hit.archive_no == "A007"
    verify_keys(engine, new)
    with engine.connect() as conn:
        retired = conn.execute(sa.text("select retired_at from pii_key where kid = :k"), {"k": old_kid}).scalar()
    assert retired is not None
    # A second rotation with nothing left under old keys is quick and still consistent.
    rotate_key(engine, settings, Base.metadata)
    verify_keys(engine, codec_from_settings(settings))


def test_optimistic_lock_rejects_stale_update(engine, codec):
    from sqlalchemy.orm.exc import StaleDataError
    with Session(engine) as s:
        _agency(s)
        pid = _person(s, codec).id
        s.commit()
    with Session(engine) as a, Session(engine) as b:
        pa, pb = a.get(Person, pid), b.get(Person, pid)
        pa.name = "张三丰"
        a.commit()
        assert pa.version == 2
        pb.name = "张三四"
        with pytest.raises(StaleDataError):
            b.commit()


def test_two_processes_registering_the_key_at_once_both_go_on(engine, codec):
    """Pipeline workers start side by side on a fresh database: the second to register the same key finds
    it registered by the first (its INSERT collides) and checks against it instead of failing."""
    from archives_domain.db import make_engine

    other = make_engine(engine.url.render_as_string(hide_password=False))
    raced = []

    def register_first(conn, cursor, statement, params, context, executemany):
        if not raced and statement.lstrip().upper().startswith("INSERT INTO PII_KEY"):
            raced.append(True)
            verify_keys(other, codec)  # the other worker wins the race

    sa.event.listen(engine, "before_cursor_execute", register_first)
    try:
        verify_keys(engine, codec)
    finally:
        sa.event.remove(engine, "before_cursor_execute", register_first)
        other.dispose()
    assert raced
    with engine.connect() as conn:
        kids = sorted(conn.execute(sa.text("select kid from pii_key")).scalars())
    assert kids == sorted(["index", *codec.keyring.keys])
