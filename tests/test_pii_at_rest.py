"""Personal data at rest (issue 13, defect 1): after `archives ingest` (with its reports, runs recorded on the
configured Dagster instance) no file under the var dir holds a synthetic 公民身份号码 (18-digit, lower-case x,
15-digit form) or 联系电话 in clear, and every file is 0600, every folder 0700; `archives export` writes
0600 files in 0700 folders.

Columnar files (Parquet, Arrow IPC/Feather, found by their magic bytes whatever their name) are read
through pyarrow and their decoded values scanned — their compression hides plaintext from a byte scan;
every other file (the SQLite databases included) is scanned as bytes decoded as UTF-8 and as GB18030.
Landing and feeds lie outside the var dir. Both databases (`engine` fixture)."""
from __future__ import annotations

import os
import re
import stat
import unicodedata
from pathlib import Path

import pandas as pd
import pytest

ID, PHONE = "公民身份号码", "联系电话"


@pytest.fixture(scope="module")
def generated(tmp_path_factory):
    from synth.generate import generate

    out = tmp_path_factory.mktemp("pii-gen")
    generate(persons=300, seed=13, out=out, progress=False)
    agencies = sorted(p.name for p in (out / "landing").iterdir() if p.is_dir())
    return out, agencies[:2]


def _needles(truth: Path) -> set[str]:
    """Every synthetic ID (18-digit, with lower-case x, the 15-digit form) and phone number (as written and
    as digits only), plus the dirty IDs and phones the generator wrote into the forms."""
    persons = pd.read_parquet(truth / "persons.parquet")
    ids = {v for v in persons[ID].dropna() if len(v) == 18}
    out = ids | {v.lower() for v in ids} | {v[:6] + v[8:17] for v in ids}
    phones = {v for v in persons[PHONE].dropna() if v}
    out |= phones | {re.sub(r"\D", "", v) for v in phones}
    errors = pd.read_parquet(truth / "errors.parquet")
    for v in errors.loc[errors["field"].isin([ID, PHONE]), "dirty"].dropna():
        v = _compact(unicodedata.normalize("NFKC", str(v))).strip()
        if len(re.sub(r"\D", "", v)) >= 11 and re.fullmatch(r"[0-9Xx-]+", v):
            out.add(v)
    assert len(ids) >= 250 and len(phones) >= 100  # the scan looks for something real
    return out


_RUN = re.compile(r"[0-9Xx][0-9Xx-]{9,}")


def _compact(text: str) -> str:
    """Spaces between digits removed (an ID typed as `5201 0219…` is still an ID in clear)."""
    return re.sub(r"(?<=[0-9])[ \u3000\t]+(?=[0-9Xx])", "", text)


def _hits(text: str, needles: set[str], lengths: list[int]) -> set[str]:
    text = unicodedata.normalize("NFKC", text)
    found = set()
    for variant in {text, _compact(text)}:
        for run in _RUN.findall(variant):
            for form in {run, run.replace("-", "")}:
                for n in lengths:
                    for i in range(0, len(form) - n + 1):
                        if form[i:i + n] in needles:
                            found.add(form[i:i + n])
    return found


def _columnar_text(path: Path) -> str | None:
    """The decoded values of a Parquet or Arrow file as text (None when the file is neither)."""
    import pyarrow as pa
    import pyarrow.parquet as pq

    with open(path, "rb") as fh:
        head = fh.read(8)
    if head[:4] == b"PAR1":
        table = pq.read_table(path)
    elif head[:6] == b"ARROW1":
        table = pa.ipc.open_file(pa.memory_map(str(path))).read_all()
    elif head[:4] == b"\xff\xff\xff\xff":
        table = pa.ipc.open_stream(pa.memory_map(str(path))).read_all()
    else:
        return None
    parts = [" ".join(table.column_names)]
    for column in table.columns:
        parts.append("\n".join("" if v is None else str(v) for v in column.to_pylist()))
    return "\n".join(parts)


def scan(root: Path, needles: set[str]) -> dict[str, set[str]]:
    """{file under root: the needles it holds in clear}."""
    lengths = sorted({len(n) for n in needles})
    found = {}
    for path in sorted(p for p in root.rglob("*") if p.is_file()):
        text = _columnar_text(path)
        if text is not None:
            hits = _hits(text, needles, lengths)
        else:
            data = path.read_bytes()
            hits = _hits(data.decode("utf-8", "ignore"), needles, lengths) | \
                _hits(data.decode("gb18030", "ignore"), needles, lengths)
        if hits:
            found[str(path.relative_to(root))] = hits
    return found


def loose_modes(root: Path) -> list[str]:
    """Files not 0600 and folders not 0700 under root (root included)."""
    bad = []
    for path in [root, *root.rglob("*")]:
        mode = stat.S_IMODE(path.lstat().st_mode)
        want = 0o700 if path.is_dir() else 0o600
        if not path.is_symlink() and mode != want:
            bad.append(f"{path.relative_to(root)} {oct(mode)}")
    return bad


@pytest.fixture
def var_env(engine, tmp_path, monkeypatch):
    """The var dir is the test's tmp dir: on SQLite the operational database (and the analytics database
    beside it) lie in it; the key file, the work dir, the reports and DAGSTER_HOME take their defaults
    under it."""
    from seeds.loader import load_reference_data

    load_reference_data(engine)
    for name in ("ARCHIVES_DW_DATABASE", "ARCHIVES_DW_PATH", "ARCHIVES_PII_KEY_FILE", "ARCHIVES_WORK_DIR",
                 "ARCHIVES_LANDING_DIR", "ARCHIVES_FEEDS_DIR", "ARCHIVES_FEEDS_URL", "ARCHIVES_REPORTS_DIR",
                 "DAGSTER_HOME", "ARCHIVES_DAGSTER_MYSQL_URL"):
        monkeypatch.delenv(name, raising=False)
    monkeypatch.setenv("DATABASE_URL", engine.url.render_as_string(hide_password=False))
    monkeypatch.setenv("ARCHIVES_VAR_DIR", str(tmp_path))
    os.chmod(tmp_path, 0o700)
    yield tmp_path
    from pipelines import analytics

    target = analytics.target_for(engine, {})
    if target.dialect == "mysql":
        with engine.connect() as conn:
            conn.exec_driver_sql(f"DROP DATABASE IF EXISTS {target.dw}")


def test_nothing_under_the_var_dir_holds_an_id_or_phone_in_clear_after_an_ingest(generated, var_env):
    from archives_cli.ingest import run_ingest

    out, agencies = generated
    old = os.umask(0o022)  # the usual umask: anything left to it comes out world-readable
    try:
        summary = run_ingest(out / "landing", out / "feeds", agencies, use_instance=True, progress=False,
                             workers=1)
    finally:
        os.umask(old)
    assert not summary["failed"], summary["errors"]
    assert summary["rows"]["loaded"] > 0 and summary["reports"]["gx_success"] is not None
    var = var_env
    # the run left its layers, reports and Dagster storage here: the scan has something to look at
    assert list((var / "pipeline" / "layers" / "raw").rglob("*")) and (var / "reports" / "index.html").exists()
    assert (var / "dagster").is_dir()
    needles = _needles(out / "truth")
    assert scan(var, needles) == {}
    assert loose_modes(var) == []


def test_the_scan_finds_plaintext_in_columnar_and_other_files(tmp_path):
    """The scanner itself: an lz4-compressed Arrow file and a Parquet file with an ID, a GB18030 text with a
    full-width phone, a spaced ID in a log; a clean file is not reported."""
    import pyarrow as pa
    import pyarrow.feather as feather
    import pyarrow.parquet as pq

    needles = {"52010219900101123X", "13800001234"}
    table = pa.table({"x": ["甲", "id 52010219900101123X 乙" * 50]})
    feather.write_feather(table, tmp_path / "a.bin", compression="lz4")
    pq.write_table(table, tmp_path / "b.dat", compression="zstd")
    (tmp_path / "c.txt").write_bytes("电话 １３８００００１２３４".encode("gb18030"))
    (tmp_path / "d.log").write_text("id=5201 0219 9001 0112 3X\n", encoding="utf-8")
    (tmp_path / "e.txt").write_text("nothing here 520102********123X", encoding="utf-8")
    assert scan(tmp_path, needles) == {"a.bin": {"52010219900101123X"}, "b.dat": {"52010219900101123X"},
                                       "c.txt": {"13800001234"}, "d.log": {"52010219900101123X"}}


def test_export_files_are_private(generated, var_env, tmp_path):
    from click.testing import CliRunner

    from archives_cli.ingest import run_ingest
    from archives_cli.main import cli

    out, agencies = generated
    summary = run_ingest(out / "landing", out / "feeds", agencies[:1], progress=False, workers=1,
                         analytics=False)
    assert not summary["failed"], summary["errors"]
    old = os.umask(0o022)
    try:
        for fmt in ("csv", "xlsx"):
            target = tmp_path / "exports" / fmt
            result = CliRunner().invoke(cli, ["export", "--out", str(target), "--format", fmt],
                                        catch_exceptions=False)
            assert result.exit_code == 0, result.output
            files = [p for p in target.rglob("*") if p.is_file()]
            assert any(p.name == "隔离.csv" for p in files) and len(files) >= 2
            assert loose_modes(target) == []
    finally:
        os.umask(old)


def _plain_layer(folder: Path, frame: pd.DataFrame) -> None:
    """A layer as the code before sealing wrote it: a plain Arrow IPC file behind the manifest."""
    import json

    import pyarrow as pa
    import pyarrow.feather as feather

    (folder / "g-old").mkdir(parents=True)
    feather.write_feather(pa.Table.from_pandas(frame, preserve_index=False), folder / "g-old" / "persons.arrow",
                          compression="lz4")
    (folder / "manifest.json").write_text(json.dumps({"generation": "g-old", "files": {"persons": "persons.arrow"}}))


def test_layers_written_before_sealing_are_sealed_and_read_back_the_same(tmp_path):
    from archives_domain.pii.keyring import generate_keyring
    from pipelines.io import read_frames, seal_plain_layers
    from pipelines.sealed import FileSealer, SealedFileError

    sealer = FileSealer(generate_keyring())
    frame = pd.DataFrame({ID: ["52010219900101123X", None], PHONE: ["13800001234", "0851-5551234"]},
                         dtype="str")
    folder = tmp_path / "layers" / "records" / "52000001"
    _plain_layer(folder, frame)
    needles = {"52010219900101123X", "13800001234"}
    assert scan(tmp_path, needles)  # the plain layer holds them
    assert seal_plain_layers(tmp_path / "layers", sealer) == [folder]
    assert scan(tmp_path, needles) == {} and not (folder / "g-old").exists()
    pd.testing.assert_frame_equal(read_frames(folder, sealer=sealer)["persons"], frame)
    assert loose_modes(folder) == []
    assert seal_plain_layers(tmp_path / "layers", sealer) == []  # sealed once
    # another key file cannot read it; an altered byte is refused
    (sealed,) = [p for p in folder.rglob("*.sm4")]
    with pytest.raises(SealedFileError):
        FileSealer(generate_keyring()).read(sealed)
    data = bytearray(sealed.read_bytes())
    data[len(data) // 2] ^= 1
    sealed.write_bytes(bytes(data))
    with pytest.raises(SealedFileError):
        sealer.read(sealed)


def test_check_samples_in_the_run_storage_are_masked(monkeypatch):
    """The pandera check's sample of failing cells (asset check metadata, kept in Dagster's run storage)
    shows IDs and phones masked, also an ID typed in another column."""
    import dq_rules.person_schema as schema
    from pipelines.assets.std import pandera_result

    failing = pd.DataFrame({"row": [0, 1, 2], "_file": ["a.xlsx"] * 3, "_row": [2, 3, 4],
                            "column": [ID, PHONE, "姓名"], "check": ["id"] * 3,
                            "failure_case": ["5201 0219 9001 0112 3X", "13800001234", "52010219900101123X"],
                            "explained": [False] * 3})
    monkeypatch.setattr(schema, "unexplained", lambda *a, **k: failing)
    sample = pandera_result(pd.DataFrame({"x": [1, 2, 3]})).metadata["sample"].value
    assert "a.xlsx" in sample and "520102********123X" in sample and "138****1234" in sample
    assert _hits(sample, {"52010219900101123X", "13800001234"}, [11, 18]) == set()
