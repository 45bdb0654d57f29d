# syntax=docker/dockerfile:1
# Build stage: compile wheels with the build tools, which never reach the final image.
FROM python:3.11-slim-bookworm AS build
ENV PIP_NO_CACHE_DIR=1 PIP_DISABLE_PIP_VERSION_CHECK=1
RUN apt-get update \
    && apt-get install -y --no-install-recommends build-essential=12.9 \
    && rm -rf /var/lib/apt/lists/*
WORKDIR /build
COPY requirements.txt .
RUN python -m venv /opt/venv \
    && /opt/venv/bin/pip install --no-cache-dir -r requirements.txt

# Final stage: the virtualenv and the code, run as an unprivileged user.
FROM python:3.11-slim-bookworm
ENV PATH=/opt/venv/bin:$PATH \
    PYTHONDONTWRITEBYTECODE=1 \
    PYTHONUNBUFFERED=1 \
    DJANGO_SETTINGS_MODULE=config.settings.base \
    HOST=0.0.0.0 \
    PORT=8000 \
    VAR_DIR=/app/var
RUN groupadd --system --gid 10001 app && useradd --system --uid 10001 --gid app --home-dir /app --shell /usr/sbin/nologin app
COPY --from=build /opt/venv /opt/venv
WORKDIR /app
COPY --chown=app:app . .
RUN mkdir -p /app/var/media /app/var/static \
    && DEBUG=true SECRET_KEY=build-only python manage.py collectstatic --noinput --verbosity 0 \
    && rm -f /app/var/secret_key /app/var/link_signing_key /app/var/config_encryption_key /app/var/audit_signing_key.pem \
       /app/var/jwt-signing-key.pem \
    && chown -R app:app /app/var
USER 10001:10001
EXPOSE 8000
HEALTHCHECK --interval=30s --timeout=3s --start-period=20s --retries=3 \
    CMD ["python", "-c", "import os, urllib.request; urllib.request.urlopen(f\"http://127.0.0.1:{os.environ.get('PORT', '8000')}/health\", timeout=2)"]
# One image, the three processes of the Procfile (same environment for all; exactly one scheduler):
#   web:       docker run IMAGE                            (gunicorn on $PORT, $WEB_CONCURRENCY workers)
#   worker:    docker run IMAGE celery -A config worker    ($WORKER_CONCURRENCY processes)
#   scheduler: docker run IMAGE celery -A config beat      (a second one stands by: a lease in the database)
# The HEALTHCHECK above is the web's; give the worker and the scheduler `--no-healthcheck`.
CMD ["gunicorn", "-c", "config/gunicorn.conf.py"]
