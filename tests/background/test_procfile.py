"""The Procfile declares exactly web, worker and scheduler; the Dockerfile documents running each."""

from tests.support.servers import ROOT


def _procfile() -> dict[str, str]:
    lines = (ROOT / "Procfile").read_text().splitlines()
    return dict(line.split(": ", 1) for line in lines if line.strip())


def test_procfile__exactly_web_worker_scheduler():
    processes = _procfile()

    assert list(processes) == ["web", "worker", "scheduler"]
    assert processes["web"] == "gunicorn -c config/gunicorn.conf.py"  # $PORT, WEB_CONCURRENCY: the conf reads them
    assert processes["worker"] == "celery -A config worker"
    assert processes["scheduler"] == "celery -A config beat"


def test_dockerfile__documents_running_each_process():
    dockerfile = (ROOT / "Dockerfile").read_text()

    for name, command in _procfile().items():
        assert f"#   {name}:" in dockerfile
        if name != "web":
            assert f"docker run IMAGE {command}" in dockerfile
