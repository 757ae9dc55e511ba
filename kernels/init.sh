#!/bin/busybox sh
# The guest's PID 1 (from the initramfs): the trusted side of the guest kernel boundary. It loads
# the drivers, builds the workload's root (the image's read-only disk under an overlay whose small
# tmpfs upper layer holds only mount points), reads the run spec — a header, volume lines and the
# workload's OCI config.json — from the control port, and starts the workload with crun, the same
# OCI runtime and the same kind of config as the container backend: own PID, mount, IPC, UTS,
# network and cgroup namespaces, pivot_root, no capabilities, no_new_privs, seccomp, rlimits and
# a memory/pids cgroup. The workload never sees init, its files, its ports or its descriptors.
# Init reports on the control port and powers the VM off once the host has all the output.
# Nothing here interprets user data: volume targets are only ever used quoted, the config is a file.
export PATH=/bin:/usr/bin
say() { echo "sandbox-init: $*" >/dev/console; }
fail() { say "$*"; sync; reboot -f; }

if [ "$1" != stage2 ]; then
  # Stage 1, on the initramfs itself. pivot_root (how crun enters the workload's root) cannot
  # leave the initial rootfs, so after loading the drivers everything moves to a tmpfs that
  # switch_root makes the root.
  mount -t proc proc /proc && mount -t sysfs sysfs /sys && mount -t devtmpfs devtmpfs /dev || fail "cannot mount /proc, /sys, /dev"
  # A minimal kernel has everything built in: /etc/modules is empty and nothing is loaded.
  while read -r module; do insmod "/lib/modules/$module.ko" || fail "cannot load module $module"; done </etc/modules
  # No module is loaded after this point, by anyone (kprobes need module support built in).
  [ ! -e /proc/sys/kernel/modules_disabled ] || echo 1 >/proc/sys/kernel/modules_disabled || fail "cannot disable module loading"
  umount /proc /sys /dev || fail "cannot unmount the early /proc, /sys, /dev"
  mkdir /stage && mount -t tmpfs -o mode=0755 stage /stage || fail "cannot mount the stage-2 root"
  cp -a /bin /usr /lib /lib64 /etc /init /stage/ && rm -rf /stage/lib/modules &&
    mkdir /stage/proc /stage/sys /stage/dev /stage/run /stage/lower /stage/rw /stage/newroot || fail "cannot populate the stage-2 root"
  exec switch_root /stage /init stage2
fi

wait_for() { i=0; while [ ! -e "$1" ]; do i=$((i + 1)); [ $i -gt 500 ] && fail "timed out waiting for $1"; usleep 10000; done; }
port() { for p in /sys/class/virtio-ports/*; do [ "$(cat "$p/name" 2>/dev/null)" = "$1" ] && { echo "/dev/${p##*/}"; return; }; done; }

mount -t proc -o nosuid,nodev,noexec proc /proc && mount -t sysfs -o nosuid,nodev,noexec sysfs /sys &&
  mount -t devtmpfs -o nosuid devtmpfs /dev || fail "cannot mount /proc, /sys, /dev"
# The workload's cgroup lives under /sandbox, whose memory.events counts OOM kills after crun has
# removed the workload's own cgroup.
mount -t cgroup2 -o nosuid,nodev,noexec cgroup2 /sys/fs/cgroup && mkdir /sys/fs/cgroup/sandbox || fail "cannot mount cgroup2"
for c in memory pids cpu; do
  echo "+$c" >/sys/fs/cgroup/cgroup.subtree_control && echo "+$c" >/sys/fs/cgroup/sandbox/cgroup.subtree_control ||
    fail "the guest kernel has no $c cgroup controller"
done

# The virtio-serial ports appear once the host has announced them.
i=0; while [ -z "$(port sandbox.control)" ] || [ -z "$(port sandbox.stderr)" ]; do
  i=$((i + 1)); [ $i -gt 500 ] && fail "virtio-serial ports did not appear"; usleep 10000; done
control=$(port sandbox.control); wait_for "$control"
exec 3<>"$control" || fail "cannot open $control"
read -r tag length stdin volumes <&3 && [ "$tag" = spec ] || fail "bad spec header from the host"
case "$length:$volumes" in *[!0-9:]* | :* | *:) fail "bad spec header from the host" ;; esac
# Named volumes: one "volume TAG ro|rw TARGET" line each. The target is the rest of the line and is
# only ever used quoted. Kept in /run/volumes, read back line by line below.
mkdir -p /run/bundle /run/volumes && : >/run/volume-lines || fail "cannot create /run"
i=0
while [ $i -lt "$volumes" ]; do
  IFS= read -r line <&3 && [ "${line#volume }" != "$line" ] || fail "bad volume line from the host"
  printf "%s\n" "$line" >>/run/volume-lines; i=$((i + 1))
done
each_volume() { # calls "$1" TAG MODE TARGET per volume
  while IFS= read -r line; do
    rest=${line#volume }; vtag=${rest%% *}; rest=${rest#* }; vmode=${rest%% *}; vtarget=${rest#* }
    "$1" "$vtag" "$vmode" "$vtarget" || return 1
  done </run/volume-lines
}
# A volume's mount point is made in the still-empty upper layer, so nothing in the image, not even a
# symlink at the target, decides where crun binds the volume (targets under /tmp land in the fresh /tmp).
volume_dir() { case "$3" in /tmp | /tmp/*) ;; *) mkdir -p "/rw/upper$3" ;; esac; }
# The share is mounted where only init can see it; config.json binds it at its target.
volume_mount() {
  opts=trans=virtio,version=9p2000.L,msize=262144,nosuid,nodev; [ "$2" = ro ] && opts=$opts,ro
  mkdir -p "/run/volumes/$1" && mount -t 9p -o "$opts" "$1" "/run/volumes/$1"
}

wait_for /dev/vda
mount -t ext4 -o ro,noload,nodev /dev/vda /lower || fail "cannot mount the root disk /dev/vda"
mount -t tmpfs -o mode=0755,size=4m rw /rw && mkdir /rw/upper /rw/work || fail "cannot make the mount-point layer"
each_volume volume_dir || fail "cannot create the volume mount points"
mount -t overlay overlay -o lowerdir=/lower,upperdir=/rw/upper,workdir=/rw/work /newroot || fail "cannot mount the overlay"
each_volume volume_mount || fail "cannot mount the volumes"
head -c "$length" <&3 >/run/bundle/config.json || fail "cannot receive the workload's config"
# What the guest applies, said before it runs: the digest of the config crun gets and crun's version.
digest=$(sha256sum /run/bundle/config.json) && version=$(crun --version | head -n 1) || fail "cannot read the config or crun"
echo "applied ${digest%% *} $version" | tr -cd ' -~\n' >&3

out=$(port sandbox.stdout); err=$(port sandbox.stderr)
# A write to a port returns once the data is queued, not once the host has read it, so powering
# off right after the workload could drop its last output. The workload's stdout and stderr
# therefore reach their ports through tee, wc counts what tee forwarded, and init reports the
# counts with the exit status and powers off only when the host answers that it received them.
# (cat writes to the port: tee moves 1 KiB at a time, cat as much as is waiting, and small port
# writes cost the host's socket buffer far more than their size.) The workload holds only pipe
# ends, never a port: stdin too comes through a pipe.
mkfifo /run/stdin /run/stdout /run/stderr /run/stdout.copy /run/stderr.copy /run/stdout.port /run/stderr.port ||
  fail "cannot create the output pipes"
fwd=
for s in stdout stderr; do
  tee /run/$s.copy </run/$s >/run/$s.port 3>&- & fwd="$fwd $!"
  wc -c </run/$s.copy >/run/$s.bytes 3>&- & fwd="$fwd $!"
done
cat </run/stdout.port >"$out" 3>&- & fwd="$fwd $!"
cat </run/stderr.port >"$err" 3>&- & fwd="$fwd $!"
in=/dev/null
case "$stdin" in
  1) cat <"$(port sandbox.stdin)" >/run/stdin 3>&- & in=/run/stdin ;;
  # -t: the virtio console is a tty; crun puts it in raw mode and copies it to the workload's own
  # pty (which only crun holds the other end of). The workload never holds the console itself.
  2) wait_for /dev/hvc0; stty -F /dev/hvc0 raw -echo || fail "cannot set up the console for -t"; in=/dev/hvc0 ;;
esac
# -t: "resize ROWS COLS" sets the size of the workload's pty (crun 1.8 copies bytes to it but
# never resizes it), which signals SIGWINCH to its foreground job as a terminal's resize would.
# The pty is the first of the workload's own devpts, reached through a workload process's root:
# the workload can neither mount nor create there. Until crun has made it, retry for a while.
cells() { case "$1" in [1-9] | [1-9][0-9] | [1-9][0-9][0-9] | [1-9][0-9][0-9][0-9]) return 0 ;; esac; return 1; }
resize() {
  i=0
  while [ $i -lt 100 ]; do
    read -r pid </sys/fs/cgroup/sandbox/workload/cgroup.procs 2>/dev/null &&
      [ -c "/proc/$pid/root/dev/pts/0" ] && stty -F "/proc/$pid/root/dev/pts/0" rows "$1" cols "$2" 2>/dev/null && return
    i=$((i + 1)); usleep 20000
  done
}
# From here the host sends "signal N" (delivered to the workload, as a container runtime's kill
# would), with -t "resize ROWS COLS", and after the exit report "poweroff"; EOF means the host went away.
(
  while read -r message arg <&3; do
    case "$message:$arg" in
      signal:[1-9] | signal:[1-9][0-9]) crun kill workload "$arg" 2>/dev/null ;;
      resize:*)
        rows=${arg%% *}; cols=${arg#* }
        cells "$rows" && cells "$cols" && { resize "$rows" "$cols" 3>&- & } ;;
      poweroff:*) break ;;
    esac
  done
) &
listener=$!
echo ready >&3; say ready
# The host starts the workload's --timeout from here.
echo started >&3
crun --log=/run/crun.log --log-format=json run --bundle /run/bundle workload <"$in" >/run/stdout 2>/run/stderr 3>&- &
wait $!
status=$?
# The workload's PID namespace died with its first process, so its writers are gone and the
# forwarders reach EOF.
wait $fwd
# crun's own failure (e.g. exec refused) is in its log, not the workload's stderr.
engine=$(grep -m 1 '"level": *"error"' /run/crun.log 2>/dev/null | head -c 1024 | tr -cd ' -~')
[ -n "$engine" ] && echo "engine $engine" >&3
oom=
while read -r key value; do [ "$key" = oom_kill ] && [ "$value" != 0 ] && oom=" oom"; done </sys/fs/cgroup/sandbox/memory.events
read -r outbytes </run/stdout.bytes; read -r errbytes </run/stderr.bytes
case "$outbytes:$errbytes" in
  *[!0-9:]* | :* | *:) echo "exit $status" >&3 ;;
  *) echo "exit $status $outbytes $errbytes$oom" >&3 ;;
esac
# The host answers "poweroff" once its end has all of it (or goes away: EOF).
wait $listener
sync
say "powering off"; reboot -f
