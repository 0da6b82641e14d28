"""PNGs of a load run: latency percentiles and throughput over time (Locust's history CSV), and
today's p50 / p95 / p99 per endpoint against the last green run's."""

from __future__ import annotations

import csv
from pathlib import Path

from shopflow_qa.core.perf_baseline import Comparison


def plot(history_csv: Path, out: Path) -> Path:
    """Plot the "Aggregated" rows of `locust_stats_history.csv` into `out`."""
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    times: list[float] = []
    p50: list[float] = []
    p95: list[float] = []
    p99: list[float] = []
    rps: list[float] = []
    users: list[float] = []
    with history_csv.open() as handle:
        for row in csv.DictReader(handle):
            if row.get("Name") != "Aggregated":
                continue
            times.append(int(row["Timestamp"]))
            users.append(float(row["User Count"] or 0))
            rps.append(float(row["Requests/s"] or 0))
            for series, key in ((p50, "50%"), (p95, "95%"), (p99, "99%")):
                value = row.get(key, "N/A")
                series.append(float(value) if value not in ("N/A", "") else float("nan"))
    if not times:
        raise ValueError(f"no aggregated rows in {history_csv.name}")
    t = [x - times[0] for x in times]
    figure, (top, bottom) = plt.subplots(2, 1, figsize=(9, 6), sharex=True)
    for series, label in ((p50, "p50"), (p95, "p95"), (p99, "p99")):
        top.plot(t, series, label=label)
    top.set_ylabel("response time (ms)")
    top.legend(loc="upper left")
    bottom.plot(t, rps, label="requests/s", color="tab:green")
    bottom.plot(t, users, label="users", color="tab:grey", linestyle="--")
    bottom.set_xlabel("seconds")
    bottom.legend(loc="upper left")
    figure.tight_layout()
    figure.savefig(out, dpi=80)
    plt.close(figure)
    return out


def plot_comparison(comparison: Comparison, out: Path) -> Path | None:
    """Bars of today's and the baseline's percentiles per endpoint, regressions in red; None
    when there was nothing to compare (a first run)."""
    latency = [c for c in comparison.changes if c.metric != "rps"]
    if not latency:
        return None
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    labels = [f"{c.endpoint} {c.metric.removesuffix('_ms')}" for c in latency]
    figure, axis = plt.subplots(figsize=(10, 0.3 * len(labels) + 1.5))
    rows = range(len(labels))
    axis.barh(
        [r + 0.2 for r in rows],
        [c.baseline for c in latency],
        height=0.4,
        label=f"baseline ({comparison.against})",
        color="tab:grey",
    )
    axis.barh(
        [r - 0.2 for r in rows],
        [c.today for c in latency],
        height=0.4,
        label="today",
        color=["tab:red" if c.regressed else "tab:blue" for c in latency],
    )
    axis.set_yticks(list(rows), labels, fontsize=7)
    axis.invert_yaxis()
    axis.set_xlabel("response time (ms)")
    axis.legend(loc="upper center", bbox_to_anchor=(0.5, -0.25), ncol=2, fontsize=7)
    figure.tight_layout()
    figure.savefig(out, dpi=80)
    plt.close(figure)
    return out
