#!/usr/bin/env python3
"""bench/run.sh fairness: small GETs at a constant rate while large uploads run against the same server.

  fairness_load.py --port PORT --keys PREFIX COUNT --rate R --connections C --warmup W --baseline B
                   [--tail T] [--samples FILE] [--max-seconds M] [--upload 'SHELL COMMAND']...

Phases, one after the other, on the same keep-alive connections:
  warmup    W seconds of GETs, not reported (JIT, first use of the connections);
  base      B seconds of GETs, nothing else running;
  up        from the start of the uploads (each --upload command, run with sh -c, all at once) until
            the last one exits; skipped when there are no --upload commands;
  after     T seconds more of GETs, to see the server recover.

The GETs (GET /PREFIX1 .. /PREFIX<COUNT>, round robin) follow a fixed schedule of R requests per
second in all, request k due at start + k/R on connection k mod C (wrk2's model, which Debian does
not package). A connection sends a request when it is due, or as soon as its previous answer arrives
if that is later; the latency is counted from the time the request was DUE, not from when it could
be sent, so a server that stops answering for 2 s shows 2 s of late requests rather than one slow
one (no coordinated omission). The time from the actual send is kept too ("service").
A request belongs to the phase in which it was due. Requests due before the end are all sent and
waited for; nothing is dropped.

Prints one line per phase and per upload:
  phase NAME count N errors E p50 MS p90 MS p99 MS max MS service_p99 MS service_max MS seconds S
  upload I rc RC seconds S
Errors are answers other than 200 and connection failures (the connection is opened again).
--samples writes every request: phase, due time (s from start), latency ms, service ms, status.
"""
import argparse
import math
import os
import selectors
import signal
import socket
import subprocess
import sys
import time


def percentile(sorted_values, p):
    """Nearest-rank percentile of an ascending list (p in 0..100); None when empty."""
    if not sorted_values:
        return None
    rank = max(1, math.ceil(p / 100.0 * len(sorted_values)))
    return sorted_values[rank - 1]


class Conn:
    """One keep-alive connection with its own share of the schedule."""

    def __init__(self, index):
        self.index = index
        self.sock = None
        self.k = 0  # its next request: the (k * C + index)-th of the schedule
        self.busy = False
        self.due = 0.0
        self.sent = 0.0
        self.buf = b""
        self.out = b""


def main():
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--port", type=int, required=True)
    ap.add_argument("--host", default="127.0.0.1")
    ap.add_argument("--keys", nargs=2, metavar=("PREFIX", "COUNT"), default=["s", "100"])
    ap.add_argument("--rate", type=float, default=1000.0)
    ap.add_argument("--connections", type=int, default=8)
    ap.add_argument("--warmup", type=float, default=1.0)
    ap.add_argument("--baseline", type=float, default=5.0)
    ap.add_argument("--tail", type=float, default=1.0)
    ap.add_argument("--max-seconds", type=float, default=300.0, help="uploads still running after this long are killed")
    ap.add_argument("--samples")
    ap.add_argument("--upload", action="append", default=[])
    a = ap.parse_args()

    prefix, count = a.keys[0], int(a.keys[1])
    requests = [("GET /%s%d HTTP/1.1\r\nHost: %s\r\n\r\n" % (prefix, i, a.host)).encode() for i in range(1, count + 1)]
    C = a.connections
    interval = 1.0 / a.rate

    # select(2), not epoll: epoll's timeout is in whole milliseconds (Python rounds up), which would
    # send every request up to 1 ms late; select's is in microseconds, and C sockets are few.
    sel = selectors.SelectSelector()
    conns = [Conn(i) for i in range(C)]
    errors_at = []  # (due, phase) of failed requests

    def connect(c):
        s = socket.create_connection((a.host, a.port), timeout=10)
        s.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
        s.setblocking(False)
        c.sock = s
        c.buf = b""
        sel.register(s, selectors.EVENT_READ, c)

    for c in conns:
        connect(c)

    start = time.monotonic()
    base_start = start + a.warmup
    base_end = base_start + a.baseline
    # Phase boundaries, filled in as they happen: the uploads' start and end, and the end of it all.
    up_start = None
    up_end = None
    stop_at = None if a.upload else base_end  # no request is due at or after stop_at
    uploads = []  # [Popen, start, end, rc]

    samples = []  # (due, latency_s, service_s, status)

    def due_of(c):
        return start + (c.k * C + c.index) * interval

    def send(c, now):
        c.due = due_of(c)
        c.sent = now
        c.busy = True
        c.out = requests[(c.k * C + c.index) % count]
        c.k += 1
        try:
            n = c.sock.send(c.out)
            c.out = c.out[n:]
        except BlockingIOError:
            pass
        except OSError:
            fail(c, now)
            return
        if c.out:
            sel.modify(c.sock, selectors.EVENT_READ | selectors.EVENT_WRITE, c)

    def fail(c, now):
        samples.append((c.due, now - c.due, now - c.sent, 0))
        c.busy = False
        try:
            sel.unregister(c.sock)
        except (KeyError, ValueError):
            pass
        c.sock.close()
        try:
            connect(c)
        except OSError:
            time.sleep(0.01)
            connect(c)

    def on_readable(c, now):
        try:
            data = c.sock.recv(65536)
        except BlockingIOError:
            return
        except OSError:
            if c.busy:
                fail(c, now)
            return
        if not data:
            if c.busy:
                fail(c, now)
            else:
                sel.unregister(c.sock)
                c.sock.close()
                connect(c)
            return
        c.buf += data
        while True:
            head_end = c.buf.find(b"\r\n\r\n")
            if head_end < 0:
                return
            head = c.buf[:head_end].decode("latin-1")
            lines = head.split("\r\n")
            try:
                status = int(lines[0].split(" ", 2)[1])
            except (IndexError, ValueError):
                status = 0
            length = 0
            close = False
            for line in lines[1:]:
                name, _, value = line.partition(":")
                name = name.strip().lower()
                if name == "content-length":
                    length = int(value.strip())
                elif name == "connection" and value.strip().lower() == "close":
                    close = True
            total = head_end + 4 + length
            if len(c.buf) < total:
                return
            c.buf = c.buf[total:]
            if status == 100:
                continue
            if not c.busy:
                return  # an answer nobody asked for; ignore it
            samples.append((c.due, now - c.due, now - c.sent, status))
            c.busy = False
            if close:
                sel.unregister(c.sock)
                c.sock.close()
                connect(c)
                return

    def start_uploads(now):
        nonlocal up_start
        up_start = now
        for cmd in a.upload:
            p = subprocess.Popen(["sh", "-c", cmd], start_new_session=True)
            uploads.append([p, now, None, None])

    def poll_uploads(now):
        nonlocal up_end, stop_at
        running = False
        for u in uploads:
            if u[2] is None:
                rc = u[0].poll()
                if rc is None:
                    if now - u[1] > a.max_seconds:
                        os.killpg(u[0].pid, signal.SIGKILL)
                        u[0].wait()
                        u[2], u[3] = time.monotonic(), "killed"
                    else:
                        running = True
                else:
                    u[2], u[3] = now, rc
        if not running:
            up_end = max(u[2] for u in uploads)
            stop_at = up_end + a.tail

    while True:
        now = time.monotonic()
        if a.upload:
            if up_start is None and now >= base_end:
                start_uploads(now)
            elif up_start is not None and up_end is None:
                poll_uploads(now)
        # Send every request that is due on an idle connection.
        next_due = math.inf
        for c in conns:
            if not c.busy:
                d = due_of(c)
                if stop_at is not None and d >= stop_at:
                    continue
                if d <= now:
                    send(c, now)
                else:
                    next_due = min(next_due, d)
        if stop_at is not None and all(not c.busy for c in conns) and next_due == math.inf:
            break
        timeout = next_due - time.monotonic()
        if a.upload and up_end is None:
            timeout = min(timeout, 0.02)  # notice an upload's end soon
        timeout = max(0.0, min(timeout, 0.5))
        for key, mask in sel.select(timeout):
            c = key.data
            now = time.monotonic()
            if mask & selectors.EVENT_WRITE and c.out:
                try:
                    n = c.sock.send(c.out)
                    c.out = c.out[n:]
                except BlockingIOError:
                    pass
                except OSError:
                    fail(c, now)
                    continue
                if not c.out:
                    sel.modify(c.sock, selectors.EVENT_READ, c)
            if mask & selectors.EVENT_READ:
                on_readable(c, now)

    for c in conns:
        c.sock.close()

    def phase_of(due):
        if due < base_start:
            return "warmup"
        if due < base_end:
            return "base"
        if up_start is not None and due < up_end:
            return "up"
        return "after"

    phases = {"warmup": [], "base": [], "up": [], "after": []}
    for s in samples:
        phases[phase_of(s[0])].append(s)
    seconds = {
        "warmup": a.warmup,
        "base": a.baseline,
        "up": (up_end - up_start) if up_start is not None else 0.0,
        "after": a.tail if up_start is not None else 0.0,
    }
    out = []
    for name in ("base", "up", "after"):
        rows = phases[name]
        if name != "base" and not a.upload:
            continue
        ok = sorted(r[1] * 1000 for r in rows)  # every request, failed ones included at their failure time
        service = sorted(r[2] * 1000 for r in rows)
        errors = sum(1 for r in rows if r[3] != 200)

        def f(v):
            return "-" if v is None else "%.3f" % v

        out.append("phase %s count %d errors %d p50 %s p90 %s p99 %s max %s service_p99 %s service_max %s seconds %.3f" % (
            name, len(rows), errors, f(percentile(ok, 50)), f(percentile(ok, 90)), f(percentile(ok, 99)),
            f(ok[-1] if ok else None), f(percentile(service, 99)), f(service[-1] if service else None), seconds[name]))
    for i, u in enumerate(uploads, 1):
        out.append("upload %d rc %s seconds %.3f" % (i, u[3], u[2] - u[1]))
    print("\n".join(out))
    if a.samples:
        with open(a.samples, "w") as f:
            for s in samples:
                f.write("%s %.6f %.3f %.3f %d\n" % (phase_of(s[0]), s[0] - start, s[1] * 1000, s[2] * 1000, s[3]))


if __name__ == "__main__":
    main()
