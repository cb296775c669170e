"""Plots a `loupe simulate` run: DIR/timeseries.csv -> DIR/rates.png, DIR/delay.png, DIR/loss.png.

Usage: python Simulations/plot.py DIR [DIR ...]   (needs matplotlib: Simulations/requirements.txt)
"""

import csv
import json
import sys
from pathlib import Path

import matplotlib

matplotlib.use("Agg")
import matplotlib.pyplot as plt  # noqa: E402


def column(rows, name):
    return [float(r[name]) if r[name] != "" else float("nan") for r in rows]


def plot(run: Path) -> None:
    rows = list(csv.DictReader(open(run / "timeseries.csv")))
    t = column(rows, "time_s")
    title = run.name
    summary = run / "summary.json"
    if summary.exists():
        s = json.loads(summary.read_text())
        title += f"  (utilization {s['utilization']:.2f}, delay p95 {s['delay_p95_ms']:.0f} ms, loss {s['loss_rate']:.3f})"

    fig, ax = plt.subplots(figsize=(10, 4))
    ax.step(t, column(rows, "capacity_kbps"), where="post", label="capacity", color="black", linewidth=1.5)
    ax.plot(t, column(rows, "estimate_kbps"), label="publisher estimate", color="tab:blue")
    ax.plot(t, column(rows, "sent_kbps"), label="sent", color="tab:orange", alpha=0.7)
    ax.plot(t, column(rows, "delivered_kbps"), label="delivered", color="tab:green", alpha=0.7)
    ax.set(xlabel="time (s)", ylabel="kbps", title=title)
    caps = [c for c in column(rows, "capacity_kbps") if c == c and c < 100_000]
    if caps:
        ax.set_ylim(0, max(caps) * 1.6)
    ax.legend(loc="upper left")
    ax.grid(alpha=0.3)
    fig.tight_layout()
    fig.savefig(run / "rates.png", dpi=100)
    plt.close(fig)

    fig, ax = plt.subplots(figsize=(10, 2.8))
    ax.plot(t, column(rows, "queue_delay_ms"), color="tab:red")
    ax.set(xlabel="time (s)", ylabel="queuing delay (ms)", title=f"{run.name}: uplink queuing delay (200 ms means)")
    ax.grid(alpha=0.3)
    fig.tight_layout()
    fig.savefig(run / "delay.png", dpi=100)
    plt.close(fig)

    fig, ax = plt.subplots(figsize=(10, 2.8))
    ax.bar(t, column(rows, "losses"), width=0.2, color="tab:purple")
    ax.set(xlabel="time (s)", ylabel="packets lost", title=f"{run.name}: uplink losses per 200 ms")
    ax.grid(alpha=0.3)
    fig.tight_layout()
    fig.savefig(run / "loss.png", dpi=100)
    plt.close(fig)


if __name__ == "__main__":
    if len(sys.argv) < 2:
        sys.exit(__doc__)
    for arg in sys.argv[1:]:
        plot(Path(arg))
