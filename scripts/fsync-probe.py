#!/usr/bin/env python3
"""The disk without gatehouse: writes 4 kB and fsyncs it, RATE times a
second (0: as fast as the disk allows) for SECONDS, in a file of DIR, and
prints the number made per second and the slowest one.

    scripts/fsync-probe.py RATE SECONDS [DIR]

Run beside scripts/disk-stalls.py to see whether the disk pauses by itself
(docs/benchmarks.md, "The disk's own stalls")."""
import os
import sys
import tempfile
import time


def main():
    rate, seconds = float(sys.argv[1]), float(sys.argv[2])
    directory = sys.argv[3] if len(sys.argv) > 3 else tempfile.gettempdir()
    block = b"x" * 4096
    with tempfile.NamedTemporaryFile(dir=directory) as file:
        fd = file.fileno()
        end = time.monotonic() + seconds
        due = time.monotonic()
        made, slowest = 0, 0.0
        while time.monotonic() < end:
            started = time.monotonic()
            os.pwrite(fd, block, (made % 256) * len(block))
            os.fsync(fd)
            slowest = max(slowest, time.monotonic() - started)
            made += 1
            if rate > 0:
                due += 1 / rate
                time.sleep(max(0.0, due - time.monotonic()))
    print(f"fsyncs/s {made / seconds:.0f}, slowest {slowest * 1000:.1f} ms")


if __name__ == "__main__":
    main()
