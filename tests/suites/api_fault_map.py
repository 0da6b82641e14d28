"""Which API-suite tests each stack fault must fail, and why.

`FAILS[fault]` is the tests (node ids without parameters) the fault breaks within `CI_SELECTION[fault]`,
the narrow selection the harness's own tests run (`EXTRA_ARGS[fault]` narrows schemathesis
operations with -k, and sets what a stack-named environment cannot know). Every other test of a
selection must pass on the faulty stack, and every selection on a healthy one. `WORDS[fault]`
is what each failure message must say, so a red run names the defect.

`stale_version` is the one fault no test can see: the deployed build is only wrong relative to
the build the run expects, so the smoke run with `--expect-version` must refuse to start
(`SESSION_REFUSALS`). Faults the browser suites prove are in browser_fault_map.py.
"""

from __future__ import annotations

SMOKE = "suites/smoke/test_smoke.py"
CONTRACT = "suites/api/test_contract.py"
BEHAVIOUR = "suites/api/test_api_behaviour.py"
PAYMENTS = "suites/payments/test_payments_api.py"
INVARIANTS = "suites/api/test_invariants.py"

HEALTH = f"{SMOKE}::test_health_is_ok_with_a_version_and_every_check_ok"
PRODUCT_API = f"{SMOKE}::test_the_product_api_answers_with_the_token"
ADMIN_PAGE = f"{SMOKE}::test_the_admin_sign_in_page_is_reachable"
SMOKE_BUDGET = f"{SMOKE}::test_the_api_answers_within_the_response_budget"
READS = f"{CONTRACT}::test_read_operations_keep_the_contract"
WRITES = f"{CONTRACT}::test_write_operations_keep_the_contract"
TOKENS = f"{BEHAVIOUR}::test_missing_and_bad_tokens_get_401_with_the_documented_body"
EACH_CARD = f"{PAYMENTS}::test_each_card_has_its_outcome_and_decline_code"
THREEDS = f"{PAYMENTS}::test_3ds_cards_wait_for_the_challenge_then_follow_it"
FAILED_CHALLENGE = f"{PAYMENTS}::test_a_failed_challenge_fails_the_payment"
AMOUNT = f"{PAYMENTS}::test_the_amount_charged_is_the_order_total"
REFUNDS = f"{PAYMENTS}::test_refunds_partial_full_and_over_refund"
EMAIL = f"{PAYMENTS}::test_the_confirmation_email_arrives_exactly_once"
AGREE = f"{INVARIANTS}::test_cart_order_payment_and_refunds_agree_at_every_step"

CI_SELECTION: dict[str, tuple[str, ...]] = {
    "schema_drift": (PRODUCT_API, HEALTH, READS),
    "health_degraded": (HEALTH, PRODUCT_API),
    "error_rate": (READS,),
    "slow_api": (READS, SMOKE_BUDGET, ADMIN_PAGE),
    "slow_checkout": (WRITES,),
    "decline_ignored": (EACH_CARD, AMOUNT),
    "skip_3ds": (THREEDS, FAILED_CHALLENGE, AMOUNT),
    "refund_overpays": (REFUNDS, AMOUNT),
    "refund_not_recorded": (REFUNDS, AMOUNT),
    "wrong_total": (AMOUNT, FAILED_CHALLENGE),
    "worker_stalled": (EMAIL, AMOUNT),
    "currency_mixup": (AGREE, AMOUNT),
}

# Local stacks answer in milliseconds; a stack-named environment is held to `local`'s contract
# budget (shopflow_qa/core/slos.py: slos_for); the slowness faults are set well above any budget.
FAULT_SWITCHES: dict[str, str] = {"slow_api": "slow_api:2500", "slow_checkout": "slow_checkout:2500"}
EXTRA_ARGS: dict[str, tuple[str, ...]] = {
    "error_rate": ("-k", "products"),
    "slow_api": ("-k", "categories or sign_in or response_budget"),
    "slow_checkout": ("-k", "orders and not pay"),
    "decline_ignored": ("-k", "declined or insufficient or amount"),
}

FAILS: dict[str, tuple[str, ...]] = {
    "schema_drift": (PRODUCT_API, READS),
    "health_degraded": (HEALTH,),
    "error_rate": (READS,),
    "slow_api": (READS, SMOKE_BUDGET),
    "slow_checkout": (WRITES,),
    "decline_ignored": (EACH_CARD,),
    "skip_3ds": (THREEDS, FAILED_CHALLENGE),
    "refund_overpays": (REFUNDS,),
    "refund_not_recorded": (REFUNDS,),
    "wrong_total": (AMOUNT,),
    "worker_stalled": (EMAIL,),
    "currency_mixup": (AGREE,),
}

WORDS: dict[str, str] = {
    "schema_drift": "price",
    "health_degraded": "/health reports failing checks",
    "error_rate": "500",
    "slow_api": "response budget",
    "slow_checkout": "response budget",
    "decline_ignored": "a declined card was accepted",
    "skip_3ds": "without",
    "refund_overpays": "a refund above what was captured was accepted",
    "refund_not_recorded": "the refund is not recorded on the order",
    "wrong_total": "for an order total of",
    "worker_stalled": "mailbox: 0 of 1 email(s)",
    "currency_mixup": "invariant 'currency' broken",
}

# fault → (selection, words of the one-line refusal) for faults only a whole run can see.
SESSION_REFUSALS: dict[str, tuple[tuple[str, ...], str]] = {
    "stale_version": ((SMOKE,), "expected version"),
}
