"""The API against the consumer's contract (data/contracts/shopflow-api.yaml), property-based.

The contract is written from docs/api.md, never generated from the server, so a server that
drifts from what its clients need fails here. Read operations run everywhere (production
too); writes only where the environment allows them, tagged with the run's id so they are
purged with the run. Every response must also meet the environment's budget (data/slos.toml).
"""

from __future__ import annotations

from pathlib import Path

import pytest
import schemathesis
from hypothesis import HealthCheck, Phase, settings
from schemathesis.checks import allow_header_conformance
from schemathesis.specs.openapi.checks import unsupported_method

from shopflow_qa.core.slos import contract_budget

CONTRACT = Path(__file__).resolve().parents[2] / "data" / "contracts" / "shopflow-api.yaml"
schema = schemathesis.openapi.from_path(CONTRACT)
# No shrinking: a failure already names its operation and case, and shrinking against a slow
# or failing server costs minutes of requests (on staging too) for no clearer finding.
EXAMPLES = settings(
    max_examples=12,
    deadline=None,
    derandomize=True,
    suppress_health_check=list(HealthCheck),
    phases=[Phase.explicit, Phase.reuse, Phase.generate],
)

pytestmark = pytest.mark.contract


# How the server answers methods the contract does not list is the server's business, not
# its consumers' (they never send them).
NOT_THE_CONSUMERS_CONCERN = [unsupported_method, allow_header_conformance]


@pytest.fixture(scope="module")
def call_options(shopflow_env, shopflow_run_id: str) -> dict:
    return {
        "base_url": shopflow_env.url("api"),
        "excluded_checks": NOT_THE_CONSUMERS_CONCERN,
        "headers": {"Authorization": f"Bearer {shopflow_env.secret('token')}", "X-ShopFlow-Test-Run": shopflow_run_id},
    }


def _within_budget(response, case, environment) -> None:
    budget = contract_budget(environment)
    took = float(response.elapsed) * 1000  # schemathesis gives seconds
    assert took <= budget, (
        f"{case.method} {case.formatted_path} took {took:.0f} ms, over the {budget} ms "
        f"response budget of '{environment.name}' (its SLOs)"
    )


@pytest.mark.nondestructive
@schema.include(tag="read").parametrize()
@EXAMPLES
def test_read_operations_keep_the_contract(case, call_options, shopflow_env) -> None:
    response = case.call_and_validate(**call_options)
    _within_budget(response, case, shopflow_env)


@pytest.mark.destructive
@schema.include(tag="write").parametrize()
@EXAMPLES
def test_write_operations_keep_the_contract(case, call_options, shopflow_env) -> None:
    response = case.call_and_validate(**call_options)
    _within_budget(response, case, shopflow_env)


@pytest.mark.destructive
def test_stateful_flows_keep_the_contract(call_options, shopflow_env) -> None:
    """Sequences the contract's links allow (cart → line → order → payment, reads between),
    each response checked against the contract: what one call returns the next one can use."""
    options = {k: v for k, v in call_options.items() if k != "excluded_checks"}

    class Workflow(schema.as_state_machine()):
        def get_call_kwargs(self, case):
            return {"base_url": options["base_url"], "headers": options["headers"]}

        def validate_response(self, response, case, additional_checks=None, **kwargs):
            case.validate_response(response, excluded_checks=NOT_THE_CONSUMERS_CONCERN)
            _within_budget(response, case, shopflow_env)

    Workflow.run(
        settings=settings(
            max_examples=8,
            stateful_step_count=5,
            deadline=None,
            derandomize=True,
            phases=[Phase.generate],
            suppress_health_check=list(HealthCheck),
        )
    )
