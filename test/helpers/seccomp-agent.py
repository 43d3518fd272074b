#!/usr/bin/env python3
"""A seccomp agent for tests: listens on SOCK, records the container process state it receives
with the notify fd in OUT.state, then answers every notification with success (val 0) without
running the syscall, counting them in OUT.count, until the fd closes."""
import fcntl, json, os, select, socket, struct, sys

sock_path, out = sys.argv[1], sys.argv[2]
srv = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
srv.bind(sock_path)
srv.listen(4)
open(out + ".ready", "w").close()
conn, _ = srv.accept()
msg, fds, _, _ = socket.recv_fds(conn, 65536, 4)
conn.close()
with open(out + ".state", "w") as f:
    f.write(msg.decode())
fd = fds[0]
NOTIF_SIZE = 80  # struct seccomp_notif: id u64, pid u32, flags u32, seccomp_data (64 bytes)
RECV = 0xC0502100  # SECCOMP_IOCTL_NOTIF_RECV
SEND = 0xC0182101  # SECCOMP_IOCTL_NOTIF_SEND
count = 0
while True:
    r, _, _ = select.select([fd], [], [], 30)
    if not r:
        break
    buf = bytearray(NOTIF_SIZE)
    try:
        fcntl.ioctl(fd, RECV, buf)
    except OSError:
        break  # the filter's last user is gone
    notif_id = struct.unpack_from("Q", buf, 0)[0]
    nr = struct.unpack_from("i", buf, 16)[0]
    count += 1
    with open(out + ".count", "w") as f:
        f.write(f"{count} {nr}\n")
    resp = struct.pack("QqiI", notif_id, 0, 0, 0)
    try:
        fcntl.ioctl(fd, SEND, bytearray(resp))
    except OSError:
        pass
