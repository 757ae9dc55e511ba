#!/usr/bin/env bash
# Image import benchmark: `sandbox image import` of a ~200 MB OCI image against the baseline of the
# same work done by standard tools (sha256sum of every blob + tar -x of every layer), same run.
# Prints wall time and peak RSS of each, and the ratio (target <= 1.5x).
# Usage: tests/Performance/image-bench.sh [bin/sandbox]   (needs umoci and GNU time)
set -euo pipefail
BIN=$(realpath "${1:-bin/sandbox}")
WORK=$(mktemp -d /tmp/sandbox-image-bench-XXXXXX)
trap 'rm -rf "$WORK"' EXIT

# ~200 MB of content: 36 incompressible 5 MiB files, 4000 small files, busybox; one layer made by umoci.
umoci init --layout "$WORK/layout" >/dev/null
umoci new --image "$WORK/layout:1" >/dev/null
umoci unpack --image "$WORK/layout:1" "$WORK/bundle" >/dev/null
rootfs="$WORK/bundle/rootfs"
mkdir -p "$rootfs/bin" "$rootfs/data" "$rootfs/small"
cp /bin/busybox "$rootfs/bin/"
for i in $(seq 1 36); do head -c 5M /dev/urandom > "$rootfs/data/blob$i"; done
for i in $(seq 1 4000); do echo "file $i" > "$rootfs/small/f$i"; done
umoci repack --image "$WORK/layout:1" "$WORK/bundle" >/dev/null
size=$(du -sm "$WORK/layout" | cut -f1)
sync

measure() { # label, command...: prints "label seconds peak-KiB"
  local label=$1; shift
  /usr/bin/time -f "$label %e %M" -o "$WORK/time.$label" "$@" >/dev/null
  cat "$WORK/time.$label"
}

baseline() {
  for blob in "$WORK"/layout/blobs/sha256/*; do sha256sum "$blob"; done >/dev/null
  mkdir -p "$WORK/extract"
  for blob in "$WORK"/layout/blobs/sha256/*; do
    if [ "$(head -c 2 "$blob" | od -An -tx1 | tr -d ' ')" = "1f8b" ]; then tar -xzf "$blob" -C "$WORK/extract"; fi
  done
}
export -f baseline; export WORK

# Warm the page cache and run each once untimed, so neither side pays for cold reads.
cat "$WORK"/layout/blobs/sha256/* >/dev/null
bash -c baseline; rm -rf "$WORK/extract"
"$BIN" --root "$WORK/warm" image import "$WORK/layout" --name bench:1 >/dev/null; rm -rf "$WORK/warm"
read -r _ base_s base_kb < <(measure baseline bash -c baseline)
read -r _ sb_s sb_kb < <(measure sandbox "$BIN" --root "$WORK/root" image import "$WORK/layout" --name bench:1)
ratio=$(awk -v a="$sb_s" -v b="$base_s" 'BEGIN { printf "%.2f", (b > 0 ? a / b : 0) }')
echo "| ${size} MB OCI layout | wall (s) | peak RSS (MiB) |"
echo "| --- | --- | --- |"
echo "| sha256sum + tar -x | $base_s | $((base_kb / 1024)) |"
echo "| sandbox image import | $sb_s | $((sb_kb / 1024)) |"
echo "ratio sandbox/baseline: ${ratio}x (target <= 1.5x)"
