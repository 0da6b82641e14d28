"""SLO thresholds: reading data/slos.toml (per environment, per-profile overrides) and judging numbers."""

from __future__ import annotations

import re
from pathlib import Path

import pytest

from shopflow_qa.core import slo, slos
from shopflow_qa.core.environment import ConfigError

SLOS = """
[local.load]
error_rate = 0.01
checks_pass_rate = 0.99
min_rps = 2
[local.load.p95_ms]
"GET /api/products" = 400
"POST /api/orders" = 800
[local.load.profiles.checkout_flow]
min_rps = 0.5
[local.load.profiles.checkout_flow.p95_ms]
"POST /api/orders" = 1000
"""


def stats(**changes: object) -> slo.RunStats:
    data = {
        "endpoints": {
            "GET /api/products": {"count": 100, "failures": 0, "percentiles_ms": {"p95_ms": 120, "p99_ms": 300}, "rps": 9.0},
            "POST /api/orders": {"count": 10, "failures": 1, "percentiles_ms": {"p95_ms": 900}, "rps": 1.0},
        },
        "total": {"count": 110, "failures": 1, "percentiles_ms": {"p95_ms": 300}, "rps": 10.0},
        "checks": {"passed": 99, "failed": 1},
    }
    data.update(changes)
    return slo.RunStats.from_dict(data)


@pytest.fixture
def slo_file(tmp_path: Path) -> Path:
    path = tmp_path / "slos.toml"
    path.write_text(SLOS)
    return path


def by_name(verdicts: list[slo.Verdict]) -> dict[str, slo.Verdict]:
    return {v.threshold.name: v for v in verdicts}


def test_profile_overrides_replace_the_environments_limits(slo_file: Path) -> None:
    browse = {t.name: t for t in slo.thresholds_for("local", "browse", slo_file)}
    checkout = {t.name: t for t in slo.thresholds_for("local", "checkout_flow", slo_file)}
    assert browse["p95_ms[POST /api/orders]"].limit == 800 and checkout["p95_ms[POST /api/orders]"].limit == 1000
    assert browse["min_rps"].limit == 2 and checkout["min_rps"].limit == 0.5
    assert checkout["error_rate"].op == "<=" and checkout["checks_pass_rate"].op == ">="
    assert slo.thresholds_for("staging", "browse", slo_file) == []


def test_a_breach_names_the_threshold_its_limit_and_the_measured_value(slo_file: Path) -> None:
    verdicts = by_name(slo.evaluate(slo.thresholds_for("local", "browse", slo_file), stats()))
    assert not verdicts["p95_ms[POST /api/orders]"].passed and verdicts["p95_ms[POST /api/orders]"].measured == 900
    assert verdicts["p95_ms[GET /api/products]"].passed
    assert verdicts["error_rate"].passed and verdicts["error_rate"].measured == pytest.approx(1 / 110)
    assert verdicts["checks_pass_rate"].passed and verdicts["min_rps"].passed
    row = verdicts["p95_ms[POST /api/orders]"].as_dict()
    assert row == {
        "name": "p95_ms[POST /api/orders]",
        "metric": "p95_ms",
        "endpoint": "POST /api/orders",
        "op": "<=",
        "limit": 800,
        "measured": 900,
        "passed": False,
    }
    text = slo.table(list(verdicts.values()))
    assert re.search(r"p95_ms\[POST /api/orders\] +<= 800 +900 +BREACHED", text)


def test_each_kind_of_threshold_can_fail() -> None:
    thresholds = [
        slo.Threshold("error_rate", 0.001, "<="),
        slo.Threshold("checks_pass_rate", 0.999, ">="),
        slo.Threshold("min_rps", 50, ">="),
        slo.Threshold("p99_ms", 200, "<=", "GET /api/products"),
    ]
    assert [v.passed for v in slo.evaluate(thresholds, stats())] == [False, False, False, False]


def test_latency_limits_of_endpoints_never_called_are_left_out_but_an_empty_run_fails() -> None:
    thresholds = [slo.Threshold("p95_ms", 10, "<=", "POST /api/orders/[id]/pay"), slo.Threshold("error_rate", 0.01, "<=")]
    assert [v.threshold.name for v in slo.evaluate(thresholds, stats())] == ["error_rate"]
    empty = slo.evaluate(thresholds + [slo.Threshold("checks_pass_rate", 0.9, ">=")], slo.RunStats())
    assert [(v.threshold.name, v.passed, v.measured) for v in empty] == [
        ("error_rate", False, None),
        ("checks_pass_rate", False, 0.0),
    ]


def test_command_line_thresholds_override_the_file() -> None:
    base = [slo.Threshold("p95_ms", 400, "<=", "GET /api/products")]
    merged = slo.with_overrides(base, [slo.parse_override("p95_ms[GET /api/products]=1"), slo.parse_override("error_rate=0")])
    assert {t.name: t.limit for t in merged} == {"p95_ms[GET /api/products]": 1, "error_rate": 0}


@pytest.mark.parametrize("text", ["p95_ms=3", "latency[GET /]=3", "error_rate", "error_rate=-1", "min_rps=fast"])
def test_bad_command_line_thresholds_are_one_line_errors(text: str) -> None:
    with pytest.raises(ConfigError, match="--slo"):
        slo.parse_override(text)


@pytest.mark.parametrize(
    "body, message",
    [
        ("[local.load]\np95 = 3\n", "unknown SLO key 'p95'"),
        ("[local.load]\nerror_rate = 'low'\n", "expected a non-negative number"),
        ("[local.load]\np95_ms = 3\n", "expected a table"),
        ("[local.load\n", "not valid TOML"),
    ],
)
def test_a_broken_slo_file_is_a_config_error(tmp_path: Path, body: str, message: str) -> None:
    path = tmp_path / "slos.toml"
    path.write_text(body)
    with pytest.raises(ConfigError, match=message):
        slo.thresholds_for("local", "browse", path)


def test_the_shipped_slo_file_reads_for_every_profile_and_environment() -> None:
    for env in ("local", "staging", "production"):
        for profile in ("browse", "checkout_flow", "api_mix"):
            slo.thresholds_for(env, profile)
    assert {t.name for t in slo.thresholds_for("local", "checkout_flow")} >= {"error_rate", "p95_ms[POST /api/orders/[id]/pay]"}


def test_a_local_stack_named_otherwise_is_judged_by_locals_slos(slo_file: Path) -> None:
    assert slos.slo_environment("t-shared-1234", True, slo_file) == "local"
    assert slos.slo_environment("staging", False, slo_file) == "staging"
    assert slos.slo_environment("local", True, slo_file) == "local"
