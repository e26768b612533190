"""Superset's configuration for the archive system (read by Superset through SUPERSET_CONFIG_PATH).

Runs inside `.venv-superset` (Superset pins older SQLAlchemy/pandas than the main venv), so it imports
nothing of the archive packages: everything comes from the environment, set by `archives superset …`.
"""
import os
from pathlib import Path

_VAR = Path(os.environ.get("ARCHIVES_VAR_DIR", Path(__file__).resolve().parent.parent / "var"))


def _secret_key() -> str:
    value = os.environ.get("SUPERSET_SECRET_KEY")
    if value:
        return value
    key_file = os.environ.get("ARCHIVES_SUPERSET_SECRET_FILE")
    if key_file and Path(key_file).is_file():
        return Path(key_file).read_text(encoding="utf-8").strip()
    raise RuntimeError("Superset 密钥未配置：设置 SUPERSET_SECRET_KEY 或 ARCHIVES_SUPERSET_SECRET_FILE（archives superset 会生成）")


SECRET_KEY = _secret_key()
SQLALCHEMY_DATABASE_URI = os.environ.get(
    "ARCHIVES_SUPERSET_METADATA_URL", f"sqlite:///{_VAR / 'superset' / 'superset.db'}")
BABEL_DEFAULT_LOCALE = "zh"
LANGUAGES = {"zh": {"flag": "cn", "name": "简体中文"}, "en": {"flag": "us", "name": "English"}}

# -- 8. single sign-on (the app as OpenID Connect provider) -------------------------------------------------
# (EMBED helper's section: bi/superset_config_sso.py.) ARCHIVES_SUPERSET_SSO=0 keeps Superset's own DB login.
if os.environ.get("ARCHIVES_SUPERSET_SSO", "1") != "0":
    import sys as _sys
    _sys.path.insert(0, str(Path(__file__).resolve().parent))
    from superset_config_sso import *  # noqa: E402,F401,F403
