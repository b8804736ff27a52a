#!/usr/bin/env python3
"""bench/run.sh longpoll: the client side of the long-poll suite (bench/lib/longpoll.sh).

One process, non-blocking sockets on one epoll, so that it holds 10,000 connections. Every connection
first GETs an existing key once and reads the answer: the server has accepted and served it, and it is
an idle keep-alive connection from then on. A waiter is a `GET /KEY` with `Prefer: wait=SECONDS` on an
absent key (or with `If-None-Match` naming the key's current ETag); "parked" means that no byte of an
answer arrived within --settle seconds of sending it.

  longpoll_load.py memory  --port P --pid PID [--connections N] [--keys K] [--wait S]
      RSS (/proc/PID/status) before any connection, with N idle keep-alive connections, and with the
      same N connections each waiting (K keys, N/K waiters each); then wakes them all (a PUT per key)
      and checks every answer. --gcdump CMD runs "CMD idle" and "CMD waiting" at those two points
      (for dotnet-gcdump; no RSS figure of such a run means anything).
  longpoll_load.py wake    --port P [--connections N] [--sizes 1000,10000] [--rounds R] [--per-key 100] [--spread-rounds 10]
      first the goal's reading ("spread"): all N connections waiting, PER_KEY on each of N/PER_KEY absent
      keys, and per round a PUT to one of those keys: its PER_KEY waiters timed, the others checked to
      have got no byte (the woken ones then wait again on a fresh key, so N are waiting at every PUT);
      then per round and size: SIZE waiters all on ONE fresh absent key, then a PUT to it. A waiter's
      time runs from just before the PUT was sent (from another connection) to its answer received.
  longpoll_load.py hold    --port P [--connections N] [--keys K] [--wait S]
      holds connections for wrk runs; commands on stdin, one a line, each answered with one line:
      open (N idle connections), park (a waiting GET on each), release (check none was answered, then
      wake them with a PUT per key and check the answers), close, quit.
  longpoll_load.py prefill --port P [--prefix l] [--count 100000] [--size 64]
      PUTs keys PREFIX000000.. pipelined over a few connections.
  longpoll_load.py floor-recv --connections N --port-file F   and   floor-send --connections N --port-file F [--sizes] [--rounds]
      the floor of a wake: floor-send (on the server's core) sends one answer-sized message on each of SIZE
      connections in a plain loop; floor-recv (on the client's core) times each arrival as wake does.
  longpoll_load.py report  --samples FILE --meta FILE
      the markdown of bench/results/longpoll.md from the suite's samples and settings.
  longpoll_load.py checks  --port P [--long SECONDS]
      the feature's rules, each printed "check NAME ok|FAIL detail" (--long: only the waits that run
      their whole time, which takes SECONDS).

Times: "received" is the kernel's receive timestamp of the answer's last bytes (SO_TIMESTAMPNS on
loopback: when the server's send reached this socket), so this process's own lag in reading 10,000
sockets is not counted; "read" is when this process parsed the answer, which includes that lag.
Every result line is "WORD key value key value ...", for awk.
"""
import argparse
import errno
import math
import os
import random
import select
import socket
import struct
import sys
import time

SO_TIMESTAMPNS = getattr(socket, "SO_TIMESTAMPNS", 35)  # SO_TIMESTAMPNS_OLD: struct timespec of two int64
HOST = "127.0.0.1"


def now_ns():
    return time.time_ns()  # CLOCK_REALTIME, the clock of the kernel's receive timestamps


def percentile(sorted_values, p):
    """Nearest-rank percentile of an ascending list (p in 0..100); None when empty."""
    if not sorted_values:
        return None
    rank = max(1, math.ceil(p / 100.0 * len(sorted_values)))
    return sorted_values[rank - 1]


def fmt(v, digits=3):
    return "-" if v is None else ("%." + str(digits) + "f") % v


def request(method, path, headers=(), body=b""):
    lines = ["%s %s HTTP/1.1" % (method, path), "Host: %s" % HOST]
    lines += ["%s: %s" % h for h in headers]
    if body or method in ("PUT", "POST"):
        lines.append("Content-Length: %d" % len(body))
    return ("\r\n".join(lines) + "\r\n\r\n").encode("latin-1") + body


def rss_kib(pid):
    """VmRSS and RssAnon of a process, KiB."""
    v = {}
    with open("/proc/%d/status" % pid) as f:
        for line in f:
            name, _, rest = line.partition(":")
            if name in ("VmRSS", "RssAnon"):
                v[name] = int(rest.split()[0])
    return v.get("VmRSS", 0), v.get("RssAnon", 0)


class Response:
    __slots__ = ("status", "headers", "body", "t_recv", "t_read")

    def __init__(self, status, headers, body, t_recv, t_read):
        self.status, self.headers, self.body, self.t_recv, self.t_read = status, headers, body, t_recv, t_read

    @property
    def etag(self):
        return self.headers.get("etag")


class Conn:
    __slots__ = ("sock", "fd", "inbuf", "out", "responses", "closed", "connected", "sent_at", "tag", "t_recv")

    def __init__(self, sock):
        self.sock = sock
        self.fd = sock.fileno()
        self.inbuf = b""
        self.out = b""
        self.responses = []
        self.closed = False  # the server closed it (EOF or error)
        self.connected = False
        self.sent_at = 0
        self.tag = None
        self.t_recv = None


class Client:
    """Connections on one epoll; answers are parsed as they arrive and queued on their connection."""

    def __init__(self, port, timestamps=False):
        self.port = port
        self.timestamps = timestamps
        self.ep = select.epoll()
        self.conns = {}
        self.connect_errors = {}

    # --- connections ---------------------------------------------------------------------------
    def _new_socket(self):
        s = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
        s.setblocking(False)
        s.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
        if self.timestamps:
            s.setsockopt(socket.SOL_SOCKET, SO_TIMESTAMPNS, 1)
        return s

    def open(self, n, warm_path, batch=256, timeout=120.0):
        """Opens n connections, each answering one GET warm_path; returns (the connections, statuses of
        those answers). At most `batch` are connecting or awaiting their answer at a time."""
        done, statuses = [], {}
        pending = set()
        started = 0
        warm = request("GET", warm_path)
        deadline = time.monotonic() + timeout
        while (started < n or pending) and time.monotonic() < deadline:
            while started < n and len(pending) < batch:
                s = self._new_socket()
                c = Conn(s)
                self.conns[c.fd] = c
                rc = s.connect_ex((HOST, self.port))
                if rc not in (0, errno.EINPROGRESS):
                    self._connect_failed(c, rc)
                else:
                    self.ep.register(c.fd, select.EPOLLOUT)
                    pending.add(c)
                started += 1
            self.pump(0.05)
            for c in list(pending):
                if c.closed:
                    pending.discard(c)
                    if c.responses:
                        statuses[c.responses[0].status] = statuses.get(c.responses[0].status, 0) + 1
                    self.drop(c)
                elif c.connected and c.sent_at == 0 and not c.out:
                    self.send(c, warm)
                elif c.responses:
                    r = c.responses.pop(0)
                    statuses[r.status] = statuses.get(r.status, 0) + 1
                    pending.discard(c)
                    done.append(c)
        for c in pending:
            self.connect_errors["timeout"] = self.connect_errors.get("timeout", 0) + 1
            self.drop(c)
        return done, statuses

    def _connect_failed(self, c, err):
        name = errno.errorcode.get(err, str(err))
        self.connect_errors[name] = self.connect_errors.get(name, 0) + 1
        c.closed = True

    def drop(self, c):
        if c.fd in self.conns and self.conns[c.fd] is c:
            del self.conns[c.fd]
            try:
                self.ep.unregister(c.fd)
            except (OSError, ValueError, KeyError):
                pass
        c.sock.close()

    def close_all(self, conns):
        for c in conns:
            self.drop(c)

    # --- sending -------------------------------------------------------------------------------
    def send(self, c, data):
        c.sent_at = now_ns()
        try:
            k = c.sock.send(data)
        except BlockingIOError:
            k = 0
        except OSError:
            c.closed = True
            return
        if k < len(data):
            c.out = data[k:]
            self.ep.modify(c.fd, select.EPOLLIN | select.EPOLLOUT)

    # --- receiving -----------------------------------------------------------------------------
    def pump(self, timeout):
        """One epoll wait (timeout seconds) and everything it reports; returns the number of events."""
        events = self.ep.poll(timeout, max(1024, len(self.conns)))
        for fd, mask in events:
            c = self.conns.get(fd)
            if c is None:
                continue
            if not c.connected:
                if mask & (select.EPOLLOUT | select.EPOLLERR | select.EPOLLHUP):
                    err = c.sock.getsockopt(socket.SOL_SOCKET, socket.SO_ERROR)
                    if err:
                        self._connect_failed(c, err)
                        self.ep.unregister(fd)
                        continue
                    c.connected = True
                    self.ep.modify(fd, select.EPOLLIN)
                continue
            if mask & select.EPOLLOUT and c.out:
                try:
                    k = c.sock.send(c.out)
                    c.out = c.out[k:]
                except BlockingIOError:
                    pass
                except OSError:
                    c.closed = True
                if not c.out and not c.closed:
                    self.ep.modify(fd, select.EPOLLIN)
            if mask & (select.EPOLLIN | select.EPOLLERR | select.EPOLLHUP):
                self._read(c)
        return len(events)

    def _read(self, c):
        t_recv = None
        try:
            if self.timestamps:
                data, anc, _, _ = c.sock.recvmsg(65536, socket.CMSG_SPACE(16))
                for level, kind, payload in anc:
                    if level == socket.SOL_SOCKET and kind == SO_TIMESTAMPNS and len(payload) >= 16:
                        sec, nsec = struct.unpack("qq", payload[:16])
                        t_recv = sec * 1000000000 + nsec
            else:
                data = c.sock.recv(65536)
        except BlockingIOError:
            return
        except OSError:
            data = b""
        if not data:
            c.closed = True
            try:
                self.ep.unregister(c.fd)
            except (OSError, ValueError, KeyError):
                pass
            return
        c.inbuf += data
        c.t_recv = t_recv
        self._parse(c)

    def _parse(self, c):
        while True:
            head_end = c.inbuf.find(b"\r\n\r\n")
            if head_end < 0:
                return
            lines = c.inbuf[:head_end].decode("latin-1").split("\r\n")
            try:
                status = int(lines[0].split(" ", 2)[1])
            except (IndexError, ValueError):
                status = 0
            headers = {}
            for line in lines[1:]:
                name, _, value = line.partition(":")
                headers[name.strip().lower()] = value.strip()
            if "chunked" in headers.get("transfer-encoding", "").lower():
                raise SystemExit("longpoll_load: a chunked answer; this client reads Content-Length only")
            length = int(headers.get("content-length", "0"))
            if status in (204, 304) or status < 200:
                length = 0
            total = head_end + 4 + length
            if len(c.inbuf) < total:
                return
            body = c.inbuf[head_end + 4:total]
            c.inbuf = c.inbuf[total:]
            if status == 100:
                continue
            c.responses.append(Response(status, headers, body, c.t_recv, now_ns()))

    def wait_until(self, pred, timeout):
        deadline = time.monotonic() + timeout
        while not pred():
            left = deadline - time.monotonic()
            if left <= 0:
                return False
            self.pump(min(left, 0.05))
        return True

    def exchange(self, c, data, timeout=30.0):
        """Sends data on c and returns its answer (None if none came or the connection closed)."""
        self.send(c, data)
        self.wait_until(lambda: c.responses or c.closed, timeout)
        return c.responses.pop(0) if c.responses else None


def side_conn(client, warm_path):
    conns, _ = client.open(1, warm_path)
    if not conns:
        raise SystemExit("longpoll_load: cannot open a connection to port %d" % client.port)
    return conns[0]


def count(d, k):
    d[k] = d.get(k, 0) + 1


def show(d):
    return ",".join("%s=%d" % kv for kv in sorted(d.items())) or "-"


def park(client, conns, key_of, wait, settle, extra=()):
    """Sends each connection a waiting GET (key_of(i)); after settle seconds, returns (parked, early
    answers' statuses, closed count): parked are those with no answer and still open."""
    for i, c in enumerate(conns):
        c.tag = key_of(i)
        client.send(c, request("GET", "/" + c.tag, (("Prefer", "wait=%d" % wait),) + tuple(extra)))
    end = time.monotonic() + settle
    while time.monotonic() < end:
        client.pump(min(0.05, max(0.0, end - time.monotonic())))
    early, closed, parked = {}, 0, []
    for c in conns:
        if c.responses:
            for r in c.responses:
                count(early, r.status)
            c.responses.clear()
        elif c.closed:
            closed += 1
        else:
            parked.append(c)
    return parked, early, closed


def collect(client, waiters, timeout):
    """Waits until every waiter has an answer or is closed (at most timeout s)."""
    client.wait_until(lambda: all(c.responses or c.closed for c in waiters), timeout)


def judge(waiters, etags, values):
    """Counts the waiters' answers: (ok, wrong statuses, wrong etag/body, closed, none)."""
    ok, statuses, wrong, closed, none = 0, {}, 0, 0, 0
    for c in waiters:
        if c.responses:
            r = c.responses[0]
            count(statuses, r.status)
            if r.status == 200 and r.etag == etags.get(c.tag) and r.body == values.get(c.tag):
                ok += 1
            else:
                wrong += 1
        elif c.closed:
            closed += 1
        else:
            none += 1
    return ok, statuses, wrong, closed, none


def put_keys(client, side, keys, values, etags, statuses):
    """PUTs each key (values[key]) on the side connection, one after another; records ETags."""
    for k in keys:
        r = client.exchange(side, request("PUT", "/" + k, (), values[k]))
        count(statuses, r.status if r else 0)
        if r:
            etags[k] = r.etag


# --- memory ----------------------------------------------------------------------------------------
def cmd_memory(a):
    client = Client(a.port)
    side = side_conn(client, "/" + a.warm_key)
    tag = "%x" % random.getrandbits(32)

    # Warm-up, not measured: the waiting path's code and first-use structures (a wake, a timeout, a
    # delete), so that the JIT's and first-use memory is not charged to the waiters.
    warm, _ = client.open(200, "/" + a.warm_key)
    for rnd in range(3):
        parked, _, _ = park(client, warm, lambda i: "warm-%s-%d-%d" % (tag, rnd, i % 2), 30, 0.3)
        vals = {k: os.urandom(64) for k in {c.tag for c in warm}}
        put_keys(client, side, sorted(vals), vals, {}, {})
        collect(client, parked, 10)
        for c in warm:
            c.responses.clear()
        for k in sorted(vals):
            client.exchange(side, request("DELETE", "/" + k))
    parked, _, _ = park(client, warm[:20], lambda i: "warm-%s-t" % tag, 1, 0.1)
    collect(client, parked, 5)
    client.close_all(warm)
    time.sleep(1.0)

    def sample():
        # Three readings 0.2 s apart, the last one kept (the first ones show whether it still moves).
        vals = []
        for _ in range(3):
            vals.append(rss_kib(a.pid))
            time.sleep(0.2)
        return vals[-1]

    before = sample()
    conns, statuses = client.open(a.connections, "/" + a.warm_key)
    time.sleep(1.0)
    idle = sample()
    if a.gcdump:
        os.system(a.gcdump + " idle")
    t0 = time.monotonic()
    parked, early, closed = park(client, conns, lambda i: "mw-%s-%d" % (tag, i % a.keys), a.wait, a.settle)
    park_s = time.monotonic() - t0
    waiting = sample()
    if a.gcdump:
        os.system(a.gcdump + " waiting")
    print("memory connections %d open %d connect_errors %s warm_statuses %s parked %d early %s closed %d "
          "rss_before %d rss_idle %d rss_waiting %d anon_before %d anon_idle %d anon_waiting %d park_seconds %.2f" % (
              a.connections, len(conns), show(client.connect_errors), show({str(k): v for k, v in statuses.items()}),
              len(parked), show({str(k): v for k, v in early.items()}), closed,
              before[0], idle[0], waiting[0], before[1], idle[1], waiting[1], park_s), flush=True)

    # Wake them all: one PUT per key, then every waiter must have 200 with that PUT's ETag and value.
    keys = sorted({c.tag for c in parked})
    values = {k: os.urandom(64) for k in keys}
    etags, put_statuses = {}, {}
    t0 = now_ns()
    put_keys(client, side, keys, values, etags, put_statuses)
    collect(client, parked, 30)
    ok, st, wrong, closed2, none = judge(parked, etags, values)
    last = max((c.responses[0].t_read for c in parked if c.responses), default=t0)
    print("memwake keys %d waiters %d put_statuses %s ok %d statuses %s wrong %d closed %d unanswered %d seconds %.3f" % (
        len(keys), len(parked), show({str(k): v for k, v in put_statuses.items()}), ok,
        show({str(k): v for k, v in st.items()}), wrong, closed2, none, (last - t0) / 1e9), flush=True)
    client.close_all(conns)


# --- wake ------------------------------------------------------------------------------------------
def cmd_wake(a):
    sizes = [int(s) for s in a.sizes.split(",")]
    client = Client(a.port, timestamps=True)
    side = side_conn(client, "/" + a.warm_key)
    conns, statuses = client.open(max(sizes), "/" + a.warm_key)
    print("wakeopen connections %d open %d connect_errors %s statuses %s" % (
        max(sizes), len(conns), show(client.connect_errors), show({str(k): v for k, v in statuses.items()})), flush=True)
    tag = "%x" % random.getrandbits(32)

    def one(label, size, rnd, record=True):
        key = "wake-%s-%s-%d-%d" % (tag, label, size, rnd)
        group = [c for c in conns if not c.closed][:size]
        for c in group:
            c.responses.clear()
        parked, early, closed = park(client, group, lambda i: key, a.wait, a.settle)
        value = os.urandom(64)
        t0 = now_ns()
        client.send(side, request("PUT", "/" + key, (), value))
        client.wait_until(lambda: side.responses or side.closed, 30)
        put = side.responses.pop(0) if side.responses else None
        collect(client, parked, 30)
        ok, st, wrong, closed2, none = judge(parked, {key: put.etag if put else None}, {key: value})
        recv = sorted((c.responses[0].t_recv - t0) / 1e6 for c in parked if c.responses and c.responses[0].t_recv)
        read = sorted((c.responses[0].t_read - t0) / 1e6 for c in parked if c.responses)
        put_ms = (put.t_read - t0) / 1e6 if put else None
        put_recv_ms = (put.t_recv - t0) / 1e6 if put and put.t_recv else None
        before_put = sum(1 for c in parked if c.responses and c.responses[0].t_recv and put and put.t_recv
                         and c.responses[0].t_recv < put.t_recv)
        if record:
            print("wake size %d round %d sent %d parked %d early %s closed_before %d put %s put_ms %s put_recv_ms %s woken_before_put %d answered %d ok %d "
                  "statuses %s wrong %d closed %d unanswered %d p50 %s p99 %s max %s min %s read_p50 %s read_p99 %s read_max %s stamped %d" % (
                      size, rnd, len(group), len(parked), show({str(k): v for k, v in early.items()}), closed,
                      put.status if put else "none", fmt(put_ms), fmt(put_recv_ms), before_put, len(read), ok, show({str(k): v for k, v in st.items()}),
                      wrong, closed2, none, fmt(percentile(recv, 50)), fmt(percentile(recv, 99)), fmt(recv[-1] if recv else None),
                      fmt(recv[0] if recv else None), fmt(percentile(read, 50)), fmt(percentile(read, 99)),
                      fmt(read[-1] if read else None), len(recv)), flush=True)
        for c in group:
            c.responses.clear()

    def spread():
        """The goal's reading: every connection waiting, PER_KEY of them on each of n/PER_KEY keys, all on
        this one loop; per round a PUT to one key never written whose waiters have waited since the start
        (its PER_KEY waiters timed as in one()); the others must get no byte. The woken ones then wait on a
        fresh key of their own, so that as many waits are parked at every PUT; at the end a PUT per key
        left must answer every waiter that stayed (200 with its value)."""
        group = [c for c in conns if not c.closed]
        nkeys = len(group) // a.per_key
        group = group[:nkeys * a.per_key]
        for c in group:
            c.responses.clear()
        t_park = time.monotonic()
        parked, early, closed = park(client, group, lambda i: "spread-%s-%d" % (tag, i % nkeys), a.wait, a.settle)
        print("spreadpark connections %d keys %d per_key %d parked %d early %s closed %d seconds %.2f" % (
            len(group), nkeys, a.per_key, len(parked), show({str(k): v for k, v in early.items()}), closed,
            time.monotonic() - t_park), flush=True)
        waiting = set(parked)
        targets = ["spread-%s-%d" % (tag, k) for k in range(nkeys)]
        pooled_recv, pooled_read, puts = [], [], []
        for rnd in range(0, a.spread_rounds + 1):  # round 0: not recorded
            if not targets:
                break
            key = targets.pop(0)
            mine = [c for c in waiting if c.tag == key]
            others = [c for c in waiting if c.tag != key]
            value = os.urandom(64)
            t0 = now_ns()
            client.send(side, request("PUT", "/" + key, (), value))
            client.wait_until(lambda: side.responses or side.closed, 30)
            put = side.responses.pop(0) if side.responses else None
            collect(client, mine, 30)
            # Give any wrong wake-up as long again to arrive (at least 0.25 s from the PUT's send).
            last = max([c.responses[0].t_read for c in mine if c.responses] + [now_ns()])
            end = time.monotonic() + max(0.25 - (now_ns() - t0) / 1e9, (last - t0) / 1e9)
            while time.monotonic() < end:
                client.pump(min(0.05, max(0.0, end - time.monotonic())))
            o_answered = sum(1 for c in others if c.responses)
            o_bytes = sum(1 for c in others if c.responses or c.inbuf)
            o_closed = sum(1 for c in others if c.closed)
            ok, st, wrong, closed2, none = judge(mine, {key: put.etag if put else None}, {key: value})
            recv = sorted((c.responses[0].t_recv - t0) / 1e6 for c in mine if c.responses and c.responses[0].t_recv)
            read = sorted((c.responses[0].t_read - t0) / 1e6 for c in mine if c.responses)
            put_ms = (put.t_read - t0) / 1e6 if put else None
            put_recv_ms = (put.t_recv - t0) / 1e6 if put and put.t_recv else None
            before_put = sum(1 for c in mine if c.responses and c.responses[0].t_recv and put and put.t_recv
                             and c.responses[0].t_recv < put.t_recv)
            if rnd > 0:
                pooled_recv += recv
                pooled_read += read
                puts.append(put_recv_ms if put_recv_ms is not None else put_ms)
                print("spread round %d waiting %d on_key %d others %d put %s put_ms %s put_recv_ms %s woken_before_put %d answered %d ok %d "
                      "statuses %s wrong %d closed %d unanswered %d others_answered %d others_bytes %d others_closed %d "
                      "p50 %s p99 %s max %s min %s read_p50 %s read_p99 %s read_max %s stamped %d" % (
                          rnd, len(waiting), len(mine), len(others), put.status if put else "none", fmt(put_ms), fmt(put_recv_ms),
                          before_put, len(read), ok, show({str(k): v for k, v in st.items()}), wrong, closed2, none,
                          o_answered, o_bytes, o_closed, fmt(percentile(recv, 50)), fmt(percentile(recv, 99)),
                          fmt(recv[-1] if recv else None), fmt(recv[0] if recv else None), fmt(percentile(read, 50)),
                          fmt(percentile(read, 99)), fmt(read[-1] if read else None), len(recv)), flush=True)
            # The woken ones wait again, on a fresh key of their own; anything else that answered leaves.
            for c in others:
                if c.responses or c.inbuf or c.closed:
                    waiting.discard(c)
            for c in mine:
                waiting.discard(c)
                c.responses.clear()
            again = [c for c in mine if not c.closed]
            re_parked, _, _ = park(client, again, lambda i: "spread-%s-again-%d" % (tag, rnd), a.wait, a.settle)
            waiting.update(re_parked)
            time.sleep(a.pause)
        # The end: every wait not woken by a PUT of its key is still waiting (no byte) and is answered by one.
        client.pump(0)
        stayed = [c for c in waiting if not (c.responses or c.inbuf or c.closed)]
        keys = sorted({c.tag for c in stayed})
        values = {k: os.urandom(64) for k in keys}
        etags, put_statuses = {}, {}
        put_keys(client, side, keys, values, etags, put_statuses)
        collect(client, stayed, 30)
        ok, st, wrong, closed2, none = judge(stayed, etags, values)
        pooled_recv.sort()
        pooled_read.sort()
        print("spreadend waiting %d stayed %d keys %d put_statuses %s ok %d statuses %s wrong %d closed %d unanswered %d "
              "answers %d p50 %s p99 %s max %s read_p99 %s put_median %s put_max %s" % (
                  len(waiting), len(stayed), len(keys), show({str(k): v for k, v in put_statuses.items()}), ok,
                  show({str(k): v for k, v in st.items()}), wrong, closed2, none, len(pooled_recv),
                  fmt(percentile(pooled_recv, 50)), fmt(percentile(pooled_recv, 99)),
                  fmt(pooled_recv[-1] if pooled_recv else None), fmt(percentile(pooled_read, 99)),
                  fmt(median(puts)), fmt(max((x for x in puts if x is not None), default=None))), flush=True)
        for c in group:
            c.responses.clear()

    one("warm", min(sizes), 0, record=False)
    one("warm", max(sizes), 0, record=False)
    if a.spread_rounds > 0:
        spread()
        time.sleep(a.pause)
    for rnd in range(1, a.rounds + 1):
        order = sizes if rnd % 2 else list(reversed(sizes))
        for size in order:
            one("r", size, rnd)
            time.sleep(a.pause)
    client.close_all(conns)


# --- hold ------------------------------------------------------------------------------------------
def cmd_hold(a):
    client = Client(a.port)
    side = side_conn(client, "/" + a.warm_key)
    tag = "%x" % random.getrandbits(32)
    conns, parked, parks = [], [], 0
    for line in sys.stdin:
        cmd = line.strip()
        if cmd == "open":
            client.connect_errors.clear()
            conns, statuses = client.open(a.connections, "/" + a.warm_key)
            print("open %d connect_errors %s statuses %s" % (len(conns), show(client.connect_errors),
                                                              show({str(k): v for k, v in statuses.items()})), flush=True)
        elif cmd == "park":
            parks += 1
            t0 = time.monotonic()
            parked, early, closed = park(client, conns, lambda i: "hold-%s-%d-%d" % (tag, parks, i % a.keys), a.wait, a.settle)
            print("parked %d early %s closed %d seconds %.2f" % (len(parked), show({str(k): v for k, v in early.items()}),
                                                                  closed, time.monotonic() - t0), flush=True)
        elif cmd == "release":
            # Anything that arrived while we were not reading (during wrk) is an early answer.
            client.pump(0)
            client.pump(0)
            during, closed = {}, 0
            still = []
            for c in parked:
                if c.responses:
                    for r in c.responses:
                        count(during, r.status)
                elif c.closed:
                    closed += 1
                else:
                    still.append(c)
            keys = sorted({c.tag for c in still})
            values = {k: os.urandom(64) for k in keys}
            etags, put_statuses = {}, {}
            put_keys(client, side, keys, values, etags, put_statuses)
            collect(client, still, 30)
            ok, st, wrong, closed2, none = judge(still, etags, values)
            print("released held %d answered_during %s closed_during %d put_statuses %s ok %d statuses %s wrong %d closed %d unanswered %d" % (
                len(still), show({str(k): v for k, v in during.items()}), closed,
                show({str(k): v for k, v in put_statuses.items()}), ok, show({str(k): v for k, v in st.items()}),
                wrong, closed2, none), flush=True)
            for c in conns:
                c.responses.clear()
            conns = [c for c in conns if not c.closed]
            parked = []
        elif cmd == "close":
            client.close_all(conns)
            conns = []
            print("closed", flush=True)
        elif cmd == "quit":
            break
        elif cmd:
            print("error unknown command %s" % cmd, flush=True)
    client.close_all(conns)


# --- prefill ---------------------------------------------------------------------------------------
def cmd_prefill(a):
    client = Client(a.port)
    conns, _ = client.open(a.streams, "/")
    value = os.urandom(a.size)
    names = ["%s%06d" % (a.prefix, i) for i in range(a.count)]
    statuses = {}
    window = 256
    share = [names[i::len(conns)] for i in range(len(conns))]
    progress = [0] * len(conns)
    answered = [0] * len(conns)
    t0 = time.monotonic()
    while any(answered[j] < len(share[j]) for j in range(len(conns))):
        for j, c in enumerate(conns):
            if progress[j] == answered[j] and progress[j] < len(share[j]) and not c.out:
                batch = share[j][progress[j]:progress[j] + window]
                client.send(c, b"".join(request("PUT", "/" + k, (), value) for k in batch))
                progress[j] += len(batch)
        client.pump(0.05)
        for j, c in enumerate(conns):
            while c.responses:
                count(statuses, c.responses.pop(0).status)
                answered[j] += 1
            if c.closed and answered[j] < len(share[j]):
                raise SystemExit("longpoll_load: prefill connection closed after %d answers" % answered[j])
    print("prefill count %d statuses %s seconds %.2f" % (a.count, show({str(k): v for k, v in statuses.items()}),
                                                          time.monotonic() - t0), flush=True)
    bad = sum(v for k, v in statuses.items() if not 200 <= k < 300)
    client.close_all(conns)
    if bad:
        sys.exit(1)


# --- checks ----------------------------------------------------------------------------------------
def cmd_checks(a):
    client = Client(a.port)
    side = side_conn(client, "/")
    tag = "%x" % random.getrandbits(32)
    failures = 0

    def report(name, good, detail):
        nonlocal failures
        if not good:
            failures += 1
        print("check %s %s %s" % (name, "ok" if good else "FAIL", detail), flush=True)

    def put(key, value, query=""):
        r = client.exchange(side, request("PUT", "/" + key + query, (), value))
        return r.etag if r and r.status in (200, 201, 204) else None

    def waiter(key, wait, extra=()):
        c = client.open(1, "/")[0][0]
        c.responses.clear()
        c.tag = key
        client.send(c, request("GET", "/" + key, (("Prefer", "wait=%d" % wait),) + tuple(extra)))
        return c

    def answer_in(c, timeout):
        t0 = time.monotonic()
        client.wait_until(lambda: c.responses or c.closed, timeout)
        r = c.responses.pop(0) if c.responses else None
        return r, time.monotonic() - t0

    def desc(r, secs):
        if r is None:
            return "no answer after %.2f s" % secs
        return "%d etag %s after %.2f s" % (r.status, r.etag or "-", secs)

    if a.long:
        # Waits that run their whole time, longer than the idle (60 s) and body (30 s) timeouts.
        k_abs = "long-%s-absent" % tag
        k_ex = "long-%s-existing" % tag
        etag = put(k_ex, b"x" * 64)
        start = now_ns()
        ws = [waiter(k_abs, a.long) for _ in range(10)] + [waiter(k_ex, a.long, (("If-None-Match", etag),)) for _ in range(10)]
        client.wait_until(lambda: all(c.responses or c.closed for c in ws), a.long + 15)
        got = {}
        times = []
        for c in ws:
            if c.responses:
                count(got, "%s:%d" % ("absent" if c.tag == k_abs else "existing", c.responses[0].status))
                times.append((c.responses[0].t_read - start) / 1e9)
            elif c.closed:
                count(got, "closed")
            else:
                count(got, "none")
        first = min(times) if times else -1
        last = max(times) if times else -1
        good = got == {"absent:404": 10, "existing:304": 10} and first >= a.long - 0.5 and last <= a.long + 3
        report("wait-runs-out-%ds" % a.long, good, "10 absent + 10 If-None-Match waiters: %s; answered from %.1f s to %.1f s (expect 404 and 304 after %d s)" % (
            show(got), first, last, a.long))
        print("checks failures %d" % failures, flush=True)
        return

    # 1. An absent key, wait=2: 404 once the wait is over, not before.
    c = waiter("chk-%s-absent" % tag, 2)
    r, s = answer_in(c, 10)
    report("absent-times-out", r is not None and r.status == 404 and 1.9 <= s <= 3.0, desc(r, s) + " (expect 404 after 2 s)")

    # 2. If-None-Match with the current ETag, wait=2: 304 with that ETag after 2 s.
    key = "chk-%s-inm" % tag
    etag = put(key, b"a" * 64)
    c = waiter(key, 2, (("If-None-Match", etag),))
    r, s = answer_in(c, 10)
    report("not-modified-times-out", r is not None and r.status == 304 and r.etag == etag and 1.9 <= s <= 3.0,
           desc(r, s) + " (expect 304 %s after 2 s)" % etag)

    # 3. Same, woken by a PUT: 200 with the new value and the PUT's ETag.
    c = waiter(key, 30, (("If-None-Match", etag),))
    r0, _ = answer_in(c, 0.5)
    value = os.urandom(64)
    new = put(key, value)
    r, s = answer_in(c, 10 if r0 is None else 0.2)
    report("put-wakes-not-modified", r0 is None and r is not None and r.status == 200 and r.etag == new and r.body == value,
           "parked: %s; after the PUT: %s (expect 200 %s with the new value)" % ("yes" if r0 is None else desc(r0, 0), desc(r, s), new))

    # 4. Woken by a DELETE: 404.
    c = waiter(key, 30, (("If-None-Match", new),))
    r0, _ = answer_in(c, 0.5)
    client.exchange(side, request("DELETE", "/" + key))
    r, s = answer_in(c, 10 if r0 is None else 0.2)
    report("delete-wakes", r0 is None and r is not None and r.status == 404,
           "parked: %s; after the DELETE: %s (expect 404)" % ("yes" if r0 is None else desc(r0, 0), desc(r, s)))

    # 5. An If-None-Match that does not match, or no If-None-Match on an existing key: 200 at once.
    key = "chk-%s-now" % tag
    etag = put(key, b"b" * 64)
    c = waiter(key, 30, (("If-None-Match", '"0123456789abcdef"'),))
    r, s = answer_in(c, 5)
    report("stale-etag-answers-at-once", r is not None and r.status == 200 and s < 0.5, desc(r, s) + " (expect 200 at once)")
    c = waiter(key, 30)
    r, s = answer_in(c, 5)
    report("existing-key-answers-at-once", r is not None and r.status == 200 and s < 0.5, desc(r, s) + " (expect 200 at once)")

    # 6. A PUT to another key wakes nobody; then the key's own PUT does.
    key = "chk-%s-only" % tag
    ws = [waiter(key, 30) for _ in range(5)]
    client.wait_until(lambda: False, 0.3)
    put("chk-%s-other" % tag, b"c" * 64)
    client.wait_until(lambda: any(c.responses or c.closed for c in ws), 0.5)
    woken = sum(1 for c in ws if c.responses or c.closed)
    value = os.urandom(64)
    new = put(key, value)
    client.wait_until(lambda: all(c.responses or c.closed for c in ws), 5)
    right = sum(1 for c in ws if c.responses and c.responses[0].status == 200 and c.responses[0].etag == new)
    report("other-key-wakes-nobody", woken == 0 and right == 5,
           "%d of 5 answered after another key's PUT (expect 0); %d of 5 got 200 with the ETag after their own key's PUT" % (woken, right))

    # 7. Expiry wakes: a key written with ?ttl=1, a waiter with its ETag; answered 404 when it expires.
    key = "chk-%s-ttl" % tag
    etag = put(key, b"d" * 64, "?ttl=1")
    c = waiter(key, 30, (("If-None-Match", etag),))
    r, s = answer_in(c, 10)
    report("expiry-wakes", r is not None and r.status == 404 and s < 3.5,
           desc(r, s) + " (expect 404 when the 1 s time to live ends, within about 2 s)")

    # 8. Waiters whose clients went away: the PUT still wakes the others, and the server keeps serving.
    key = "chk-%s-gone" % tag
    ws = [waiter(key, 30) for _ in range(20)]
    client.wait_until(lambda: False, 0.3)
    for c in ws[:10]:
        client.drop(c)
    value = os.urandom(64)
    new = put(key, value)
    client.wait_until(lambda: all(c.responses or c.closed for c in ws[10:]), 5)
    right = sum(1 for c in ws[10:] if c.responses and c.responses[0].status == 200 and c.responses[0].etag == new)
    r = client.exchange(side, request("GET", "/" + key))
    report("closed-waiters", right == 10 and r is not None and r.status == 200,
           "%d of 10 remaining waiters got 200 with the ETag; a GET after: %s" % (right, desc(r, 0)))

    # 9. A waiting request keeps its connection: a second request on it is served after the answer.
    key = "chk-%s-keep" % tag
    c = waiter(key, 30)
    client.wait_until(lambda: False, 0.3)
    put(key, b"e" * 64)
    r, s = answer_in(c, 5)
    r2 = client.exchange(c, request("GET", "/" + key))
    report("keep-alive-after-wake", r is not None and r.status == 200 and r2 is not None and r2.status == 200,
           "woken: %s; next request on the same connection: %s" % (desc(r, s), desc(r2, 0)))

    print("checks failures %d" % failures, flush=True)


# --- floor -----------------------------------------------------------------------------------------
def cmd_floor_recv(a):
    """The other end of floor-send: accepts a control connection and N data connections, reads them all on
    epoll with kernel receive timestamps, and prints one line per burst the sender announces."""
    ls = socket.socket()
    ls.bind((HOST, 0))
    ls.listen(4096)
    with open(a.port_file + ".tmp", "w") as f:
        f.write(str(ls.getsockname()[1]))
    os.rename(a.port_file + ".tmp", a.port_file)
    ctl, _ = ls.accept()
    ctl_file = ctl.makefile("rwb", buffering=0)
    ep = select.epoll()
    conns = {}
    while len(conns) < a.connections:
        s, _ = ls.accept()
        s.setblocking(False)
        s.setsockopt(socket.SOL_SOCKET, SO_TIMESTAMPNS, 1)
        conns[s.fileno()] = s
        ep.register(s.fileno(), select.EPOLLIN)
    ctl_file.write(b"ready\n")
    while True:
        line = ctl_file.readline().split()
        if not line or line[0] != b"burst":
            break
        size, rnd = int(line[1]), int(line[2])
        stamps, reads = [], []
        while len(reads) < size:
            for fd, _ in ep.poll(10, len(conns)):
                data, anc, _, _ = conns[fd].recvmsg(65536, socket.CMSG_SPACE(16))
                for level, kind, payload in anc:
                    if level == socket.SOL_SOCKET and kind == SO_TIMESTAMPNS:
                        sec, nsec = struct.unpack("qq", payload[:16])
                        stamps.append(sec * 1000000000 + nsec)
                reads.append(now_ns())
        t0, t1 = (int(x) for x in ctl_file.readline().split())
        recv = sorted((x - t0) / 1e6 for x in stamps)
        read = sorted((x - t0) / 1e6 for x in reads)
        print("floor size %d round %d send_ms %.3f p50 %s p99 %s max %s read_p99 %s stamped %d" % (
            size, rnd, (t1 - t0) / 1e6, fmt(percentile(recv, 50)), fmt(percentile(recv, 99)),
            fmt(recv[-1] if recv else None), fmt(percentile(read, 99)), len(recv)), flush=True)
        ctl_file.write(b"ok\n")


def cmd_floor_send(a):
    """One send of --bytes bytes on each of SIZE connections in a plain loop: the least one wake per waiter
    costs on this core, whatever the server; the receiver (floor-recv) times each arrival."""
    while not os.path.exists(a.port_file):
        time.sleep(0.05)
    port = int(open(a.port_file).read())
    ctl = socket.create_connection((HOST, port))
    ctl_file = ctl.makefile("rwb", buffering=0)
    socks = []
    for _ in range(a.connections):
        s = socket.create_connection((HOST, port))
        s.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
        socks.append(s)
    ctl_file.readline()  # ready: every connection accepted and watched
    sizes = [int(x) for x in a.sizes.split(",")]
    msg = b"x" * a.bytes
    for rnd in range(0, a.rounds + 1):  # round 0: a warm-up, not recorded by the suite
        for size in (sizes if rnd % 2 else list(reversed(sizes))):
            time.sleep(a.pause)
            ctl_file.write(b"burst %d %d\n" % (size, rnd))
            time.sleep(0.2)
            t0 = now_ns()
            for s in socks[:size]:
                s.send(msg)
            t1 = now_ns()
            ctl_file.write(b"%d %d\n" % (t0, t1))
            ctl_file.readline()
    ctl_file.write(b"end\n")


# --- report ----------------------------------------------------------------------------------------
def median(values):
    v = sorted(x for x in values if x is not None)
    if not v:
        return None
    n = len(v)
    return v[n // 2] if n % 2 else (v[n // 2 - 1] + v[n // 2]) / 2


def pairs(tokens):
    d = {}
    for i in range(0, len(tokens) - 1, 2):
        d[tokens[i]] = tokens[i + 1]
    return d


def num(v):
    try:
        return float(v)
    except (TypeError, ValueError):
        return None


def wrk_ms(v):
    """wrk's latency ("286.00us", "2.07ms", "1.01s") in ms."""
    for unit, f in (("us", 0.001), ("ms", 1.0), ("s", 1000.0), ("m", 60000.0)):
        if v.endswith(unit):
            x = num(v[:-len(unit)])
            return None if x is None else x * f
    return None


def read_wrk(path):
    r = {"rps": None, "p50": None, "p99": None, "non2xx": 0, "errors": 0, "requests": 0}
    try:
        text = open(path).read()
    except OSError:
        return r
    for line in text.splitlines():
        t = line.split()
        if line.startswith("Requests/sec:"):
            r["rps"] = num(t[1])
        elif len(t) == 2 and t[0] == "50%":
            r["p50"] = wrk_ms(t[1])
        elif len(t) == 2 and t[0] == "99%":
            r["p99"] = wrk_ms(t[1])
        elif "Non-2xx or 3xx responses:" in line:
            r["non2xx"] = int(t[-1])
        elif line.strip().startswith("Socket errors:"):
            r["errors"] = sum(int(x.strip(",")) for x in t[3::2])
        elif "requests in" in line:
            r["requests"] = int(t[0])
    return r


def cmd_report(a):
    meta = {}
    with open(a.meta) as f:
        for line in f:
            k, _, v = line.rstrip("\n").partition("\t")
            meta[k] = v
    mem, memwake, checks, wakes, holds, wrks, lists, floors = [], [], [], [], [], [], [], []
    spreads = []
    wakeopen = prefill = page = spreadpark = spreadend = None
    with open(a.samples) as f:
        for line in f:
            t = line.split()
            if not t:
                continue
            if t[0] == "round" and len(t) > 2 and t[2] in ("memory", "memwake"):
                d = pairs(t[3:])
                d["round"] = t[1]
                (mem if t[2] == "memory" else memwake).append(d)
            elif t[0] == "check":
                checks.append((t[1], t[2], " ".join(t[3:])))
            elif t[0] == "wakeopen":
                wakeopen = pairs(t[1:])
            elif t[0] == "wake":
                wakes.append(pairs(t[1:]))
            elif t[0] == "spreadpark":
                spreadpark = pairs(t[1:])
            elif t[0] == "spread":
                spreads.append(pairs(t[1:]))
            elif t[0] == "spreadend":
                spreadend = pairs(t[1:])
            elif t[0] == "floor":
                floors.append(pairs(t[1:]))
            elif t[0] == "hold" and len(t) > 3:
                d = pairs(t[4:] if t[3] == "released" else t[3:])
                d["round"], d["kind"] = t[2], t[3]
                holds.append(d)
            elif t[0] == "wrk":
                d = pairs(t[1:])
                d.update(read_wrk(d["file"]))
                wrks.append(d)
            elif t[0] == "listwrk":
                d = pairs(t[1:])
                d.update(read_wrk(d["file"]))
                lists.append(d)
            elif t[0] == "prefill":
                prefill = pairs(t[1:])
            elif t[0] == "page":
                page = pairs(t[1:])

    def i(v):
        return "-" if v is None else "{:,}".format(int(round(v)))

    def ms(v):
        if v is None:
            return "-"
        return "%.2f" % v if v < 10 else "%.1f" % v if v < 100 else "%.0f" % v

    def rng(vals, f):
        v = [x for x in vals if x is not None]
        return "%s–%s" % (f(min(v)), f(max(v))) if v else "-"

    def one_or_range(vals, f):
        v = [x for x in vals if x is not None]
        return "-" if not v else f(v[0]) if min(v) == max(v) else rng(v, f)

    waiters = int(meta.get("waiters") or 0)
    want = int(meta.get("want_waiters") or 0)
    goal_kib = 2.0
    out = []
    w = out.append
    w("# Long polls: %s waiters on one event loop, and listing over HTTP" % "{:,}".format(waiters))
    w("")
    w("Written by `%sbench/run.sh longpoll` (bench/lib/longpoll.sh, bench/http/longpoll_load.py); do not edit by hand." % meta.get("settings", ""))
    w("%s UTC, commit %s, %s s in all." % (meta.get("date"), meta.get("commit"), meta.get("seconds")))
    w("")
    w("- machine: `nproc` = %s, %s, Linux %s, .NET %s, wrk %s, Python %s" % (
        meta.get("nproc"), meta.get("cpu"), meta.get("kernel"), meta.get("dotnet"), meta.get("wrk"), meta.get("python")))
    w("- the host (`embedkv.dll --workers 1 --durability %s --Limits:MaxConnections %s%s`), a fresh one with a fresh data"
      % (meta.get("durability"), meta.get("maxconn"), (" " + meta["extra"]) if meta.get("extra") else ""))
    w("  directory for each part, pinned to core %s (`taskset`); every client on core %s: `bench/http/longpoll_load.py` (one"
      % (meta.get("srv_cpu"), meta.get("cli_cpu")))
    w("  process, non-blocking sockets on one epoll) and wrk; servers and clients at nice %s, each in a session of its own." % meta.get("nice"))
    if want and waiters < want:
        w("- **%s waiters, not %s**: the host budgets two descriptors per connection (its socket, and the file of a value"
          % ("{:,}".format(waiters), "{:,}".format(want)))
        w("  it may stream to disk: `DescriptorBudget.PerConnection`), and the hard `ulimit -n` here is %s and cannot be"
          % "{:,}".format(int(meta.get("ulimit") or 0)))
        w("  raised (no CAP_SYS_RESOURCE), so the host caps itself at %s connections; N is that cap less room for wrk's" % "{:,}".format(int(meta.get("cap") or 0)))
        w("  %s connections, rounded down to 100. Per-waiter figures are per waiter that ran." % meta.get("wrk_conns"))
    lb = meta.get("load_before", "")
    la = meta.get("load_after", "")
    bb = meta.get("busy_before", "")
    ba = meta.get("busy_after", "")

    def worst(text):
        v = [num(x.strip().split()[-1].rstrip("%")) for x in text.split(",") if x.strip()]
        v = [x for x in v if x is not None]
        return max(v) if v else None

    wb, wa = worst(bb), worst(ba)
    w("- other work on the machine: cores busy over 2 s just before the run %s, just after it %s (/proc/stat); load"
      % (bb or "-", ba or "-"))
    w("  average (1, 5, 15 min) before %s, after %s" % (lb, la))
    if (wb is not None and wb > 10) or (wa is not None and wa > 10):
        w("- **the machine was not quiet**: other processes kept a core more than 10% busy just before or after the run;"
          " tail figures and throughput are noisy")
    w("")

    # ---- figures ----
    def f_mem(d, k):
        return num(d.get(k))

    rss_rows = [d for d in mem if d["round"] != "gc"]
    per_waiter = []   # bytes per waiter beyond an idle connection
    per_all = []      # bytes per waiting connection in all
    per_idle = []
    for d in rss_rows:
        p = num(d.get("parked")) or 0
        o = num(d.get("open")) or 0
        if p > 0:
            per_waiter.append((f_mem(d, "rss_waiting") - f_mem(d, "rss_idle")) * 1024 / p)
            per_all.append((f_mem(d, "rss_waiting") - f_mem(d, "rss_before")) * 1024 / p)
        if o > 0:
            per_idle.append((f_mem(d, "rss_idle") - f_mem(d, "rss_before")) * 1024 / o)
    parked_all = all((num(d.get("parked")) or 0) == (num(d.get("open")) or -1) and (num(d.get("open")) or 0) > 0 for d in rss_rows) and rss_rows

    def heap(path):
        total, types = None, {}
        try:
            for line in open(path):
                t = line.split()
                if len(t) >= 3 and t[1] == "GC" and t[2] == "Heap" and t[3:4] == ["bytes"]:
                    total = int(t[0].replace(",", ""))
                elif len(t) >= 3 and t[0].replace(",", "").isdigit() and t[1].replace(",", "").isdigit():
                    name = " ".join(t[2:])
                    name = name.split("  [")[0] if "  [" in name else name
                    types[name] = (int(t[0].replace(",", "")), int(t[1].replace(",", "")))
        except OSError:
            pass
        return total, types

    gc_paths = meta.get("gcdump", "-").split()
    gc_row = next((d for d in mem if d["round"] == "gc"), None)
    managed = None
    grew = []
    if len(gc_paths) == 2 and gc_row:
        h_idle, t_idle = heap(gc_paths[0])
        h_wait, t_wait = heap(gc_paths[1])
        p = num(gc_row.get("parked")) or 0
        if h_idle is not None and h_wait is not None and p > 0:
            managed = (h_wait - h_idle) / p
            for name, (b, c) in t_wait.items():
                b0, c0 = t_idle.get(name, (0, 0))
                if c - c0 >= p / 2:
                    grew.append((c - c0, b, name))
            grew.sort(reverse=True)

    def wake_rows(size):
        return [d for d in wakes if d.get("size") == str(size)]

    sizes = sorted({int(d["size"]) for d in wakes})

    def wake_summary(size):
        rows = wake_rows(size)
        p99s = [num(d.get("p99")) for d in rows]
        return {
            "rows": rows,
            "p50": median(num(d.get("p50")) for d in rows),
            "p99": median(p99s),
            "p99s": p99s,
            "max": median(num(d.get("max")) for d in rows),
            "maxs": [num(d.get("max")) for d in rows],
            "read_p99": median(num(d.get("read_p99")) for d in rows),
            "put": median(num(d.get("put_recv_ms") or d.get("put_ms")) for d in rows),
            "puts": [num(d.get("put_recv_ms") or d.get("put_ms")) for d in rows],
            "sent": sum(int(d.get("sent", 0)) for d in rows),
            "parked": sum(int(d.get("parked", 0)) for d in rows),
            "ok": sum(int(d.get("ok", 0)) for d in rows),
            "all_parked": all(d.get("parked") == d.get("sent") for d in rows),
            "all_ok": all(d.get("ok") == d.get("parked") and d.get("parked") == d.get("sent") for d in rows),
        }

    def put_summary(rows):
        puts = [num(d.get("put_recv_ms") or d.get("put_ms")) for d in rows]
        late = [d for d in rows if int(d.get("woken_before_put", "0")) > 0]
        return median(puts), max((x for x in puts if x is not None), default=None), late

    def cn(v):
        return "{:,}".format(int(v))

    # The goal's cell: every connection waiting, 100 on each key, a PUT to one key per round.
    sp = None
    if spreads and spreadpark:
        p99s = [num(d.get("p99")) for d in spreads]
        sp = {
            "rounds": len(spreads),
            "connections": int(spreadpark.get("connections", 0)),
            "keys": int(spreadpark.get("keys", 0)),
            "per_key": int(spreadpark.get("per_key", 0)),
            "held": int(spreadpark.get("parked", 0)),
            "all_held": spreadpark.get("parked") == spreadpark.get("connections") and spreadpark.get("early") == "-",
            "on_key": sum(int(d.get("on_key", 0)) for d in spreads),
            "ok": sum(int(d.get("ok", 0)) for d in spreads),
            "waiting": [int(d.get("waiting", 0)) for d in spreads],
            "others": sum(int(d.get("others", 0)) for d in spreads),
            "others_bytes": sum(int(d.get("others_bytes", 0)) + int(d.get("others_closed", 0)) for d in spreads),
            "p50": median(num(d.get("p50")) for d in spreads),
            "p99": median(p99s),
            "p99s": p99s,
            "over": sum(1 for x in p99s if x is not None and x >= 10),
            "max": median(num(d.get("max")) for d in spreads),
            "maxs": [num(d.get("max")) for d in spreads],
            "read_p99": median(num(d.get("read_p99")) for d in spreads),
            "put": put_summary(spreads),
        }
        sp["all_ok"] = sp["all_held"] and sp["ok"] == sp["on_key"] and all(
            d.get("ok") == d.get("on_key") and d.get("put") == "201" for d in spreads)
        sp["stayed_ok"] = spreadend is not None and spreadend.get("ok") == spreadend.get("stayed") == spreadend.get("waiting")

    def floor_p99(size):
        return median(num(d.get("p99")) for d in floors if d.get("size") == str(size))

    variants = ["none", "idle", "waiting"]
    tp = {v: [d for d in wrks if d.get("variant") == v] for v in variants}

    def spread(rows):
        vals = [d["rps"] for d in rows if d["rps"]]
        m = median(vals)
        return (max(vals) - min(vals)) / m if vals and m else None

    tp_med = {v: median(d["rps"] for d in tp[v]) for v in variants}
    noise = max((x for x in (spread(tp["none"]), spread(tp["waiting"])) if x is not None), default=None)
    ratio = tp_med["waiting"] / tp_med["none"] if tp_med["waiting"] and tp_med["none"] else None
    per_round = []
    for r in sorted({d["round"] for d in wrks}):
        a1 = next((d["rps"] for d in tp["waiting"] if d["round"] == r), None)
        b1 = next((d["rps"] for d in tp["none"] if d["round"] == r), None)
        if a1 and b1:
            per_round.append(a1 / b1)
    parks = [d for d in holds if d["kind"] == "parked"]
    releases = [d for d in holds if d["kind"] == "released"]
    held_ok = parks and all(d.get("parked") == str(waiters) for d in parks) and all(
        d.get("answered_during") == "-" and d.get("closed_during") == "0" for d in releases)

    lst = {c: [d for d in lists if d.get("connections") == c] for c in ("1", "8")}

    # ---- goals ----
    w("## Goals")
    w("")
    w("| goal | this run | verdict |")
    w("|---|---|---|")
    feature = bool(rss_rows) and any((num(d.get("parked")) or 0) > 0 for d in rss_rows)
    if per_waiter and parked_all:
        m = median(per_waiter)
        w("| memory per waiter under 2 KiB (server RSS with N waiting connections − with the same N idle, ÷ N) | %s B (%s over %d hosts) | %s |" % (
            i(m), rng(per_waiter, i), len(per_waiter), "met" if m < goal_kib * 1024 else "**not met**"))
    else:
        w("| memory per waiter under 2 KiB | not measured: the waiting GETs were not held (see Memory) | **not met** |")
    if sp and sp["all_held"] and sp["p99"] is not None:
        good = sp["p99"] < 10 and sp["all_ok"] and sp["others_bytes"] == 0
        pm, px, late = sp["put"]
        verdict = "met" if good else "**not met**"
        pooled = num(spreadend.get("p99")) if spreadend else None
        buts = []
        if sp["over"]:
            buts.append("p99 at or over 10 ms in %d of %d rounds" % (sp["over"], sp["rounds"]))
        if pooled is not None and pooled >= 10:
            buts.append("p99 of all answers together %s ms" % ms(pooled))
        if good and buts:
            verdict += ", but " + " and ".join(buts)
        w("| a PUT wakes all the waiters of its key, p99 under 10 ms: %s waiters on the loop, %s on each of %s keys, a PUT to one of them | "
          "p99 %s ms (median of %d rounds' p99 of %s waiters; rounds %s); all %s answers together: p99 %s ms, max %s ms; "
          "%s of %s answered 200 with the PUT's value and ETag; other waiters that got any byte: %s (of %s, %s each round); "
          "the PUT's own 201: median %s ms, max %s ms | %s |" % (
              cn(sp["connections"]), sp["per_key"], sp["keys"], ms(sp["p99"]), sp["rounds"], sp["per_key"], rng(sp["p99s"], ms),
              cn(num(spreadend.get("answers")) or 0) if spreadend else "-", ms(num(spreadend.get("p99"))) if spreadend else "-",
              ms(num(spreadend.get("max"))) if spreadend else "-",
              cn(sp["ok"]), cn(sp["on_key"]), cn(sp["others_bytes"]), cn(sp["others"]),
              one_or_range([int(d.get("others", 0)) for d in spreads], cn),
              ms(pm), ms(px), verdict))
    elif sp:
        w("| a PUT wakes all the waiters of its key, p99 under 10 ms: %s waiters on the loop, %s on each key | not measured: %s of %s waiting GETs were held | **not met** |" % (
            cn(sp["connections"]), sp["per_key"], cn(sp["held"]), cn(sp["connections"])))
    for size in sizes:
        s = wake_summary(size)
        label = "context: all %s waiters on the PUT's key%s" % (
            cn(size), " (the other %s connections idle)" % cn(waiters - size) if waiters > size else "")
        if s["all_parked"] and s["p99"] is not None:
            fl = floor_p99(size)
            pm, px, late = put_summary(s["rows"])
            w("| %s | p99 %s ms (rounds %s), max %s ms; %s of %s answered 200 with the PUT's value and ETag; the PUT's own 201: median %s ms, max %s ms%s | %s |" % (
                label, ms(s["p99"]), rng(s["p99s"], ms), ms(s["max"]), cn(s["ok"]), cn(s["sent"]), ms(pm), ms(px),
                "; the floor, as many sends with no server: p99 %s ms" % ms(fl) if fl is not None else "",
                "context: p99 %s 10 ms%s" % ("under" if s["p99"] < 10 else "over",
                                             "" if fl is None else ", the floor's %s" % ("under" if fl < 10 else "over"))))
        else:
            w("| %s | not measured: %s of %s waiting GETs were held | - |" % (label, cn(s["parked"]), cn(s["sent"])))
    if not any((num(d.get("parked")) or 0) > 0 for d in parks):
        w("| GET 64 B throughput with N waiters parked drops by no more than noise | not measured: no waiting GET was held (see Throughput) | **not met** |")
    elif ratio is not None and noise is not None:
        within = ratio >= 1 - noise
        every = per_round and all(x < 1 for x in per_round)
        w("| GET 64 B throughput with N waiters parked drops by no more than noise | with / without = %.2f (rounds %s); noise ±%.0f%% | %s |" % (
            ratio, rng(per_round, lambda x: "%.2f" % x), noise * 100,
            ("met" if within else "**not met**") + (", but slower in each of the %d rounds" % len(per_round) if within and every else "")
            + ("" if held_ok else " (but the waiters were not all held: see Throughput)")))
    c1 = lst["1"]
    if c1:
        p50 = median(d["p50"] for d in c1)
        p99 = median(d["p99"] for d in c1)
        w("| a 1000-key page in 2 ms (the storage engine's goal, here over HTTP, one connection) | median %s ms, p99 %s ms | %s |" % (
            ms(p50), ms(p99), "met" if p50 is not None and p50 < 2 else "**not met**"))
    w("")

    # ---- memory ----
    w("## Memory per waiter")
    w("")
    w("Server RSS (`VmRSS`, /proc/PID/status) of a fresh host: after a warm-up (200 connections, 3 rounds of waiters")
    w("woken by PUTs, 20 waits that ran out, all closed again) and before any other connection; then with N keep-alive")
    w("connections open, each having made one GET of a 64-byte key (idle); then with those N connections each sending")
    w("`GET /KEY` with `Prefer: wait=120` for one of %s absent keys and no answer within 1 s (waiting). Each figure is" % meta.get("keys"))
    w("the last of three readings 0.2 s apart, 1 s after the step. Then a PUT to each key must wake its waiters with 200.")
    w("")
    w("| host | before, MiB | N idle, MiB | N waiting, MiB | per idle connection | **per waiter beyond an idle connection** | per waiting connection in all | held / N | woken by the PUTs (200, right value) |")
    w("|---|---:|---:|---:|---:|---:|---:|---:|---:|")
    for d, wk in zip(rss_rows, [x for x in memwake if x["round"] != "gc"]):
        p = num(d.get("parked")) or 0
        o = num(d.get("open")) or 0
        b, idl, wt = f_mem(d, "rss_before"), f_mem(d, "rss_idle"), f_mem(d, "rss_waiting")
        w("| %s | %.1f | %.1f | %.1f | %s B | %s | %s | %s / %s%s | %s |" % (
            d["round"], b / 1024, idl / 1024, wt / 1024,
            i((idl - b) * 1024 / o) if o else "-",
            (i((wt - idl) * 1024 / p) + " B") if p else "-",
            (i((wt - b) * 1024 / p) + " B") if p else "-",
            "{:,}".format(int(p)), "{:,}".format(int(num(d.get("connections")) or 0)),
            ("" if d.get("early") == "-" else "; answered at once: " + d.get("early")) +
            ("" if d.get("closed") == "0" else "; closed: " + d.get("closed")) +
            ("" if d.get("connect_errors") == "-" else "; connect errors: " + d.get("connect_errors")) +
            ("" if set(d.get("warm_statuses", "").split(",")) <= {"200=" + d.get("open", "")} else "; first GETs: " + d.get("warm_statuses", "")),
            "%s of %s in %.2f s%s" % ("{:,}".format(int(wk.get("ok", 0))), "{:,}".format(int(wk.get("waiters", 0))),
                                      num(wk.get("seconds")) or 0,
                                      "" if wk.get("statuses", "-") in ("-", "200=" + wk.get("waiters", "")) else " (" + wk.get("statuses") + ")")))
    if per_waiter:
        w("| **median** | | | | %s B | **%s B** | %s B | | |" % (i(median(per_idle)), i(median(per_waiter)), i(median(per_all))))
    w("")
    if managed is not None:
        w("Managed heap (one more host, not in the table: `dotnet-gcdump collect`, which forces a full GC, at the idle and")
        w("the waiting point; live objects only): %s bytes with N idle connections, %s with them waiting: **%s B of managed"
          % ("{:,}".format(heap(gc_paths[0])[0]), "{:,}".format(heap(gc_paths[1])[0]), i(managed)))
        w("objects per waiter** (%s waiters)." % "{:,}".format(int(num(gc_row.get("parked")) or 0)))
        if grew:
            w("The types of which at least one object per two waiters came with them (from `dotnet-gcdump report`; its")
            w("first column, in bytes, as it prints it):")
            w("")
            w("| type | objects more | per waiter | bytes column |")
            w("|---|---:|---:|---:|")
            p = num(gc_row.get("parked"))
            for c, b, name in grew[:8]:
                w("| `%s` | %s | %.2f | %s |" % (name, "{:,}".format(c), c / p, "{:,}".format(b)))
        w("")
        w("RSS also holds native memory (the server keeps connection state in native memory), which the heap figure does not.")
        w("")

    # ---- wake ----
    w("## Wake latency")
    w("")
    if wakeopen:
        w("One host, %s connections opened once (%s), reused by every cell. A waiter's time runs from just before" % (
            cn(int(wakeopen.get("open", 0))),
            "all answered their first GET" if wakeopen.get("statuses") == "200=" + wakeopen.get("open") else "first GETs: " + wakeopen.get("statuses", "")))
    w("the PUT's send (64 bytes, from another connection, durability %s) to the kernel's receive timestamp of its answer" % meta.get("durability"))
    w("(SO_TIMESTAMPNS: when the server's send reached the client's socket), so the client's own time to read 10,000")
    w("sockets in Python is not counted; \"read\" is when the client had parsed it, which is. Every woken answer must be")
    w("200 with the PUT's value and ETag. The PUT's own answer (its 201) is timed the same way: a writer should not wait")
    w("behind the waiters it wakes. Waiting GETs carry `Prefer: wait=120`; \"held\": sent, and no byte of an answer within 1 s.")
    w("")
    if sp:
        w("- **%s waiters on the loop, %s on each of %s keys** (the goal's reading): all %s connections wait at once, %s on"
          % (cn(sp["connections"]), sp["per_key"], sp["keys"], cn(sp["connections"]), sp["per_key"]))
        w("  each absent key; per round a PUT to one of those keys, never written before, whose %s waiters have waited since"
          % sp["per_key"])
        w("  the start; the others (%s each round) stay waiting throughout and must get no byte (checked for at least"
          % one_or_range([int(d.get("others", 0)) for d in spreads], cn))
        w("  0.25 s after each PUT, and again at the end). The woken %s then wait again on a fresh key of their own, so that"
          % sp["per_key"])
        w("  %s waits are parked at every PUT; at the end a PUT to every key left must answer all who stayed. %d rounds after"
          % (one_or_range(sp["waiting"], cn), sp["rounds"]))
        w("  one not recorded; this cell ran first, before the rounds below.")
    w("- **all waiters on the PUT's key**: SIZE waiting GETs on one fresh absent key, then a PUT to it; the other connections")
    w("  idle. %s rounds, sizes interleaved." % meta.get("rounds"))
    w("")
    w("Medians over rounds, min–max in brackets.")
    w("")
    w("| waiters waiting on the loop | on the PUT's key | rounds | held | 200 with the PUT's value and ETag | other waiters that got a byte | p50 ms | **p99 ms** | max ms | p99 as read by the client, ms | the PUT's own answer, ms: median | max | rounds it came after waiters |")
    w("|---|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|")
    if sp:
        pm, px, late = sp["put"]
        w("| %s, %s on each of %s keys | %s | %d | %s / %s | %s of %s | %s of %s | %s | **%s** (%s) | %s (%s) | %s | %s | %s | %d |" % (
            one_or_range(sp["waiting"], cn), sp["per_key"], sp["keys"], sp["per_key"], sp["rounds"],
            cn(sp["held"]), cn(sp["connections"]), cn(sp["ok"]), cn(sp["on_key"]), cn(sp["others_bytes"]), cn(sp["others"]),
            ms(sp["p50"]), ms(sp["p99"]), rng(sp["p99s"], ms), ms(sp["max"]), rng(sp["maxs"], ms), ms(sp["read_p99"]),
            ms(pm), ms(px), len(late)))
    for size in sizes:
        s = wake_summary(size)
        pm, px, late = put_summary(s["rows"])
        w("| %s, all on the PUT's key | %s | %d | %s / %s | %s of %s | - | %s | **%s** (%s) | %s (%s) | %s | %s | %s | %d |" % (
            cn(size), cn(size), len(s["rows"]), cn(s["parked"]), cn(s["sent"]), cn(s["ok"]), cn(s["parked"]),
            ms(s["p50"]), ms(s["p99"]), rng(s["p99s"], ms), ms(s["max"]), rng(s["maxs"], ms), ms(s["read_p99"]),
            ms(pm), ms(px), len(late)))
    for size in sorted({int(d["size"]) for d in floors}):
        rows = [d for d in floors if d.get("size") == str(size)]
        w("| floor: %s sends, no server | | %d | | | | %s | %s (%s) | %s (%s) | %s | | | |" % (
            cn(size), len(rows), ms(median(num(d.get("p50")) for d in rows)), ms(median(num(d.get("p99")) for d in rows)),
            rng([num(d.get("p99")) for d in rows], ms), ms(median(num(d.get("max")) for d in rows)),
            rng([num(d.get("max")) for d in rows], ms), ms(median(num(d.get("read_p99")) for d in rows))))
    if spreadend:
        w("")
        w("The %s-waiter cell, all %s answers of its %d rounds together: p50 %s ms, p99 %s ms, max %s ms (p99 as read %s ms)." % (
            cn(sp["connections"]) if sp else "-", cn(num(spreadend.get("answers")) or 0), sp["rounds"] if sp else 0,
            ms(num(spreadend.get("p50"))), ms(num(spreadend.get("p99"))), ms(num(spreadend.get("max"))), ms(num(spreadend.get("read_p99")))))
        stay = ("At the end %s waits were still parked, %s of them untouched (no byte, open); the PUTs to their %s keys (%s)"
                " answered %s of them with 200 and the right value%s." % (
                    cn(num(spreadend.get("waiting")) or 0), cn(num(spreadend.get("stayed")) or 0), cn(num(spreadend.get("keys")) or 0),
                    spreadend.get("put_statuses"), cn(num(spreadend.get("ok")) or 0),
                    "" if spreadend.get("statuses") in ("-", "200=" + spreadend.get("stayed", "")) else " (statuses " + spreadend.get("statuses") + ")"))
        w(stay)
    if floors:
        w("")
        w("The floor rows: no server at all. A plain Python loop pinned to the server's core sends one %s-byte message (the" % "228")
        w("size of a woken waiter's answer here) on each of as many open connections, one `send` each, timed by the same")
        w("kind of reader on the client's core, from just before the loop. It is the least one send per waiter costs on")
        w("this machine: a server that answers each waiter with its own `send` cannot wake them faster on one core.")
        srv = wake_summary(max(sizes)) if sizes else None
        fl = [num(d.get("max")) for d in floors if d.get("size") == str(max(sizes))] if sizes else []
        if srv and srv["max"] and fl and median(fl):
            per_w = srv["max"] / max(sizes) * 1000
            per_f = median(fl) / max(sizes) * 1000
            w("Per waiter, all %s on the PUT's key: the server %.1f µs (the last answer's time ÷ waiters, the PUT's own fsync" % (cn(max(sizes)), per_w))
            w("included), the floor %.1f µs." % per_f)
    late = [("%s, %s on each key" % (cn(sp["connections"]), sp["per_key"]), d, d.get("on_key")) for d in spreads] if sp else []
    late += [("%s, all on the PUT's key" % cn(int(d.get("size"))), d, d.get("size")) for d in wakes]
    late = [x for x in late if int(x[1].get("woken_before_put", "0")) > 0]
    rounds_all = len(spreads) + len(wakes)
    w("")
    if late:
        w("**The PUT's own answer came after some of its waiters' in %d of %d rounds**: %s." % (
            len(late), rounds_all, "; ".join("%s, round %s: the PUT answered at %s ms, after %s of its %s waiters (the first of them at %s ms)" % (
                name, d.get("round"), d.get("put_recv_ms"), d.get("woken_before_put"), k, d.get("min")) for name, d, k in late)))
        w("The store applies a write (which reports the key changed and wakes the loop) before it tells the writer, so a loop")
        w("turn can fall between the two: that turn answers the woken waits (at most 128 per turn) and the next one the PUT.")
    else:
        w("In every one of the %d rounds the PUT's own answer came before any answer to its waiters." % rounds_all)
    odd = [d for d in wakes if d.get("early") != "-" or d.get("wrong") != "0" or d.get("closed") != "0" or d.get("unanswered") != "0" or d.get("closed_before") != "0"]
    if odd:
        w("")
        w("Rounds with waiters answered early, wrongly, closed or not at all:")
        w("")
        for d in odd:
            w("- %s waiters, round %s: answered before the PUT %s, closed before %s; after: statuses %s, wrong %s, closed %s, unanswered %s" % (
                d.get("size"), d.get("round"), d.get("early"), d.get("closed_before"), d.get("statuses"), d.get("wrong"),
                d.get("closed"), d.get("unanswered")))
    odd = [d for d in spreads if d.get("wrong") != "0" or d.get("closed") != "0" or d.get("unanswered") != "0"
           or d.get("others_bytes") != "0" or d.get("others_closed") != "0" or d.get("put") != "201"]
    if odd:
        w("")
        w("Rounds of the %s-waiter cell with waiters answered wrongly, closed or not at all, or other waiters woken:" % (cn(sp["connections"]) if sp else "spread"))
        w("")
        for d in odd:
            w("- round %s: PUT %s; statuses %s, wrong %s, closed %s, unanswered %s; other waiters answered %s, with any byte %s, closed %s" % (
                d.get("round"), d.get("put"), d.get("statuses"), d.get("wrong"), d.get("closed"), d.get("unanswered"),
                d.get("others_answered"), d.get("others_bytes"), d.get("others_closed")))
    w("")

    # ---- throughput ----
    w("## Throughput of other requests")
    w("")
    w("`wrk -t1 -c%s -d%ss --latency` GET of a 64-byte key, keep-alive, on one host: with no other connection (none), with N" % (
        meta.get("wrk_conns"), meta.get("secs")))
    w("keep-alive connections open and idle (idle), and with those N connections each waiting (`Prefer: wait=300`, %s other" % meta.get("keys"))
    w("keys, held before wrk starts, checked still held after it ends, then woken by a PUT per key). %s rounds, the order" % meta.get("rounds"))
    w("none, idle, waiting and reversed every other round. **noise** is the larger round-to-round spread, (max − min) / median,")
    w("of none and waiting; the goal is met when waiting / none ≥ 1 − noise. The last column: the server's CPU time and its")
    w("core's busy time as shares of the core's time during the run (/proc); the difference is other processes on that core.")
    w("")
    w("| other connections | req/s, median (min–max) | ÷ none | p50 / p99 ms | failed | server CPU / its core busy, % |")
    w("|---|---:|---:|---:|---:|---:|")
    names = {"none": "none", "idle": "N idle", "waiting": "N waiting"}
    for v in variants:
        rows = tp[v]
        if not rows:
            continue
        m = tp_med[v]
        w("| %s | %s (%s) | %s | %s / %s | %s | %s / %s |" % (
            names[v], i(m), rng([d["rps"] for d in rows], i),
            "%.2f" % (m / tp_med["none"]) if m and tp_med["none"] else "-",
            ms(median(d["p50"] for d in rows)), ms(median(d["p99"] for d in rows)),
            sum(d["non2xx"] + d["errors"] for d in rows),
            i(median(num(d.get("server_cpu")) for d in rows)), i(median(num(d.get("core_busy")) for d in rows))))
    w("")
    if noise is not None:
        w("Noise ±%.0f%% (none: ±%.0f%%, waiting: ±%.0f%%); waiting / none per round: %s." % (
            noise * 100, (spread(tp["none"]) or 0) * 100, (spread(tp["waiting"]) or 0) * 100,
            ", ".join("%.2f" % x for x in per_round)))
    if tp_med["waiting"] and tp_med["idle"]:
        w("With N waiting / with the same N idle: %.2f (the waits beyond the connections they sit on)." % (tp_med["waiting"] / tp_med["idle"]))
    perfect = parks and releases and all(d.get("parked") == str(waiters) and d.get("early") == "-" and d.get("closed") == "0" for d in parks) and all(
        d.get("held") == str(waiters) and d.get("answered_during") == "-" and d.get("closed_during") == "0" and d.get("ok") == str(waiters)
        and d.get("put_statuses", "").startswith("201=") for d in releases)
    if perfect:
        w("In each of the %d rounds all %s waiting GETs were held before wrk started, none was answered or closed during the"
          % (len(parks), "{:,}".format(waiters)))
        w("wrk run, and afterwards the PUTs woke every one of them with 200 and the new value.")
    else:
        w("Waiters held: %s. After each run: %s." % (
            ", ".join("%s (round %s%s)" % (d.get("parked"), d["round"], "" if d.get("early") == "-" else ", answered at once " + d.get("early")) for d in parks) or "-",
            "; ".join("%s still held, answered during the run %s, closed during it %s, then %s of them woken with 200 and the right value" % (
                d.get("held"), d.get("answered_during"), d.get("closed_during"), d.get("ok")) for d in releases) or "-"))
    w("")

    # ---- listing ----
    w("## Listing")
    w("")
    if prefill:
        w("A host with durability none (the listing does not depend on it), %s keys `l000000`… of 64 bytes stored by pipelined" % "{:,}".format(int(num(prefill.get("count")) or 0)))
        w("PUTs (%s, %s s). " % (prefill.get("statuses"), prefill.get("seconds")), )
    if page:
        w("A page checked: %s keys from %s to %s, `next` %s, %s bytes of JSON." % (
            page.get("keys"), page.get("first"), page.get("last"), page.get("next"), "{:,}".format(int(num(page.get("bytes")) or 0))))
    w("`wrk -t1 -cC -d%ss --latency`, each request `GET /?limit=1000&after=l<random>` (a page of 1000 keys from a random" % meta.get("secs"))
    w("key); %s rounds, medians (min–max)." % meta.get("rounds"))
    w("")
    w("| connections | pages/s | p50 ms | p99 ms | failed |")
    w("|---:|---:|---:|---:|---:|")
    for c in ("1", "8"):
        rows = lst[c]
        if not rows:
            continue
        w("| %s | %s (%s) | %s (%s) | %s (%s) | %s |" % (
            c, i(median(d["rps"] for d in rows)), rng([d["rps"] for d in rows], i),
            ms(median(d["p50"] for d in rows)), rng([d["p50"] for d in rows], ms),
            ms(median(d["p99"] for d in rows)), rng([d["p99"] for d in rows], ms),
            sum(d["non2xx"] + d["errors"] for d in rows)))
    w("")

    # ---- checks ----
    w("## The feature's rules")
    w("")
    lw = int(meta.get("long_wait") or 0)
    w("A few requests each on a host of its own (`longpoll_load.py checks`)%s" % (
        "; the last one ran in the background from the start on another host, with waits of %d s%s." % (
            lw, " (past the 60 s idle and 30 s body timeouts)" if lw > 60 else "") if lw else "."))
    w("")
    fails = [c for c in checks if c[1] != "ok"]
    for name, verdict, detail in checks:
        w("- %s `%s`: %s" % ("ok" if verdict == "ok" else "**FAIL**", name, detail))
    w("")
    w("%d of %d checks failed." % (len(fails), len(checks)))
    w("")

    notes_path = meta.get("server_notes")
    notes = open(notes_path).read().strip() if notes_path and os.path.exists(notes_path) else ""
    if notes:
        w("The hosts' stderr held (first 20 lines, the descriptor-limit line left out; logs in bench/out/longpoll/):")
        w("")
        w("```")
        w(notes)
        w("```")
        w("")
    top = meta.get("top_before")
    if top and os.path.exists(top):
        w("<details><summary>top before the run</summary>")
        w("")
        w("```")
        w(open(top).read().rstrip())
        w("```")
        w("")
        w("</details>")
        w("")
    w("<details><summary>Every sample (longpoll_load.py's lines; wrk's outputs in bench/out/longpoll/)</summary>")
    w("")
    w("```")
    with open(a.samples) as f:
        w(f.read().rstrip())
    w("```")
    w("")
    w("</details>")
    print("\n".join(out))


def main():
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    sub = ap.add_subparsers(dest="cmd", required=True)

    def common(p):
        p.add_argument("--port", type=int, required=True)
        p.add_argument("--warm-key", default="k64", help="an existing key each connection GETs once first")
        return p

    p = common(sub.add_parser("memory"))
    p.add_argument("--pid", type=int, required=True)
    p.add_argument("--connections", type=int, default=10000)
    p.add_argument("--keys", type=int, default=100)
    p.add_argument("--wait", type=int, default=120)
    p.add_argument("--settle", type=float, default=1.0)
    p.add_argument("--gcdump", default="")
    p = common(sub.add_parser("wake"))
    p.add_argument("--connections", type=int, default=10000)
    p.add_argument("--sizes", default="1000,10000")
    p.add_argument("--rounds", type=int, default=3)
    p.add_argument("--wait", type=int, default=120)
    p.add_argument("--settle", type=float, default=1.0)
    p.add_argument("--pause", type=float, default=0.5)
    p.add_argument("--per-key", type=int, default=100, help="the spread cell's waiters per key")
    p.add_argument("--spread-rounds", type=int, default=10, help="the spread cell's rounds (0: none)")
    p = common(sub.add_parser("hold"))
    p.add_argument("--connections", type=int, default=10000)
    p.add_argument("--keys", type=int, default=100)
    p.add_argument("--wait", type=int, default=300)
    p.add_argument("--settle", type=float, default=1.0)
    p = common(sub.add_parser("prefill"))
    p.add_argument("--prefix", default="l")
    p.add_argument("--count", type=int, default=100000)
    p.add_argument("--size", type=int, default=64)
    p.add_argument("--streams", type=int, default=4)
    p = common(sub.add_parser("checks"))
    p.add_argument("--long", type=int, default=0)
    p = sub.add_parser("floor-recv")
    p.add_argument("--connections", type=int, default=10000)
    p.add_argument("--port-file", required=True)
    p = sub.add_parser("floor-send")
    p.add_argument("--connections", type=int, default=10000)
    p.add_argument("--port-file", required=True)
    p.add_argument("--sizes", default="1000,10000")
    p.add_argument("--rounds", type=int, default=3)
    p.add_argument("--bytes", type=int, default=228)
    p.add_argument("--pause", type=float, default=0.5)
    p = sub.add_parser("report")
    p.add_argument("--samples", required=True)
    p.add_argument("--meta", required=True)
    a = ap.parse_args()
    {"memory": cmd_memory, "wake": cmd_wake, "hold": cmd_hold, "prefill": cmd_prefill, "checks": cmd_checks, "report": cmd_report,
     "floor-recv": cmd_floor_recv, "floor-send": cmd_floor_send}[a.cmd](a)


if __name__ == "__main__":
    main()
