#!/usr/bin/env bash
# `make bench`: `sandbox run --trust trusted busybox true` against the bare OCI runtime running the
# very bundle sandbox generates (same hardening), and against podman on the same rootfs, all measured
# in this run with hyperfine. Prints a markdown table of medians and ratios.
set -euo pipefail
BIN=$(realpath "${1:-bin/sandbox}")
RUNS=${BENCH_RUNS:-30}
WORK=$(mktemp -d /tmp/sandbox-bench-XXXXXX)
chmod 755 "$WORK" # the sandbox's unprivileged root must reach the image below it
ROOT="$WORK/root"
trap 'rm -rf "$WORK"' EXIT
sb() { "$BIN" --root "$ROOT" "$@"; }

# Warm up: builds the busybox image and caches the crun verdict, as on any host after its first run.
sb run --trust trusted busybox true

# Capture the exact bundle sandbox renders, from a live run, for the bare-runtime baseline.
sb run --trust trusted busybox sleep 3 & pid=$!
for _ in $(seq 100); do conf=$(ls "$ROOT"/run/*/config.json 2>/dev/null | head -1 || true); [ -n "$conf" ] && break; sleep 0.05; done
mkdir -p "$WORK/bundle"
jq --argjson args '["true"]' '.process.args = $args | .linux.cgroupsPath = "/sandbox/bench-bare"' "$conf" > "$WORK/bundle/config.json"
wait "$pid"
# The bundle's root is an ID-mapped bind that lived only as long as that run; the bare runtimes get a
# plain copy of the image's rootfs instead (podman writes into a --rootfs too, so it gets its own).
cp -a "$ROOT"/images/busybox-*/rootfs "$WORK/bare-rootfs"
cp -a "$WORK/bare-rootfs" "$WORK/podman-rootfs"
jq --arg r "$WORK/bare-rootfs" '.root.path = $r' "$WORK/bundle/config.json" > "$WORK/bundle/config.tmp" && mv "$WORK/bundle/config.tmp" "$WORK/bundle/config.json"

commands=(
  "sandbox" "$BIN --root $ROOT run --trust trusted busybox true"
  "runc"    "runc --root $WORK/runc-state run --bundle $WORK/bundle bench-bare"
)
podman_runtime=runc # podman defaults to crun, which refuses cgroup v1 hybrid hosts
if crun --root "$WORK/crun-state" run --bundle "$WORK/bundle" bench-probe >/dev/null 2>&1; then
  commands+=("crun" "crun --root $WORK/crun-state run --bundle $WORK/bundle bench-bare")
  podman_runtime=crun
fi
if command -v podman >/dev/null; then
  # podman's default NOFILE/NPROC exceed some hosts' hard limits; pin them as our bundle does.
  commands+=("podman" "podman run --rm --runtime $podman_runtime --network none --ulimit nofile=1024:1024 --ulimit nproc=1024:1024 --rootfs $WORK/podman-rootfs true")
fi

args=()
for ((i = 0; i < ${#commands[@]}; i += 2)); do args+=(-n "${commands[i]}" "${commands[i+1]}"); done
hyperfine -N --warmup 3 --runs "$RUNS" --export-json "$WORK/results.json" "${args[@]}" >&2

median() { jq -r --arg n "$1" '.results[] | select(.command == $n) | .median' "$WORK/results.json"; }
ours=$(median sandbox)
echo
echo "| command | median (ms) | sandbox / this |"
echo "|---|---:|---:|"
for ((i = 0; i < ${#commands[@]}; i += 2)); do
  name=${commands[i]}; m=$(median "$name")
  printf '| %s | %.1f | %.2fx |\n' "$name" "$(jq -n "$m*1000")" "$(jq -n "$ours/$m")"
done
echo
echo "runs=$RUNS, host: $(uname -r), $(nproc) cores; runc $(runc --version | head -1 | awk '{print $3}')"
