"""Every benchmark, one after another (`make bench`). Needs PostgreSQL, Redis and wrk."""

import os
import subprocess
import sys
from pathlib import Path

HERE = Path(__file__).resolve().parent
POSTGRES = os.environ.get("BENCH_DATABASE_URL", "postgres://postgres@127.0.0.1:5432/jersey_bench")

for script in ("reservation_benchmark.py", "email_benchmark.py", "http_benchmark.py"):
    print(f"\n== {script}", flush=True)
    env = dict(os.environ, DATABASE_URL=POSTGRES)
    subprocess.run([sys.executable, str(HERE / script)], env=env, check=True)  # noqa: S603
