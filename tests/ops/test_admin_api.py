"""seed, purge and doctor against a REAL stack's admin API (docs/api.md, "Admin"), through the CLI.

The stack is the session's shared SQLite stack: seeding is idempotent and a purge only
deletes what one run tagged, so other tests' data on it is untouched (and proven untouched).
"""

from __future__ import annotations

import uuid
from pathlib import Path
from typing import Any

import pytest

from shopflow_qa.core.api import AdminClient, ShopFlowClient
from shopflow_qa.core.environment import load_environments
from tests.ops.conftest import run_cli, write_env_file


@pytest.fixture
def environment(ops_stack):
    return load_environments([ops_stack.env_file])[ops_stack.name]


def _cli(ops_stack, *args: str, env: dict[str, str] | None = None):
    return run_cli(*args, "--env", ops_stack.name, "--env-file", str(ops_stack.env_file), env=env)


def _snapshot(environment) -> dict[str, Any]:
    """What seeding owns: the catalogue (with stock), the demo customers and the seeded orders."""
    with AdminClient.for_environment(environment, token_role="admin_token") as admin:
        products = admin.list_products(per_page=100)
        demo = admin.search_customers("@shopflow.local")
        demo_orders = admin.search_orders(q="demo@shopflow.local")
    return {
        "products": sorted((p["slug"], p["name"], p["price"], p["category"]) for p in products["items"]),
        "total": products.get("total"),
        "customers": sorted((c["id"], c["email"]) for c in demo),
        "orders": sorted(o["id"] for o in demo_orders["items"]),
    }


def test_seed_twice_gives_the_same_data_and_names_its_counts(ops_stack, environment) -> None:
    first = _cli(ops_stack, "seed")
    assert first.code == 0, first.stdout + first.stderr
    assert first.stdout.startswith(f"seeded {ops_stack.name}: products ") and "customers " in first.stdout
    before = _snapshot(environment)
    assert len(before["products"]) >= 20, "the seed catalogue is there"
    assert len(before["customers"]) == 2 and len(before["orders"]) == 3, before

    second = _cli(ops_stack, "seed")
    assert second.code == 0, second.stdout + second.stderr
    assert second.stdout == first.stdout
    assert _snapshot(environment) == before, "seeding again changes nothing"


def test_seed_only_products_seeds_only_products(ops_stack) -> None:
    result = _cli(ops_stack, "seed", "--only", "products")
    assert result.code == 0, result.stderr
    assert result.stdout.startswith(f"seeded {ops_stack.name} (products): products ")
    assert "customers" not in result.stdout and "orders" not in result.stdout


def _tagged_order(environment, tag: str) -> tuple[int, dict[str, Any]]:
    """A customer, a cart and an order made with the run tag `tag`; returns (product id, order)."""
    with ShopFlowClient.for_environment(environment, run_id=tag) as shop:
        product = next(p for p in shop.list_products(per_page=50)["items"] if p["stock"] >= 5)
        email = f"purge-{tag}@example.test"
        shop.sign_up(email, "purge-test-Passw0rd", "Purge Test")
        order = shop.checkout(product["id"], email)
    return product["id"], order


def test_purge_deletes_exactly_what_one_run_tagged_and_gives_the_stock_back(ops_stack, environment) -> None:
    tag, other = f"ops-purge-{uuid.uuid4().hex[:8]}", f"ops-keep-{uuid.uuid4().hex[:8]}"
    product_id, order = _tagged_order(environment, tag)
    _, kept = _tagged_order(environment, other)
    with AdminClient.for_environment(environment, token_role="admin_token") as admin:
        stock_with_orders = admin.get_product(product_id)["stock"]
        counts = admin.test_run(tag)
        assert (counts["customers"], counts["orders"]) == (1, 1) and counts["carts"] >= 1

    result = _cli(ops_stack, "purge", "--run", tag)
    assert result.code == 0, result.stdout + result.stderr
    assert result.stdout.strip() == (f"purged run {tag} on {ops_stack.name}: customers 1, carts {counts['carts']}, orders 1")

    with AdminClient.for_environment(environment, token_role="admin_token") as admin:
        assert {k: v for k, v in admin.test_run(tag).items() if k != "tag"} == {"customers": 0, "carts": 0, "orders": 0}
        assert admin.raw_get_order(order["id"]).status_code == 404
        assert admin.get_product(product_id)["stock"] == stock_with_orders + order["lines"][0]["quantity"]
        assert admin.admin_order(kept["id"])["test_run"] == other, "another run's order is untouched"
        assert admin.test_run(other)["orders"] == 1
        admin.purge_test_run(other)

    again = _cli(ops_stack, "purge", "--run", tag)
    assert again.code == 0 and again.stdout.strip().endswith("customers 0, carts 0, orders 0"), "purging twice is harmless"


def test_purge_takes_the_run_id_from_the_environment_variable(ops_stack) -> None:
    tag = f"ops-var-{uuid.uuid4().hex[:8]}"
    result = _cli(ops_stack, "purge", env={"SHOPFLOW_RUN_ID": tag})
    assert result.code == 0, result.stderr
    assert result.stdout.startswith(f"purged run {tag} on {ops_stack.name}: ")


def test_seed_with_a_refused_admin_token_is_one_line_exit_1(ops_stack, tmp_path: Path) -> None:
    env_file = write_env_file(
        tmp_path / "env.toml",
        "wrong_admin",
        web_url=ops_stack.urls["web"],
        api_url=ops_stack.api_url,
        secrets={"admin_token": "OPS_TEST_WRONG_ADMIN_TOKEN"},
    )
    result = run_cli(
        "seed", "--env", "wrong_admin", "--env-file", str(env_file), env={"OPS_TEST_WRONG_ADMIN_TOKEN": "not-the-admin-token-123"}
    )
    assert result.code == 1, result.stdout + result.stderr
    assert result.stderr.count("\n") == 1 and "401" in result.stderr and "Traceback" not in result.stderr
    assert "not-the-admin-token-123" not in result.stdout + result.stderr


def test_doctor_admin_check_against_the_stack(ops_stack, tmp_path: Path) -> None:
    good = _cli(ops_stack, "doctor", "--check", "health", "--check", "admin")
    assert good.code == 0, good.stdout + good.stderr
    assert f"✓ admin api: {ops_stack.api_url}/api/admin/* answers with the admin token" in good.lines

    env_file = write_env_file(
        tmp_path / "env.toml",
        "wrong_admin",
        web_url=ops_stack.urls["web"],
        api_url=ops_stack.api_url,
        secrets={"admin_token": "OPS_TEST_WRONG_ADMIN_TOKEN"},
    )
    bad = run_cli(
        "doctor",
        "--env",
        "wrong_admin",
        "--env-file",
        str(env_file),
        "--check",
        "health",
        "--check",
        "admin",
        env={"OPS_TEST_WRONG_ADMIN_TOKEN": "not-the-admin-token-123"},
    )
    assert bad.code == 1, bad.stdout + bad.stderr
    assert bad.marked("✗") == [
        "✗ admin api: admin token refused (401) — fix: set $OPS_TEST_WRONG_ADMIN_TOKEN to a current admin token"
    ]
    assert "not-the-admin-token-123" not in bad.stdout + bad.stderr


def test_doctor_starts_a_managed_stack_that_is_down_and_stops_it_after(tmp_path: Path) -> None:
    """`doctor --env local` on a fresh machine: the stack starts on demand like for the gate."""
    from shopflow_stack import runner
    from tests.conftest import claim_port_base

    name = f"t-doctor-{uuid.uuid4().hex[:6]}"
    base = claim_port_base(name)
    env_file = write_env_file(
        tmp_path / "env.toml",
        name,
        managed_stack=True,
        stack_name=name,
        allow_default_secrets=True,
        **{
            f"{role}_url": f"http://127.0.0.1:{base + offset}"
            for role, offset in (("web", 0), ("admin", 1), ("api", 2), ("payments", 3))
        },
        secrets={"admin_token": "SHOPFLOW_LOCAL_ADMIN_TOKEN"},
        default_secrets={"admin_token": "local-admin-token"},
    )
    try:
        result = run_cli("doctor", "--env", name, "--env-file", str(env_file), "--check", "health", "--check", "admin")
        assert result.code == 0, result.stdout + result.stderr
        assert f"✓ local stack: started '{name}' for these checks (stopped after)" in result.lines
        assert any(line.startswith(f"✓ health api: http://127.0.0.1:{base + 2} ok") for line in result.lines)
        assert any(line.startswith("✓ admin api:") for line in result.lines)
        assert runner.read_state(name) is None, "doctor stops the stack it started"
    finally:
        runner.down(name)
