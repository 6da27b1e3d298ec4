# syntax=docker/dockerfile:1
# TruePort's container image: `docker build -t trueport .` from the repository's root.
#
# Stages: `build` installs the locked runtime dependencies into /opt/venv with uv: the `server` extra
# (PostgreSQL, Redis, AWS, Vertex AI, OpenTelemetry), no development group; `console` builds the
# console's assets with npm; `install` puts the package itself, with those assets, into the same
# virtualenv; the final stage is a slim Python with that virtualenv and nothing else (no uv, no node,
# no compiler). It runs as an unprivileged user and writes only under /var/lib/trueport (a volume)
# and /tmp, so it runs with a read-only root filesystem.
#
# The install commands (each RUN after an "# install:" line) are the ones deploy/docker/verify.sh runs
# in a fresh virtualenv where no container runtime is at hand; tests/deploy checks that they stay the
# same. Caches are BuildKit cache mounts, so they stay out of the layers.

ARG PYTHON_IMAGE=python:3.11-slim-bookworm
ARG NODE_IMAGE=node:22-bookworm-slim

# ---------------------------------------------------------------------------------------------------
FROM ${PYTHON_IMAGE} AS build
# uv's version is the Makefile's UV_VERSION.
ARG UV_VERSION=0.13.8
ENV UV_PROJECT_ENVIRONMENT=/opt/venv \
    UV_COMPILE_BYTECODE=1 \
    UV_LINK_MODE=copy \
    UV_PYTHON_DOWNLOADS=never \
    PIP_DISABLE_PIP_VERSION_CHECK=1
RUN pip install --no-cache-dir "uv==${UV_VERSION}"
WORKDIR /src
# Dependencies first, from the lock alone: this layer is rebuilt only when the lock changes.
COPY pyproject.toml uv.lock README.md LICENSE ./
# install: dependencies
RUN --mount=type=cache,target=/root/.cache/uv \
    uv sync --frozen --no-dev --extra server --no-install-project --no-editable
COPY src/ src/

# ---------------------------------------------------------------------------------------------------
# The console's build reads the server's OpenAPI schema (`python -m trueport.console.openapi`, see
# console/scripts/generate-api.mjs), so it runs on the build stage with node copied in.
FROM ${NODE_IMAGE} AS node

FROM build AS console
COPY --from=node /usr/local/bin/node /usr/local/bin/node
COPY --from=node /usr/local/lib/node_modules/npm /usr/local/lib/node_modules/npm
RUN ln -s ../lib/node_modules/npm/bin/npm-cli.js /usr/local/bin/npm
ENV TRUEPORT_PYTHON=/opt/venv/bin/python \
    PYTHONPATH=/src/src \
    NG_CLI_ANALYTICS=false
WORKDIR /src/console
COPY console/package.json console/package-lock.json ./
# install: console dependencies
RUN --mount=type=cache,target=/root/.npm \
    npm ci --no-audit --no-fund
COPY console/ ./
# install: console build
RUN npm run build

# ---------------------------------------------------------------------------------------------------
FROM build AS install
# The console's assets land in src/trueport/console/dist (console/angular.json's outputPath), which
# the wheel takes in as package data.
COPY --from=console /src/src/trueport/console/dist/ src/trueport/console/dist/
# install: package
RUN --mount=type=cache,target=/root/.cache/uv \
    uv sync --frozen --no-dev --extra server --no-editable

# ---------------------------------------------------------------------------------------------------
FROM ${PYTHON_IMAGE} AS runtime
ARG VERSION=0.1.0
ARG REVISION=unknown
ARG CREATED=unknown
ARG SOURCE_URL=""
LABEL org.opencontainers.image.title="TruePort" \
      org.opencontainers.image.description="A defensible, multi-tenant AI gateway: OpenAI- and Anthropic-compatible proxy with virtual keys, limits, guardrails and an auditable trail." \
      org.opencontainers.image.licenses="Apache-2.0" \
      org.opencontainers.image.version="${VERSION}" \
      org.opencontainers.image.revision="${REVISION}" \
      org.opencontainers.image.created="${CREATED}" \
      org.opencontainers.image.source="${SOURCE_URL}"

# A fixed, unprivileged uid/gid (10001) that Kubernetes' runAsUser and compose's user can name.
RUN groupadd --system --gid 10001 trueport \
 && useradd --system --uid 10001 --gid trueport --home-dir /var/lib/trueport --no-create-home \
      --shell /usr/sbin/nologin trueport \
 && install -d -o trueport -g trueport -m 0750 /var/lib/trueport /etc/trueport

COPY --from=install /opt/venv /opt/venv

# Every path TruePort writes is set here and can be overridden (env or the YAML config): the SQLite
# file of a single-container installation, the audit spool (fsync'd hand-off while the database is
# away) and the local audit archive (unused when audit.archive_s3 is set). Nothing else is written
# but temporary files in /tmp: mount a tmpfs there on a read-only root filesystem.
ENV PATH=/opt/venv/bin:$PATH \
    PYTHONDONTWRITEBYTECODE=1 \
    PYTHONUNBUFFERED=1 \
    HOME=/var/lib/trueport \
    TRUEPORT_DATABASE=sqlite:////var/lib/trueport/trueport.db \
    TRUEPORT_AUDIT__SPOOL_DIR=/var/lib/trueport/audit-spool \
    TRUEPORT_AUDIT__ARCHIVE_DIR=/var/lib/trueport/audit-archive \
    TRUEPORT_LOG_FORMAT=json

WORKDIR /var/lib/trueport
VOLUME ["/var/lib/trueport"]
USER 10001:10001
EXPOSE 8080

# uvicorn drains on SIGTERM: calls in flight (streams included) may finish for server.shutdown_grace_s
# (30 s by default), then records and audit events are written and the process exits 0. Give the
# orchestrator's stop timeout more than that (compose: stop_grace_period; Kubernetes:
# terminationGracePeriodSeconds).
STOPSIGNAL SIGTERM
# No curl in a slim image: the interpreter that is there asks /healthz (liveness, no dependencies).
HEALTHCHECK --interval=15s --timeout=5s --start-period=60s --retries=3 \
  CMD ["python", "-c", "import urllib.request; urllib.request.urlopen('http://127.0.0.1:8080/healthz', timeout=4)"]

ENTRYPOINT ["trueport"]
CMD ["serve", "--host", "0.0.0.0", "--port", "8080"]
