#!/usr/bin/env python3
"""The server's own latencies for one benchmark scenario, from its request log.

    scripts/request-latency.py LOG OFFSET START SECONDS [WARM_UP]

Reads the request lines (`latency=N ms`, whole milliseconds, from a request's
arrival at the router to its answer) that `gatehouse serve` wrote to LOG after
byte OFFSET, keeps those finished within SECONDS after START + WARM_UP (Unix
seconds), and prints one JSON object: how many, and their p50 and p99. Beside
the load generator's latencies this tells the server's part from the time a
request spends in sockets and waiting for a turn on the CPU.
"""

import json
import re
import sys
from datetime import datetime

LINE = re.compile(r"^(\S+) .*finished processing request latency=(\d+) ms")


def quantile(values, q):
    """The nearest-rank quantile of sorted values."""
    return values[min(len(values) - 1, int(q * len(values)))]


def main():
    log, offset, start, seconds = sys.argv[1], int(sys.argv[2]), float(sys.argv[3]), float(sys.argv[4])
    warm_up = float(sys.argv[5]) if len(sys.argv) > 5 else 0.0
    begin, end = start + warm_up, start + warm_up + seconds
    latencies = []
    with open(log, "rb") as lines:
        lines.seek(offset)
        for raw in lines:
            match = LINE.match(raw.decode("utf-8", "replace"))
            if not match:
                continue
            at = datetime.fromisoformat(match.group(1).replace("Z", "+00:00")).timestamp()
            if begin <= at < end:
                latencies.append(int(match.group(2)))
    latencies.sort()
    result = {"server_requests": len(latencies), "server_p50_ms": None, "server_p99_ms": None}
    if latencies:
        result["server_p50_ms"] = quantile(latencies, 0.50)
        result["server_p99_ms"] = quantile(latencies, 0.99)
    print(json.dumps(result))


if __name__ == "__main__":
    main()
