"""schemathesis against a live gunicorn: `python -m tests.fuzz.run_schemathesis` (CI runs it from .ci/run).

Starts the app on a fresh PostgreSQL database (loadtests.stack), logs in as a verified superuser so every
operation is reachable, and fuzzes every operation of /api/v1/schema/ in the four phases (examples, coverage,
fuzzing, and stateful: sequences that follow the schema's OpenAPI links) with four checks: no server error,
response schema, status code and content type conformance (settings of the phases in
tests/fuzz/schemathesis.toml). Bounded: FUZZ_MAX_EXAMPLES cases per operation (default 25) and a hard
FUZZ_TIMEOUT (default 480 s) for all its runs together. Reports go to reports/schemathesis/.

Rates are raised for the run (throttling and lockout would otherwise answer most cases with 429, which
tests the throttle, not the operations), and access tokens live an hour so a long run keeps its token.

Before it, tests/fuzz/seed.py makes the data no schema can describe (existing slugs and ids, the caller's
password, e-mailed tokens, tus upload ids, users with TOTP on), which schemathesis.toml fixes per operation
and this runner also writes into its copy of the schema as examples. Every warning fails the run, "missing
test data" and "schema validation mismatch" included.

Some operations run apart, one group at a time (`Group`): the byte endpoints and the second login step
first (before other operations change the seeded file, while the first steps' tokens live); after the
others, what can end the fuzzer's own session or rights (schemathesis feeds ids it has seen, such as the
fuzzer's own session id, back into path parameters), each with a fresh token: revoking a session, logout,
password change, account deletion, logout-all, and last the admin's user updates (which may deactivate
the fuzzer itself); and what one success uses up (single-use tokens, TOTP codes), one run per phase.
"""

from __future__ import annotations

import copy
import json
import os
import shutil
import subprocess
import sys
import time
import tomllib
from dataclasses import dataclass
from pathlib import Path
from string import Template
from xml.etree import ElementTree

import pyotp
import requests

from loadtests.stack import ADMIN_EMAIL, ADMIN_PASSWORD, ROOT, Stack
from tests.fuzz.seed import other_session, seed, user_email

# Variables the config names that a group's run sets (Group.runs); empty elsewhere.
PER_RUN = ("FUZZ_VERIFY_TOKEN", "FUZZ_RESET_TOKEN", "FUZZ_CODE", "FUZZ_MFA_TOKEN")
CHECKS = "not_a_server_error,response_schema_conformance,status_code_conformance,content_type_conformance"


@dataclass(frozen=True)
class Group:
    """Operations fuzzed apart from the others, after them, with a fresh token of `user` (see the module doc)."""

    pattern: str
    user: str = ADMIN_EMAIL
    # For data one success uses up: the seeded environment variable (tests/fuzz/seed.py) of a JSON list,
    # one entry per phase, each run apart. An entry holds environment variables for the config and may name
    # its own credential: `token` (an access token) or `user`; `totp_secret` becomes FUZZ_CODE, the current
    # code, as the run starts.
    runs: str | None = None


# Before the others, one run per phase: the operations whose single-use data (e-mailed tokens, the first
# login steps' tokens, which live MFA_TOKEN_TTL) takes no credential of its own, and the byte endpoints,
# which serve the seeded file as it was (the other operations find the file in the listings and replace or
# delete it, which turns its download stale and its link revoked).
FIRST = {
    "first": Group(
        r"/d/\{|/downloads/\{download_id\}/content/|/auth/mfa/verify/|/auth/verify-email/$|/auth/password/reset/confirm/",
        runs="FUZZ_SINGLE_USE_RUNS",
    ),
}
GROUPS = {
    "sessions-revoke": Group(r"/auth/sessions/\{"),
    "logout": Group(r"/auth/logout/$"),
    "password-change": Group(r"/auth/password/change/", user_email("password-change")),
    "delete-me": Group(r"/users/me/delete/", user_email("delete-me")),
    "recovery-codes": Group(r"/auth/mfa/recovery-codes/", runs="FUZZ_RECOVERY_RUNS"),
    "totp-confirm": Group(r"/auth/mfa/totp/confirm/", runs="FUZZ_TOTP_CONFIRM_RUNS"),
    "totp-disable": Group(r"/auth/mfa/totp/disable/", runs="FUZZ_TOTP_DISABLE_RUNS"),
    "logout-all": Group(r"/auth/logout-all/"),
    "users-admin": Group(r"/users/\{"),
}
REPORTS = ROOT / "reports" / "schemathesis"
CONFIG = Path(__file__).with_name("schemathesis.toml")
PHASES = "examples,coverage,fuzzing,stateful"
# schemathesis 4.32 has no serializer for application/offset+octet-stream (the tus bodies) and no setting to
# add one: its media type matching knows only the JSON, XML, YAML and text families, so this one alias is the
# only hook of the run.
HOOKS = "tests.uploads.schemathesis_hooks"
WARNINGS_BANNER = " WARNINGS "


def _schema_file(stack: Stack) -> Path:
    """The schema, fetched once with a generous timeout: generating it takes seconds on a loaded machine,
    and schemathesis gives a schema URL 10 s."""
    response = requests.get(f"{stack.base_url}/api/v1/schema/?format=json", timeout=120)
    response.raise_for_status()
    path = REPORTS / "schema.json"
    path.write_bytes(response.content)
    return path


def _seeded_schema(label: str, seeded: dict[str, str]) -> Path:
    """The schema with every value schemathesis.toml fixes also as the `example` of its parameter or body
    field. The examples phase then sends the seeded data first, as a valid case (the coverage phase's
    invalid variants of a fixed parameter send it too, and would use up what a DELETE deletes), and the
    coverage phase builds its valid bodies from examples (only the fuzzing phase applies `body.` parameters).
    A body's schema is copied into its operation first: components are shared (two operations take a
    `token`, each its own)."""
    schema = json.loads((REPORTS / "schema.json").read_text())
    fixed: dict[str, dict[str, object]] = {}
    for entry in tomllib.loads(CONFIG.read_text()).get("operations", []):
        ids = entry.get("include-operation-id", [])
        for operation_id in [ids] if isinstance(ids, str) else ids:
            for key, value in entry.get("parameters", {}).items():
                example = Template(value).substitute(seeded) if isinstance(value, str) else value
                fixed.setdefault(operation_id, {})[key] = example
    components = schema["components"]["schemas"]
    for methods in schema["paths"].values():
        for operation in methods.values():
            if isinstance(operation, dict) and operation.get("operationId") in fixed:
                _add_examples(operation, fixed[operation["operationId"]], components)
    path = REPORTS / f"{label}.schema.json"
    path.write_text(json.dumps(schema))
    return path


def _add_examples(operation: dict, fixed: dict[str, object], components: dict) -> None:
    for key, example in fixed.items():
        location, _, name = key.rpartition(".")
        if location == "body":
            media = operation["requestBody"]["content"]["application/json"]
            if "$ref" in media["schema"]:
                media["schema"] = copy.deepcopy(components[media["schema"]["$ref"].rsplit("/", 1)[-1]])
            media["schema"]["properties"][name]["example"] = example
            continue
        for parameter in operation.get("parameters", []):
            if parameter["name"] == name and location in ("", parameter["in"]):
                parameter["example"] = example


def _schemathesis(
    stack: Stack, token: str, *filters: str, label: str, phases: str, seeded: dict[str, str], deadline: float
) -> int:
    """One schemathesis run; non-zero on a failure or any warning (schemathesis.toml: `fail-on`, and its
    WARNINGS section is looked for in the output too, so dropping that setting cannot hide one)."""
    command = [
        str(Path(sys.executable).parent / "schemathesis"),
        "--config-file",
        str(CONFIG),
        "run",
        str(_seeded_schema(label, seeded)),
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
    env = {**os.environ, **seeded, "SCHEMATHESIS_HOOKS": os.environ.get("SCHEMATHESIS_HOOKS", HOOKS)}
    try:
        run = subprocess.run(
            command,
            cwd=ROOT,
            timeout=max(1.0, deadline - time.monotonic()),
            check=False,
            env=env,
            capture_output=True,
            text=True,
        )
    except subprocess.TimeoutExpired:
        print(f"schemathesis ({label}) ran past the FUZZ_TIMEOUT budget", file=sys.stderr)
        return 1
    sys.stdout.write(run.stdout)
    sys.stderr.write(run.stderr)
    if WARNINGS_BANNER in run.stdout:
        print(f"schemathesis ({label}) warned: see its WARNINGS above", file=sys.stderr)
        return run.returncode or 1
    return run.returncode


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
        seeded = {**seed(stack), "FUZZ_SESSION": other_session(stack), **dict.fromkeys(PER_RUN, "")}
        phases = os.environ.get("FUZZ_PHASES", PHASES)
        # A group is one operation or two: no link joins them to another, so they have no stateful phase.
        single = [phase for phase in phases.split(",") if phase != "stateful"]
        status = _groups(stack, FIRST, single, seeded, deadline)
        status |= _schemathesis(
            stack,
            stack.token(),
            "--exclude-path-regex",
            "|".join(group.pattern for group in (FIRST | GROUPS).values()),
            label="operations",
            phases=phases,
            seeded=seeded,
            deadline=deadline,
        )
        status |= _groups(stack, GROUPS, single, seeded, deadline)
    outcomes = _outcomes()
    rows = "".join(f"| {name} | {result} |\n" for name, result in outcomes.items())
    (REPORTS / "summary.md").write_text("| operation | outcome |\n|---|---|\n" + rows)
    failed = [name for name, result in outcomes.items() if result != "pass"]
    print(
        f"schemathesis: {len(outcomes)} operations, {len(failed)} not passing {failed}; "
        f"{'ok' if status == 0 else 'FAILED'}; reports in {REPORTS.relative_to(ROOT)}/"
    )
    return status


def _groups(stack: Stack, groups: dict[str, Group], phases: list[str], seeded: dict[str, str], deadline: float) -> int:
    status = 0
    for label, group in groups.items():
        if group.runs is None:
            runs = [(label, ",".join(phases), {})]
        elif len(entries := json.loads(seeded[group.runs])) == 1:
            runs = [(label, ",".join(phases), entries[0])]
        else:
            runs = [(f"{label}-{phase}", phase, entry) for phase, entry in zip(phases, entries, strict=False)]
        for run_label, run_phases, entry in runs:
            variables = {name: value for name, value in entry.items() if name.startswith("FUZZ_")}
            if "totp_secret" in entry:
                variables["FUZZ_CODE"] = pyotp.TOTP(entry["totp_secret"]).now()
            token = entry.get("token") or stack.token(entry.get("user", group.user), ADMIN_PASSWORD)
            status |= _schemathesis(
                stack,
                token,
                "--include-path-regex",
                group.pattern,
                label=run_label,
                phases=run_phases,
                seeded={**seeded, **variables},
                deadline=deadline,
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
