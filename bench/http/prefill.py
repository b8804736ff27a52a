#!/usr/bin/env python3
"""bench/run.sh http: stores the same value under many keys of one peer before its GET cells, over
one keep-alive connection (curl per key would take minutes for 1,000 keys times four peers).

  prefill.py PORT METHOD PREFIX VALUE_FILE KEY [KEY...]
  prefill.py PORT METHOD PREFIX VALUE_FILE --range NAME COUNT     (keys NAME1..NAME<COUNT>)

Each key is written with METHOD to PREFIX + key, the file's bytes as the body; any answer outside
2xx stops it with an error. Prints "stored N"."""
import http.client, sys

port, method, prefix, value_file = int(sys.argv[1]), sys.argv[2], sys.argv[3], sys.argv[4]
rest = sys.argv[5:]
if rest[:1] == ["--range"]:
    keys = ["%s%d" % (rest[1], i) for i in range(1, int(rest[2]) + 1)]
else:
    keys = rest
with open(value_file, "rb") as f:
    value = f.read()

conn = http.client.HTTPConnection("127.0.0.1", port, timeout=60)
for key in keys:
    conn.request(method, prefix + key, body=value, headers={"Content-Type": "application/octet-stream"})
    response = conn.getresponse()
    response.read()
    if not 200 <= response.status < 300:
        sys.exit("prefill: %s %s%s answered %d %s" % (method, prefix, key, response.status, response.reason))
    if response.getheader("Connection", "").lower() == "close":
        conn.close()
        conn = http.client.HTTPConnection("127.0.0.1", port, timeout=60)
print("stored %d" % len(keys))
