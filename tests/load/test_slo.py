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


def _environment(tmp_path: Path, body: str, name: str):
    from shopflow_qa.core.environment import resolve_environment

    env_file = tmp_path / "envs.toml"
    env_file.write_text(body)
    return resolve_environment(name, [env_file], environ={})


QA2 = """
[environments.qa2]
web_url = "http://127.0.0.1:9700"
api_url = "http://127.0.0.1:9702"
"""


def test_a_local_stack_named_otherwise_is_judged_by_locals_slos(slo_file: Path, tmp_path: Path) -> None:
    stack = _environment(
        tmp_path, QA2.replace("[environments.qa2]", '[environments.t-shared-1234]\nstack_name = "t-shared-1234"'), "t-shared-1234"
    )
    assert slos.slos_for(stack, slo_file).name == "local"
    assert slos.slos_for(_environment(tmp_path, QA2, "staging")).name == "staging"  # the shipped file
    assert slos.slos_for(_environment(tmp_path, QA2, "local"), slo_file).name == "local"


def test_an_environment_from_an_env_file_carries_its_own_slos(tmp_path: Path) -> None:
    body = (
        QA2
        + """
[environments.qa2.slos.contract]
response_ms = 700
[environments.qa2.slos.load]
error_rate = 0.02
[environments.qa2.slos.load.p95_ms]
"GET /api/products" = 123
[environments.qa2.slos.load.profiles.browse]
min_rps = 3
"""
    )
    qa2 = _environment(tmp_path, body, "qa2")
    thresholds, choice = slo.environment_thresholds(qa2, "browse", profiles=("browse", "checkout_flow"))
    assert choice.name == "qa2" and not choice.warning and "environments.qa2.slos" in choice.where
    assert {t.name: t.limit for t in thresholds} == {"error_rate": 0.02, "p95_ms[GET /api/products]": 123, "min_rps": 3}
    assert slos.contract_budget(qa2) == 700


def test_an_environment_inherits_anothers_slos_by_name(tmp_path: Path) -> None:
    qa2 = _environment(tmp_path, QA2 + 'slos = "staging"\n', "qa2")
    thresholds, choice = slo.environment_thresholds(qa2, "checkout_flow")
    assert choice.name == "staging" and thresholds == slo.thresholds_for("staging", "checkout_flow")
    chain = QA2 + 'slos = "qa3"\n[environments.qa3]\nweb_url = "http://127.0.0.1:9700"\napi_url = "http://127.0.0.1:9702"\n'
    chain += "[environments.qa3.slos.load]\nmin_rps = 7\n"
    assert [(t.name, t.limit) for t in slo.environment_thresholds(_environment(tmp_path, chain, "qa2"), "browse")[0]] == [
        ("min_rps", 7)
    ]


def test_an_environment_with_no_slos_gets_the_default_profile_and_a_warning(tmp_path: Path) -> None:
    qa2 = _environment(tmp_path, QA2, "qa2")
    thresholds, choice = slo.environment_thresholds(qa2, "checkout_flow")
    assert choice.name == "default" and "brings no SLOs" in choice.warning and "qa2" in choice.warning
    assert {"error_rate", "checks_pass_rate", "min_rps"} <= {t.name for t in thresholds}
    assert slos.contract_budget(qa2) == 2000


@pytest.mark.parametrize(
    "extra, message",
    [
        ('slos = "nowhere"\n', "slos = 'nowhere': no SLOs of that name"),
        ("slos = 3\n", "environments.qa2.slos: must be a string or a table"),
        ("[environments.qa2.slos.budget]\nx = 1\n", "environments.qa2.slos.budget: must be one of the tables contract, load"),
        ("[environments.qa2.slos.load]\np95 = 1\n", "environments.qa2.slos.load: unknown SLO key 'p95'"),
        ('slos = "qa2"\n', "environments.qa2.slos: a loop"),
    ],
)
def test_a_broken_slos_entry_is_one_config_error(tmp_path: Path, extra: str, message: str) -> None:
    with pytest.raises(ConfigError, match=re.escape(message)):
        qa2 = _environment(tmp_path, QA2 + extra, "qa2")
        slo.environment_thresholds(qa2, "browse")
