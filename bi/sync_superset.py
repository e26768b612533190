"""Superset-side applier of `archives superset sync` (runs in .venv-superset with Superset's app context).

    .venv-superset/bin/python bi/sync_superset.py SPEC.json

SPEC.json is written by `archives superset sync` (archives_domain/bi/superset_spec.py builds it) and holds
everything as data: the asset bundle folder, the analytics database URI, the role permission sets, the
per-agency scope roles with their RLS clauses, the users, the service account. Nothing of the archive
packages is imported here (Superset pins other library versions).

Idempotent: every step compares the wanted state with what is there and writes only differences, so a
second run changes no row. The bundle is imported only when its fingerprint (the files and the URI,
hashed) differs from the one recorded at the last import — Superset's importer rewrites rows (a
dashboard's chart links are deleted and inserted again) even when nothing changed.
Prints one JSON line: what changed, and the bundle's dashboards with their embedding UUIDs.
"""
from __future__ import annotations

import hashlib
import json
import sys
from pathlib import Path

import yaml

FINGERPRINT_ROLE_PREFIX = "archives_bundle_"   # a role whose name records the imported bundle's fingerprint


def main(spec_path: str) -> int:
    spec = json.loads(Path(spec_path).read_text(encoding="utf-8"))
    from superset.app import create_app
    app = create_app()
    with app.app_context():
        from superset import db
        changes: dict[str, int] = {}
        owner = _ensure_owner(spec, changes)
        from superset.utils.core import override_user
        with override_user(owner):
            _import_bundle(spec, changes)
            datasets = _rls_datasets(spec, changes)
            _ensure_roles(spec, changes)
            _ensure_scope_rules(spec, datasets, changes)
            _ensure_service(spec, changes)
            _ensure_users(spec, changes)
            dashboards = _ensure_embedded(spec, changes)
        db.session.commit()
    print(json.dumps({"changed": {k: v for k, v in changes.items() if v}, "dashboards": dashboards},
                     ensure_ascii=False))
    return 0


def _bump(changes: dict, key: str, n: int = 1) -> None:
    changes[key] = changes.get(key, 0) + n


# -- the asset bundle --------------------------------------------------------------------------------------
def _bundle_contents(spec: dict) -> dict[str, str]:
    root = Path(spec["bundle_dir"])
    contents = {}
    for path in sorted(root.rglob("*.yaml")):
        rel = path.relative_to(root).as_posix()
        text = path.read_text(encoding="utf-8")
        if rel.startswith("databases/"):
            config = yaml.safe_load(text)
            if config.get("uuid") == spec["database"]["uuid"]:
                config["sqlalchemy_uri"] = spec["database"]["uri"]
                text = yaml.safe_dump(config, allow_unicode=True, sort_keys=True)
        contents[rel] = text
    return contents


def _import_bundle(spec: dict, changes: dict) -> None:
    from superset import db, security_manager
    from superset.commands.importers.v1.assets import ImportAssetsCommand
    contents = _bundle_contents(spec)
    digest = hashlib.sha256(json.dumps(contents, sort_keys=True).encode()).hexdigest()[:32]
    marker = FINGERPRINT_ROLE_PREFIX + digest
    Role = security_manager.role_model
    olds = db.session.query(Role).filter(Role.name.like(FINGERPRINT_ROLE_PREFIX + "%")).all()
    if not spec.get("force") and [r.name for r in olds] == [marker]:
        return
    try:
        ImportAssetsCommand(contents).run()
    except Exception as exc:  # the importer hides the cause behind "unknown reason"
        cause = exc.__cause__ or exc
        import traceback
        traceback.print_exception(cause)
        raise SystemExit(f"资产包导入失败：{cause!r} {getattr(cause, 'normalized_messages', lambda: '')()}") from exc
    for r in olds:
        db.session.delete(r)
    db.session.add(Role(name=marker))
    db.session.flush()
    _bump(changes, "bundle_imported")


def _bundle_uuids(spec: dict, folder: str) -> list[str]:
    root = Path(spec["bundle_dir"]) / folder
    return sorted(str(yaml.safe_load(p.read_text(encoding="utf-8"))["uuid"]) for p in root.rglob("*.yaml"))


def _rls_datasets(spec: dict, changes: dict) -> list:
    """The datasets the scope rules bind to: the bundle's, plus a bare physical dataset for every other
    analytics table with agency_code — so that SQL Lab (RLS_IN_SQLLAB) filters those tables too.

    Each gets the database's default schema (`main` on SQLite, the analytics database on MySQL) in place
    of the bundle's null: Superset finds the RLS rules of a table in a SQL Lab query by its qualified
    name, and a dataset without schema would match no query — its rules would silently not apply."""
    from superset import db
    from superset.connectors.sqla.models import SqlaTable
    from superset.models.core import Database
    schema = spec["database"]["schema"]
    database = db.session.query(Database).filter_by(uuid=spec["database"]["uuid"]).one()
    tables = db.session.query(SqlaTable).filter(SqlaTable.database_id == database.id).all()
    by_name = {}
    for t in tables:
        if t.sql is None and t.schema in (None, "", schema):
            if t.schema != schema:
                t.schema = schema
                _bump(changes, "dataset_schema_set")
            by_name[t.table_name] = t
    for name in spec.get("rls_tables", []):
        if name not in by_name:
            table = SqlaTable(table_name=name, schema=schema, database=database)
            db.session.add(table)
            by_name[name] = table
            _bump(changes, "datasets_added")
    db.session.flush()
    wanted = set(_bundle_uuids(spec, "datasets")) | set(spec.get("rls_tables", []))
    return sorted((t for t in by_name.values() if str(t.uuid) in wanted or t.table_name in wanted),
                  key=lambda t: t.table_name)


# -- roles ---------------------------------------------------------------------------------------------------
def _pv(perm: str, view: str):
    from superset import security_manager as sm
    return sm.find_permission_view_menu(perm, view) or sm.add_permission_view_menu(perm, view)


def _role(name: str, changes: dict):
    from superset import security_manager as sm
    role = sm.find_role(name)
    if role is None:
        role = sm.add_role(name)
        _bump(changes, "roles_added")
    return role


def _set_permissions(role, wanted: list, changes: dict) -> None:
    have = {pv.id for pv in role.permissions}
    if have != {pv.id for pv in wanted}:
        role.permissions = sorted(wanted, key=lambda pv: pv.id)
        _bump(changes, "role_permissions_set")


def _permission_set(definition: dict, database) -> list:
    """A role's permissions from its definition (data): copied from Superset's built-in roles, minus the
    excluded (permission, view) pairs (view "*" = any), plus explicit pairs and the analytics database."""
    from superset import security_manager as sm
    drop = {tuple(x) for x in definition.get("exclude", [])}
    out = {}
    for base in definition.get("copy", []):
        for pv in sm.find_role(base).permissions:
            name, view = pv.permission.name, pv.view_menu.name
            if (name, view) in drop or (name, "*") in drop:
                continue
            out[pv.id] = pv
    for name, view in definition.get("add", []):
        pv = _pv(name, view)
        out[pv.id] = pv
    if definition.get("database_access"):
        pv = _pv("database_access", database.perm)
        out[pv.id] = pv
    return list(out.values())


def _ensure_roles(spec: dict, changes: dict) -> None:
    from superset import db
    from superset.models.core import Database
    database = db.session.query(Database).filter_by(uuid=spec["database"]["uuid"]).one()
    for name, definition in spec["roles"].items():
        _set_permissions(_role(name, changes), _permission_set(definition, database), changes)
    db.session.flush()


def _ensure_scope_rules(spec: dict, datasets: list, changes: dict) -> None:
    """One role per scope, each with a Regular RLS rule on every dataset; a Base rule `1 = 0` for everyone
    else (users without a scope role see no rows), except the roles listed as unrestricted."""
    from superset import db, security_manager as sm
    from superset.connectors.sqla.models import RowLevelSecurityFilter as Rls
    prefix, rule_prefix = spec["scope_role_prefix"], spec["rls_rule_prefix"]
    wanted = {s["name"]: s for s in spec["scope_roles"]}
    exempt = [_role(n, changes) for n in spec["rls_exempt_roles"]]
    rules = {r.name: r for r in db.session.query(Rls).filter(Rls.name.like(rule_prefix + "%"))}
    roles = {}
    for name, scope in sorted(wanted.items()):
        roles[name] = role = _role(name, changes)
        _set_permissions(role, [], changes)
        _rule(rules.pop(rule_prefix + name, None), rule_prefix + name, "Regular", scope["clause"], [role],
              datasets, scope.get("description"), changes)
    _rule(rules.pop(rule_prefix + "default_deny", None), rule_prefix + "default_deny", "Base", "1 = 0",
          sorted(list(roles.values()) + exempt, key=lambda r: r.name), datasets,
          "数据范围以外：没有数据范围角色的用户看不到任何行", changes)
    for stale in rules.values():
        db.session.delete(stale)
        _bump(changes, "rls_rules_removed")
    Role = sm.role_model
    for role in db.session.query(Role).filter(Role.name.like(prefix + "%")):
        if role.name not in wanted:
            db.session.delete(role)
            _bump(changes, "roles_removed")
    db.session.flush()


def _rule(rule, name, kind, clause, roles, tables, description, changes) -> None:
    from superset import db
    from superset.connectors.sqla.models import RowLevelSecurityFilter as Rls
    if rule is None:
        rule = Rls(name=name)
        db.session.add(rule)
        _bump(changes, "rls_rules_added")
    values = {"filter_type": kind, "clause": clause, "description": description, "group_key": None}
    if any(getattr(rule, k) != v for k, v in values.items()) or \
            {r.id for r in rule.roles} != {r.id for r in roles} or {t.id for t in rule.tables} != {t.id for t in tables}:
        for k, v in values.items():
            setattr(rule, k, v)
        rule.roles, rule.tables = list(roles), list(tables)
        _bump(changes, "rls_rules_set")


# -- users ---------------------------------------------------------------------------------------------------
def _ensure_owner(spec: dict, changes: dict):
    """The account that owns the imported assets: Admin, inactive, no password (nobody logs in as it)."""
    from superset import db, security_manager as sm
    owner = spec["owner"]
    user = sm.find_user(username=owner["username"])
    if user is None:
        user = sm.user_model(username=owner["username"], first_name=owner["first_name"], last_name="",
                             email=owner["email"], active=False, password=None)
        db.session.add(user)
        _bump(changes, "users_added")
    admin = sm.find_role("Admin")
    if [r.name for r in user.roles] != ["Admin"]:
        user.roles = [admin]
        _bump(changes, "user_roles_set")
    db.session.flush()
    return user


def _ensure_service(spec: dict, changes: dict) -> None:
    """The app's service account (guest tokens): password derived from the key file, its own small role."""
    from superset import security_manager as sm
    from werkzeug.security import check_password_hash, generate_password_hash
    svc = spec["service"]
    role = _role(svc["role"], changes)
    _set_permissions(role, [_pv(p, v) for p, v in svc["permissions"]], changes)
    user = _user({"username": svc["username"], "first_name": svc["first_name"], "last_name": "",
                  "email": svc["email"], "active": True, "roles": [svc["role"]]}, changes)
    if not user.password or not check_password_hash(user.password, svc["password"]):
        user.password = generate_password_hash(svc["password"])
        _bump(changes, "service_password_set")
    sm.session.flush()


def _user(want: dict, changes: dict):
    from superset import db, security_manager as sm
    user = sm.find_user(username=want["username"])
    if user is None:
        user = sm.user_model(username=want["username"], password=None)
        db.session.add(user)
        _bump(changes, "users_added")
    for field in ("first_name", "last_name", "email", "active"):
        if getattr(user, field) != want[field]:
            setattr(user, field, want[field])
            _bump(changes, "users_changed")
    roles = [_role(n, changes) for n in sorted(want["roles"])]
    if sorted(r.name for r in user.roles) != sorted(want["roles"]):
        user.roles = roles
        _bump(changes, "user_roles_set")
    return user


def _ensure_users(spec: dict, changes: dict) -> None:
    """The app's statistics users; a user synced before who is no longer one is disabled and loses the
    archive roles (kept, not deleted: their charts and logs keep an owner)."""
    from superset import db, security_manager as sm
    wanted = {u["username"]: u for u in spec["users"]}
    for want in spec["users"]:
        _user(want, changes)
    managed = set(spec["roles"]) | {spec["service"]["role"]}
    prefix = spec["scope_role_prefix"]
    for user in db.session.query(sm.user_model):
        if user.username in wanted or user.username in (spec["service"]["username"], spec["owner"]["username"]):
            continue
        ours = [r for r in user.roles if r.name in managed or r.name.startswith(prefix)]
        if ours:
            user.roles = [r for r in user.roles if r not in ours]
            user.active = False
            _bump(changes, "users_disabled")
    db.session.flush()


# -- embedding -----------------------------------------------------------------------------------------------
def _ensure_embedded(spec: dict, changes: dict) -> list[dict]:
    """Every dashboard of the bundle may be embedded by the app's origin alone."""
    from superset import db
    from superset.models.dashboard import Dashboard
    from superset.models.embedded_dashboard import EmbeddedDashboard
    out = []
    origins = ",".join(spec["embed_origins"])
    for uuid in _bundle_uuids(spec, "dashboards"):
        dash = db.session.query(Dashboard).filter_by(uuid=uuid).one_or_none()
        if dash is None:
            continue
        embedded = dash.embedded[0] if dash.embedded else None
        if embedded is None:
            embedded = EmbeddedDashboard(dashboard_id=dash.id, allow_domain_list=origins)
            db.session.add(embedded)
            db.session.flush()
            _bump(changes, "embedded_added")
        elif embedded.allow_domain_list != origins:
            embedded.allow_domain_list = origins
            _bump(changes, "embedded_changed")
        out.append({"uuid": uuid, "id": dash.id, "slug": dash.slug, "title": dash.dashboard_title,
                    "embedded_uuid": str(embedded.uuid)})
    return out


if __name__ == "__main__":
    sys.exit(main(sys.argv[1]))
