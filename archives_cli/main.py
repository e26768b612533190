"""`archives`: the one command-line entry point of the system.

Subcommands import what they need when they run, so `archives --help` is quick
and a command of one part does not load the others.
"""
from __future__ import annotations

import sys

import click

from archives_domain.config import ConfigError, Settings


class Context:
    def __init__(self) -> None:
        self.settings = Settings.from_env()
        self._engine = None

    @property
    def engine(self):
        if self._engine is None:
            from archives_domain.db import make_engine
            self._engine = make_engine(self.settings.database_url)
        return self._engine


pass_ctx = click.make_pass_decorator(Context, ensure=True)


class FriendlyGroup(click.Group):
    """Configuration errors end the command with their message, not a traceback."""

    def invoke(self, ctx):
        try:
            return super().invoke(ctx)
        except ConfigError as exc:
            click.secho(f"配置错误：{exc}", fg="red", err=True)
            sys.exit(2)


@click.group(cls=FriendlyGroup)
def cli() -> None:
    """贵州省流动人员人事档案管理系统 命令行。"""


from .analytics import analytics  # noqa: E402  (subcommand modules register on the group)
from .audit import audit  # noqa: E402
from .db import db  # noqa: E402
from .export import export  # noqa: E402
from .feeds import feeds  # noqa: E402
from .ingest import ingest  # noqa: E402
from .reports import reports  # noqa: E402
from .serve import serve  # noqa: E402
from .superset import superset  # noqa: E402
from .synth import synth  # noqa: E402
from .users import users  # noqa: E402

for command in (db, audit, users, serve, synth, feeds, ingest, reports, export, analytics, superset):
    cli.add_command(command)

if __name__ == "__main__":
    cli()
