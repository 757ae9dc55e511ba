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
fail() { say "$*"; reboot -f; } # reboot syncs first (without -n)

if [ "$1" != stage2 ]; then
  # Stage 1, on the initramfs itself. pivot_root (how crun enters the workload's root) refuses the
  # initial rootfs, which has no parent mount; so after loading the drivers a bind of the rootfs is
  # moved over / and init continues chrooted in it. Nothing is copied (under emulation copying the
  # initramfs took ~65 ms).
  mount -t proc proc /proc && mount -t sysfs sysfs /sys && mount -t devtmpfs devtmpfs /dev || fail "cannot mount /proc, /sys, /dev"
  # A minimal kernel has everything built in: /etc/modules is empty and nothing is loaded.
  while read -r module; do insmod "/lib/modules/$module.ko" || fail "cannot load module $module"; done </etc/modules
  # No module is loaded after this point, by anyone (kprobes need module support built in).
  [ ! -e /proc/sys/kernel/modules_disabled ] || echo 1 >/proc/sys/kernel/modules_disabled || fail "cannot disable module loading"
  umount /proc /sys /dev || fail "cannot unmount the early /proc, /sys, /dev"
  rm -rf /lib/modules || fail "cannot remove the modules"
  mount -o bind / /stage && cd /stage && mount -o move . / || fail "cannot make the stage-2 root"
  exec chroot . /init stage2
fi

wait_for() { i=0; while [ ! -e "$1" ]; do i=$((i + 1)); [ $i -gt 500 ] && fail "timed out waiting for $1"; usleep 10000; done; }
# find_port NAME sets $found to the device of virtio-serial port sandbox.NAME (builtins only: under
# emulation every fork counts).
find_port() {
  for p in /sys/class/virtio-ports/*; do
    read -r n <"$p/name" 2>/dev/null && [ "$n" = "sandbox.$1" ] && { found=/dev/${p##*/}; return 0; }
  done
  return 1
}

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
i=0; until find_port control && find_port stdout && find_port stderr; do
  i=$((i + 1)); [ $i -gt 500 ] && fail "virtio-serial ports did not appear"; usleep 10000; done
find_port control; control=$found; find_port stdout; out=$found; find_port stderr; err=$found
wait_for "$control"
exec 3<>"$control" || fail "cannot open $control"
# --- VM templates and per-run identity (docs/templates.md) ---
# What every run needs and no run decides is done before "waiting", so a template holds it done:
# the image's read-only disk mounted (the template's key names the disk), the mount-point layer made
# and the output forwarders started (see "Output" below).
wait_for /dev/vda
mount -t ext4 -o ro,noload,nodev /dev/vda /lower || fail "cannot mount the root disk /dev/vda"
read -r version </etc/runtime-version && [ -n "$version" ] || fail "cannot read crun's version"
mkdir -p /run/bundle /run/volumes && : >/run/volume-lines || fail "cannot create /run"
# crun guards against CVE-2019-5736 (a container rewriting the runtime through /proc/PID/exe) by
# re-executing itself from a sealed memfd copy, unless its binary is on a read-only mount that is not
# shmem. The initramfs is shmem, and under emulation that copy cost ~140 ms a crun call (the copy,
# a second dynamic link, and ~100 ms freeing the copy's pages at exit). So crun runs from a
# read-only ramfs: the guard holds (a write through any path to it is EROFS) and nothing is copied.
mkdir /run/runtime && mount -t ramfs -o nosuid,nodev,mode=0755 runtime /run/runtime && cp /usr/bin/crun /run/runtime/crun &&
  mount -o remount,ro,nosuid,nodev /run/runtime && mount -o bind /run/runtime/crun /usr/bin/crun &&
  mount -o remount,bind,ro,nosuid,nodev /usr/bin/crun || fail "cannot put crun on a read-only mount"
mount -t tmpfs -o mode=0755,size=4m rw /rw && mkdir /rw/upper /rw/work || fail "cannot make the mount-point layer"
# sandbox exec's input and output (below) live in a tmpfs of their own: a command that writes without
# end fills this one and sees ENOSPC, never the /run that init reports from.
mkdir /run/exec && mount -t tmpfs -o mode=0700,size=64m,nosuid,nodev,noexec exec /run/exec || fail "cannot make /run/exec"
# Output. A write to a port returns once the data is queued, not once the host has read it, so
# powering off right after the workload could drop its last output. The workload's stdout and
# stderr therefore reach their ports through tee, wc counts what tee forwarded, and init reports
# the counts with the exit status and powers off only when the host answers that it received them.
# (cat writes to the port: tee moves 1 KiB at a time, cat as much as is waiting, and small port
# writes cost the host's socket buffer far more than their size.) The workload holds only pipe
# ends, never a port: stdin too comes through a pipe. Until the workload opens its end, every
# forwarder sleeps in open(2) on its FIFO, which a template saves as it is.
mkfifo /run/stdin /run/stdout /run/stderr /run/stdout.copy /run/stderr.copy /run/stdout.port /run/stderr.port ||
  fail "cannot create the output pipes"
fwd=
for s in stdout stderr; do
  tee /run/$s.copy </run/$s >/run/$s.port 3>&- & fwd="$fwd $!"
  wc -c </run/$s.copy >/run/$s.bytes 3>&- & fwd="$fwd $!"
done
cat </run/stdout.port >"$out" 3>&- & fwd="$fwd $!"
cat </run/stderr.port >"$err" 3>&- & fwd="$fwd $!"
# "waiting": init is about to read its spec. A run that builds a template saves the VM here: nothing
# run-specific is in guest memory yet, nothing is mounted over 9p (QEMU refuses to migrate a
# mounted share), and nothing has read boot_id (the kernel makes it on first read, so every clone
# makes its own, after the reseed below). Clones restored from the template resume right here.
echo waiting >&3
# "identity HEX SECONDS NANOSECONDS MACHINE-ID" may precede the spec (the host sends it on every
# run): the host's random bytes credited to the pool and the CRNG reseeded, the host's clock, a
# fresh machine ID and hostname, all before anything of the workload runs.
identity() {
  sandbox-identity "$1" "$2" "$3" || return 1
  case "$4" in ????????????????????????????????) ;; *) return 1 ;; esac
  case "$4" in *[!0-9a-f]*) return 1 ;; esac
  echo "$4" >/etc/machine-id && echo "sandbox-${4%????????????????????}" >/proc/sys/kernel/hostname
}
read -r tag length stdin volumes mode network <&3 || fail "bad spec header from the host"
if [ "$tag" = identity ]; then
  identity "$length" "$stdin" "$volumes" "$mode" || fail "cannot apply the run's identity (entropy, clock, machine ID)"
  read -r tag length stdin volumes mode network <&3 || fail "bad spec header from the host"
fi
# --- end of templates and identity ---
[ "$tag" = spec ] || fail "bad spec header from the host"
case "$length:$volumes" in *[!0-9:]* | :* | *:) fail "bad spec header from the host" ;; esac
# "analyze" (sandbox analyze): the root is writable (its changes stay in the upper layer, which is
# bigger), the collector traces the workload, and a report follows on this port before the exit line.
case "$mode" in "" | analyze) ;; *) fail "bad spec header from the host" ;; esac
# "analyze sinkhole" (--network sinkhole): the workload joins the sinkhole helper's network namespace.
case "$mode:$network" in *: | analyze:sinkhole) ;; *) fail "bad spec header from the host" ;; esac
# Named volumes: one "volume TAG ro|rw TARGET" line each. The target is the rest of the line and is
# only ever used quoted. Kept in /run/volumes, read back line by line below.
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

[ "$mode" != analyze ] || mount -o remount,size=64m /rw || fail "cannot grow the writable layer for analyze"
each_volume volume_dir || fail "cannot create the volume mount points"
mount -t overlay overlay -o lowerdir=/lower,upperdir=/rw/upper,workdir=/rw/work /newroot || fail "cannot mount the overlay"
each_volume volume_mount || fail "cannot mount the volumes"
head -c "$length" <&3 >/run/bundle/config.json || fail "cannot receive the workload's config"
# What the guest applies, said before it runs: the digest of the config crun gets and crun's version
# (etc/runtime-version: the archive's builder ran the same binary once).
digest=$(sha256sum /run/bundle/config.json) || fail "cannot read the config"
echo "applied ${digest%% *} $version" >&3

in=/dev/null
case "$stdin" in
  1) find_port stdin || fail "the stdin port is missing"; cat <"$found" >/run/stdin 3>&- & in=/run/stdin ;;
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
# In analyze the kill joins the traced pids first, so the report shows the signal (the timeout's
# SIGKILL) and its target.
T=/sys/kernel/tracing
# A signal or an exec can come as soon as init said "started" (`run -d` has returned by then), before
# crun has made the container: both wait for it (or for its run to end; at most 10 s).
container_made() { w=0; until [ -e /run/crun/workload/status ] || [ -e /run/workload.ended ] || [ $w -ge 1000 ]; do w=$((w + 1)); usleep 10000; done; }
kill_workload() { container_made; crun kill workload "$1" 2>/dev/null; }
[ "$mode" = analyze ] && kill_workload() { container_made; sh -c 'echo $$ >>"$0/set_event_pid"; exec crun kill workload "$1"' $T "$1" 2>/dev/null; }
# --- sandbox exec (docker exec; sandbox cp runs tar through it) ---------------------------------
# "exec ID LENGTH STDIN" from the host, then a process.json of LENGTH bytes on one line (the
# workload's applied process with another command, rendered by the host as ASCII JSON) and STDIN
# bytes of input. `crun exec` runs it in the workload's container: its namespaces and user mapping,
# cgroup, read-only root, no capability, no_new_privs, seccomp. Its input and output are files in
# init's /run/exec, never the workload's. head may read ahead of the bytes it copies, so the input is
# the last thing the host sends until init says "execread ID". After the process ended init sends
# "execdone ID STATUS OUT ERR ENGINE" and OUT, ERR then ENGINE bytes, each stream cut at 16 MiB; a
# cut, or an exec that could not be staged, ends ERR with a "sandbox-init:" line; ENGINE is crun's
# own error (a JSON log line, at most 1 KiB) when crun could not start the command. Replies are written under the
# control lock (mkdir is atomic), so they never interleave with each other or with init's final
# report, which takes the lock for good.
exec_max=16777216
control_lock() { until mkdir /run/control.lock 2>/dev/null; do usleep 10000; done; }
take() { [ "$1" = 0 ] || head -c "$1" <&3; } # N bytes of the control port
full="sandbox-init: no room in the guest for this exec (its /run/exec is full)"
exec_request() {
  [ -z "$4" ] || return 1
  case "$1:$2:$3" in *[!0-9:]* | :* | *::* | *:) return 1 ;; esac
  d=/run/exec/$1
  IFS= read -r json <&3 || return 1
  # The input is read whole even when it cannot be kept: bytes left unread would be taken for messages.
  why=; mkdir -p "$d" 2>/dev/null || why=$full
  if [ "$3" = 0 ]; then
    [ -n "$why" ] || true 2>/dev/null >"$d/stdin" || why=$full # not ":": a special builtin whose redirection fails ends the shell
  else
    take "$3" | { [ -z "$why" ] && cat >"$d/stdin" 2>/dev/null || { cat >/dev/null; false; }; } || why=$full
  fi
  # The host waits for this before it sends anything else; once init's final report holds the lock, no answer comes.
  i=0; while [ $i -lt 100 ] && ! mkdir /run/control.lock 2>/dev/null; do i=$((i + 1)); usleep 10000; done
  [ $i -lt 100 ] && { echo "execread $1" >&3; rm -rf /run/control.lock; }
  if [ -z "$why" ] && [ "${#json}" != "$2" ]; then
    why="sandbox-init: the exec request's config was not the length announced"
  elif [ -z "$why" ]; then
    printf '%s\n' "$json" >"$d/process.json" 2>/dev/null || why=$full
  fi
  (
    container_made
    out=/dev/null err=/dev/null note=$why
    if [ -n "$why" ]; then
      status=125
    else
      out=$d/out err=$d/err
      crun --log="$d/crun.log" --log-format=json exec --process "$d/process.json" --pid-file "$d/pid" workload <"$d/stdin" >"$out" 2>"$err" 3>&-
      status=$?
      # The workload ended before crun could join it: crun only says it has no state file.
      [ $status = 0 ] || [ -e /run/crun/workload/status ] || ! grep -q /run/crun/workload/status "$d/crun.log" 2>/dev/null ||
        { status=125; note="sandbox-init: the workload is not running (it has ended)"; }
      # crun's own failure (a missing command or directory) is in its log, where the command cannot write.
      [ $status = 0 ] || [ -n "$note" ] || grep -m 1 '"level":"error"' "$d/crun.log" 2>/dev/null | head -c 1024 >"$d/engine" || true
    fi
    [ -r "$out" ] || out=/dev/null; [ -r "$err" ] || err=/dev/null # a failed redirection of exec (below) would end this shell
    o=$(($(wc -c <"$out"))); e=$(($(wc -c <"$err")))
    [ $o -le $exec_max ] && [ $e -le $exec_max ] || note="sandbox-init: the exec's output was cut at 16 MiB a stream"
    [ $o -le $exec_max ] || o=$exec_max
    [ -z "$note" ] || note="$note
"
    [ $((e + ${#note})) -le $exec_max ] || e=$((exec_max - ${#note}))
    engine=/dev/null; [ -s "$d/engine" ] && engine=$d/engine; g=$(($(wc -c <"$engine")))
    # The files go before the reply ends (their space is freed as the last byte is written), so the
    # host's next exec, which may come as soon as this reply is read, finds /run/exec empty again.
    exec 4<"$out" 5<"$err" 6<"$engine"; rm -rf "$d"
    control_lock
    { echo "execdone $1 $status $o $((e + ${#note})) $g"; head -c $o <&4; head -c $e <&5; printf '%s' "$note"; head -c $g <&6; } >&3
    exec 4<&- 5<&- 6<&-; rm -rf /run/control.lock
  ) &
}
# "execsignal ID N": the exec's client was interrupted (or went away: N is 9). The signal goes to the
# exec'd process, once crun has written its pid (at most 2 s); an exec that has ended has no directory.
exec_signal() {
  [ -z "$3" ] || return
  case "$1:$2" in *[!0-9:]* | :* | *::* | *:) return ;; esac
  [ "$2" -ge 1 ] && [ "$2" -le 64 ] || return
  (
    i=0; until [ -s "/run/exec/$1/pid" ] || [ ! -d "/run/exec/$1" ] || [ $i -ge 200 ]; do i=$((i + 1)); usleep 10000; done
    pid=$(cat "/run/exec/$1/pid" 2>/dev/null) && kill -"$2" "$pid" 2>/dev/null # crun ends the file without a newline
  ) 3>&- &
}
# --- end of sandbox exec ---------------------------------------------------------------------
# One worker applies resizes in the order they came: a terminal's `stty rows R cols C` is two
# resizes, and two appliers in flight could finish out of order and leave the older size. Only -t has one.
if [ "$stdin" = 2 ]; then
  mkfifo /run/resize.fifo || fail "cannot make /run/resize.fifo"
  ( exec 3>&- 5<>/run/resize.fifo; while read -r rows cols <&5; do resize "$rows" "$cols"; done ) &
fi
(
  while read -r message arg <&3; do
    case "$message:$arg" in
      signal:[1-9] | signal:[1-9][0-9]) kill_workload "$arg" ;;
      resize:*)
        rows=${arg%% *}; cols=${arg#* }
        [ "$stdin" = 2 ] && cells "$rows" && cells "$cols" && echo "$rows $cols" >/run/resize.fifo ;;
      exec:*) exec_request $arg ;; # unquoted: three numbers, checked there
      execsignal:*) exec_signal $arg ;; # unquoted: two numbers, checked there
      poweroff:*) break ;;
    esac
  done
) &
listener=$!
# The analysis collector: tracefs in this (trusted) kernel, outside every namespace of the workload,
# which has no capability to mount tracefs or reach this one. Only numbers are traced (never a
# string the workload chose, which could carry a newline and forge a line: its bytes come as
# numbers); task names never enter the line prefix (record-cmd off). The trace follows the pid that
# execs crun and everything it forks (event-fork), and keeps the first events when its buffer fills.
probe() { echo "$1" >>$T/kprobe_events 2>/dev/null || { echo "kprobe ${1%% *}: $(tr -cd ' -~' <$T/error_log | head -c 300)"; : >$T/error_log; } >>/run/report/missing; }
# User memory is fetched as 64-bit words (this kernel refuses byte arrays from user memory, and a
# string field could hold a newline): COUNT words at ADDR+FROM as fields NAME0, NAME1, ...
words() { w=; j=0; while [ $j -lt "$3" ]; do w="$w $2$j=+u$((${4:-0} + j * 8))($1):x64"; j=$((j + 1)); done; echo "$w"; }
# The new program's arguments, read where the kernel just wrote them (start_thread's new stack
# pointer, %dx: argc, then argv), so every page is present: argv[i] as pI, its first 64 bytes as aI_0..7.
stack_args() { a=" argc=+u0(%dx):u64"; for i in 0 1 2 3 4 5; do a="$a p$i=+u$((8 + i * 8))(%dx):x64$(words "+u$((8 + i * 8))(%dx)" "a${i}_" 8)"; done; echo "$a"; }
# COUNT words of kernel memory at ADDR as fields NAME0, NAME1, ... (always present, unlike user memory).
kwords() { w=; j=0; while [ $j -lt "$3" ]; do w="$w $2$j=+$((j * 8))($1):x64"; j=$((j + 1)); done; echo "$w"; }
# A sockaddr at pt_regs+$1, its length at pt_regs+$2: family, port, IPv4 and IPv6 address, and the
# first 64 bytes of a unix socket's path (sun_path, at offset 2) as un0..7.
sockaddr() { echo "ap=+$1(%di):x64 alen=+$2(%di):u64 fam=+u0(+$1(%di)):u16 port=+u2(+$1(%di)):u16 a4=+u4(+$1(%di)):u32$(words "+$1(%di)" a6_ 2 8)$(words "+$1(%di)" un 8 2)"; }
collector_start() {
  mkdir -p /run/report && : >/run/report/missing || return 1
  mount -t tracefs -o nosuid,nodev,noexec tracefs $T || { echo tracefs >>/run/report/missing; return 0; }
  echo 0 >$T/tracing_on; echo 0 >$T/options/record-cmd; echo 0 >$T/options/overwrite; echo 1 >$T/options/event-fork
  echo mono >$T/trace_clock; echo 4096 >$T/buffer_size_kb
  # x86-64 syscall wrappers take struct pt_regs: di at 112, si 104, dx 96, r10 56, r8 72, r9 64.
  probe "p:sandbox/execve __x64_sys_execve$(words "+112(%di)" fn 8)"
  probe "p:sandbox/execveat __x64_sys_execveat$(words "+104(%di)" fn 8)"
  probe "p:sandbox/exec_args start_thread$(stack_args)"
  probe "p:sandbox/connect __x64_sys_connect fd=+112(%di):s32 $(sockaddr 104 96)"
  probe "p:sandbox/bind __x64_sys_bind fd=+112(%di):s32 $(sockaddr 104 96)"
  probe "p:sandbox/sendto __x64_sys_sendto fd=+112(%di):s32 len=+96(%di):u64 $(sockaddr 72 64)$(words "+104(%di)" d 8)"
  # Every open (open, openat, openat2, creat; an exec's own open too, told apart by __FMODE_EXEC):
  # do_filp_open(dfd, struct filename *, struct open_flags *) has the path already copied into the
  # kernel (its first 128 bytes as n0..n15), the flags as the kernel took them; its return is a file or -errno.
  probe "p:sandbox/open do_filp_open dfd=%di:s32 fl=+0(%dx):x32$(kwords "+0(%si)" n 16)"
  probe "r:sandbox/opened do_filp_open ret=\$retval:x64"
  for e in sched/sched_process_fork sched/sched_process_exit signal/signal_generate syscalls/sys_enter_exit_group \
    syscalls/sys_exit_execve syscalls/sys_exit_execveat syscalls/sys_exit_connect syscalls/sys_exit_bind syscalls/sys_exit_sendto \
    syscalls/sys_enter_listen syscalls/sys_exit_listen sandbox/execve sandbox/execveat sandbox/exec_args sandbox/connect sandbox/bind sandbox/sendto; do
    echo 1 >$T/events/$e/enable 2>/dev/null || echo "event $e" >>/run/report/missing
  done
  # The one event that carries a string the workload chose (the file it executed) gets a buffer of
  # its own, "names": a forged line there can only confuse names, which the host cross-checks.
  N=$T/instances/names
  mkdir $N && echo 0 >$N/tracing_on && echo 0 >$N/options/overwrite && echo 1 >$N/options/event-fork &&
    echo mono >$N/trace_clock && echo 1024 >$N/buffer_size_kb && echo 1 >$N/events/sched/sched_process_exec/enable ||
    echo "event names/sched_process_exec: $(tr -cd ' -~' <$T/error_log | head -c 200)" >>/run/report/missing
  # Opens get a buffer of their own too, "opens": a sample that opens without end fills only it,
  # never pushing its forks, execs, exits or connects out of the main trace.
  O=$T/instances/opens
  mkdir $O && echo 0 >$O/tracing_on && echo 0 >$O/options/overwrite && echo 1 >$O/options/event-fork &&
    echo mono >$O/trace_clock && echo 2048 >$O/buffer_size_kb && echo 1 >$O/events/sandbox/open/enable &&
    echo 1 >$O/events/sandbox/opened/enable || echo "event opens/sandbox/open: $(tr -cd ' -~' <$T/error_log | head -c 200)" >>/run/report/missing
}
# After the workload: the trace, the cgroup's counters and the upper layer (every file the workload
# created, changed or deleted) go to the host as one tar on this port, announced with its length.
collector_report() {
  echo 0 >$T/tracing_on 2>/dev/null
  r=/run/report
  echo 0 >$N/tracing_on 2>/dev/null; echo 0 >$O/tracing_on 2>/dev/null
  cat $T/trace >$r/trace 2>/dev/null; cat $T/per_cpu/cpu*/stats $N/per_cpu/cpu*/stats $O/per_cpu/cpu*/stats >$r/trace-stats 2>/dev/null
  cat $N/trace >$r/names 2>/dev/null; cat $O/trace >$r/opens 2>/dev/null
  # Seccomp refusals (the filter has SECCOMP_FILTER_FLAG_LOG): audit records in the kernel log, whose
  # task names the kernel hex-encodes when they hold spaces, quotes or control characters. The file
  # is there only when the log could be read (empty: nothing was refused).
  dmesg >$r/kmsg 2>/dev/null && grep 'type=1326' $r/kmsg >$r/seccomp; rm -f $r/kmsg
  for f in memory.peak memory.events cpu.stat pids.peak; do cat /sys/fs/cgroup/sandbox/$f >$r/cgroup.$f 2>/dev/null; done
  mkdir $r/upper && mount -o bind,ro /rw/upper $r/upper && tar -cf /run/report.tar -C $r . 3>&- || { echo "report 0" >&3; return; }
  umount $r/upper; n=$(wc -c </run/report.tar)
  echo "report $n" >&3 && cat /run/report.tar >&3
}
run_crun() { crun --log=/run/crun.log --log-format=json run --bundle /run/bundle workload; }
# --- sinkhole (analyze --network sinkhole; Analysis/Sinkhole/sinkhole.c) ---
# The helper makes the network namespace config.json joins (/run/sinkhole/net: only lo, every
# address local), answers every TCP connection and DNS question there, and writes its records to
# /run/report/sinkhole, which goes to the host in the report tar. It is init's child: outside the
# workload's PID, mount and cgroup namespaces, and it drops to uid 65533 once set up. Started
# before crun, stopped (SIGTERM: it records the connections still open) after the workload.
sinkhole=
sinkhole_start() {
  mkdir -p /run/sinkhole && : >/run/sinkhole/net && mkfifo /run/sinkhole/ready || return 1
  /usr/libexec/sandbox-sinkhole /run/sinkhole/net 65533 >/run/report/sinkhole 2>/run/sinkhole/err 3>&- 4>/run/sinkhole/ready &
  sinkhole=$!
  read -r ready </run/sinkhole/ready
  [ "$ready" = ready ] || { say "sinkhole: $(head -c 300 /run/sinkhole/err | tr -cd ' -~')"; return 1; }
}
sinkhole_stop() { [ -z "$sinkhole" ] || { kill -TERM "$sinkhole"; wait "$sinkhole"; }; }
# --- end sinkhole ---
if [ "$mode" = analyze ]; then
  collector_start || fail "cannot start the analysis collector"
  [ "$network" != sinkhole ] || sinkhole_start || fail "cannot start the sinkhole"
  # The shell that becomes crun is the root of what is traced.
  run_crun() { sh -c 'for t in "$0" "$0/instances/names" "$0/instances/opens"; do echo $$ >"$t/set_event_pid" && echo 1 >"$t/tracing_on"; done; exec crun --log=/run/crun.log --log-format=json run --bundle /run/bundle workload' $T; }
fi
echo ready >&3; say ready
# The host starts the workload's --timeout from here.
echo started >&3
run_crun <"$in" >/run/stdout 2>/run/stderr 3>&- &
wait $!
status=$?
: >/run/workload.ended
# The workload's PID namespace died with its first process, so its writers are gone and the
# forwarders reach EOF.
wait $fwd
control_lock # sandbox exec: no reply from here on (the VM powers off), so none interleaves with the report
# crun's own failure (e.g. exec refused) is in its log, not the workload's stderr.
# A workload that exited 0 was started, so only a failure is looked up (three fewer processes).
if [ "$status" != 0 ]; then
  engine=$(grep -m 1 '"level": *"error"' /run/crun.log 2>/dev/null | head -c 1024 | tr -cd ' -~')
  [ -n "$engine" ] && echo "engine $engine" >&3
fi
oom=
while read -r key value; do [ "$key" = oom_kill ] && [ "$value" != 0 ] && oom=" oom"; done </sys/fs/cgroup/sandbox/memory.events
sinkhole_stop
[ "$mode" = analyze ] && collector_report
read -r outbytes </run/stdout.bytes; read -r errbytes </run/stderr.bytes
case "$outbytes:$errbytes" in
  *[!0-9:]* | :* | *:) echo "exit $status" >&3 ;;
  *) echo "exit $status $outbytes $errbytes$oom" >&3 ;;
esac
# The host answers "poweroff" once its end has all of it (or goes away: EOF).
wait $listener
say "powering off"; exec reboot -f # PID 1 becomes reboot: one fork less
