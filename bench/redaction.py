"""Print how many short messages a second `api.redaction.redact` handles."""

import random
import time

from api.redaction import redact

SAMPLES = [
    "the staff were kind",
    "waited 3 hours for a bed",
    "ring me on 07700900123 or email jo.bloggs@gmail.com",
    "more food pls",
    "im at flat 2 M1 1AE",
    "£20 for a room is too much",
    "my worker is @sarah_k",
    "open 24/7 they said but shut at 10:30",
    "card 4539 1488 0343 6467 got took",
    "see bit.ly/3xYz9",
    "NI AB 12 34 56 C",
    "Było dobrze, dziękuję 👍",
]


def main(n: int = 200_000) -> None:
    """Redact `n` messages drawn from a realistic mix and print the rate."""
    rng = random.Random(1)
    # Distinct strings, so nothing is served from a cache of identical objects.
    texts = [f"{rng.choice(SAMPLES)} {i % 97}" for i in range(n)]
    start = time.perf_counter()
    for text in texts:
        redact(text)
    elapsed = time.perf_counter() - start
    print(f"redaction: {n / elapsed:,.0f} messages/s ({elapsed / n * 1e6:.1f} µs each)")
    plain = [f"the staff were kind {chr(97 + i % 26)}" for i in range(n)]
    start = time.perf_counter()
    for text in plain:
        redact(text)
    elapsed = time.perf_counter() - start
    print(f"redaction, text with no digits or links: {n / elapsed:,.0f} messages/s")


if __name__ == "__main__":
    main()
