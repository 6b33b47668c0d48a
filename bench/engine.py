"""Benchmark the flow engine on one core: a mixed persona workload, steps per second and p95.

Run: .venv/bin/python bench/engine.py [--steps N]
"""

from __future__ import annotations

import argparse
import json
import random
import statistics
import time
from datetime import UTC, datetime, timedelta

from flows import Input, load_library, resume, start

# What people send, weighted roughly as a real check-in day might look.
TYPED = [
    "1",
    "2",
    "3",
    "4",
    "5",
    "yes",
    "no",
    "yeah",
    "nah",
    "gud",
    "ok",
    "🙂",
    "😞",
    "👍🏽",
    "Tak",
    "nu",
    "skip",
    "back",
    "repeat",
    "help",
    "language",
    "2",
    "stop",
    "The staff listened to me",
    "They were kind and the food was warm",
    "asdkj qwe",
    "x" * 400,
    "he won't wake up",
    "Mi-a fost greu azi",
    "Było dobrze",
]
FLOWS = ["checkin", "feedback", "codesign", "welcome", "help", "forget"]


def workload(seed: int) -> list[tuple[str, str, list[Input]]]:
    """Return scripted conversations: a flow, a language and the inputs to send."""
    rng = random.Random(seed)
    conversations = []
    for _ in range(500):
        inputs = []
        for _ in range(rng.randint(3, 10)):
            roll = rng.random()
            if roll < 0.25:
                inputs.append(Input(choice=rng.choice(["yes", "no", "good", "awful", "1", "pl"])))
            elif roll < 0.3:
                inputs.append(Input(voice="voice:ref"))
            else:
                inputs.append(Input(text=rng.choice(TYPED)))
        conversations.append((rng.choice(FLOWS), rng.choice(["en", "pl", "ro"]), inputs))
    return conversations


def main() -> None:
    """Run the workload and print the figures."""
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--steps", type=int, default=200_000)
    parser.add_argument("--json", action="store_true")
    args = parser.parse_args()

    library = load_library()
    conversations = workload(7)
    now = datetime(2025, 3, 1, tzinfo=UTC)
    tick = timedelta(seconds=30)
    timings: list[int] = []
    clock = time.perf_counter_ns
    steps = 0
    began = clock()
    while steps < args.steps:
        for flow, language, inputs in conversations:
            t0 = clock()
            step = start(
                library, flow, language=language, now=now, params={"proposal": "Open on Sundays"}
            )
            timings.append(clock() - t0)
            steps += 1
            for input in inputs:
                if step.ended:
                    break
                t0 = clock()
                step = resume(library, step.session, input, now=now + tick)
                timings.append(clock() - t0)
                steps += 1
            if steps >= args.steps:
                break
    elapsed = (clock() - began) / 1e9
    timings.sort()
    figures = {
        "steps": steps,
        "seconds": round(elapsed, 3),
        "steps_per_second": round(steps / elapsed),
        "engine_steps_per_second": round(steps / (sum(timings) / 1e9)),
        "p50_us": round(timings[len(timings) // 2] / 1000, 1),
        "p95_us": round(timings[int(len(timings) * 0.95)] / 1000, 1),
        "p99_us": round(timings[int(len(timings) * 0.99)] / 1000, 1),
        "mean_us": round(statistics.fmean(timings) / 1000, 1),
        "goal_steps_per_second": 50_000,
    }
    if args.json:
        print(json.dumps(figures))
        return
    print(f"flow engine, one core: {figures['steps']:,} steps in {figures['seconds']} s")
    print(
        f"  steps/s: {figures['steps_per_second']:,} (goal 50,000; engine time only: "
        f"{figures['engine_steps_per_second']:,})"
    )
    print(
        f"  step time: p50 {figures['p50_us']} µs, p95 {figures['p95_us']} µs, "
        f"p99 {figures['p99_us']} µs"
    )


if __name__ == "__main__":
    main()
