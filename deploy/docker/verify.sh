#!/usr/bin/env bash
# The Dockerfile's steps where no container runtime can run: the same install commands, in the same
# order, on a copy of the build context in a fresh directory outside the checkout; then the installed
# `trueport serve` is started the way the image starts it (its writable paths all under one data
# directory, from an empty working directory) and must answer /healthz and /readyz, then exit 0 on
# SIGTERM without having written anywhere else.
#
#   deploy/docker/verify.sh [--skip-console] [--keep]
#
#   --skip-console  leave out the two npm steps (the console is then served as 503, not built)
#   --keep          keep the work directory (printed at the start) for inspection
#
# Needs uv (the Makefile's), git, and for the console node and npm. UV_PYTHON names the interpreter
# the virtualenv is made with (default: python3 on PATH; the image uses its base image's 3.11).
# tests/deploy/test_image.py runs this script and checks that every "# install:" command below is the
# Dockerfile's.
set -euo pipefail

skip_console=0
keep=0
for arg in "$@"; do
  case "$arg" in
    --skip-console) skip_console=1 ;;
    --keep) keep=1 ;;
    *) echo "usage: $0 [--skip-console] [--keep]" >&2; exit 2 ;;
  esac
done

root="$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)"
work="$(mktemp -d "${TMPDIR:-/tmp}/trueport-verify.XXXXXX")"
server_pid=""
cleanup() {
  if [ -n "$server_pid" ] && kill -0 "$server_pid" 2>/dev/null; then kill -KILL "$server_pid" 2>/dev/null || true; fi
  if [ "$keep" -eq 0 ]; then rm -rf "$work"; fi
}
trap cleanup EXIT
step() { printf '==> %s\n' "$*"; }
step "work directory: $work"

# The build context: the checkout's files that git tracks or would track (gitignored ones, such as a
# local console build, virtualenvs and node_modules, stay out, as .dockerignore keeps them out).
context="$work/src"
mkdir -p "$context"
# shellcheck disable=SC2016 # "$f" belongs to the inner sh
git -C "$root" ls-files -z --cached --others --exclude-standard \
  | (cd "$root" && xargs -0 sh -c 'for f; do [ -f "$f" ] && printf "%s\0" "$f"; done' sh) \
  | tar -C "$root" --null -T - -cf - | tar -C "$context" -xf -

# The build stage's environment (Dockerfile: ENV of stage `build`), the virtualenv in $work.
export UV_PROJECT_ENVIRONMENT="$work/venv" UV_COMPILE_BYTECODE=1 UV_LINK_MODE=copy UV_PYTHON_DOWNLOADS=never
unset VIRTUAL_ENV PYTHONPATH PYTHONHOME
if ! command -v uv >/dev/null 2>&1; then uv() { python3 -m uv "$@"; }; fi  # as the Makefile finds it
export UV_PYTHON="${UV_PYTHON:-python3}"

cd "$context"
step "dependencies"
# install: dependencies
uv sync --frozen --no-dev --extra server --no-install-project --no-editable

if [ "$skip_console" -eq 0 ]; then
  cd "$context/console"
  export TRUEPORT_PYTHON="$work/venv/bin/python" PYTHONPATH="$context/src" NG_CLI_ANALYTICS=false
  step "console dependencies"
  # install: console dependencies
  npm ci --no-audit --no-fund
  step "console build"
  # install: console build
  npm run build
  unset PYTHONPATH
  test -f "$context/src/trueport/console/dist/index.html"
fi

cd "$context"
step "package"
# install: package
uv sync --frozen --no-dev --extra server --no-editable

venv="$work/venv"
step "no development tools in the virtualenv"
for tool in pytest mypy ruff uv pip-compile hadolint; do
  if [ -e "$venv/bin/$tool" ]; then echo "development tool in the runtime virtualenv: $tool" >&2; exit 1; fi
done
for dist in pytest mypy ruff moto schemathesis hypothesis playwright; do
  if "$venv/bin/python" -c "import importlib.metadata as m, sys; m.distribution(sys.argv[1])" "$dist" 2>/dev/null; then
    echo "development package in the runtime virtualenv: $dist" >&2
    exit 1
  fi
done

step "the server extra's backends are in the virtualenv"
for module in asyncpg redis boto3 google.auth opentelemetry.sdk; do
  "$venv/bin/python" -c "import importlib, sys; importlib.import_module(sys.argv[1])" "$module" \
    || { echo "the image lacks $module (the server extra)" >&2; exit 1; }
done

# The runtime stage: the image's ENV, with /var/lib/trueport replaced by $work/data; the working
# directory is empty, and the source copy is moved away so that nothing can import it.
mv "$context" "$work/src.moved"
data="$work/data"
home="$work/home"
mkdir -p "$data" "$home"
export HOME="$data" PYTHONDONTWRITEBYTECODE=1 PYTHONUNBUFFERED=1 TRUEPORT_LOG_FORMAT=json
export TRUEPORT_DATABASE="sqlite:///$data/trueport.db"
export TRUEPORT_AUDIT__SPOOL_DIR="$data/audit-spool"
export TRUEPORT_AUDIT__ARCHIVE_DIR="$data/audit-archive"
config="$work/trueport.yaml"
cat >"$config" <<'YAML'
providers: {up: {type: openai, base_url: "http://127.0.0.1:9/v1"}}
models: {m: [{provider: up, model: m}]}
server: {shutdown_grace_s: 5}
YAML
port="$("$venv/bin/python" -c 'import socket; s = socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])')"

step "trueport serve on 127.0.0.1:$port"
cd "$home"
"$venv/bin/trueport" serve --config "$config" --host 127.0.0.1 --port "$port" >"$work/serve.log" 2>&1 &
server_pid=$!
get() { "$venv/bin/python" -c 'import sys, urllib.request; print(urllib.request.urlopen(sys.argv[1], timeout=4).read().decode())' "$1"; }
deadline=$((SECONDS + 120))
until get "http://127.0.0.1:$port/readyz" >"$work/readyz.json" 2>/dev/null; do
  if ! kill -0 "$server_pid" 2>/dev/null; then cat "$work/serve.log" >&2; echo "trueport serve exited" >&2; exit 1; fi
  if [ "$SECONDS" -ge "$deadline" ]; then cat "$work/serve.log" >&2; echo "not ready in 120 s" >&2; exit 1; fi
  sleep 0.5
done
grep -q '"ready"' "$work/readyz.json" || { cat "$work/readyz.json" >&2; exit 1; }
get "http://127.0.0.1:$port/healthz" >/dev/null
if [ "$skip_console" -eq 0 ]; then # the console's assets came with the package
  get "http://127.0.0.1:$port/console/" | grep -i '<!doctype html>' >/dev/null || { echo "no console at /console/" >&2; exit 1; }
  step "the console is served"
fi
step "ready: $(cat "$work/readyz.json")"

step "SIGTERM"
kill -TERM "$server_pid"
status=0
wait "$server_pid" || status=$?
server_pid=""
if [ "$status" -ne 0 ]; then cat "$work/serve.log" >&2; echo "trueport serve exited $status on SIGTERM" >&2; exit 1; fi

# Read-only root filesystem: the working directory stayed empty, the data directory got the rest.
if [ -n "$(ls -A "$home")" ]; then echo "written outside the data directory: $(ls -A "$home")" >&2; exit 1; fi
test -f "$data/trueport.db"
test -d "$data/audit-spool"
step "OK"
