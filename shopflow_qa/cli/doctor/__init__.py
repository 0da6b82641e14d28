"""`shopflow-qa doctor`: is this machine ready to test an environment, and if not, what to do.

One module per check (the seed's staging troubleshooting page, as code). Each check is a
function `(DoctorContext) -> list[CheckResult]`; `run_checks` runs them in order and later
checks read what earlier ones found (a host that did not resolve is not probed again).
"""

from __future__ import annotations

from shopflow_qa.cli.doctor.model import CheckResult, DoctorContext, Status

__all__ = ["CheckResult", "DoctorContext", "Status"]
