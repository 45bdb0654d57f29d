"""schemathesis against a live gunicorn: `python -m tests.fuzz.run_schemathesis` (CI runs it from .ci/run).

Starts the app on a fresh PostgreSQL database (loadtests.stack), logs in as a verified superuser so every
operation is reachable, and fuzzes every operation of /api/v1/schema/ with four checks: no server error,
response schema, status code and content type conformance. Bounded: FUZZ_MAX_EXAMPLES cases per operation
(default 30) and a hard FUZZ_TIMEOUT (default 420 s) for the whole run. Reports go to reports/schemathesis/.

Rates are raised for the run (throttling and lockout would otherwise answer most cases with 429, which
tests the throttle, not the operations). `POST /auth/logout-all/` revokes the fuzzer's own token, so it
is fuzzed last, alone.
"""
from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

from loadtests.stack import ROOT, Stack

CHECKS = "not_a_server_error,response_schema_conformance,status_code_conformance,content_type_conformance"
SELF_REVOKING = r"/auth/logout-all/"
REPORTS = ROOT / "reports" / "schemathesis"


def _schemathesis(stack: Stack, token: str, *filters: str, label: str) -> int:
    command = [
        str(Path(sys.executable).parent / "schemathesis"), "run", f"{stack.base_url}/api/v1/schema/?format=json",
        "--url", stack.base_url,
        "-H", f"Authorization: Bearer {token}",
        "--checks", CHECKS,
        "--phases", os.environ.get("FUZZ_PHASES", "examples,coverage,fuzzing"),
        "--max-examples", os.environ.get("FUZZ_MAX_EXAMPLES", "30"),
        "--seed", os.environ.get("FUZZ_SEED", "20261125"),
        "--workers", os.environ.get("FUZZ_WORKERS", "2"),
        "--request-timeout", "20",
        "--suppress-health-check", "all",
        "--report", "junit,ndjson",
        "--report-junit-path", str(REPORTS / f"{label}.xml"),
        "--report-ndjson-path", str(REPORTS / f"{label}.ndjson"),
        "--output-truncate", "false",
        *filters,
    ]
    timeout = int(os.environ.get("FUZZ_TIMEOUT", "420"))
    try:
        return subprocess.run(command, cwd=ROOT, timeout=timeout, check=False).returncode
    except subprocess.TimeoutExpired:
        print(f"schemathesis ({label}) ran past {timeout} s", file=sys.stderr)
        return 1


def main() -> int:
    REPORTS.mkdir(parents=True, exist_ok=True)
    fast = "100000/min"
    with Stack(
        "fuzz", workers=int(os.environ.get("FUZZ_SERVER_WORKERS", "3")),
        THROTTLE_ANON_RATE=fast, THROTTLE_USER_RATE=fast, THROTTLE_AUTH_RATE=fast,
        LOCKOUT_FAILURES="100000", LOCKOUT_IP_FAILURES="100000",
    ) as stack:
        status = _schemathesis(stack, stack.token(), "--exclude-path-regex", SELF_REVOKING, label="operations")
        status |= _schemathesis(stack, stack.token(), "--include-path-regex", SELF_REVOKING, label="logout-all")
    print(f"schemathesis: {'ok' if status == 0 else 'FAILED'}; reports in {REPORTS.relative_to(ROOT)}/")
    return status


if __name__ == "__main__":
    sys.exit(main())
