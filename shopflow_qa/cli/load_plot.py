"""A PNG of a load run's latency percentiles and throughput over time, from Locust's history CSV."""

from __future__ import annotations

import csv
from pathlib import Path


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
