#!/usr/bin/env bash
# `make bench`, detached sandboxes (issue 13): how long `run -d` takes until the workload runs, beside
# `runc run -d` of the very bundle sandbox renders and `podman run -d` of the same rootfs, all in this
# run; how long `ps --json` takes with 100 sandboxes running; and what each supervisor costs in
# memory (RSS, PSS, private). Prints markdown tables. Runs at low parallelism: the host may be shared.
set -euo pipefail
BIN=$(realpath "${1:-bin/sandbox}")
RUNS=${BENCH_LIFECYCLE_RUNS:-10}
COUNT=${BENCH_LIFECYCLE_SANDBOXES:-100}
WORK=$(mktemp -d /tmp/sandbox-bench-lifecycle-XXXXXX)
chmod 755 "$WORK" # the sandbox's unprivileged root must reach the image below it
ROOT="$WORK/root"
cleanup() {
  "$BIN" --root "$ROOT" ps -a --json 2>/dev/null | jq -r '.[].id' | xargs -r -P 4 -n 8 "$BIN" --root "$ROOT" rm -f >/dev/null 2>&1 || true
  runc --root "$WORK/runc-state" delete -f bench-bare >/dev/null 2>&1 || true
  rm -rf "$WORK"
}
trap cleanup EXIT
sb() { "$BIN" --root "$ROOT" "$@"; }
now() { date +%s%N; }
median() { sort -n | awk '{a[NR]=$1} END {m = NR % 2 ? a[(NR+1)/2] : (a[NR/2] + a[NR/2+1]) / 2; printf "%.1f", m / 1e6}'; }

# Warm up (the image, the runtime verdict), and capture the bundle sandbox renders for the bare baseline.
sb run --trust trusted busybox true
id=$(sb run -d --trust trusted busybox sleep 600)
conf=$(ls "$ROOT"/run/"$id"/config.json)
mkdir -p "$WORK/bundle"
cp -a "$ROOT"/images/busybox-*/rootfs "$WORK/bare-rootfs"
cp -a "$WORK/bare-rootfs" "$WORK/podman-rootfs"
jq --arg r "$WORK/bare-rootfs" '.process.args = ["sleep", "600"] | .linux.cgroupsPath = "/sandbox/bench-bare" | .root.path = $r' "$conf" > "$WORK/bundle/config.json"
sb rm -f "$id" >/dev/null

# run -d until the workload runs (each returns once its process is started); removal is not timed.
declare -A times
for ((i = 0; i < RUNS; i++)); do
  t=$(now); id=$(sb run -d --trust trusted busybox sleep 600); times[sandbox]+="$(( $(now) - t )) "
  sb rm -f "$id" >/dev/null
  t=$(now); runc --root "$WORK/runc-state" run -d --bundle "$WORK/bundle" bench-bare </dev/null >/dev/null 2>&1; times[runc]+="$(( $(now) - t )) "
  runc --root "$WORK/runc-state" delete -f bench-bare
  if command -v podman >/dev/null; then
    t=$(now); pid=$(podman run -d --runtime runc --network none --ulimit nofile=1024:1024 --ulimit nproc=1024:1024 --rootfs "$WORK/podman-rootfs" sleep 600)
    times[podman]+="$(( $(now) - t )) "
    podman rm -f -t 0 "$pid" >/dev/null
  fi
done
ours=$(tr ' ' '\n' <<<"${times[sandbox]}" | grep . | median)
echo
echo "### run -d until the workload runs ($RUNS runs each, medians)"
echo
echo "| command | median (ms) | sandbox / this |"
echo "|---|---:|---:|"
for name in sandbox runc podman; do
  [ -n "${times[$name]:-}" ] || continue
  m=$(tr ' ' '\n' <<<"${times[$name]}" | grep . | median)
  printf '| %s | %s | %.2fx |\n' "$name" "$m" "$(jq -n "$ours/$m")"
done

# $COUNT sandboxes running at once, started four at a time.
seq "$COUNT" | xargs -P 4 -I{} "$BIN" --root "$ROOT" run -d --trust trusted --name "bench-{}" busybox sleep 600 >/dev/null
running=$(sb ps --json | jq length)
hyperfine -N --warmup 3 --runs 20 --export-json "$WORK/ps.json" -n "ps --json" "$BIN --root $ROOT ps --json" >&2
echo
echo "### ps --json with $running sandboxes running"
echo
printf '| command | median (ms) | min (ms) | max (ms) |\n|---|---:|---:|---:|\n'
jq -r '.results[] | "| \(.command) | \(.median*1000*10|round/10) | \(.min*1000*10|round/10) | \(.max*1000*10|round/10) |"' "$WORK/ps.json"

# What each supervisor costs: smaps_rollup (kB), averaged over the $running supervisors.
sb ps --json | jq -r '.[].supervisorPid' | while read -r pid; do cat "/proc/$pid/smaps_rollup"; done \
  | awk '/^Rss:/ {r+=$2} /^Pss:/ {p+=$2} /^Private_Clean:/ {pc+=$2} /^Private_Dirty:/ {pd+=$2} /^Rss:/ {n++}
         END {printf "\n### Supervisor memory (%d supervisors, NativeAOT, average per supervisor)\n\n| RSS (MiB) | PSS (MiB) | private clean (MiB) | private dirty (MiB) | private total (MiB) |\n|---:|---:|---:|---:|---:|\n| %.1f | %.1f | %.1f | %.1f | %.1f |\n",
              n, r/n/1024, p/n/1024, pc/n/1024, pd/n/1024, (pc+pd)/n/1024}'
echo
echo "host: $(uname -r), $(nproc) cores, load $(cut -d' ' -f1-3 /proc/loadavg); runc $(runc --version | head -1 | awk '{print $3}')"
