"""schemathesis against a live gunicorn: `python -m tests.fuzz.run_schemathesis` (CI runs it from .ci/run).

Starts the app on a fresh PostgreSQL database (loadtests.stack), logs in as a verified superuser so every
operation is reachable, and fuzzes every operation of /api/v1/schema/ in the four phases (examples, coverage,
fuzzing, and stateful: sequences that follow the schema's OpenAPI links) with four checks: no server error,
response schema, status code and content type conformance (settings of the phases in
tests/fuzz/schemathesis.toml). Bounded: FUZZ_MAX_EXAMPLES cases per operation (default 25) and a hard
FUZZ_TIMEOUT (default 480 s) for all its runs together. Reports go to reports/schemathesis/.

Rates are raised for the run (throttling and lockout would otherwise answer most cases with 429, which
tests the throttle, not the operations), and access tokens live an hour so a long run keeps its token.
Operations that can end the fuzzer's own session or rights (schemathesis feeds ids it has seen, such as
the fuzzer's own session id, back into path parameters) run after the others, one group at a time, each
with a fresh token: revoking a session, logout, password change, logout-all, and last the admin's
user updates (which may deactivate the fuzzer itself).
"""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
import time
from pathlib import Path
from xml.etree import ElementTree

import requests

from loadtests.stack import ROOT, Stack

CHECKS = "not_a_server_error,response_schema_conformance,status_code_conformance,content_type_conformance"
SELF_REVOKING = {
    "sessions-revoke": r"/auth/sessions/\{",
    "logout": r"/auth/logout/$",
    "password-change": r"/auth/password/change/",
    "logout-all": r"/auth/logout-all/",
    "users-admin": r"/users/\{",
}
REPORTS = ROOT / "reports" / "schemathesis"
CONFIG = Path(__file__).with_name("schemathesis.toml")
PHASES = "examples,coverage,fuzzing,stateful"
# schemathesis 4.32 has no serializer for application/offset+octet-stream (the tus bodies) and no setting to
# add one: its media type matching knows only the JSON, XML, YAML and text families, so this one alias is the
# only hook of the run.
HOOKS = "tests.uploads.schemathesis_hooks"


def _schema_file(stack: Stack) -> Path:
    """The schema, fetched once with a generous timeout: generating it takes seconds on a loaded machine,
    and schemathesis gives a schema URL 10 s."""
    response = requests.get(f"{stack.base_url}/api/v1/schema/?format=json", timeout=120)
    response.raise_for_status()
    path = REPORTS / "schema.json"
    path.write_bytes(response.content)
    return path


def _schemathesis(stack: Stack, token: str, *filters: str, label: str, phases: str, deadline: float) -> int:
    command = [
        str(Path(sys.executable).parent / "schemathesis"),
        "--config-file",
        str(CONFIG),
        "run",
        str(REPORTS / "schema.json"),
        "--url",
        stack.base_url,
        "-H",
        f"Authorization: Bearer {token}",
        "--checks",
        CHECKS,
        "--phases",
        phases,
        "--max-examples",
        os.environ.get("FUZZ_MAX_EXAMPLES", "25"),
        "--seed",
        os.environ.get("FUZZ_SEED", "20261125"),
        # One worker: Python 3.11.7's ast.parse is not thread-safe ("AST constructor recursion depth
        # mismatch"), and hypothesis parses lambdas' sources in schemathesis's worker threads.
        "--workers",
        os.environ.get("FUZZ_WORKERS", "1"),
        "--request-timeout",
        "20",
        "--suppress-health-check",
        "all",
        "--report",
        "junit,ndjson",
        "--report-junit-path",
        str(REPORTS / f"{label}.xml"),
        "--report-ndjson-path",
        str(REPORTS / f"{label}.ndjson"),
        "--output-truncate",
        "false",
        *filters,
    ]
    env = {**os.environ, "SCHEMATHESIS_HOOKS": os.environ.get("SCHEMATHESIS_HOOKS", HOOKS)}
    try:
        return subprocess.run(
            command, cwd=ROOT, timeout=max(1.0, deadline - time.monotonic()), check=False, env=env
        ).returncode
    except subprocess.TimeoutExpired:
        print(f"schemathesis ({label}) ran past the FUZZ_TIMEOUT budget", file=sys.stderr)
        return 1


def main() -> int:
    shutil.rmtree(REPORTS, ignore_errors=True)
    REPORTS.mkdir(parents=True)
    deadline = time.monotonic() + int(os.environ.get("FUZZ_TIMEOUT", "480"))
    fast = "100000/min"
    with Stack(
        "fuzz",
        workers=int(os.environ.get("FUZZ_SERVER_WORKERS", "3")),
        THROTTLE_ANON_RATE=fast,
        THROTTLE_USER_RATE=fast,
        THROTTLE_AUTH_RATE=fast,
        LOCKOUT_FAILURES="100000",
        LOCKOUT_IP_FAILURES="100000",
        JWT_ACCESS_TTL="3600",
    ) as stack:
        _schema_file(stack)
        everything_else = "|".join(SELF_REVOKING.values())
        phases = os.environ.get("FUZZ_PHASES", PHASES)
        status = _schemathesis(
            stack,
            stack.token(),
            "--exclude-path-regex",
            everything_else,
            label="operations",
            phases=phases,
            deadline=deadline,
        )
        # A self-revoking group is one operation: no link joins it to another, so it has no stateful phase.
        single = ",".join(phase for phase in phases.split(",") if phase != "stateful")
        for label, pattern in SELF_REVOKING.items():
            status |= _schemathesis(
                stack,
                stack.token(),
                "--include-path-regex",
                pattern,
                label=label,
                phases=single,
                deadline=deadline,
            )
    outcomes = _outcomes()
    rows = "".join(f"| {name} | {result} |\n" for name, result in outcomes.items())
    (REPORTS / "summary.md").write_text("| operation | outcome |\n|---|---|\n" + rows)
    failed = [name for name, result in outcomes.items() if result != "pass"]
    print(
        f"schemathesis: {len(outcomes)} operations, {len(failed)} not passing {failed}; "
        f"{'ok' if status == 0 else 'FAILED'}; reports in {REPORTS.relative_to(ROOT)}/"
    )
    return status


def _outcomes() -> dict[str, str]:
    """Per operation, from the JUnit reports of this run: pass, fail, error or skipped."""
    outcomes: dict[str, str] = {}
    for report in sorted(REPORTS.glob("*.xml")):
        if not report.stat().st_size:
            continue  # a run that never started (its failure is in the exit status)
        # Our own run's reports, written a moment ago by schemathesis: not untrusted input.
        for case in ElementTree.parse(report).getroot().iter("testcase"):  # noqa: S314
            kinds = [kind for kind in ("failure", "error", "skipped") if case.find(kind) is not None]
            outcomes[case.get("name", "?")] = kinds[0] if kinds else "pass"
    return dict(sorted(outcomes.items(), key=lambda item: item[0].split(" ", 1)[::-1]))


if __name__ == "__main__":
    sys.exit(main())
