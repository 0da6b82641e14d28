"""The load plan's checks, without Locust and without a request: what the gate calls to report
every problem of its load step before it starts."""

from __future__ import annotations

import socket

import pytest

from shopflow_qa.core.environment import ConfigError, resolve_environment
from shopflow_qa.core.load_plan import PROBED_HEALTH, LoadOptions, hand_over_health, plan, probe_health, problems


def test_every_problem_of_the_options_comes_at_once_one_line_each() -> None:
    found = problems(LoadOptions(profile="nosuch", duration="500ms", shape="wave", rate=3.0, workers=99, slo_overrides=["p95=1"]))
    assert len(found) == 6 and all("\n" not in line for line in found), found
    assert found[0].startswith("unknown load profile 'nosuch'") and "--duration" in found[1]
    assert any(line.startswith("--shape: unknown shape 'wave'") for line in found)
    assert any(line.startswith("--workers:") for line in found) and any(line.startswith("--slo:") for line in found)


def test_sound_options_are_checked_against_the_environment_too(monkeypatch) -> None:
    monkeypatch.delenv("STAGING_TOKEN", raising=False)
    assert problems(LoadOptions(profile="checkout_flow", env="production")) == [
        "refused on production: load writes data and environment 'production' is read-only"
    ]
    assert problems(
        LoadOptions(profile="checkout_flow", env="staging"),
    ) in (
        [],
        ["environment 'staging' needs the token secret: set $STAGING_TOKEN"],
    )
    options = LoadOptions(profile="checkout_flow", env="local", duration="20s")
    assert problems(options) == [] and plan(options).slos.name == "local" and options.rate is None


def test_a_probe_handed_over_for_the_same_api_is_taken_and_any_other_is_not(tmp_path) -> None:
    """`shopflow-qa load` probes the target once and hands the result to its Locust process; a
    hand-over for another API (or none, or garbage) means the Locust process probes for itself."""
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        closed = f"http://127.0.0.1:{probe.getsockname()[1]}"
    env_file = tmp_path / "gone.toml"
    env_file.write_text(
        f'[environments.gone]\nweb_url = "{closed}"\napi_url = "{closed}"\n'
        'allow_default_secrets = true\n[environments.gone.default_secrets]\ntoken = "t"\n'
    )
    environment = resolve_environment("gone", [str(env_file)])
    handed = hand_over_health(environment, {"version": "abc123", "faults": ["slow_api:100"]})
    assert probe_health(environment, handed) == {"version": "abc123", "faults": ["slow_api:100"]}, "no request made"
    for other in (
        hand_over_health(resolve_environment("local"), {"version": "x", "faults": []}),
        {PROBED_HEALTH: "not json"},
        {},
    ):
        with pytest.raises(ConfigError, match="unreachable"):
            probe_health(environment, other)
