# syntax=docker/dockerfile:1
# One image for the API (`serve`, the default), the worker (`worker`) and the CLI
# (`db upgrade`, `create-admin`, ...): the entrypoint is `mocheong`. Built on uv's documented
# pattern: the locked dependencies first (a layer that changes only with uv.lock), then the
# project, both through a cache mount; the final stage holds the virtual environment alone.
# docs/deploy.md describes how to build and run it.

ARG PYTHON_VERSION=3.11

FROM ghcr.io/astral-sh/uv:0.13.9 AS uv

FROM python:${PYTHON_VERSION}-slim-trixie AS builder
COPY --from=uv /uv /uvx /bin/
# Bytecode compiled at build time (faster starts); copies, not links, out of the cache mount;
# the image's own Python, never one uv downloads.
ENV UV_COMPILE_BYTECODE=1 \
    UV_LINK_MODE=copy \
    UV_PYTHON_DOWNLOADS=0
WORKDIR /app
# Absolute mount targets: BuildKit also takes them relative to WORKDIR, buildah 1.28 (Debian 12's
# podman) refuses a relative one ("invalid container path \"uv.lock\", must be an absolute path").
RUN --mount=type=cache,target=/root/.cache/uv \
    --mount=type=bind,source=uv.lock,target=/app/uv.lock \
    --mount=type=bind,source=pyproject.toml,target=/app/pyproject.toml \
    uv sync --locked --no-install-project --no-dev
COPY pyproject.toml uv.lock README.md ./
COPY src ./src
# The project itself as a wheel (not editable), so the final stage needs no source tree.
RUN --mount=type=cache,target=/root/.cache/uv \
    uv sync --locked --no-dev --no-editable

FROM python:${PYTHON_VERSION}-slim-trixie AS runtime
# A fixed numeric id so Kubernetes' runAsNonRoot can check it without a passwd lookup.
RUN groupadd --system --gid 10001 mocheong \
    && useradd --system --uid 10001 --gid mocheong --home-dir /var/lib/mocheong \
       --shell /usr/sbin/nologin mocheong \
    && install -d -o mocheong -g mocheong /var/lib/mocheong
COPY --from=builder --chown=root:root /app/.venv /app/.venv
# No secret here: each one comes at run time from the environment or, better, from a mounted
# file named by `<VAR>_FILE` (MOCHEONG_JWT_SECRET_FILE, MOCHEONG_DATABASE_URL_FILE, ...).
ENV PATH="/app/.venv/bin:${PATH}" \
    PYTHONUNBUFFERED=1 \
    MOCHEONG_ENV=production \
    MOCHEONG_HOST=0.0.0.0 \
    MOCHEONG_PORT=8000 \
    MOCHEONG_DATA_DIR=/var/lib/mocheong
WORKDIR /var/lib/mocheong
USER 10001:10001
EXPOSE 8000
# Liveness only: the process answers. The worker and one-off commands, which serve no HTTP,
# turn it off (compose.yaml) or are probed by Kubernetes instead (deploy/k8s).
HEALTHCHECK --interval=10s --timeout=3s --start-period=20s --retries=3 \
    CMD ["python", "-c", "import os, urllib.request; urllib.request.urlopen('http://127.0.0.1:%s/health' % os.environ.get('MOCHEONG_PORT', '8000'), timeout=2)"]
ENTRYPOINT ["mocheong"]
CMD ["serve"]
