"""Users, roles and permissions (用户权限).

The operational app runs on Flask-AppBuilder, whose security models use these
`ab_*` tables. They are declared here too so that one set of migrations owns
the whole schema; the columns follow flask-appbuilder 5.3's models, and
`ab_user` is extended with the agency every user belongs to (用户绑定存档机构).
"""
from __future__ import annotations

import datetime as dt

from sqlalchemy import BigInteger, Boolean, Column, DateTime, ForeignKey, Index, Integer, String, Table, UniqueConstraint
from sqlalchemy.orm import Mapped

from .base import Base, Stamped, col, table_args


class Permission(Base):
    __tablename__ = "ab_permission"
    __table_args__ = table_args("权限动作（FAB）")
    id: Mapped[int] = col(Integer, "主键", primary_key=True)
    name: Mapped[str] = col(String(100), "权限名称", unique=True, nullable=False)


class ViewMenu(Base):
    __tablename__ = "ab_view_menu"
    __table_args__ = table_args("视图与菜单（FAB）；对应1、2、3级模块")
    id: Mapped[int] = col(Integer, "主键", primary_key=True)
    name: Mapped[str] = col(String(250), "视图或菜单名称", unique=True, nullable=False)


class PermissionView(Base):
    __tablename__ = "ab_permission_view"
    __table_args__ = table_args(
        "权限与视图的组合（FAB）",
        UniqueConstraint("permission_id", "view_menu_id"),
        Index("idx_permission_id", "permission_id"),
        Index("idx_view_menu_id", "view_menu_id"),
    )
    id: Mapped[int] = col(Integer, "主键", primary_key=True)
    permission_id: Mapped[int | None] = col(Integer, "权限ID", ForeignKey("ab_permission.id"))
    view_menu_id: Mapped[int | None] = col(Integer, "视图ID", ForeignKey("ab_view_menu.id"))


class Role(Base):
    __tablename__ = "ab_role"
    __table_args__ = table_args("角色")
    id: Mapped[int] = col(Integer, "主键", primary_key=True)
    name: Mapped[str] = col(String(64), "角色名称", unique=True, nullable=False)


class User(Base):
    __tablename__ = "ab_user"
    __table_args__ = table_args("系统用户（每个用户属于一个存档机构）")
    id: Mapped[int] = col(Integer, "主键", primary_key=True)
    first_name: Mapped[str] = col(String(64), "名", nullable=False)
    last_name: Mapped[str] = col(String(64), "姓", nullable=False)
    username: Mapped[str] = col(String(128), "用户名", unique=True, nullable=False)
    password: Mapped[str | None] = col(String(256), "口令摘要（PBKDF2-HMAC-SM3）")
    active: Mapped[bool | None] = col(Boolean, "是否启用")
    email: Mapped[str] = col(String(320), "电子邮箱", unique=True, nullable=False)
    last_login: Mapped[dt.datetime | None] = col(DateTime, "最近登录时间")
    login_count: Mapped[int | None] = col(Integer, "登录次数")
    fail_login_count: Mapped[int | None] = col(Integer, "连续登录失败次数")
    created_on: Mapped[dt.datetime | None] = col(DateTime, "创建时间")
    changed_on: Mapped[dt.datetime | None] = col(DateTime, "修改时间")
    created_by_fk: Mapped[int | None] = col(Integer, "创建人ID", ForeignKey("ab_user.id"))
    changed_by_fk: Mapped[int | None] = col(Integer, "修改人ID", ForeignKey("ab_user.id"))
    agency_code: Mapped[str | None] = col(String(8), "所属存档机构代码", ForeignKey("agency.code"), index=True)
    # 等保三级 身份鉴别 / 访问控制 state kept on the user row (issue 5).
    password_changed_at: Mapped[dt.datetime | None] = col(DateTime, "口令最近修改时间（90天到期）")
    must_change_password: Mapped[bool] = col(Boolean, "下次登录须修改口令", nullable=False, default=True,
                                             server_default="1")
    locked_until: Mapped[dt.datetime | None] = col(DateTime, "锁定截止时间（连续登录失败）")
    session_id: Mapped[str | None] = col(String(64), "当前有效会话标识（单点在线；登出或新登录即失效）")
    last_login_ip: Mapped[str | None] = col(String(45), "最近登录IP")
    prev_login_at: Mapped[dt.datetime | None] = col(DateTime, "上次登录时间（登录后向用户展示）")
    prev_login_ip: Mapped[str | None] = col(String(45), "上次登录IP（登录后向用户展示）")
    totp_secret_enc: Mapped[str | None] = col(String(160), "TOTP动态口令密钥（SM4密文）", info={"pii": "text"})
    totp_enabled: Mapped[bool] = col(Boolean, "是否已启用TOTP动态口令", nullable=False, default=False,
                                     server_default="0")
    totp_last_step: Mapped[int | None] = col(BigInteger().with_variant(Integer, "sqlite"),
                                             "最近一次已使用的TOTP时间步（同一时间步的口令不得重放）")


class PasswordHistory(Base):
    """Earlier password hashes of a user: the last five may not be chosen again."""

    __tablename__ = "ab_password_history"
    __table_args__ = table_args("用户历史口令（最近5次不得重复使用）",
                                Index("ix_ab_password_history_user_time", "user_id", "changed_at"))
    id: Mapped[int] = col(Integer, "主键", primary_key=True)
    user_id: Mapped[int] = col(Integer, "用户ID", ForeignKey("ab_user.id", ondelete="CASCADE"), nullable=False)
    password: Mapped[str] = col(String(256), "口令摘要（PBKDF2-HMAC-SM3）", nullable=False)
    changed_at: Mapped[dt.datetime] = col(DateTime, "设置时间", nullable=False)


class Group(Stamped, Base):
    __tablename__ = "ab_group"
    __table_args__ = table_args("用户组")
    id: Mapped[int] = col(Integer, "主键", primary_key=True)
    name: Mapped[str] = col(String(100), "用户组名称", unique=True, nullable=False)
    label: Mapped[str | None] = col(String(150), "显示名称")
    description: Mapped[str | None] = col(String(512), "说明")
    # 用户组 belong to the agency of the 系统管理员 who created them (issue 14): notices and to-dos of an
    # agency go only to its own groups.
    agency_code: Mapped[str | None] = col(String(8), "所属存档机构代码（创建者的机构）", ForeignKey("agency.code"),
                                          index=True)
    version: Mapped[int] = col(Integer, "乐观锁版本号", nullable=False, default=1, server_default="1")


class RegisterUser(Base):
    __tablename__ = "ab_register_user"
    __table_args__ = table_args("自助注册申请（FAB；本系统不开放自助注册）")
    id: Mapped[int] = col(Integer, "主键", primary_key=True)
    first_name: Mapped[str] = col(String(64), "名", nullable=False)
    last_name: Mapped[str] = col(String(64), "姓", nullable=False)
    username: Mapped[str] = col(String(128), "用户名", unique=True, nullable=False)
    password: Mapped[str | None] = col(String(256), "口令摘要")
    email: Mapped[str] = col(String(320), "电子邮箱", nullable=False)
    registration_date: Mapped[dt.datetime | None] = col(DateTime, "申请时间")
    registration_hash: Mapped[str | None] = col(String(256), "校验串")


_COMMENTS = {"permission_view_id": "权限视图ID", "role_id": "角色ID", "user_id": "用户ID",
             "group_id": "用户组ID"}


def _assoc(name: str, comment: str, left: tuple[str, str], right: tuple[str, str], *extra) -> Table:
    return Table(
        name, Base.metadata,
        Column("id", Integer, primary_key=True, comment="主键"),
        Column(left[0], Integer, ForeignKey(left[1], ondelete="CASCADE"), comment=_COMMENTS[left[0]]),
        Column(right[0], Integer, ForeignKey(right[1], ondelete="CASCADE"), comment=_COMMENTS[right[0]]),
        UniqueConstraint(left[0], right[0]),
        *extra,
        comment=comment,
        mysql_engine="InnoDB", mysql_charset="utf8mb4", mysql_collate="utf8mb4_unicode_ci",
    )


permission_view_role = _assoc(
    "ab_permission_view_role", "角色拥有的权限",
    ("permission_view_id", "ab_permission_view.id"), ("role_id", "ab_role.id"),
    Index("idx_permission_view_id", "permission_view_id"), Index("idx_role_id", "role_id"),
    Column("seal", String(64), comment="封印 HMAC-SM3(角色, 权限)；缺失或不符的授予不生效并告警"))
user_role = _assoc("ab_user_role", "用户的角色", ("user_id", "ab_user.id"), ("role_id", "ab_role.id"))
user_group = _assoc(
    "ab_user_group", "用户所属用户组", ("user_id", "ab_user.id"), ("group_id", "ab_group.id"),
    Index("idx_user_id", "user_id"), Index("idx_user_group_id", "group_id"))
group_role = _assoc(
    "ab_group_role", "用户组的角色", ("group_id", "ab_group.id"), ("role_id", "ab_role.id"),
    Index("idx_group_id", "group_id"), Index("idx_group_role_id", "role_id"))


class UserPermission(Base):
    """A grant or revocation of one permission for one user, over what the user's roles give (用户权限)."""

    __tablename__ = "ab_user_permission"
    __table_args__ = table_args("用户个人的权限授予或收回（在其角色权限之上）；每行带HMAC-SM3封印",
                                UniqueConstraint("user_id", "permission_view_id"))
    id: Mapped[int] = col(Integer, "主键", primary_key=True)
    user_id: Mapped[int] = col(Integer, "用户ID", ForeignKey("ab_user.id", ondelete="CASCADE"), nullable=False,
                               index=True)
    permission_view_id: Mapped[int] = col(Integer, "权限视图ID",
                                          ForeignKey("ab_permission_view.id", ondelete="CASCADE"), nullable=False)
    granted: Mapped[bool] = col(Boolean, "授予（真）或收回（假）", nullable=False)
    seal: Mapped[str | None] = col(String(64), "封印 HMAC-SM3(用户, 权限, 授予/收回)；缺失或不符则不生效并告警")
    changed_at: Mapped[dt.datetime] = col(DateTime, "设置时间", nullable=False)
    changed_by: Mapped[str | None] = col(String(128), "设置人（安全管理员用户名）")


class RolePolicy(Base):
    """Per-role security settings that a 安全管理员 may change (TOTP relaxed or not), sealed like grants."""

    __tablename__ = "ab_role_policy"
    __table_args__ = table_args("角色安全策略（是否必须TOTP动态口令、默认权限是否已初始化）；每行带HMAC-SM3封印")
    role_id: Mapped[int] = col(Integer, "角色ID", ForeignKey("ab_role.id", ondelete="CASCADE"), primary_key=True,
                               autoincrement=False)
    totp_required: Mapped[bool] = col(Boolean, "是否必须使用TOTP动态口令（默认是；三员角色恒为是）",
                                      nullable=False, default=True, server_default="1")
    grants_initialised: Mapped[bool] = col(Boolean, "默认权限是否已初始化", nullable=False, default=False,
                                           server_default="0")
    seal: Mapped[str | None] = col(String(64), "封印 HMAC-SM3(角色, 策略)；缺失或不符时按最严格策略处理")
    changed_at: Mapped[dt.datetime] = col(DateTime, "设置时间", nullable=False)
    changed_by: Mapped[str | None] = col(String(128), "设置人")


class RoleConfirmation(Base):
    """三员分立 on accounts made in the web: the roles a 系统管理员 proposed wait for a 安全管理员.

    One row per account created or changed from 用户管理. While `status` is 待确认 the account stays
    disabled (ab_user.active false) and the 系统管理员 cannot enable it; accounts without a row were
    made from the shell (`archives users create`, the bootstrap path) and count as confirmed."""

    __tablename__ = "ab_role_confirmation"
    __table_args__ = table_args("账号角色确认（系统管理员提议、安全管理员确认；确认前账号不能登录）")
    user_id: Mapped[int] = col(Integer, "用户ID", ForeignKey("ab_user.id", ondelete="CASCADE"), primary_key=True,
                               autoincrement=False)
    status: Mapped[str] = col(String(8), "状态：待确认/已确认", nullable=False, default="待确认",
                              server_default="待确认")
    reason: Mapped[str | None] = col(String(255), "待确认的原因（新建、角色或机构变更、重新启用、重置口令）")
    proposed_roles: Mapped[str | None] = col(String(255), "系统管理员提议的角色（中文名，顿号分隔）")
    proposed_agency: Mapped[str | None] = col(String(8), "提议时的所属存档机构代码")
    proposed_by: Mapped[str | None] = col(String(128), "提议人（系统管理员用户名）")
    proposed_at: Mapped[dt.datetime | None] = col(DateTime, "提议时间")
    confirmed_roles: Mapped[str | None] = col(String(255), "最近一次确认的角色（中文名，顿号分隔）")
    confirmed_agency: Mapped[str | None] = col(String(8), "最近一次确认时的所属存档机构代码")
    confirmed_by: Mapped[str | None] = col(String(128), "确认人（安全管理员用户名）")
    confirmed_at: Mapped[dt.datetime | None] = col(DateTime, "确认时间")
