#!/usr/bin/env bash
# Deploys one overlay at one image digest: migrations first, then the rest. Used by the release
# workflow's deploy jobs; an operator can run it by hand with the same variables.
#
#   OVERLAY=staging NAMESPACE=crewdesk-staging DIGEST=sha256:… KUBE_CONFIG="$(cat kubeconfig)" \
#   SECRETS_ENV="$(cat secrets.env)" JWT_PRIVATE_KEY="$(cat jwt.pem)" deploy/k8s/deploy.sh
#
# Production also takes READ_REPLICA_ENV, PGBOUNCER_ENV, PGBOUNCER_INI and PGBOUNCER_USERLIST.
set -euo pipefail

: "${OVERLAY:?}" "${NAMESPACE:?}" "${DIGEST:?}" "${KUBE_CONFIG:?}" "${SECRETS_ENV:?}" "${JWT_PRIVATE_KEY:?}"
[[ $DIGEST =~ ^sha256:[0-9a-f]{64}$ ]] || { echo "DIGEST must be sha256:<64 hex>, not $DIGEST" >&2; exit 64; }

work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
umask 077
cp -r "$(dirname "${BASH_SOURCE[0]}")/." "$work/k8s"
dir="$work/k8s/overlays/$OVERLAY"
printf '%s\n' "$KUBE_CONFIG" >"$work/kubeconfig"
export KUBECONFIG="$work/kubeconfig"

# The secret files kustomize reads (never committed), from the workflow's secrets.
printf '%s\n' "$SECRETS_ENV" >"$dir/secrets.env"
printf '%s\n' "$JWT_PRIVATE_KEY" >"$dir/jwt_private_key.pem"
if [[ $OVERLAY == production ]]; then
  printf '%s\n' "${READ_REPLICA_ENV:?}" >"$dir/read-replica.env"
  printf '%s\n' "${PGBOUNCER_ENV:?}" >"$dir/pgbouncer.env"
  printf '%s\n' "${PGBOUNCER_INI:?}" >"$dir/pgbouncer.ini"
  printf '%s\n' "${PGBOUNCER_USERLIST:?}" >"$dir/userlist.txt"
fi
# The image this release built and signed, by digest.
sed -i -E "s/digest: sha256:[0-9a-f]{64}/digest: $DIGEST/" "$dir/kustomization.yaml"

kubectl kustomize "$dir" >"$work/rendered.yaml"
kubectl apply --dry-run=server -f "$work/rendered.yaml" >/dev/null

# 1. Migrations: the Job and what it needs (labelled crewdesk.dev/phase=migrate), to completion.
kubectl delete job crewdesk-migrate --namespace "$NAMESPACE" --ignore-not-found --wait=true 2>/dev/null || true
kubectl apply -f "$work/rendered.yaml" --selector crewdesk.dev/phase=migrate
if ! kubectl -n "$NAMESPACE" wait --for=condition=complete job/crewdesk-migrate --timeout=10m; then
  kubectl -n "$NAMESPACE" logs job/crewdesk-migrate --tail=100 || true
  echo "migrations failed: nothing else was changed" >&2
  exit 1
fi

# 2. Everything else; the Deployments roll one new pod at a time (maxUnavailable 0).
kubectl apply -f "$work/rendered.yaml"
for deployment in $(kubectl -n "$NAMESPACE" get deployments -l app.kubernetes.io/part-of=crewdesk -o name); do
  kubectl -n "$NAMESPACE" rollout status "$deployment" --timeout=10m
done
echo "deployed $DIGEST to $OVERLAY"
