#!/usr/bin/env python3
"""A --console-socket peer for tests: accepts one connection, receives the pty master (SCM_RIGHTS),
writes the payload (the pty path) to OUT.name, then copies everything read from the master to
OUT.data until the terminal closes, and writes INPUT (if given) to the master first."""
import os, socket, sys

sock_path, out, data_in = sys.argv[1], sys.argv[2], (sys.argv[3] if len(sys.argv) > 3 else "")
srv = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
srv.bind(sock_path)
srv.listen(1)
open(out + ".ready", "w").close()
conn, _ = srv.accept()
msg, fds, _, _ = socket.recv_fds(conn, 4096, 1)
with open(out + ".name", "w") as f:
    f.write(msg.decode())
master = fds[0]
if data_in:
    os.write(master, data_in.encode())
with open(out + ".data", "wb") as f:
    while True:
        try:
            chunk = os.read(master, 4096)
        except OSError:
            break
        if not chunk:
            break
        f.write(chunk)
        f.flush()
