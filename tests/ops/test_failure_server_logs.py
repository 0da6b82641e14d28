"""A failed test against a real stack gets the API's log lines for ITS requests attached.

The API logs each request as `... request_id=<id> traceparent=<tp> test_run=<tag>` in
.shopflow/stacks/<name>/logs/api.log; the plugin collects the X-Request-Ids the test sent
and attaches the lines naming them ("Server logs (request ids)"), not the whole log and not
the lines of another test's requests.
"""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from tests.ops.conftest import allure_attachments

TESTS = """
import json
import os
from pathlib import Path


def _record(name, api, response):
    sent = response.request.headers
    with Path(os.environ["OPS_SENT_FILE"]).open("a") as out:
        out.write(json.dumps({"test": name, "request_id": sent["X-Request-Id"], "traceparent": sent["traceparent"],
                              "run": api.run_id}) + "\\n")


def test_a_before(api):
    _record("before", api, api.raw_list_products(per_page=1))


def test_b_product_price_is_what_the_test_expects(api):
    listing = api.raw_list_products(per_page=2)
    _record("failing", api, listing)
    product = api.raw_get_product(listing.json()["items"][0]["id"])
    _record("failing", api, product)
    _record("failing", api, api.raw_get_product(999999))
    assert product.json()["price"] == -1, "price differs from what the test expects"


def test_c_after(api):
    _record("after", api, api.raw_list_products(per_page=1))
"""


def test_failed_test_gets_the_api_log_lines_of_its_own_request_ids(
    pytester: pytest.Pytester, ops_stack, tmp_path: Path, monkeypatch
) -> None:
    sent_file = tmp_path / "sent.jsonl"
    monkeypatch.setenv("OPS_SENT_FILE", str(sent_file))
    pytester.makepyfile(test_server_logs=TESTS)
    results = tmp_path / "allure-results"
    outcome = pytester.runpytest_subprocess(
        "--env",
        ops_stack.name,
        "--env-file",
        str(ops_stack.env_file),
        f"--alluredir={results}",
        "-p",
        "no:cacheprovider",
        "--output",
        str(tmp_path / "artefacts"),
    )
    outcome.assert_outcomes(passed=2, failed=1)

    sent = [json.loads(line) for line in sent_file.read_text().splitlines()]
    mine = [s for s in sent if s["test"] == "failing"]
    others = [s for s in sent if s["test"] != "failing"]
    assert len(mine) == 3 and len(others) == 2

    attachments = allure_attachments(results)
    assert "Server logs (time window)" not in attachments
    server_logs = attachments["Server logs (request ids)"]
    header, *lines = server_logs.splitlines()
    assert header.startswith(f"# local stack '{ops_stack.name}': ") and header.endswith("chosen by request ids")
    access = [line for line in lines if line.startswith("[api] ") and "request_id=" in line]
    for request in mine:
        [line] = [line for line in access if f"request_id={request['request_id']}" in line]
        assert f"traceparent={request['traceparent']}" in line
        assert f"test_run={request['run']}" in line and request["run"], "the harness's requests carry the run tag"
    assert len(access) == len(mine), "only this test's requests, not the whole log"
    assert any("GET /api/products/999999 404 " in line for line in access), "the failing request's status"
    for request in others:
        assert request["request_id"] not in server_logs, "another test's request is not in this test's excerpt"
    assert "local-service-token" not in server_logs

    saved = list((tmp_path / "artefacts").glob("*/server-logs.txt"))
    assert len(saved) == 1 and saved[0].read_text() == server_logs
