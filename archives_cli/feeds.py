"""`archives feeds …`: the simulated outside systems (工商 / 公安 / 社保 / 教育) as an HTTP lookup service."""
from __future__ import annotations

import sys

import click

API_KEY_ENV = "ARCHIVES_FEEDS_API_KEY"


@click.group()
def feeds() -> None:
    """外部数据（工商、公安、社保、教育）模拟服务。"""


@feeds.command()
@click.option("--feeds", "feeds_dir", required=True,
              type=click.Path(exists=True, file_okay=False, dir_okay=True, readable=True),
              help="外部数据文件目录（business_registry / police_population / social_security / education，"
                   ".csv 或 .parquet）")
@click.option("--host", default="127.0.0.1", show_default=True, help="监听地址")
@click.option("--port", default=8765, show_default=True, type=click.IntRange(1, 65535), help="监听端口")
@click.option("--api-key", envvar=API_KEY_ENV, default=None, show_envvar=True,
              help=f"接口密钥（请求头 X-API-Key）；默认取环境变量 {API_KEY_ENV}")
@click.option("--latency-ms", default=0, show_default=True, type=click.IntRange(0, 600_000),
              help="每个请求附加的延迟（毫秒）")
@click.option("--failure-rate", default=0.0, show_default=True, type=click.FloatRange(0.0, 1.0),
              help="请求以 503 失败的概率（0–1）")
def serve(feeds_dir: str, host: str, port: int, api_key: str | None, latency_ms: int,
          failure_rate: float) -> None:
    """启动外部数据查询服务（HTTP，JSON）。"""
    if not api_key or not api_key.strip():
        click.secho(f"未提供接口密钥，服务不启动：请用 --api-key 指定，或设置环境变量 {API_KEY_ENV}。",
                    fg="red", err=True)
        sys.exit(2)
    from synth.feed_service import serve as run
    run(feeds_dir, host=host, port=port, api_key=api_key.strip(), latency_ms=latency_ms,
        failure_rate=failure_rate, echo=click.echo)
