"""The load plan's checks, without Locust and without a request: what the gate calls to report
every problem of its load step before it starts."""

from __future__ import annotations

from shopflow_qa.core.load_plan import LoadOptions, plan, problems


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
