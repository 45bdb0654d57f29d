import pytest
from django.core.management import call_command


@pytest.fixture
def run_command():
    """call_command returning (exit code, stdout, stderr); CommandError's returncode becomes the exit code."""
    import io

    from django.core.management.base import CommandError

    def run(name: str, *args: str) -> tuple[int, str, str]:
        out, err = io.StringIO(), io.StringIO()
        try:
            call_command(name, *args, stdout=out, stderr=err)
        except CommandError as exc:
            return exc.returncode, out.getvalue(), str(exc)
        return 0, out.getvalue(), err.getvalue()

    return run
