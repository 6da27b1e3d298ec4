#!/usr/bin/env bash
# Calls a running compose stack (`docker compose up -d --build --wait`) through its reverse proxy:
# health and readiness, /metrics kept off the public side, a new tenant and key, a plain and a
# streamed call to the emulator's `echo` model, the calls seen by Prometheus on both replicas, and
# the audit trail exported (to a directory and to MinIO under Object Lock) and verified, and archived.
# Needs docker (with compose) and curl. Exits non-zero at the first failed check.
set -euo pipefail
cd "$(dirname "${BASH_SOURCE[0]}")"

compose() { docker compose "$@"; }
setting() { # a value from the environment, else from .env, else the default
  local name="$1" default="$2" value
  value="${!name:-}"
  if [ -z "$value" ] && [ -f .env ]; then value="$(sed -n "s/^$name=['\"]\{0,1\}\([^'\"]*\)['\"]\{0,1\}$/\1/p" .env | tail -1)"; fi
  printf '%s' "${value:-$default}"
}
base="http://localhost:$(setting TRUEPORT_HTTP_PORT 8080)"
prometheus="http://localhost:$(setting PROMETHEUS_PORT 9090)"
check() { printf '  ok  %s\n' "$*"; }
fail() { printf 'FAIL  %s\n' "$*" >&2; exit 1; }

echo "smoke test of $base"
curl -fsS "$base/healthz" >/dev/null || fail "/healthz through the proxy"
check "/healthz"
readyz="$(curl -fsS "$base/readyz")" || fail "/readyz through the proxy"
grep -q '"status":"ready"' <<<"$readyz" || fail "/readyz: $readyz"
check "/readyz: ready"
code="$(curl -s -o /dev/null -w '%{http_code}' "$base/metrics")"
[ "$code" = 404 ] || fail "/metrics answers $code through the proxy (expected 404)"
check "/metrics is not public"

slug="smoke-$(date +%s)-$RANDOM"
compose exec -T gateway-1 trueport tenants create "$slug" >/dev/null || fail "tenants create"
key="$(compose exec -T gateway-1 trueport keys create --tenant "$slug" --name smoke 2>/dev/null | tr -d '\r')"
[[ "$key" =~ ^[A-Za-z0-9_-]{20,}$ ]] || fail "keys create printed no key"
check "tenant $slug and its key"

code="$(curl -s -o /dev/null -w '%{http_code}' "$base/v1/models")"
[ "$code" = 401 ] || fail "a call without a key answers $code (expected 401)"
check "no key: 401"

for i in 1 2 3 4 5 6; do
  answer="$(curl -fsS "$base/v1/chat/completions" -H "Authorization: Bearer $key" -H 'Content-Type: application/json' \
    -d "{\"model\": \"echo\", \"messages\": [{\"role\": \"user\", \"content\": \"smoke $i\"}]}")" || fail "call $i"
  grep -q "Echo: smoke $i" <<<"$answer" || fail "call $i answered: $answer"
done
check "6 calls answered through the proxy"

stream="$(curl -fsSN "$base/v1/chat/completions" -H "Authorization: Bearer $key" -H 'Content-Type: application/json' \
  -d '{"model": "echo", "stream": true, "messages": [{"role": "user", "content": "streamed"}]}')" || fail "streamed call"
grep -q '^data: \[DONE\]' <<<"$stream" || fail "the stream did not end with [DONE]: $stream"
check "a streamed call"

query() { curl -fsS --get "$prometheus/api/v1/query" --data-urlencode "query=$1"; }
deadline=$((SECONDS + 90))
until query 'count(sum by (instance) (trueport_requests_total{alias="echo"}) > 0) == 2' | grep -q '"result":\[{'; do
  [ "$SECONDS" -lt "$deadline" ] || fail "Prometheus did not see calls on both replicas within 90 s"
  sleep 5
done
check "Prometheus saw calls on both replicas"

sleep 2 # the recorder writes within recorder.interval_ms of the last call
# shellcheck disable=SC2016 # expanded by the container's shell
compose exec -T recorder sh -c '
  set -e
  out="$(mktemp -d)/export"
  trueport audit export --out "$out" >/dev/null
  trueport audit public-key >"$out.pem"
  trueport audit verify "$out" --public-key "$out.pem"
' >/dev/null || fail "audit export and verify"
check "audit trail exported and verified"
compose exec -T recorder trueport audit export --tenant "$slug" --out "s3://trueport-audit/smoke/$slug/" >/dev/null ||
  fail "audit export to MinIO"
check "audit export written to MinIO under Object Lock"

archived="$(compose exec -T archiver trueport audit archive | tr -d '\r')" || fail "audit archive to MinIO"
[[ "$archived" == archived* || "$archived" == "nothing new to archive" ]] || fail "audit archive: $archived"
check "audit archive: $archived"

echo "smoke test passed"
