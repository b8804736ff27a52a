#!/usr/bin/env python3
"""bench/run.sh http: opens N keep-alive connections to 127.0.0.1:PORT, sends one GET on each,
reads its response, and holds every connection open until stdin closes (or a line arrives).
Prints 'open N' once all are established and answered, and 'failed K' for any that were not."""
import socket, sys

port, n, path = int(sys.argv[1]), int(sys.argv[2]), sys.argv[3]
req = ("GET %s HTTP/1.1\r\nHost: 127.0.0.1\r\n\r\n" % path).encode()
socks, failed, statuses = [], 0, {}
for i in range(n):
    try:
        s = socket.create_connection(("127.0.0.1", port), timeout=10)
        s.sendall(req)
        data = b""
        while b"\r\n\r\n" not in data:
            chunk = s.recv(65536)
            if not chunk:
                break
            data += chunk
        head, _, rest = data.partition(b"\r\n\r\n")
        status = head.split(b" ", 2)[1].decode() if head else "none"
        statuses[status] = statuses.get(status, 0) + 1
        length = 0
        for line in head.split(b"\r\n")[1:]:
            k, _, v = line.partition(b":")
            if k.strip().lower() == b"content-length":
                length = int(v.strip())
        while len(rest) < length:
            chunk = s.recv(65536)
            if not chunk:
                break
            rest += chunk
        socks.append(s)
    except OSError as e:
        failed += 1
        if failed <= 3:
            print("error on connection %d: %s" % (i, e), file=sys.stderr)
print("open %d" % len(socks), flush=True)
print("failed %d" % failed, flush=True)
print("statuses %s" % " ".join("%s=%d" % kv for kv in sorted(statuses.items())), flush=True)
sys.stdin.readline()
# Check that the server kept them open: a closed one reads EOF at once.
closed = 0
for s in socks:
    s.setblocking(False)
    try:
        if s.recv(1) == b"":
            closed += 1
    except BlockingIOError:
        pass
    except OSError:
        closed += 1
print("closed-by-server %d" % closed, flush=True)
for s in socks:
    s.close()
