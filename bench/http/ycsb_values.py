#!/usr/bin/env python3
"""bench/run.sh ycsb: the records of the load phase, for the servers that are loaded without HTTP.
Record i is the key user<i> with a value of SIZE bytes: the key, a space, then "x" up to SIZE (the
same bytes bench/http/ycsb_load.lua stores over HTTP; bench/http/ycsb.lua reads the key back from it).

  ycsb_values.py files RECORDS SIZE DIR [DIR...]   one file per key in each DIR (nginx, ASP.NET Core)
  ycsb_values.py resp RECORDS SIZE                 Redis SET commands on stdout, for redis-cli --pipe
  ycsb_values.py value KEY SIZE                    one record's value on stdout (to check a server)"""
import os, sys


def value(key, size):
    head = key.encode() + b" "
    return head + b"x" * (size - len(head))


def main():
    mode = sys.argv[1]
    if mode == "value":
        sys.stdout.buffer.write(value(sys.argv[2], int(sys.argv[3])))
        return
    records, size = int(sys.argv[2]), int(sys.argv[3])
    if mode == "files":
        dirs = sys.argv[4:]
        flags = os.O_WRONLY | os.O_CREAT | os.O_TRUNC
        for i in range(records):
            key = "user%d" % i
            v = value(key, size)
            for d in dirs:
                fd = os.open(os.path.join(d, key), flags, 0o644)
                os.write(fd, v)
                os.close(fd)
    elif mode == "resp":
        # The RESP protocol redis-cli --pipe forwards as is; written in chunks, not per command.
        out, chunk = sys.stdout.buffer, []
        for i in range(records):
            key = ("user%d" % i).encode()
            v = value(key.decode(), size)
            chunk.append(b"*3\r\n$3\r\nSET\r\n$%d\r\n%s\r\n$%d\r\n%s\r\n" % (len(key), key, len(v), v))
            if len(chunk) == 1000:
                out.write(b"".join(chunk))
                chunk = []
        out.write(b"".join(chunk))
    else:
        sys.exit("ycsb_values.py: no mode '%s' (files, resp, value)" % mode)


main()
