"""Screenshots of the six dashboards (docs/screenshots/dashboard-<slug>.png), logged into a running Superset.

    PYTHONPATH=$PWD .venv/bin/python bi/screenshot_dashboards.py --superset http://127.0.0.1:8121 --password …

Playwright with the system chromium (never a downloaded browser).
"""
from __future__ import annotations

import argparse
import sys
from pathlib import Path

from playwright.sync_api import sync_playwright

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT / "bi"))
import dashboards_spec as spec  # noqa: E402


def _wait_drawn(page, charts: int, timeout_s: float = 120) -> None:
    """Until every chart holder has content and no loading spinner is left (twice in a row), then a moment
    for the echarts animation."""
    quiet, waited = 0, 0.0
    while waited < timeout_s and quiet < 2:
        page.wait_for_timeout(1000)
        waited += 1
        holders = page.locator(".dashboard-component-chart-holder").count()
        loading = page.locator(".loading").count()
        drawn = page.locator(".dashboard-component-chart-holder .chart-container, "
                             ".dashboard-component-chart-holder .chart-slice").count()
        quiet = quiet + 1 if holders >= charts and loading == 0 and drawn >= charts else 0
    page.wait_for_timeout(2000)


def main(argv=None) -> int:
    ap = argparse.ArgumentParser(description="综合统计看板截图")
    ap.add_argument("--superset", required=True)
    ap.add_argument("--user", default="admin")
    ap.add_argument("--password", required=True)
    ap.add_argument("--out", default=str(ROOT / "docs" / "screenshots"))
    ap.add_argument("--only", nargs="*", help="只截这些 slug")
    args = ap.parse_args(argv)
    out = Path(args.out)
    out.mkdir(parents=True, exist_ok=True)
    with sync_playwright() as p:
        browser = p.chromium.launch(executable_path="/usr/bin/chromium", headless=True,
                                    args=["--no-sandbox", "--disable-background-networking"])
        page = browser.new_page(viewport={"width": 1600, "height": 1000}, locale="zh-CN", bypass_csp=True)
        page.goto(f"{args.superset}/login/")
        page.wait_for_selector("[data-test=username-input]", timeout=60_000)   # the login form is rendered by React
        page.fill("[data-test=username-input]", args.user)
        page.fill("[data-test=password-input]", args.password)
        page.click("[data-test=login-button]")
        page.wait_for_url(lambda url: "/login" not in url, timeout=60_000)
        for dash in spec.DASHBOARDS:
            if args.only and dash["slug"] not in args.only:
                continue
            page.goto(f"{args.superset}/superset/dashboard/{dash['slug']}/?standalone=1")
            page.wait_for_selector(".dashboard-component-chart-holder", timeout=90_000)
            _wait_drawn(page, len(dash["charts"]))
            target = out / f"dashboard-{dash['slug']}.png"
            page.screenshot(path=str(target), full_page=True)
            print(target.relative_to(ROOT))
        browser.close()
    return 0


if __name__ == "__main__":
    sys.exit(main())
