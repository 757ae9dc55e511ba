#!/usr/bin/env python3
"""The bare-QEMU baseline's host side of the guest protocol, and nothing more.

Usage: qemu-peer.py CONFIG_JSON ARGV_FILE   (ARGV_FILE: QEMU's argv, one word per line)
Listens on every unix socket the argv names (control, stdout, stderr, stdin), as the sandbox
launcher does, starts QEMU unjailed, sends the guest init its spec ("spec LEN STDIN VOLUMES\n" +
the workload's config.json) on the control port, closes stdin, drains the output, answers the
guest's "exit ..." line with "poweroff" (init waits for it) and exits with QEMU's status. No jail,
no cgroup, no policy, no audit: the difference to `sandbox run` is what the launcher adds.
"""
import os
import re
import socket
import subprocess
import sys
import threading

config = open(sys.argv[1], "rb").read()
qemu = open(sys.argv[2]).read().splitlines()
paths = {m.group(2): m.group(1) for a in qemu for m in [re.search(r"socket,id=(\w+),path=(.+)$", a)] if m}
listeners = {}
for path, name in paths.items():
    if os.path.exists(path):
        os.unlink(path)
    s = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
    s.bind(path)
    s.listen(1)
    listeners[name] = s

vmm = subprocess.Popen(qemu, stdin=subprocess.DEVNULL)
conns = {name: s.accept()[0] for name, s in listeners.items()}
stdin = "stdin" in conns
control = conns.pop("control")
control.sendall(b"spec %d %d 0\n" % (len(config), 1 if stdin else 0) + config)  # no volumes
if stdin:
    conns.pop("stdin").close()


def answer(c):
    """Reads init's lines; after its exit report, tells it to power off."""
    pending = b""
    while True:
        data = c.recv(4096)
        if not data:
            return
        pending += data
        while b"\n" in pending:
            line, pending = pending.split(b"\n", 1)
            if line.startswith(b"exit "):
                c.sendall(b"poweroff\n")



def drain(c):
    while c.recv(65536):
        pass


threads = [threading.Thread(target=drain, args=(c,), daemon=True) for c in conns.values()]
threads.append(threading.Thread(target=answer, args=(control,), daemon=True))
for t in threads:
    t.start()
code = vmm.wait()
for t in threads:
    t.join(timeout=10)
sys.exit(code)
