"""Page performance budgets: what one page visit measured (navigation timing, LCP, CLS, long
tasks, bytes), the budgets `data/slos.toml` gives each page (`[<env>.pages."/checkout"]`, `"*"`
for every page; `pages_mobile` for a device profile), and the verdict. Pure: the browser side
(the observer script, the recorder) is shopflow_qa/fixtures/page_metrics.py's.
"""

from __future__ import annotations

import json
import re
import statistics
from collections.abc import Iterable, Mapping
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

from shopflow_qa.core.errors import ConfigError

# metric key → (label, unit). Lower is better for every one of them.
METRICS: dict[str, tuple[str, str]] = {
    "ttfb_ms": ("TTFB", "ms"),
    "dcl_ms": ("DOMContentLoaded", "ms"),
    "load_ms": ("load", "ms"),
    "lcp_ms": ("LCP", "ms"),
    "cls": ("CLS", ""),
    "long_tasks_ms": ("long tasks", "ms"),
    "bytes": ("bytes transferred", "B"),
}
EVERY_PAGE = "*"
SECTIONS = {"desktop": "pages", "mobile": "pages_mobile"}  # the budget table of each variant
_ID = re.compile(r"^\d+$|^SF-\d+$|^[a-z]{2,4}_[A-Za-z0-9]{8,}$")


def check_table(where: str, table: Any) -> None:
    """One `pages` / `pages_mobile` table: page → {metric: positive number}; one-line ConfigError."""
    if not isinstance(table, Mapping):
        raise ConfigError(f"{where}: must be a table of pages")
    for page, budgets in table.items():
        if page != EVERY_PAGE and not (page.startswith("/") or page.startswith("admin /")):
            raise ConfigError(f'{where}."{page}": a page is "*", a storefront path ("/checkout") or "admin /path"')
        if not isinstance(budgets, Mapping):
            raise ConfigError(f'{where}."{page}": must be a table of metrics')
        for metric, value in budgets.items():
            if metric not in METRICS:
                raise ConfigError(f'{where}."{page}".{metric}: unknown metric (known: {", ".join(METRICS)})')
            if isinstance(value, bool) or not isinstance(value, int | float) or value <= 0:
                raise ConfigError(f'{where}."{page}".{metric}: must be a positive number, got {value!r}')


def page_name(url: str, admin_url: str = "") -> str:
    """The page a URL is, as budgets name it: ids and slugs folded (`/products/[slug]`,
    `/orders/[id]/confirmation`), the admin's pages prefixed `admin `."""
    parts = [p for p in urlsplit(url).path.split("/") if p]
    named = []
    for index, part in enumerate(parts):
        if _ID.match(part):
            named.append("[id]")
        elif index == 1 and parts[0] == "products":
            named.append("[slug]")
        else:
            named.append(part)
    path = "/" + "/".join(named)
    if admin_url and url.startswith(admin_url.rstrip("/")):
        return f"admin {path}"
    return path


@dataclass
class PageVisit:
    """One visit of one page: its name, URL (without query) and the figures measured."""

    page: str
    url: str
    values: dict[str, float] = field(default_factory=dict)
    test: str = ""
    variant: str = "desktop"


@dataclass(frozen=True)
class Breach:
    page: str
    metric: str
    value: float
    budget: float

    def __str__(self) -> str:
        label, unit = METRICS[self.metric]
        return f"page {self.page}: {label} {fmt(self.value, unit)} over its budget of {fmt(self.budget, unit)}"


def fmt(value: float, unit: str) -> str:
    if unit == "":
        return f"{value:.3f}"
    if unit == "B":
        return f"{value / 1024:.0f} KiB"
    return f"{value:.0f} {unit}"


def budgets_for(tables: Mapping[str, Any], variant: str = "desktop") -> dict[str, dict[str, float]]:
    """The page budgets of one variant from an environment's SLO tables (`SloChoice.tables`)."""
    return {page: dict(values) for page, values in tables.get(SECTIONS[variant], {}).items()}


def budget(budgets: Mapping[str, Mapping[str, float]], page: str) -> dict[str, float]:
    """A page's own budgets over the `"*"` ones."""
    return {**budgets.get(EVERY_PAGE, {}), **budgets.get(page, {})}


def judge(visits: Iterable[PageVisit], budgets: Mapping[str, Mapping[str, float]]) -> list[Breach]:
    """Every metric of every visit over its page's budget (a metric not measured is not judged)."""
    found = []
    for visit in visits:
        for metric, limit in budget(budgets, visit.page).items():
            value = visit.values.get(metric)
            if value is not None and value > limit:
                found.append(Breach(visit.page, metric, value, limit))
    return found


def table(visits: Iterable[PageVisit]) -> str:
    """A plain-text table of the visits, one row per visit (the Allure attachment's text)."""
    rows = [["page", *[METRICS[m][0] for m in METRICS]]]
    for visit in visits:
        rows.append([visit.page, *[fmt(visit.values[m], METRICS[m][1]) if m in visit.values else "–" for m in METRICS]])
    widths = [max(len(row[i]) for row in rows) for i in range(len(rows[0]))]
    return "\n".join("  ".join(cell.ljust(width) for cell, width in zip(row, widths, strict=True)) for row in rows)


def to_json(visits: Iterable[PageVisit]) -> str:
    return json.dumps([asdict(v) for v in visits], indent=1)


# -- the run's record, for summary.md ------------------------------------------------------
RECORD_FOLDER = "pages"  # <run folder>/pages/<process>.jsonl, one visit a line


def record(run_dir: Path, visits: Iterable[PageVisit], process: str) -> None:
    folder = run_dir / RECORD_FOLDER
    folder.mkdir(parents=True, exist_ok=True)
    with (folder / f"{process}.jsonl").open("a") as out:
        for visit in visits:
            out.write(json.dumps(asdict(visit)) + "\n")


def read_records(run_dir: Path) -> list[PageVisit]:
    visits = []
    for path in sorted((run_dir / RECORD_FOLDER).glob("*.jsonl")):
        for line in path.read_text().splitlines():
            try:
                visits.append(PageVisit(**json.loads(line)))
            except (ValueError, TypeError):
                continue  # a line cut short by a killed worker
    return visits


def summary_table(visits: Iterable[PageVisit]) -> list[str]:
    """Markdown rows: per variant and page, the visits and the median / worst of each metric."""
    groups: dict[tuple[str, str], list[PageVisit]] = {}
    for visit in visits:
        groups.setdefault((visit.variant, visit.page), []).append(visit)
    if not groups:
        return []
    lines = [
        "| page | variant | visits | " + " | ".join(f"{METRICS[m][0]} median / worst" for m in METRICS) + " |",
        "|---|---|---|" + "---|" * len(METRICS),
    ]
    for (variant, page), group in sorted(groups.items()):
        cells = []
        for metric, (_, unit) in METRICS.items():
            values = [v.values[metric] for v in group if metric in v.values]
            cells.append(f"{fmt(statistics.median(values), unit)} / {fmt(max(values), unit)}" if values else "–")
        lines.append(f"| `{page}` | {variant} | {len(group)} | " + " | ".join(cells) + " |")
    return lines
