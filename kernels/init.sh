#!/bin/busybox sh
# The guest's PID 1 (from the initramfs). It loads the drivers, builds the workload's root
# (the image's read-only disk under a tmpfs overlay, with fresh /proc, /sys, /dev and /tmp),
# reads the run spec from the control port, runs it, reports the exit status and the output's byte
# counts on the control port and powers the VM off once the host has received that output. Nothing
# here interprets user data: the host sends the spec as a script in which every user-supplied word
# is single-quoted.
export PATH=/bin
fail() { echo "sandbox-init: $*" >/dev/console; sync; reboot -f; }
wait_for() { i=0; while [ ! -e "$1" ]; do i=$((i + 1)); [ $i -gt 500 ] && fail "timed out waiting for $1"; usleep 10000; done; }
port() { for p in /sys/class/virtio-ports/*; do [ "$(cat "$p/name" 2>/dev/null)" = "$1" ] && { echo "/dev/${p##*/}"; return; }; done; }

mount -t proc proc /proc && mount -t sysfs sysfs /sys && mount -t devtmpfs devtmpfs /dev || fail "cannot mount /proc, /sys, /dev"
while read -r module; do insmod "/lib/modules/$module.ko" || fail "cannot load module $module"; done < /etc/modules

# The virtio-serial ports appear once the host has announced them.
i=0; while [ -z "$(port sandbox.control)" ] || [ -z "$(port sandbox.stderr)" ]; do
  i=$((i + 1)); [ $i -gt 500 ] && fail "virtio-serial ports did not appear"; usleep 10000; done
control=$(port sandbox.control); wait_for "$control"
exec 3<>"$control" || fail "cannot open $control"
read -r tag length stdin volumes <&3 && [ "$tag" = spec ] || fail "bad spec header from the host"
# Named volumes: one "volume TAG ro|rw TARGET" line each. The target is the rest of the line and is
# only ever used quoted. Kept in /volumes (the initramfs), read back line by line below.
case "$volumes" in '' | *[!0-9]*) fail "bad volume count from the host" ;; esac
i=0; : >/volumes
while [ $i -lt "$volumes" ]; do
  IFS= read -r line <&3 && [ "${line#volume }" != "$line" ] || fail "bad volume line from the host"
  printf "%s\n" "$line" >>/volumes; i=$((i + 1))
done
each_volume() { # calls "$1" TAG MODE TARGET per volume
  while IFS= read -r line; do
    rest=${line#volume }; vtag=${rest%% *}; rest=${rest#* }; vmode=${rest%% *}; vtarget=${rest#* }
    "$1" "$vtag" "$vmode" "$vtarget" || return 1
  done </volumes
}
# A volume's mount point is made in the still-empty writable layer (or in the fresh /tmp), so
# nothing in the image, not even a symlink at the target, decides where the volume lands.
volume_dir() { case "$3" in /tmp | /tmp/*) ;; *) mkdir -p "/rw/upper$3" ;; esac; }
volume_mount() {
  case "$3" in /tmp | /tmp/*) mkdir -p "/newroot$3" || return 1 ;; esac
  opts=trans=virtio,version=9p2000.L,msize=262144,nosuid,nodev; [ "$2" = ro ] && opts=$opts,ro
  mount -t 9p -o "$opts" "$1" "/newroot$3"
}

wait_for /dev/vda
mkdir -p /lower /rw /newroot
mount -t ext4 -o ro,noload /dev/vda /lower || fail "cannot mount the root disk /dev/vda"
mount -t tmpfs -o mode=0755 rw /rw && mkdir /rw/upper /rw/work || fail "cannot make the writable layer"
each_volume volume_dir || fail "cannot create the volume mount points"
mount -t overlay overlay -o lowerdir=/lower,upperdir=/rw/upper,workdir=/rw/work /newroot || fail "cannot mount the overlay"
# The image's own /proc, /sys, /dev, /tmp never count: a symlink there would redirect our mounts.
cd /newroot && for d in proc sys dev tmp .sandbox; do [ -L "$d" ] && rm -f "$d"; mkdir -p "$d" || fail "cannot create /$d"; done
mount -t proc -o nosuid,nodev,noexec proc proc && mount -t sysfs -o ro,nosuid,nodev,noexec sysfs sys || fail "cannot mount /proc or /sys"
mount -t tmpfs -o nosuid,nodev,mode=1777 tmp tmp && mount -t tmpfs -o nosuid,mode=0755 dev dev || fail "cannot mount /tmp or /dev"
mknod -m 666 dev/null c 1 3 && mknod -m 666 dev/zero c 1 5 && mknod -m 666 dev/full c 1 7 &&
  mknod -m 666 dev/random c 1 8 && mknod -m 666 dev/urandom c 1 9 && mknod -m 666 dev/tty c 5 0 &&
  mkdir dev/pts dev/shm && ln -s /proc/self/fd dev/fd && ln -s /proc/self/fd/0 dev/stdin &&
  ln -s /proc/self/fd/1 dev/stdout && ln -s /proc/self/fd/2 dev/stderr || fail "cannot populate /dev"
mount -t devpts -o nosuid,noexec,newinstance,ptmxmode=0666 devpts dev/pts && mount -t tmpfs -o nosuid,nodev,mode=1777 shm dev/shm
each_volume volume_mount || fail "cannot mount the volumes"
chmod 0700 .sandbox && cp /bin/busybox .sandbox/busybox && head -c "$length" <&3 > .sandbox/spec || fail "cannot receive the spec"
cd /

out=$(port sandbox.stdout); err=$(port sandbox.stderr); in=/dev/null
[ "$stdin" = 1 ] && in=$(port sandbox.stdin)
# A write to a port returns once the data is queued, not once the host has read it, so powering
# off right after the workload could drop its last output. The workload's stdout and stderr
# therefore reach their ports through tee, wc counts what tee forwarded, and init reports the
# counts with the exit status and powers off only when the host answers that it received them.
# (cat writes to the port: tee moves 1 KiB at a time, cat as much as is waiting, and small port
# writes cost the host's socket buffer far more than their size.)
mkdir -p /run && mkfifo /run/stdout /run/stderr /run/stdout.copy /run/stderr.copy /run/stdout.port /run/stderr.port ||
  fail "cannot create the output pipes"
fwd=
for s in stdout stderr; do
  tee /run/$s.copy </run/$s >/run/$s.port 3>&- & fwd="$fwd $!"
  wc -c </run/$s.copy >/run/$s.bytes 3>&- & fwd="$fwd $!"
done
cat </run/stdout.port >"$out" 3>&- & fwd="$fwd $!"
cat </run/stderr.port >"$err" 3>&- & fwd="$fwd $!"
# Like a container whose init exits: what the workload left running is killed (which also closes
# its copies of the output pipes). Kernel threads and zombies have no exe link.
reap() {
  pass=0
  while [ $pass -lt 100 ]; do
    pass=$((pass + 1)); left=
    for p in /proc/[0-9]*; do
      p=${p#/proc/}
      case " 1 $fwd " in *" $p "*) continue ;; esac
      [ -e "/proc/$p/exe" ] && kill -9 "$p" 2>/dev/null && left=1
    done
    [ -z "$left" ] && return
    usleep 10000
  done
}
echo ready >&3; echo sandbox-init: ready >/dev/console
chroot /newroot /.sandbox/busybox sh /.sandbox/spec <"$in" >/run/stdout 2>/run/stderr 3>&- &
wait $!
status=$?
reap
wait $fwd
read -r outbytes </run/stdout.bytes; read -r errbytes </run/stderr.bytes
case "$outbytes:$errbytes" in
  *[!0-9:]* | :* | *:) echo "exit $status" >&3 ;;
  *) echo "exit $status $outbytes $errbytes" >&3 ;;
esac
# The host answers once its end has all of it (EOF if the host went away).
while read -r reply <&3; do [ "$reply" = poweroff ] && break; done
sync
echo sandbox-init: powering off >/dev/console; reboot -f
