#!/usr/bin/env bash
# Writes .env (from .env.example, each "generate" replaced by a fresh random value) and
# secrets/audit-signing-key.pem (a new Ed25519 key). Refuses to overwrite either: rotating a secret
# is an operation (docs/operations.md), not a re-run of this script. Needs openssl.
set -euo pipefail
cd "$(dirname "${BASH_SOURCE[0]}")"

if [ -e .env ]; then echo ".env exists; not overwritten" >&2; exit 1; fi
if [ -e secrets/audit-signing-key.pem ]; then echo "secrets/audit-signing-key.pem exists; not overwritten" >&2; exit 1; fi

generated() {
  case "$1" in
    TRUEPORT_PLATFORM__MASTER_KEYS) printf '{"k1": "%s"}' "$(openssl rand -base64 32)" ;;
    POSTGRES_PASSWORD | MINIO_ROOT_PASSWORD | GRAFANA_ADMIN_PASSWORD | TRUEPORT_ADMIN_TOKEN) openssl rand -hex 24 ;;
    *) openssl rand -base64 48 | tr -d '\n' ;;
  esac
}

umask 077
while IFS= read -r line; do
  if [[ "$line" =~ ^([A-Z0-9_]+)=generate$ ]]; then
    name="${BASH_REMATCH[1]}"
    value="$(generated "$name")"
    printf "%s='%s'\n" "$name" "$value"
  else
    printf '%s\n' "$line"
  fi
done <.env.example >.env

# The directory is private; the key file inside is readable by the container's user (uid 10001),
# since compose bind-mounts it as it is.
mkdir -p secrets
chmod 0700 secrets
openssl genpkey -algorithm ed25519 -out secrets/audit-signing-key.pem
chmod 0644 secrets/audit-signing-key.pem
echo "wrote .env and secrets/audit-signing-key.pem"
