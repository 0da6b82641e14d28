"""Allure results redacted before they are written, whatever produced them.

allure-pytest fills a result from many places the harness does not control: `statusDetails`
from the raw exception (`excinfo.exconly()`, which quotes the secret an assertion compared),
test parameters, step titles, fixture containers, attachments (allure's own captured output,
a test's `allure.attach(...)`, the plugin's failure artefacts). All of them reach the disk
through one object, allure-python-commons' `AllureFileLogger`, which allure-pytest registers
in allure's plugin manager when `--alluredir` is given. That logger is the one seam every
path crosses, so the plugin turns it into a `RedactingFileLogger`: the result or container is
redacted in place before it is serialised, an attachment's bytes before they are written.

How: the logger object allure-pytest registered is re-registered as the subclass (same
object, so allure-pytest's own clean-up still finds and unregisters it). Should a later
allure-pytest register its logger differently, `redact_allure_results` returns False and the
plugin refuses to run rather than write unredacted results.
Imports allure-python-commons, never pytest.
"""

from __future__ import annotations

import os
from pathlib import Path
from typing import Any, cast

import attr
from allure_commons import hookimpl, plugin_manager
from allure_commons.logger import AllureFileLogger
from allure_commons.model2 import TestResultContainer

from shopflow_qa.core.allure_fixtures import fold_container
from shopflow_qa.core.file_redaction import copy_redacted, is_media, redacted_bytes
from shopflow_qa.core.redaction import Redactor

# Fields Allure links and sorts by (ids, attachment file names, times, statuses): never rewritten.
_STRUCTURAL_FIELDS = frozenset(
    {"uuid", "historyId", "testCaseId", "source", "children", "start", "stop", "status", "stage", "type", "timestamp"}
)


class RedactingFileLogger(AllureFileLogger):
    """allure-python-commons' file logger, redacting with the run's `redactor` before writing."""

    redactor: Redactor
    # Fixture name → title of the set-up entries a reader sees (core/allure_fixtures.py);
    # None keeps every entry as allure-pytest wrote it.
    fixture_titles: dict[str, str] | None = None

    def _report_item(self, item: Any) -> None:  # results, containers, globals
        if isinstance(item, TestResultContainer) and self.fixture_titles is not None:
            fold_container(item, self.fixture_titles)
        redact_model(item, self.redactor)
        super()._report_item(item)  # type: ignore[no-untyped-call]  # allure-python-commons is untyped

    @hookimpl
    def report_attached_data(self, body: bytes | str, file_name: str) -> None:
        if not is_media(file_name):
            body = redacted_bytes(body.encode("utf-8") if isinstance(body, str) else body, self.redactor)
        super().report_attached_data(body, file_name)  # type: ignore[no-untyped-call]

    @hookimpl
    def report_attached_file(self, source: str, file_name: str) -> None:
        scratch = self._report_dir / f"{file_name}.tmp"
        copy_redacted(source, scratch, self.redactor)
        os.replace(scratch, self._report_dir / file_name)


def redact_model(item: Any, redactor: Redactor) -> None:
    """Every text of an Allure model object (attrs classes), nested steps and lists included,
    redacted in place."""
    for field in attr.fields(type(item)):
        if field.name not in _STRUCTURAL_FIELDS:
            setattr(item, field.name, _redacted(getattr(item, field.name), redactor))


def _redacted(value: Any, redactor: Redactor) -> Any:
    if isinstance(value, str):
        return redactor.text(value)
    if isinstance(value, list):
        return [_redacted(item, redactor) for item in value]
    if attr.has(type(value)):
        redact_model(value, redactor)
    return value


def redact_allure_results(report_dir: str | Path, redactor: Redactor, fixture_titles: dict[str, str] | None = None) -> bool:
    """Make the file logger allure-pytest registered for `report_dir` redact with `redactor`
    (and, given `fixture_titles`, fold the set-up/tear-down entries to those fixtures).
    False when there is no such logger (then results would be written unredacted)."""
    target = Path(report_dir).absolute()
    for plugin in plugin_manager.get_plugins():
        if not isinstance(plugin, AllureFileLogger) or Path(plugin._report_dir) != target:
            continue
        if not isinstance(plugin, RedactingFileLogger):
            name = plugin_manager.get_name(plugin)
            plugin_manager.unregister(plugin)  # hook implementations are bound when registered
            plugin.__class__ = RedactingFileLogger
            plugin_manager.register(plugin, name)
        logger = cast(RedactingFileLogger, plugin)
        logger.redactor = redactor
        logger.fixture_titles = fixture_titles
        return True
    return False
