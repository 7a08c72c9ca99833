"""Answer latency of the knowledge base.

Answers every paraphrase of every entry (English and Chinese) ROUNDS times on one core and prints
p50/p99 per-question latency, questions per second, the start-up time of a fresh process that loads
the knowledge base and answers one question (median of several runs), and peak memory.

    PYTHONPATH=. python benchmarks/answer_latency.py [--rounds 20] [--startup-runs 7]
"""
from __future__ import annotations

import argparse
import os
import resource
import statistics
import subprocess
import sys
import time
from pathlib import Path

from timing import pin_to_one_core

ROOT = Path(__file__).resolve().parents[1]
STARTUP_SNIPPET = (
    "import knowledge; kb = knowledge.load_default(); "
    "a = kb.answer('How much is the registration fee?'); "
    "b = kb.answer('注册费是多少'); assert a.topic == b.topic == 'fees.registration'"
)


def startup_times(runs: int) -> list[float]:
    env = dict(os.environ, PYTHONPATH=str(ROOT) + os.pathsep + os.environ.get("PYTHONPATH", ""))
    times = []
    for _ in range(runs):
        t0 = time.perf_counter()
        subprocess.run([sys.executable, "-c", STARTUP_SNIPPET], check=True, env=env, cwd=ROOT)
        times.append(time.perf_counter() - t0)
    return times


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--rounds", type=int, default=20, help="times every paraphrase is answered")
    ap.add_argument("--startup-runs", type=int, default=7)
    args = ap.parse_args()

    pinned = pin_to_one_core()
    startup = startup_times(args.startup_runs)

    sys.path.insert(0, str(ROOT))
    t0 = time.perf_counter()
    import knowledge

    kb = knowledge.load_default()
    load_s = time.perf_counter() - t0
    questions = [p for e in kb.entries for lang in ("en", "zh") for p in e.paraphrases[lang]]
    for q in questions:  # warm-up: lazy imports (OpenCC) and caches of the first pass
        kb.answer(q)

    # wall-clock latency, and CPU time of this thread (unaffected by other processes on a busy machine)
    lat: list[float] = []
    cpu: list[float] = []
    t_all = time.perf_counter()
    for _ in range(args.rounds):
        for q in questions:
            c = time.thread_time_ns()
            t = time.perf_counter_ns()
            kb.answer(q)
            lat.append((time.perf_counter_ns() - t) / 1e6)
            cpu.append((time.thread_time_ns() - c) / 1e6)
    wall = time.perf_counter() - t_all
    lat.sort()
    cpu.sort()

    def pct(p: float, xs: list[float] | None = None) -> float:
        xs = lat if xs is None else xs
        return xs[min(len(xs) - 1, int(round(p / 100 * (len(xs) - 1))))]

    # cold: questions never seen before (the normalisation caches cannot help)
    cold: list[float] = []
    for i, q in enumerate(questions):
        q2 = f"{q} #{i}"
        t = time.perf_counter_ns()
        kb.answer(q2)
        cold.append((time.perf_counter_ns() - t) / 1e6)
    cold.sort()

    # held-out questions (tests/knowledge): long messages, several questions in one, off-topic ones;
    # the slowest kind, because a long or multi-part message is also ranked sentence by sentence
    import json

    held = [json.loads(line)["q"] for f in sorted((ROOT / "tests" / "knowledge").rglob("*.jsonl"))
            for line in f.read_text(encoding="utf-8").splitlines() if line.strip()]
    # each question 3 times, caches cleared (none can help); per question the fastest run,
    # so a moment when another process took the core does not count as the question's cost
    held_lat: list[float] = []
    held_cpu: list[float] = []
    m = kb.matcher
    for i, q in enumerate(held):
        w, c = [], []
        for r in range(3):
            for cached in (m._rank, m._prepare_query, m.query_weights):
                cached.cache_clear()  # a message's sentences and clauses are cached too
            c0 = time.thread_time_ns()
            t0 = time.perf_counter_ns()
            kb.answer(f"{q} #{r}.{i}")
            w.append((time.perf_counter_ns() - t0) / 1e6)
            c.append((time.thread_time_ns() - c0) / 1e6)
        held_lat.append(min(w))
        held_cpu.append(min(c))
    held_lat.sort()
    held_cpu.sort()

    peak_mb = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024  # Linux: KiB
    print(f"command: PYTHONPATH=. {Path(sys.executable).name} benchmarks/answer_latency.py "
          f"--rounds {args.rounds} --startup-runs {args.startup_runs}  ({pinned})")
    print(f"python {sys.version.split()[0]}, {len(kb.entries)} entries, {len(questions)} paraphrases, "
          f"{len(lat)} answers")
    print(f"latency per question (wall): p50 {pct(50):.3f} ms, p99 {pct(99):.3f} ms, max {lat[-1]:.3f} ms")
    print(f"latency per question (CPU time): p50 {pct(50, cpu):.3f} ms, p99 {pct(99, cpu):.3f} ms, "
          f"max {cpu[-1]:.3f} ms")
    print(f"load average during the run: {', '.join(f'{x:.2f}' for x in os.getloadavg())}")
    print(f"latency, unseen questions: p50 {cold[len(cold) // 2]:.3f} ms, "
          f"p99 {cold[min(len(cold) - 1, int(0.99 * (len(cold) - 1)))]:.3f} ms")
    print(f"latency, held-out questions ({len(held)}, unseen, best of 3): p50 {pct(50, held_lat):.3f} ms, "
          f"p99 {pct(99, held_lat):.3f} ms, max {held_lat[-1]:.3f} ms (wall); CPU time p50 "
          f"{pct(50, held_cpu):.3f} ms, p99 {pct(99, held_cpu):.3f} ms, max {held_cpu[-1]:.3f} ms")
    print(f"throughput: {len(lat) / wall:,.0f} questions/s")
    print(f"load_default() in this process: {load_s * 1000:.0f} ms")
    print(
        f"start-up (fresh python: import, load, answer 2 questions): median {statistics.median(startup) * 1000:.0f} ms "
        f"(min {min(startup) * 1000:.0f}, max {max(startup) * 1000:.0f}, {len(startup)} runs)"
    )
    print(f"peak memory (maxrss): {peak_mb:.1f} MB")


if __name__ == "__main__":
    main()
