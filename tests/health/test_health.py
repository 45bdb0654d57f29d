import pytest

from health import checks


def test_liveness__always__returns_ok_without_touching_dependencies(db, client, django_assert_num_queries):
    with django_assert_num_queries(0):
        response = client.get("/health")
    assert response.status_code == 200
    assert response.json() == {"status": "ok"}


@pytest.mark.django_db(transaction=True)
def test_readiness__all_dependencies_up__returns_200_with_each_check(client):
    response = client.get("/ready")
    body = response.json()
    assert response.status_code == 200, body
    assert body["status"] == "ok"
    assert set(body["checks"]) == {"database", "migrations", "cache", "storage"}
    assert all(check["status"] == "ok" and "latency_ms" in check for check in body["checks"].values())


@pytest.mark.django_db(transaction=True)
def test_readiness__failing_check__returns_503_naming_it(client, monkeypatch):
    def broken():
        raise ConnectionError("connection refused")

    monkeypatch.setitem(checks.CHECKS, "cache", broken)
    response = client.get("/ready")
    body = response.json()
    assert response.status_code == 503
    assert response["Retry-After"]
    assert body["status"] == "fail"
    assert body["checks"]["cache"]["status"] == "fail"
    assert body["checks"]["database"]["status"] == "ok"


@pytest.mark.django_db(transaction=True)
def test_readiness__failing_check__names_it_but_keeps_the_exception_text_in_the_log(client, monkeypatch, caplog):
    def broken():
        raise ConnectionError("connection to db-primary.internal:5432 as user app_rw refused")

    monkeypatch.setitem(checks.CHECKS, "database", broken)
    with caplog.at_level("WARNING", logger="health.checks"):
        body = client.get("/ready").json()

    assert body["checks"]["database"] == {
        "status": "fail",
        "error": checks.FAILED,
        "latency_ms": pytest.approx(0, abs=50),
    }
    assert "db-primary" not in str(body) and "app_rw" not in str(body)
    assert any("database" in r.getMessage() and "db-primary.internal" in r.getMessage() for r in caplog.records)


def test_run_checks__hanging_check__fails_by_deadline(monkeypatch):
    import threading

    release = threading.Event()
    monkeypatch.setattr(checks, "DEADLINE_SECONDS", 0.2)
    results = checks.run_checks({"slow": lambda: release.wait(5)})
    release.set()
    assert results["slow"]["status"] == "fail"
    assert "timed out" in results["slow"]["error"]


def test_metrics__after_a_request__exposes_request_counter(db, client):  # /metrics counts the outbox
    client.get("/health")
    response = client.get("/metrics")
    assert response.status_code == 200
    assert b'http_requests_total{method="GET",route="/health",status="200"}' in response.content


def test_check_storage__media_root_not_created_yet__passes(settings, tmp_path):
    settings.MEDIA_ROOT = str(tmp_path / "not" / "yet")  # a fresh install: created on the first upload

    checks.check_storage()


def test_check_storage__media_root_under_a_file__fails(settings, tmp_path):
    (tmp_path / "a-file").write_text("x")
    settings.MEDIA_ROOT = str(tmp_path / "a-file" / "media")

    with pytest.raises(RuntimeError, match="not writable"):
        checks.check_storage()
