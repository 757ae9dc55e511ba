#!/usr/bin/env bash
# `make bench`, microVM part: boot-to-exit of `sandbox run --backend microvm busybox true` against
# bare, unjailed QEMU booting the very same kernel, initramfs and root disk with the very same QEMU
# argv (captured from the config.json of a live sandbox run), both measured in this run with
# hyperfine, both booting cold (a policy with templates: false); then the same run restored from a
# VM template (docs/templates.md) against the cold one. Then one SANDBOX_TRACE=1 run of each for the
# phase breakdown, QEMU's memory for an idle guest, and `exec` into a running microVM and container.
# Needs root, runc and QEMU.
set -euo pipefail
BIN=$(realpath "${1:-bin/sandbox}")
RUNS=${BENCH_MICROVM_RUNS:-5}
KERNEL=${BENCH_MICROVM_KERNEL:-minimal-6.1} # or debian-6.1, debian-5.10, minimal-5.10
HERE=$(dirname "$(realpath "$0")")
# A persistent state root: the guest kernel is installed once, then reused.
ROOT=${SANDBOX_BENCH_ROOT:-/var/cache/sandbox-bench}
mkdir -p "$ROOT" && chmod 711 "$ROOT" # the jail's unprivileged ID resolves its binds through it (its parents must be traversable)
WORK=$(mktemp -d /tmp/sandbox-bench-vm-XXXXXX)
trap 'rm -rf "$WORK"' EXIT
sb() { "$BIN" --root "$ROOT" "$@"; }
# Cold boots: the built-in policy's limits, no templates (the bare peer boots cold too).
cat > "$WORK/cold.yaml" <<'YAML'
version: 1
rules:
  - name: bench-cold-microvm
    effect: allow
    why: make bench times a cold boot against bare QEMU
    decide: {backend: microvm, kernels: ['*'], allowEmulation: true, templates: false}
YAML
cold=(--policy "$WORK/cold.yaml")

# Minimal kernels are compiled once per machine (shared with the test suite's build cache).
case $KERNEL in
  minimal-*) sb kernel build "$KERNEL" --cache "${SANDBOX_TEST_CACHE:-/var/cache/sandbox-tests}/kernel-builds" >&2 ;;
  *) sb kernel fetch "$KERNEL" >&2 ;;
esac
# Warm up: builds the initramfs and the busybox root disk and caches the accelerator verdict.
sb run "${cold[@]}" --backend microvm --kernel "$KERNEL" busybox true
# ... and saves the VM template the template runs restore.
sb run --backend microvm --kernel "$KERNEL" busybox true

# Capture the jailed QEMU's argv and the host files behind /vm from a live run.
sb run "${cold[@]}" --backend microvm --kernel "$KERNEL" busybox sleep 1 & pid=$!
for _ in $(seq 200); do conf=$(ls "$ROOT"/run/*/config.json 2>/dev/null | head -1 || true); [ -n "$conf" ] && break; sleep 0.05; done
cp "$conf" "$WORK/config.json"
for _ in $(seq 200); do [ -e "$(dirname "$conf")/guest-config.json" ] && break; sleep 0.05; done
cp "$(dirname "$conf")/guest-config.json" "$WORK/guest-config.json"
wait "$pid"
mkdir -p "$WORK/io"
# The jail reads its disk through an ID-mapped bind in the (now deleted) bundle; bare QEMU reads the
# cached disk itself: the only one in this bench root, which runs nothing but busybox.
disk=$(ls -t "$ROOT"/vm/disks/*.ext4 | head -1)
# /vm/NAME -> the bind mount's host source; /io/NAME -> $WORK/io/NAME. Everything else is unchanged.
mapfile -t qemu < <(jq -r --arg io "$WORK/io" --arg disk "$disk" '
  ((.mounts | map(select(.destination | startswith("/vm/"))) | map({(.destination): .source}) | add) + {"/vm/rootfs.ext4": $disk}) as $vm
  | .process.args[] | reduce ($vm | to_entries[]) as $m (.; gsub($m.key; $m.value)) | gsub("/io/"; $io + "/")' "$WORK/config.json")
qemu[0]=$(command -v qemu-system-x86_64)
printf '%s\n' "${qemu[@]}" > "$WORK/qemu.argv"
# The workload's config.json for `sleep 1` as the launcher sent it; the bare run makes it `true`.
jq '.process.args = ["true"]' "$WORK/guest-config.json" > "$WORK/guest-true.json"
bare="python3 $HERE/qemu-peer.py $WORK/guest-true.json $WORK/qemu.argv"

hyperfine -N --warmup 1 --runs "$RUNS" --export-json "$WORK/results.json" \
  -n "sandbox microvm" "$BIN --root $ROOT run ${cold[*]} --backend microvm --kernel $KERNEL busybox true" \
  -n "bare qemu" "$bare" \
  -n "microVM from a template" "$BIN --root $ROOT run --backend microvm --kernel $KERNEL busybox true" >&2

median() { jq -r --arg n "$1" '.results[] | select(.command == $n) | .median' "$WORK/results.json"; }
range() { jq -r --arg n "$1" '.results[] | select(.command == $n) | "\(.min*1000|round)-\(.max*1000|round)"' "$WORK/results.json"; }
ours=$(median "sandbox microvm")
echo
echo "| command | median (ms) | min-max (ms) | sandbox / this |"
echo "|---|---:|---:|---:|"
for name in "sandbox microvm" "bare qemu" "microVM from a template"; do
  m=$(median "$name")
  printf '| %s | %.0f | %s | %.3fx |\n' "$name" "$(jq -n "$m*1000")" "$(range "$name")" "$(jq -n "$ours/$m")"
done
echo
echo "Phases of one cold run (SANDBOX_TRACE=1):"
echo '```'
SANDBOX_TRACE=1 "$BIN" --root "$ROOT" run "${cold[@]}" --backend microvm --kernel "$KERNEL" busybox true 2>&1 | grep '^sandbox-trace' || true
echo '```'
echo "Phases of one run restored from a template (SANDBOX_TRACE=1):"
echo '```'
SANDBOX_TRACE=1 "$BIN" --root "$ROOT" run --backend microvm --kernel "$KERNEL" busybox true 2>&1 | grep '^sandbox-trace' || true
echo '```'
# QEMU's memory for an idle guest of 128 MiB restored from a template: its RSS, the guest RAM it
# touched (the RSS of the mapping of -m's size), and what is left; the QEMU binary and libraries
# (RssFile) are page cache shared by every VM, so the private overhead is shown apart.
rss_name=bench-rss-$$
sb run --memory 128m --backend microvm --kernel "$KERNEL" busybox true >/dev/null # saves this memory size's template
sb run -d --name "$rss_name" --memory 128m --backend microvm --kernel "$KERNEL" busybox sleep 120 >/dev/null
sleep 10
vmm_uid=$(sb inspect --json "$rss_name" | jq -r '.started.applied.vmm.uid')
qpid=$(pgrep -u "$vmm_uid" -n qemu-system)
guest_mib=$(tr '\0' '\n' </proc/"$qpid"/cmdline | sed -n '/^-m$/{n;p}' | tr -dc 0-9)
read -r rss anon file < <(awk '/^VmRSS/{t=$2} /^RssAnon/{a=$2} /^RssFile/{f=$2} END{print t, a, f}' /proc/"$qpid"/status)
touched=$(awk -v size=$((guest_mib * 1024)) '/^Size:/{s=$2} /^Rss:/{if (s == size) print $2}' /proc/"$qpid"/smaps | head -1)
# `exec` into a running sandbox: into the microVM through its supervisor and guest init (`crun exec`
# in the guest), into a container through `runc exec` on this host; both in this run.
exec_name=bench-exec-$$
sb run -d --name "$exec_name" --trust trusted busybox sleep 120 >/dev/null
hyperfine -N --warmup 1 --runs "$RUNS" --export-json "$WORK/exec.json" \
  -n "exec into the microVM" "$BIN --root $ROOT exec $rss_name true" \
  -n "exec into a container" "$BIN --root $ROOT exec $exec_name true" >&2
sb rm -f "$rss_name" "$exec_name" >/dev/null
echo "QEMU memory, idle guest of 128 MiB (-m ${guest_mib}M) restored from a template:"
echo "RSS $((rss / 1024)) MiB, guest RAM touched $((touched / 1024)) MiB: $(((rss - touched) / 1024)) MiB over the guest's pages, $(((anon - touched) / 1024)) MiB of it private (the rest, $((file / 1024)) MiB, is QEMU's binary and libraries in the shared page cache)"
echo
echo "| exec \`true\` into a running sandbox | median (ms) | min-max (ms) |"
echo "|---|---:|---:|"
jq -r '.results[] | "| \(.command) | \(.median*1000|round) | \(.min*1000|round)-\(.max*1000|round) |"' "$WORK/exec.json"
echo
echo "runs=$RUNS, kernel $KERNEL, accelerator: $(jq -r '.process.args | (index("-accel")) as $i | .[$i+1]' "$WORK/config.json"), host: $(uname -r), $(nproc) cores, load $(cut -d' ' -f1-3 /proc/loadavg); $(qemu-system-x86_64 --version | head -1)"
