"""Layer files sealed with SM4-GCM under the PII key file (数据层文件加密).

Every layer file (`pipelines.io`) holds whole IDs and phone numbers — in the raw layer in any column a
form put them, in the working layers also inside `_issues` / `_changes` / repair-log text — so the whole
file is encrypted, not single columns: measured on 30,000 persons, sealing all layer files costs 1.2 CPU
seconds per run (117 MB), the PII codec per value (7.9 µs each, 5 layers × every sheet's ID and the
phone: 875,000 values) would cost ≈ 7 s and still miss the IDs in other columns (docs/pipeline.md,
"Personal data at rest").

File layout: ``MAGIC | len(kid) (1 byte) | kid | nonce (12) | ciphertext | tag (16)``; the header is the
associated data. The key is derived from the PII data key ``kid`` (HMAC-SM3 with a label of its own, so
that layer files and single values never share a key); a rotated key file keeps the old data keys, so
older layer files stay readable. Nothing is read or written at import time.
"""
from __future__ import annotations

import hmac
import os
from pathlib import Path

from cryptography.exceptions import InvalidTag
from cryptography.hazmat.primitives.ciphers import Cipher, algorithms, modes

from archives_domain.pii.keyring import Keyring
from archives_domain.private_files import open_private

MAGIC = b"GZSM4L1\n"
SUFFIX = ".sm4"
NONCE_BYTES, TAG_BYTES = 12, 16
CHUNK = 8 << 20  # bytes per cipher call: a bounded extra copy while writing and reading
_LABEL = b"archives pipeline layer file v1"


class SealedFileError(RuntimeError):
    """A sealed file cannot be read: not a sealed file, an unknown key id, or altered."""


class FileSealer:
    """Writes and reads sealed files with the keys of one key file."""

    def __init__(self, keyring: Keyring):
        self.keyring = keyring
        self._derived: dict[str, bytes] = {}

    def _key(self, kid: str) -> bytes:
        if kid not in self._derived:
            try:
                data_key = self.keyring.key(kid)
            except KeyError:
                raise SealedFileError(f"数据层文件使用的密钥 {kid} 不在密钥文件中（ARCHIVES_PII_KEY_FILE）") from None
            self._derived[kid] = hmac.new(data_key, _LABEL, "sm3").digest()[:16]
        return self._derived[kid]

    def write(self, path: Path, data) -> None:
        """Write `data` (bytes-like, e.g. a `pyarrow.Buffer`) sealed to `path`, mode 0600."""
        kid = self.keyring.active
        nonce = os.urandom(NONCE_BYTES)
        header = MAGIC + bytes([len(kid)]) + kid.encode("ascii") + nonce
        enc = Cipher(algorithms.SM4(self._key(kid)), modes.GCM(nonce)).encryptor()
        enc.authenticate_additional_data(header)
        view = memoryview(data).cast("B")
        with open_private(path) as fh:
            fh.write(header)
            for start in range(0, len(view), CHUNK):
                fh.write(enc.update(view[start:start + CHUNK]))
            fh.write(enc.finalize())
            fh.write(enc.tag)

    def read(self, path: Path) -> bytearray:
        """The plain content of the sealed file `path` (the tag checked before it is returned)."""
        size = path.stat().st_size
        with open(path, "rb") as fh:
            magic = fh.read(len(MAGIC))
            kid_len = fh.read(1)
            if magic != MAGIC or not kid_len:
                raise SealedFileError(f"{path} 不是加密的数据层文件")
            kid = fh.read(kid_len[0]).decode("ascii")
            nonce = fh.read(NONCE_BYTES)
            header = magic + kid_len + kid.encode("ascii") + nonce
            body = size - len(header) - TAG_BYTES
            if body < 0:
                raise SealedFileError(f"{path} 不完整")
            dec = Cipher(algorithms.SM4(self._key(kid)), modes.GCM(nonce)).decryptor()
            dec.authenticate_additional_data(header)
            out = bytearray(body + 16)  # update_into wants room for one block beyond the input
            view, done = memoryview(out), 0
            while done < body:
                chunk = fh.read(min(CHUNK, body - done))
                if not chunk:
                    raise SealedFileError(f"{path} 不完整")
                done += dec.update_into(chunk, view[done:done + len(chunk) + 15])
            tag = fh.read(TAG_BYTES)
        try:
            dec.finalize_with_tag(tag)
        except (InvalidTag, ValueError):
            raise SealedFileError(f"{path} 无法解密（密钥不符或文件被改动）") from None
        del view
        del out[body:]
        return out


_SEALERS: dict[tuple[str, bool], tuple[int, FileSealer]] = {}


def sealer_for_key_file(key_file: str | Path, explicit: bool) -> FileSealer:
    """The process's sealer of a key file, read again when the file changed (`archives db rotate-key`
    in a long-lived code server); the embedded default key file is created when missing, an explicitly
    configured one must exist (`load_keyring`)."""
    from archives_domain.pii.keyring import load_keyring

    path = Path(key_file)
    cache_key = (str(path), bool(explicit))
    stamp = path.stat().st_mtime_ns if path.exists() else -1
    kept = _SEALERS.get(cache_key)
    if kept is None or kept[0] != stamp:
        sealer = FileSealer(load_keyring(path, create=not explicit))
        _SEALERS[cache_key] = (path.stat().st_mtime_ns, sealer)
        return sealer
    return kept[1]
