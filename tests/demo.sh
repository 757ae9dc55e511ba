#!/usr/bin/env bash
# `make demo`: real workloads in both backends, each step showing one guarantee.
set -euo pipefail
BIN=${1:-bin/sandbox}
# A persistent demo state root: the guest kernel is fetched once, later demos start at once.
ROOT=${SANDBOX_DEMO_ROOT:-/var/tmp/sandbox-demo}
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

step "Guest kernel for the microVM backend (fetched once through apt, signatures verified)" sandbox kernel fetch debian-6.1
sb kernel fetch debian-6.1 >/dev/null # quick when already fetched: only the package lists are refreshed

step "A minimal guest kernel compiled from Debian's linux-source-6.1 (minutes, once per machine: cached by source, config and toolchain); untrusted runs prefer it" \
  sandbox kernel build minimal-6.1
sb kernel build minimal-6.1 --cache "${SANDBOX_TEST_CACHE:-/var/cache/sandbox-tests}/kernel-builds" >/dev/null
sb kernel ls

step "Untrusted is the default: a microVM with its own kernel (slow under TCG emulation)" \
  sandbox run busybox -- sh -c "'uname -r; echo out; echo err >&2; exit 3'"
set +e; sb run busybox -- sh -c 'uname -r; echo out; echo err >&2; exit 3'; echo "exit code: $?"; set -e

step "Inside the guest the workload is hardened like a container: no capabilities, seccomp, its own PID namespace" \
  sandbox run busybox -- sh -c "'grep -E \"CapEff|Seccomp:\" /proc/self/status; cat /proc/1/cmdline; echo; echo c > /proc/sysrq-trigger'"
sb run busybox -- sh -c 'grep -E "CapEff|Seccomp:" /proc/self/status; cat /proc/1/cmdline; echo; echo c > /proc/sysrq-trigger' || true

step "A named volume shared by both backends: written in a container, read in a microVM over virtio-9p" \
  "sandbox volume create cases --size 64M; sandbox run --trust trusted -v cases:/data busybox -- sh -c 'echo 42 > /data/answer'; sandbox run --trust untrusted -v cases:/data:ro busybox -- cat /data/answer"
sb volume inspect cases >/dev/null 2>&1 || sb volume create cases --size 64M
sb run --trust trusted -v cases:/data busybox -- sh -c 'echo 42 > /data/answer'
sb run --trust untrusted -v cases:/data:ro busybox -- sh -c 'cat /data/answer; echo overwrite > /data/answer || echo "read-only: refused in the guest (and by the VMM)"'
sb volume ls

step "Why: the policy decision, rule and reasons" sandbox policy explain busybox -- ./sample
sb policy explain busybox -- ./sample | sed -n '1,12p'

step "Asking for a weaker backend than policy allows is refused" sandbox run --backend container busybox true
set +e; sb run --backend container busybox true; echo "exit code: $?"; set -e

step "Every run and refusal is in a hash-chained audit log" "sandbox audit ls; sandbox audit verify"
sb audit ls | tail -6
sb audit verify

step "What does this file do? Detonate it in the microVM and get a behaviour report" \
  "sandbox analyze --timeout 30s --arg behave --out DIR ./sample"
DEMO_SAMPLE_DIR=$(mktemp -d)
trap 'rm -rf "$DEMO_SAMPLE_DIR"' EXIT
gcc -static -O2 -o "$DEMO_SAMPLE_DIR/sample" "$(dirname "$0")/samples/sample.c"
sb analyze --timeout 30s --arg behave --out "$DEMO_SAMPLE_DIR/report" "$DEMO_SAMPLE_DIR/sample"
echo "report.json: $(jq -c '{status: .run.status, exitCode: .run.exitCode, processes: [.processes[].argv], files: [.files[] | "\(.change) \(.path)"], opened: [.opens[] | select(.path | startswith("/etc/")) | "\(.flags) \(.path)"], network: [.network[] | "\(.syscall) \(.address)\(if .port then ":\(.port)" else "" end) \(.error // .result)"]}' "$DEMO_SAMPLE_DIR/report/report.json")"
