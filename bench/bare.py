"""The reference of the hot-path benchmark: a separate, bare Django + DRF project, generated afresh.

`generate(directory, database_url)` runs `django-admin startproject bareref` and `startapp rows` with the
same Python and Django, and changes only what a measurement needs: DEBUG off, the loopback host allowed,
`rest_framework` and `rows` installed, the database (the benchmark's PostgreSQL, so the write reference
pays for the same database as the project does; startproject's SQLite otherwise), and three views:
- `GET /bytes/<name>/`: one APIView returning the bytes of `<dir>/bytes/<name>` (loaded once per worker),
  with its `ETag` and a 304 on a matching `If-None-Match`: what the project serves, minus the project;
- `POST /rows/`: insert one row from the JSON body, answer it (201);
- `PATCH /rows/<id>/`: update that row's value, answer it (200).
Everything else (middleware, DRF's default authentication and permission classes) is startproject's and
DRF's own default. Imports no Django itself: the project is run by its own gunicorn.
"""

from __future__ import annotations

import os
import re
import subprocess
import sys
from pathlib import Path

VIEWS = """
from pathlib import Path

from django.conf import settings
from django.http import HttpResponse, JsonResponse
from rest_framework.views import APIView

from rows.models import Row

_BYTES = {}


def health(request):
    return HttpResponse(b"ok")


class BytesView(APIView):
    def get(self, request, name):
        if name not in _BYTES:
            path, etag = Path(settings.BYTES_DIR) / name, Path(settings.BYTES_DIR) / f"{name}.etag"
            _BYTES[name] = (path.read_bytes(), etag.read_text() if etag.exists() else "")
        body, etag = _BYTES[name]
        if etag and request.headers.get("If-None-Match") == etag:
            response = HttpResponse(status=304)
        else:
            response = HttpResponse(body, content_type="application/json")
        if etag:
            response["ETag"] = etag
        return response


class RowsView(APIView):
    def post(self, request):
        row = Row.objects.create(key=request.data["key"], value=request.data["value"])
        return JsonResponse({"id": row.pk, "key": row.key, "value": row.value}, status=201)


class RowView(APIView):
    def patch(self, request, pk):
        Row.objects.filter(pk=pk).update(value=request.data["value"])
        return JsonResponse({"id": pk, "value": request.data["value"]})
"""

URLS = """
from django.urls import path

from bareref import views

urlpatterns = [
    path("health", views.health),
    path("bytes/<str:name>/", views.BytesView.as_view()),
    path("rows/", views.RowsView.as_view()),
    path("rows/<int:pk>/", views.RowView.as_view()),
]
"""

MODELS = """
from django.db import models


class Row(models.Model):
    key = models.CharField(max_length=128)
    value = models.JSONField()
"""


def _run(*args: str, cwd: Path) -> None:
    # Not the caller's settings module (importing the project's `config` package sets it): the bare project's own.
    env = {key: value for key, value in os.environ.items() if key != "DJANGO_SETTINGS_MODULE"}
    result = subprocess.run(
        [sys.executable, *args], cwd=cwd, env=env, capture_output=True, text=True, timeout=300, check=False
    )
    if result.returncode != 0:
        raise RuntimeError(f"{' '.join(args)} failed: {result.stderr[-1500:]}")


def generate(directory: Path, database_url: str | None) -> Path:
    """Create the bare project in `directory` (migrated); returns its root (the gunicorn cwd)."""
    directory.mkdir(parents=True, exist_ok=True)
    _run("-m", "django", "startproject", "bareref", str(directory), cwd=directory)
    _run("manage.py", "startapp", "rows", cwd=directory)
    (directory / "bytes").mkdir()
    settings = directory / "bareref" / "settings.py"
    text = settings.read_text()
    text = text.replace("DEBUG = True", "DEBUG = False")
    text = text.replace("ALLOWED_HOSTS = []", 'ALLOWED_HOSTS = ["127.0.0.1", "localhost"]')
    text = re.sub(r"(INSTALLED_APPS = \[)", r'\1\n    "rest_framework",\n    "rows",', text)
    text += f"\nBYTES_DIR = {str(directory / 'bytes')!r}\n"
    if database_url:
        text += f"\nimport environ\n\nDATABASES = {{'default': environ.Env.db_url_config({database_url!r})}}\n"
    settings.write_text(text)
    (directory / "bareref" / "views.py").write_text(VIEWS)
    (directory / "bareref" / "urls.py").write_text(URLS)
    (directory / "rows" / "models.py").write_text(MODELS)
    _run("manage.py", "makemigrations", "rows", "-v", "0", cwd=directory)
    _run("manage.py", "migrate", "--noinput", "-v", "0", cwd=directory)
    return directory
