#!/usr/bin/env bash
# `make demo`: real workloads in the hardened container, each line showing one guarantee.
set -euo pipefail
BIN=${1:-bin/sandbox}
ROOT=$(mktemp -d /tmp/sandbox-demo-XXXXXX)
trap 'rm -rf "$ROOT"' EXIT
sb() { "$BIN" --root "$ROOT" "$@"; }
step() { printf '\n\033[1m== %s\033[0m\n$ %s\n' "$1" "${*:2}"; }

step "What this host can isolate with" sandbox doctor
sb doctor || true

step "A trusted workload in the hardened container: output and exit code pass through" \
  sandbox run --trust trusted busybox -- sh -c "'echo hello from the sandbox; exit 7'"
set +e; sb run --trust trusted busybox -- sh -c 'echo hello from the sandbox; exit 7'; echo "exit code: $?"; set -e

step "Flags: env, working dir, user, limits" \
  sandbox run --trust trusted -e K=V -w /tmp -u 1000:1000 --memory 64M --pids-limit 64 busybox -- sh -c "'echo K=\$K; pwd; id'"
sb run --trust trusted -e K=V -w /tmp -u 1000:1000 --memory 64M --pids-limit 64 busybox -- sh -c 'echo K=$K; pwd; id'

step "Container root is an unprivileged host ID with no capabilities" \
  sandbox run --trust trusted busybox -- sh -c "'cat /proc/self/uid_map; grep CapEff /proc/self/status'"
sb run --trust trusted busybox -- sh -c 'cat /proc/self/uid_map; grep CapEff /proc/self/status'

step "The root filesystem is read-only; no network but loopback" \
  sandbox run --trust trusted busybox -- sh -c "'touch /etc/x; ls /sys/class/net'"
sb run --trust trusted busybox -- sh -c 'touch /etc/x; ls /sys/class/net' || true

step "Untrusted is the default and needs a microVM: refused rather than weakened" sandbox run busybox true
set +e; sb run busybox true; echo "exit code: $?"; set -e
