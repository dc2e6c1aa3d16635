"""The demo's api: a worker that reads its orders database and computes a little every tick.

``--load`` is the share of each tick spent computing: 0.05 is a quiet service, 0.9 one that
burns a CPU. It binds no port: a ghost runs this same command next to the original, and a fixed
port would be the original's.
"""

from __future__ import annotations

import argparse
import signal
import sqlite3
import sys
import time

TICK = 0.02  # seconds: short slices keep the load even at any sampling interval


def open_db(path: str) -> sqlite3.Connection:
    conn = sqlite3.connect(path)
    # The settings Terraform manages live in the database; an application applies them itself.
    for key, value in conn.execute("SELECT key, value FROM settings").fetchall():
        conn.execute(f"PRAGMA {key} = {value}")
    conn.execute("CREATE TABLE IF NOT EXISTS orders (id INTEGER PRIMARY KEY, total REAL)")
    if conn.execute("SELECT count(*) FROM orders").fetchone()[0] == 0:
        conn.executemany("INSERT INTO orders (total) VALUES (?)", ((i * 0.5,) for i in range(500)))
        conn.commit()
    return conn


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--db", required=True)
    parser.add_argument("--load", type=float, default=0.05)
    args = parser.parse_args()
    signal.signal(signal.SIGTERM, lambda *_: sys.exit(0))
    conn = open_db(args.db)
    busy = min(max(args.load, 0.0), 1.0) * TICK
    ticks = 0
    while True:
        start = time.perf_counter()
        if ticks % 10 == 0:
            conn.execute("SELECT sum(total) FROM orders").fetchone()
        while time.perf_counter() - start < busy:
            pass
        ticks += 1
        time.sleep(max(0.0, TICK - (time.perf_counter() - start)))


if __name__ == "__main__":
    main()
