#!/usr/bin/env bash
# Issue 5's sharing claim, measured: N concurrent sandboxes of one image add only their run
# directories to disk (the image's rootfs is one read-only copy shared by all of them).
set -euo pipefail
BIN=$(realpath "${1:-bin/sandbox}")
N=${SHARING_N:-50}
ROOT=$(mktemp -d /tmp/sandbox-sharing-XXXXXX)
chmod 755 "$ROOT"
trap 'rm -rf "$ROOT"' EXIT
sb() { "$BIN" --root "$ROOT/state" "$@"; }

sb run --trust trusted busybox true # builds the image once
# Each run directory holds an ID-mapped bind of the shared rootfs at run/ID/image: not a copy, so not counted.
before=$(du -sk --exclude=image "$ROOT/state" | cut -f1)
pids=()
for _ in $(seq "$N"); do sb run --trust trusted busybox sleep 15 & pids+=($!); done
for _ in $(seq 300); do
  [ "$(find "$ROOT/state/run" -mindepth 1 -maxdepth 1 -type d | wc -l)" -ge "$N" ] && break
  sleep 0.1
done
running=$(find "$ROOT/state/run" -mindepth 1 -maxdepth 1 -type d | wc -l)
during=$(du -sk --exclude=image "$ROOT/state" | cut -f1)
echo "image rootfs: $(du -sk "$ROOT"/state/images/busybox-* | cut -f1) KiB, shared"
echo "$running sandboxes running: state root grew by $((during - before)) KiB ($(( (during - before) / running )) KiB each)"
wait "${pids[@]}" # let every sandbox finish and tear down before the state root goes
