#!/usr/bin/env python3
"""Turns target/bench/*.jsonl into a Markdown table (printed) and a PNG
plot of the latency percentiles. Every throughput is also given as a ratio
to GET /health measured on the same server in the same run."""
import json
import pathlib
import subprocess
import sys

out = pathlib.Path(sys.argv[1] if len(sys.argv) > 1 else "target/bench")
png = sys.argv[2] if len(sys.argv) > 2 else "docs/benchmarks-latency.png"
runs = {}
for path in sorted(out.glob("*.jsonl")):
    for line in path.read_text().splitlines():
        row = json.loads(line)
        runs.setdefault(row["backend"], {})[row["scenario"]] = row

print("| backend | scenario | requests/s | × /health | p50 ms | p90 ms | p99 ms | errors | disk stall ms | server p99 ms |")
print("|---|---|---|---|---|---|---|---|---|---|")
for backend, rows in runs.items():
    ceiling = rows.get("health", {}).get("rps") or 1
    for name, r in rows.items():
        if name == "_server":
            continue
        print(f"| {backend} | {name} | {r['rps']:.0f} | {r['rps'] / ceiling:.3f} | {r['p50_ms']:.2f} | "
              f"{r['p90_ms']:.2f} | {r['p99_ms']:.2f} | {r['errors']} | {r.get('longest_disk_stall_ms', '')} | "
              f"{r.get('server_p99_ms', '')} |")
for backend, rows in runs.items():
    server = rows.get("_server", {})
    print(f"\n{backend}: peak server RSS {server.get('peak_rss_mb')} MB, seeded in {float(server.get('seed_seconds', 0)):.1f} s")
if {"sqlite", "postgres"} <= runs.keys():
    ratio = runs["postgres"]["unlock"]["rps"] / runs["sqlite"]["unlock"]["rps"]
    print(f"\nPostgreSQL unlock throughput / SQLite's: {ratio:.2f}")

try:
    import matplotlib
except ImportError:
    subprocess.run([sys.executable, "-m", "pip", "install", "--quiet", "matplotlib"], check=True)
    import matplotlib
matplotlib.use("Agg")
import matplotlib.pyplot as plt

scenarios = ["health", "unlock", "unlock@25%", "unlock+signin", "card", "search", "create", "signin"]
fig, axes = plt.subplots(1, len(runs), figsize=(6 * len(runs), 4.5), squeeze=False)
for ax, (backend, rows) in zip(axes[0], runs.items()):
    names = [s for s in scenarios if s in rows]
    width = 0.27
    for k, (key, label) in enumerate([("p50_ms", "p50"), ("p90_ms", "p90"), ("p99_ms", "p99")]):
        ax.bar([i + (k - 1) * width for i in range(len(names))], [rows[n][key] for n in names], width, label=label)
    # The latency goals: unlock p99 10 ms (paced), search p99 20 ms.
    for goal, label in [(10, "unlock goal, p99 10 ms"), (20, "search goal, p99 20 ms")]:
        ax.axhline(goal, color="grey", linestyle=":", linewidth=1)
        ax.annotate(label, (-0.45, goal), ha="left", va="bottom", fontsize=7, color="dimgrey")
    ax.set_xticks(range(len(names)), names, rotation=20)
    ax.set_yscale("log")
    ax.set_ylabel("latency (ms, log scale)")
    ax.set_title(f"{backend}: 64 connections")
    ax.legend()
fig.tight_layout()
fig.savefig(png, dpi=110)
print(f"\nplot: {png}")
