#!/usr/bin/env bash
# Restore drill: prove that a PostgreSQL backup restored on another server holds the same audit log,
# and that archives exported before and after verify offline against the public key kept aside.
#
#   scripts/restore_drill.sh SOURCE_URL TARGET_URL
#
# SOURCE_URL  an empty scratch database (it is filled with traffic, then WIPED)
# TARGET_URL  an empty database on another PostgreSQL server (the backup is restored into it)
#
# Environment: TRUEPORT (the command, default `trueport`), PG_BINDIR (where pg_dump, pg_restore and
# psql are, default: $PATH), CALLS (calls to send, default 20), PYTHON (default python3).
#
# Steps: migrate the source; run the provider emulator and `trueport serve`; send CALLS calls; stop
# serve with SIGTERM (it drains and writes its books); sign a checkpoint, save the public key, export
# the audit archive; pg_dump; wipe the source; pg_restore into the target; check the target's tree
# head is the source's (same size, same root hash), export the audit archive again from it, and run
# `trueport audit verify` on both archives with the key saved before the wipe. Exit 0 only if all
# of that holds; the last line then starts with "restore drill OK".
set -euo pipefail

if [[ $# -ne 2 ]]; then
    sed -n '2,12p' "$0" | sed 's/^# \{0,1\}//' >&2
    exit 2
fi
SOURCE_URL=$1
TARGET_URL=$2
read -r -a TRUEPORT <<<"${TRUEPORT:-trueport}"
PYTHON=${PYTHON:-python3}
CALLS=${CALLS:-20}
pg() { "${PG_BINDIR:+$PG_BINDIR/}$1" "${@:2}"; }
say() { printf 'restore drill: %s\n' "$*" >&2; }
fail() { say "FAILED: $*"; exit 1; }

WORK=$(mktemp -d)
PIDS=()
cleanup() {
    for pid in "${PIDS[@]}"; do kill "$pid" 2>/dev/null || true; done
    wait 2>/dev/null || true
    rm -rf "$WORK"
}
trap cleanup EXIT

free_port() { "$PYTHON" -c 'import socket; s = socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])'; }
wait_for() { # URL [any]: until it answers 200 (or anything, with "any"), at most 60 s
    "$PYTHON" - "$1" "${2:-200}" <<'EOF'
import sys, time, urllib.error, urllib.request
deadline = time.monotonic() + 60
while True:
    try:
        with urllib.request.urlopen(sys.argv[1], timeout=1) as response:
            if response.status == 200:
                break
    except urllib.error.HTTPError:
        if sys.argv[2] == "any":
            break
    except OSError:
        pass
    if time.monotonic() > deadline:
        sys.exit(f"{sys.argv[1]} did not answer 200 within 60 s")
    time.sleep(0.2)
EOF
}
config() { # DATABASE_URL FILE
    cat >"$2" <<EOF
database: $1
audit: {spool_dir: '$WORK/spool'}
guard: {enabled: false}
providers:
  emulator: {type: openai, base_url: "http://127.0.0.1:$MOCK_PORT/v1", api_key: drill-provider-key}
models:
  drill-model: [{provider: emulator, model: gpt-4o-mini}]
EOF
}
tp() { "${TRUEPORT[@]}" "$@"; } # (started in the background directly, so that $! is its pid)

MOCK_PORT=$(free_port)
config "$SOURCE_URL" "$WORK/source.yaml"
config "$TARGET_URL" "$WORK/target.yaml"

say "1/8 checking that the source is a scratch database and migrating it"
if tp tenants list --config "$WORK/source.yaml" >/dev/null 2>&1; then
    fail "the source database already holds a TruePort schema; the drill wipes its source: give it a scratch database"
fi
tp migrate --config "$WORK/source.yaml" >/dev/null

say "2/8 sending $CALLS calls through trueport serve (provider emulator on port $MOCK_PORT)"
"${TRUEPORT[@]}" mock-provider --port "$MOCK_PORT" >/dev/null 2>"$WORK/mock.log" &
PIDS+=($!)
wait_for "http://127.0.0.1:$MOCK_PORT/v1/models" any
tp tenants create drill --config "$WORK/source.yaml" >/dev/null
KEY=$(tp keys create --tenant drill --name drill --config "$WORK/source.yaml" 2>/dev/null)
GATEWAY_PORT=$(free_port)
"${TRUEPORT[@]}" serve --port "$GATEWAY_PORT" --config "$WORK/source.yaml" >/dev/null 2>"$WORK/serve.log" &
SERVE_PID=$!
PIDS+=("$SERVE_PID")
wait_for "http://127.0.0.1:$GATEWAY_PORT/readyz" || fail "serve did not become ready: $(tail -5 "$WORK/serve.log")"
"$PYTHON" - "http://127.0.0.1:$GATEWAY_PORT/v1/chat/completions" "$KEY" "$CALLS" <<'EOF'
import json, sys, urllib.request
url, key, calls = sys.argv[1], sys.argv[2], int(sys.argv[3])
for number in range(calls):
    body = json.dumps({"model": "drill-model", "messages": [{"role": "user", "content": f"call {number}"}]})
    request = urllib.request.Request(
        url, body.encode(), {"Authorization": f"Bearer {key}", "Content-Type": "application/json"}
    )
    with urllib.request.urlopen(request, timeout=30) as response:
        assert response.status == 200, response.status
EOF
kill -TERM "$SERVE_PID"
wait "$SERVE_PID" || fail "serve did not stop cleanly: $(tail -5 "$WORK/serve.log")"

say "3/8 signing a checkpoint, saving the public key, exporting the audit archive"
BEFORE=$(tp audit checkpoint --config "$WORK/source.yaml" 2>/dev/null)
tp audit public-key --config "$WORK/source.yaml" >"$WORK/public-key.pem" 2>/dev/null
tp audit export --out "$WORK/archive-before" --config "$WORK/source.yaml" >/dev/null 2>&1
read -r _ EVENTS _ <<<"$BEFORE"
((EVENTS >= CALLS)) || fail "only $EVENTS audit events for $CALLS calls"

say "4/8 pg_dump of the source"
pg pg_dump --format=custom --no-owner --file="$WORK/trueport.dump" "$SOURCE_URL"

say "5/8 wiping the source (schema and spool)"
pg psql -X -q -v ON_ERROR_STOP=1 -d "$SOURCE_URL" -c 'SET client_min_messages = warning' -c 'DROP SCHEMA public CASCADE' -c 'CREATE SCHEMA public' >/dev/null
rm -rf "$WORK/spool"
if tp tenants list --config "$WORK/source.yaml" >/dev/null 2>&1; then fail "the source still answers after the wipe"; fi

say "6/8 pg_restore into the target"
pg pg_restore --no-owner --exit-on-error --dbname="$TARGET_URL" "$WORK/trueport.dump"
tp migrate --config "$WORK/target.yaml" >/dev/null # a no-op on a backup of this version
tp tenants list --config "$WORK/target.yaml" | grep -q '^drill	' || fail "tenant drill missing after the restore"

say "7/8 comparing the restored tree head, exporting again"
AFTER=$(tp audit checkpoint --config "$WORK/target.yaml" 2>/dev/null)
[[ "$AFTER" == "$BEFORE" ]] || fail "tree head before the wipe: $BEFORE; after the restore: $AFTER"
tp audit export --out "$WORK/archive-after" --config "$WORK/target.yaml" >/dev/null 2>&1

say "8/8 verifying both archives offline with the key saved before the wipe"
mkdir "$WORK/elsewhere"
cp -R "$WORK/archive-before" "$WORK/elsewhere/archive"
for archive in "$WORK/elsewhere/archive" "$WORK/archive-after"; do
    RESULT=$(tp audit verify "$archive" --public-key "$WORK/public-key.pem")
    [[ "$RESULT" == "OK $EVENTS events" ]] || fail "$archive: $RESULT (expected OK $EVENTS events)"
done
echo "restore drill OK: $CALLS calls, $EVENTS audit events; tree head ${BEFORE#checkpoint } restored and verified"
