"""The PII keys against the database: key check at start, and online key rotation (密钥轮换)."""
from __future__ import annotations

from dataclasses import dataclass
from typing import Callable, Iterator

from sqlalchemy import Engine, MetaData, Table, and_, select, update
from sqlalchemy.exc import IntegrityError

from ..config import ConfigError, Settings
from ..models.base import now_utc
from ..models.keys import PiiKey
from .codec import PREFIX, PiiCodec
from .keyring import load_keyring, write_keyring


def codec_from_settings(settings: Settings) -> PiiCodec:
    """The codec for the configured key file; the embedded default creates its key once."""
    keyring = load_keyring(settings.pii_key_file, create=not settings.pii_key_file_explicit)
    return PiiCodec(keyring)


def verify_keys(engine: Engine, codec: PiiCodec, *, register: bool = True) -> None:
    """Fail clearly if the key file does not fit the database; register keys first seen.

    Raises ConfigError naming the key, instead of letting a wrong key surface
    later as unreadable values.
    """
    try:
        _verify_and_register(engine, codec, register)
    except IntegrityError:
        # Another process (a pipeline worker) registered the same key at the same moment: check against
        # what it wrote instead of failing.
        _verify_and_register(engine, codec, register=False)


def _verify_and_register(engine: Engine, codec: PiiCodec, register: bool) -> None:
    keyring = codec.keyring
    with engine.begin() as conn:
        known = {row.kid: row for row in conn.execute(select(PiiKey.__table__))}
        # Data keys first: a missing data key is the more telling message.
        for kid, row in sorted(known.items(), key=lambda kv: kv[0] == "index"):
            have = kid == "index" or kid in keyring.keys
            if not have:
                if row.retired_at is None:
                    raise ConfigError(f"数据库中的个人信息以密钥 {kid} 加密，但密钥文件中没有该密钥；"
                                      "请使用正确的 ARCHIVES_PII_KEY_FILE")
                continue
            if codec.fingerprint(kid) != row.fingerprint:
                raise ConfigError(f"密钥文件中的密钥 {kid} 与数据库登记的不符（密钥文件错误或被替换）；"
                                  "请使用正确的 ARCHIVES_PII_KEY_FILE")
        if register:
            for kid in ["index", *keyring.keys]:
                if kid not in known:
                    conn.execute(PiiKey.__table__.insert().values(
                        kid=kid, fingerprint=codec.fingerprint(kid), created_at=now_utc()))


@dataclass(frozen=True)
class PiiColumn:
    table: Table
    column: str
    kind: str


def pii_columns(metadata: MetaData) -> Iterator[PiiColumn]:
    """Every encrypted column of the schema, found by its `info['pii']` mark."""
    for table in metadata.sorted_tables:
        for column in table.columns:
            if "pii" in column.info:
                yield PiiColumn(table, column.name, column.info["pii"])


def rotate_key(engine: Engine, settings: Settings, metadata: MetaData, *, batch: int = 1000,
               progress: Callable[[str, int], None] | None = None) -> dict[str, int]:
    """Make a new active key and re-encrypt every value under it, online.

    The old key stays in the file (marked retired) so that readers keep
    working throughout; each row is rewritten with a compare-and-set on its
    old ciphertext, so a value a user saves meanwhile is never overwritten.
    Blind indexes do not change (their key is separate).
    """
    old = codec_from_settings(settings)
    verify_keys(engine, old)
    new_keyring = old.keyring.with_new_active_key()
    write_keyring(settings.pii_key_file, new_keyring)
    codec = PiiCodec(new_keyring)
    verify_keys(engine, codec)
    active_prefix = f"{PREFIX}.{new_keyring.active}.%"
    counts: dict[str, int] = {}
    for pc in pii_columns(metadata):
        col = pc.table.c[pc.column]
        pk = next(iter(pc.table.primary_key.columns))
        done, last = 0, None
        while True:
            cond = and_(col.is_not(None), col.not_like(active_prefix))
            if last is not None:
                cond = and_(cond, pk > last)
            with engine.begin() as conn:
                rows = conn.execute(select(pk, col).where(cond).order_by(pk).limit(batch)).all()
                for key, token in rows:
                    conn.execute(update(pc.table).where(pk == key, col == token)
                                 .values({pc.column: codec.reencrypt(pc.kind, token)}))
            if not rows:
                break
            last = rows[-1][0]
            done += len(rows)
            if progress:
                progress(f"{pc.table.name}.{pc.column}", done)
        counts[f"{pc.table.name}.{pc.column}"] = done
    with engine.begin() as conn:
        conn.execute(update(PiiKey.__table__)
                     .where(PiiKey.kid.in_(new_keyring.retired), PiiKey.retired_at.is_(None))
                     .values(retired_at=now_utc()))
    return counts
