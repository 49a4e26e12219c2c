#!/usr/bin/env bash
# Build the repository's Dockerfile with podman, without a Docker engine and without any
# container registry, then run the image: the CLI, `serve` on its embedded defaults, and the
# production set-up (migration job, API, worker) against a private PostgreSQL and Redis that
# this script starts on ports of its own, with one chat turn through the API.
#
#   deploy/podman-smoke.sh            # everything (25 minutes from no image on a loaded 2-core machine)
#   KEEP=1 deploy/podman-smoke.sh     # leave the work folder (logs) behind
#
# Base images cannot be pulled here, so two local stand-ins are made and tagged with the exact
# names the Dockerfile's FROM lines use, which then build unchanged with --pull=never:
#   python:3.11-slim-trixie   <- Debian 12 (debootstrap, minbase) with Debian's python3.11:
#                                NOT the official image (that is Debian 13 with a CPython
#                                built into /usr/local); same Python minor, same slim idea.
#   ghcr.io/astral-sh/uv:X    <- the uv and uvx binaries of the `uv==X` wheel from PyPI, in an
#                                image from scratch, as the official one is.
# docs/deploy.md ("Building and running the image without Docker") explains each workaround.
set -euo pipefail

ROOT=$(cd "$(dirname "$0")/.." && pwd)
WORK=${WORK:-/var/tmp/mocheong-podman}
IMAGE=${MOCHEONG_IMAGE:-mocheong:local}
# Ports of this run's own services and containers, away from the machine's shared ones.
PG_PORT=${PG_PORT:-15499}
REDIS_PORT=${REDIS_PORT:-16399}
DEV_PORT=${DEV_PORT:-18610}
API_PORT=${API_PORT:-18611}
PY_BASE=docker.io/library/python:3.11-slim-trixie
UV_VERSION=$(sed -n 's|^FROM ghcr.io/astral-sh/uv:\([^ ]*\) .*|\1|p' "$ROOT/Dockerfile")
UV_BASE=ghcr.io/astral-sh/uv:$UV_VERSION
RUN_ID=mocheong-smoke-$$

say() { printf '\n== %s\n' "$*"; }
fail() { printf 'FAIL: %s\n' "$*" >&2; exit 1; }
# podman 4.3 without systemd logs an error for every healthcheck timer it cannot make; the
# healthcheck itself still runs on demand (`podman healthcheck run`).
quiet() { "$@" 2> >(grep -v 'systemd connection' >&2); }

mkdir -p "$WORK"

say "packages"
need=()
for tool in podman:podman runc:runc debootstrap:debootstrap redis-server:redis-server; do
    command -v "${tool%%:*}" > /dev/null || need+=("${tool#*:}")
done
pg_initdb() { # Debian keeps the server's binaries off PATH, under /usr/lib/postgresql/N/bin
    local found=(/usr/lib/postgresql/*/bin/initdb)
    command -v initdb || echo "${found[-1]}"
}
[ -x "$(pg_initdb)" ] || need+=(postgresql)
if ((${#need[@]})); then
    apt-get update -q
    DEBIAN_FRONTEND=noninteractive apt-get install -y -q "${need[@]}"
fi
PG_BIN=$(dirname "$(readlink -f "$(pg_initdb)")")
podman --version

# A private podman configuration (the machine's stays untouched):
# - runc, not crun: crun 1.8 refuses this machine's hybrid cgroups ("cgroups in hybrid mode
#   not supported, drop all controllers from cgroupv2"), --cgroups=disabled included;
# - explicit ulimits: podman asks for nofile=1048576 and nproc=4194304 by default, and without
#   CAP_SYS_RESOURCE (missing in this sandbox) raising a hard limit fails ("setrlimit
#   RLIMIT_NOFILE: Operation not permitted"). Even `--ulimit host` fails, as conmon runs with a
#   lower nproc (32768) than the shell.
export CONTAINERS_CONF=$WORK/containers.conf
cat > "$CONTAINERS_CONF" << EOF
[containers]
default_ulimits = ["nofile=$(ulimit -Hn):$(ulimit -Hn)", "nproc=4096:4096"]
[engine]
runtime = "runc"
EOF

say "base images (local stand-ins)"
if ! podman image exists "$PY_BASE"; then
    rm -rf "$WORK/rootfs"
    # The same packages as the official slim image, with Debian's Python instead of its own;
    # python-is-python3 gives the `python` the HEALTHCHECK calls.
    debootstrap --variant=minbase \
        --include=python3.11,python3,python-is-python3,ca-certificates,netbase,tzdata \
        bookworm "$WORK/rootfs" http://deb.debian.org/debian > "$WORK/debootstrap.log"
    rm -rf "$WORK"/rootfs/var/cache/apt/archives/*.deb "$WORK"/rootfs/var/lib/apt/lists/*
    # SSL_CERT_FILE: uv trusts its own Mozilla roots unless told otherwise, and this sandbox
    # reaches PyPI through a TLS-intercepting proxy whose CA the build mounts (below).
    tar --numeric-owner -C "$WORK/rootfs" -c . | podman import \
        --change 'ENV LANG=C.UTF-8' \
        --change 'ENV SSL_CERT_FILE=/etc/ssl/certs/ca-certificates.crt' \
        --change 'CMD ["python3"]' - "$PY_BASE"
    rm -rf "$WORK/rootfs"
fi
if ! podman image exists "$UV_BASE"; then
    rm -rf "$WORK/uv" && mkdir -p "$WORK/uv"
    pip download -q --no-deps --only-binary=:all: --platform manylinux_2_17_x86_64 \
        --python-version 3.11 "uv==$UV_VERSION" -d "$WORK/uv"
    python3 -m zipfile -e "$WORK"/uv/uv-*.whl "$WORK/uv/wheel"
    install -m 755 "$WORK"/uv/wheel/uv-*.data/scripts/uv "$WORK"/uv/wheel/uv-*.data/scripts/uvx \
        "$WORK/uv/"
    printf 'FROM scratch\nCOPY uv uvx /\n' | podman build -q -t "$UV_BASE" -f - "$WORK/uv"
fi
podman image inspect --format '{{index .RepoTags 0}} {{.Size}} bytes' "$PY_BASE" "$UV_BASE"

say "build $IMAGE"
# --format docker keeps the HEALTHCHECK (OCI images have none); --network host because the
# RUN steps need PyPI; the host's CA bundle is mounted for the build steps only, not copied.
time quiet podman build --pull=never --format docker --network host \
    -v /etc/ssl/certs/ca-certificates.crt:/etc/ssl/certs/ca-certificates.crt:ro \
    -t "$IMAGE" "$ROOT" > "$WORK/build.log" 2>&1 || { tail -30 "$WORK/build.log"; fail "build"; }
tail -2 "$WORK/build.log"

say "image checks"
podman image inspect --format '{{index .RepoTags 0}} {{.Size}} bytes' "$IMAGE"
[ "$(podman inspect "$IMAGE" --format '{{.Config.User}}')" = 10001:10001 ] || fail "not user 10001"
# Nothing named like a secret in the environment, the history or the image's files.
podman inspect "$IMAGE" --format '{{range .Config.Env}}{{println .}}{{end}}' \
    | grep -iE 'secret|password|token|_key' | grep -v '^SSL_CERT_FILE=' && fail "secret in ENV"
podman history --no-trunc --format '{{.CreatedBy}}' "$IMAGE" \
    | grep -iE 'MOCHEONG_[A-Z_]*(SECRET|PASSWORD|KEY)[A-Z_]*=' && fail "secret in history"
# shellcheck disable=SC2016 # expanded by the container's shell
quiet podman run --rm --entrypoint sh "$IMAGE" -c \
    'test "$(id -u)" = 10001 && ! ls /app/src /app/.env /var/lib/mocheong/* 2>/dev/null' \
    || fail "source tree, .env or data baked into the image"
quiet podman run --rm "$IMAGE" --help > "$WORK/help.txt"
head -1 "$WORK/help.txt"

cleanup() {
    set +e
    for c in "$RUN_ID-dev" "$RUN_ID-api" "$RUN_ID-worker" "$RUN_ID-migrate"; do
        quiet podman rm -f -t 5 "$c" > /dev/null 2>&1
    done
    [ -f "$WORK/redis.pid" ] && kill "$(cat "$WORK/redis.pid")" 2> /dev/null
    [ -d "$WORK/pg/data" ] && "${PG_AS[@]}" "$PG_BIN/pg_ctl" -D "$WORK/pg/data" -m fast stop > /dev/null 2>&1
    rm -f "$WORK/redis.pid"
    [ -n "${KEEP:-}" ] || rm -rf "$WORK/pg" "$WORK/secrets"
}
# PostgreSQL refuses to run as root: as the postgres user when there is one.
PG_AS=(env)
[ "$(id -u)" = 0 ] && id postgres > /dev/null 2>&1 && PG_AS=(runuser -u postgres --)
trap cleanup EXIT

wait_http() { # url seconds
    for _ in $(seq "$2"); do curl -sf -o /dev/null "$1" && return 0; sleep 1; done
    return 1
}
check_status() { # url expected-status
    local got
    got=$(curl -s -o /dev/null -w '%{http_code}' "$1")
    echo "$1 -> $got"
    [ "$got" = "$2" ] || fail "$1 answered $got, not $2"
}
stop_and_check() { # container: SIGTERM, then the exit code must be 0 (R9)
    quiet podman stop -t 40 "$1" > /dev/null
    local code
    code=$(podman inspect "$1" --format '{{.State.ExitCode}}')
    echo "$1 stopped, exit $code"
    [ "$code" = 0 ] || { podman logs --tail 20 "$1"; fail "$1 exited $code on SIGTERM"; }
}

say "serve on the embedded defaults (SQLite, in-process broker, local files)"
quiet podman run -d --name "$RUN_ID-dev" --network host \
    -e MOCHEONG_ENV=development -e MOCHEONG_PORT="$DEV_PORT" "$IMAGE" > /dev/null
wait_http "http://127.0.0.1:$DEV_PORT/health" 120 || { podman logs "$RUN_ID-dev"; fail "no /health"; }
check_status "http://127.0.0.1:$DEV_PORT/health" 200
check_status "http://127.0.0.1:$DEV_PORT/ready" 200
check_status "http://127.0.0.1:$DEV_PORT/" 200
quiet podman healthcheck run "$RUN_ID-dev" && echo "image HEALTHCHECK: healthy"
stop_and_check "$RUN_ID-dev"

say "private PostgreSQL :$PG_PORT and Redis :$REDIS_PORT"
rm -rf "$WORK/pg" && mkdir -p "$WORK/pg/data"
chown -R postgres: "$WORK/pg" 2> /dev/null || true
"${PG_AS[@]}" "$PG_BIN/initdb" -D "$WORK/pg/data" -U postgres -A trust > "$WORK/initdb.log"
"${PG_AS[@]}" "$PG_BIN/pg_ctl" -D "$WORK/pg/data" -l "$WORK/pg/log" -w \
    -o "-p $PG_PORT -k $WORK/pg -c listen_addresses=127.0.0.1" start > /dev/null
redis-server --port "$REDIS_PORT" --bind 127.0.0.1 --save '' --appendonly no --daemonize yes \
    --pidfile "$WORK/redis.pid" --logfile "$WORK/redis.log"

# Secrets as files, mounted read-only and named by <VAR>_FILE, as compose and Kubernetes do.
mkdir -p "$WORK/secrets"
printf %s "postgresql+psycopg://postgres@127.0.0.1:$PG_PORT/postgres" > "$WORK/secrets/database_url"
python3 -c 'import secrets; print(secrets.token_urlsafe(48), end="")' > "$WORK/secrets/jwt_secret"
chmod 644 "$WORK"/secrets/*
APP=(--network host
    -v "$WORK/secrets:/run/secrets/mocheong:ro"
    -e MOCHEONG_DATABASE_URL_FILE=/run/secrets/mocheong/database_url
    -e MOCHEONG_JWT_SECRET_FILE=/run/secrets/mocheong/jwt_secret
    -e MOCHEONG_REDIS_URL="redis://127.0.0.1:$REDIS_PORT/0"
    -e MOCHEONG_PUBLIC_BASE_URL="http://127.0.0.1:$API_PORT"
    -e MOCHEONG_PORT="$API_PORT")

say "migration job: mocheong db upgrade"
quiet podman run --name "$RUN_ID-migrate" "${APP[@]}" "$IMAGE" db upgrade > "$WORK/migrate.log" 2>&1 \
    || { tail -20 "$WORK/migrate.log"; fail "db upgrade"; }
echo "db upgrade: exit 0, $(tail -1 "$WORK/migrate.log")"

say "API and worker (production settings)"
quiet podman run -d --name "$RUN_ID-api" "${APP[@]}" "$IMAGE" serve > /dev/null
quiet podman run -d --name "$RUN_ID-worker" "${APP[@]}" "$IMAGE" worker > /dev/null
wait_http "http://127.0.0.1:$API_PORT/ready" 120 || { podman logs "$RUN_ID-api"; fail "API not ready"; }
check_status "http://127.0.0.1:$API_PORT/health" 200
check_status "http://127.0.0.1:$API_PORT/ready" 200

say "one chat turn: register, page, POST /api/chat, the reply read from the SSE stream"
python3 "$ROOT/deploy/podman-chat-turn.py" "http://127.0.0.1:$API_PORT"

say "worker health beat"
for _ in $(seq 60); do
    quiet podman exec "$RUN_ID-worker" mocheong worker check 2> /dev/null && break
    sleep 1
done
quiet podman exec "$RUN_ID-worker" mocheong worker check && echo "mocheong worker check: exit 0"

say "SIGTERM: both exit 0"
stop_and_check "$RUN_ID-api"
stop_and_check "$RUN_ID-worker"

say "all checks passed"
