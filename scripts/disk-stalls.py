#!/usr/bin/env python3
"""Watches the disk that holds a directory for a while and prints, as one
JSON object, the longest time it held requests without completing any.

    scripts/disk-stalls.py DIR SECONDS [DELAY]

Samples /proc/diskstats every 5 ms after DELAY seconds. A durable commit
waits for the disk, so while the disk completes nothing every unlock waits:
this tells a slow server from a stalled disk. Where this machine's virtual
disk stalled (one write taking 36-157 ms, a few times a minute, while
the median write took 0.6 ms), the unlocks of those moments were the
slowest of their run (docs/benchmarks.md)."""
import json
import os
import sys
import time


def device_fields(dev):
    """This device's counters: (I/Os completed, I/Os in flight)."""
    major, minor = os.major(dev), os.minor(dev)
    with open("/proc/diskstats") as stats:
        for line in stats:
            fields = line.split()
            if int(fields[0]) == major and int(fields[1]) == minor:
                numbers = [int(f) for f in fields[3:]]
                # Reads, writes, discards and flushes completed; older kernels
                # list no discards or flushes.
                completed = sum(numbers[i] for i in (0, 4, 11, 15) if i < len(numbers))
                in_flight = numbers[8]
                return completed, in_flight
    return None


def main():
    directory, seconds = sys.argv[1], float(sys.argv[2])
    delay = float(sys.argv[3]) if len(sys.argv) > 3 else 0.0
    dev = os.stat(directory).st_dev if os.path.isdir(directory) else None
    if dev is None or device_fields(dev) is None:
        # A database on another machine, or on a device without counters
        # of its own (a network file system): nothing to watch here.
        print(json.dumps({"longest_disk_stall_ms": None, "disk_stalls_over_20ms": None}))
        return
    time.sleep(delay)
    end = time.monotonic() + seconds
    last_completed, _ = device_fields(dev)
    last_sample = time.monotonic()
    stalled_since = None
    spans = []  # each stretch with I/O outstanding and none completed, in seconds
    while (now := time.monotonic()) < end:
        completed, in_flight = device_fields(dev)
        if completed != last_completed or in_flight == 0:
            if stalled_since is not None:
                spans.append(now - stalled_since)
            stalled_since = None
        elif stalled_since is None:
            stalled_since = last_sample
        last_completed, last_sample = completed, now
        time.sleep(0.005)
    if stalled_since is not None:  # still stalled when the window closed
        spans.append(time.monotonic() - stalled_since)
    print(json.dumps({
        "longest_disk_stall_ms": round(max(spans, default=0.0) * 1000, 1),
        "disk_stalls_over_20ms": sum(span > 0.020 for span in spans),
    }))

if __name__ == "__main__":
    main()
