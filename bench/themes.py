"""Benchmark theme tagging and discovery, and score tagging on the labelled set.

Run from the repository root: .venv/bin/python bench/themes.py
"""

import random
import sys
import time
from collections import Counter
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

import yaml  # noqa: E402

from api.themes.codebook import load_codebook  # noqa: E402
from api.themes.discovery import discover  # noqa: E402
from api.themes.tagging import Tagger  # noqa: E402

LABELLED = ROOT / "tests" / "api" / "themes" / "labelled.yaml"
EMOJI = ["😡", "🙏", "👍", "😢", "💯", ""]
FILLER = [
    "the",
    "mate",
    "honestly",
    "tbh",
    "innit",
    "like",
    "proper",
    "well",
    "so",
    "yeah",
    "and",
    "but",
]


def labelled_messages() -> list[dict]:
    """Return the hand-labelled messages."""
    return yaml.safe_load(LABELLED.read_text(encoding="utf-8"))["messages"]


def _typo(word: str, rng: random.Random) -> str:
    if len(word) < 4:
        return word
    i = rng.randrange(1, len(word) - 1)
    kind = rng.randrange(3)
    if kind == 0:
        return word[:i] + word[i + 1 :]
    if kind == 1:
        return word[:i] + word[i] + word[i:]
    return word[:i] + word[i + 1] + word[i] + word[i + 2 :]


def generated_texts(count: int, seed: int = 0) -> list[str]:
    """Return messy variants of the labelled messages: typos, filler, emoji, shouting."""
    rng = random.Random(seed)
    base = [m["text"] for m in labelled_messages()]
    texts = []
    for _ in range(count):
        words = rng.choice(base).split()
        words = [_typo(w, rng) if rng.random() < 0.15 else w for w in words]
        if rng.random() < 0.5:
            words.insert(rng.randrange(len(words) + 1), rng.choice(FILLER))
        text = " ".join(words) + " " + rng.choice(EMOJI)
        texts.append(text.upper() if rng.random() < 0.05 else text)
    return texts


def tagging_throughput(count: int = 100_000) -> tuple[float, float]:
    """Return texts tagged per second on a fresh tagger and on a warmed-up one."""
    tagger = Tagger(load_codebook())
    texts = generated_texts(count)
    start = time.perf_counter()
    for text in texts:
        tagger.tag(text)
    cold = count / (time.perf_counter() - start)
    start = time.perf_counter()
    for text in texts:
        tagger.tag(text)
    warm = count / (time.perf_counter() - start)
    return cold, warm


def discovery_seconds(count: int = 100_000) -> tuple[float, int]:
    """Return the seconds discovery takes over count answers, and how many themes it found."""
    rng = random.Random(1)
    items = [(text, f"p{rng.randrange(count // 5)}") for text in generated_texts(count, seed=1)]
    start = time.perf_counter()
    proposals = discover(items)
    return time.perf_counter() - start, len(proposals)


def scores(messages: list[dict], *, use_language: bool) -> dict[str, Counter[str]]:
    """Return true positives, false positives and misses per theme."""
    tagger = Tagger(load_codebook())
    counts: dict[str, Counter[str]] = {"tp": Counter(), "fp": Counter(), "fn": Counter()}
    for message in messages:
        language = message.get("lang", "en") if use_language else None
        got = set(tagger.tag(message["text"], language))
        expected = set(message["themes"])
        counts["tp"].update(got & expected)
        counts["fp"].update(got - expected)
        counts["fn"].update(expected - got)
    return counts


def _ratio(a: int, b: int) -> float:
    return a / b if b else 0.0


def print_table(title: str, counts: dict[str, Counter[str]], themes: list[str]) -> None:
    """Print precision, recall and F1 for each theme, then the micro averages."""
    print(f"\n{title}")
    print(f"{'theme':22} {'prec':>5} {'rec':>5} {'F1':>5} {'tp':>4} {'fp':>4} {'fn':>4}")
    rows = [*((t, counts["tp"][t], counts["fp"][t], counts["fn"][t]) for t in themes)]
    rows.append(("micro", *(sum(counts[k].values()) for k in ("tp", "fp", "fn"))))
    for name, tp, fp, fn in rows:
        p, r = _ratio(tp, tp + fp), _ratio(tp, tp + fn)
        f1 = _ratio(2 * tp, 2 * tp + fp + fn)
        print(f"{name:22} {p:5.2f} {r:5.2f} {f1:5.2f} {tp:4} {fp:4} {fn:4}")


def main() -> None:
    """Print the tagging and discovery figures."""
    themes = [t.id for t in load_codebook().themes]
    messages = labelled_messages()
    held_out = [m for m in messages if m.get("split") == "heldout"]
    tuned = [m for m in messages if m.get("split") != "heldout"]
    print(f"labelled set: {len(messages)} messages ({len(held_out)} held out)")
    print_table("all messages, no language hint", scores(messages, use_language=False), themes)
    print_table("all messages, with language hint", scores(messages, use_language=True), themes)
    print_table("tuning messages only", scores(tuned, use_language=False), themes)
    print_table("held-out messages only", scores(held_out, use_language=False), themes)
    cold, warm = tagging_throughput()
    print(f"\ntagging: {cold:,.0f} texts/s fresh, {warm:,.0f} texts/s warm (100,000 texts, 1 core)")
    seconds, found = discovery_seconds()
    print(f"discovery: {seconds:.1f} s over 100,000 texts ({found} proposals; budget 30 s)")


if __name__ == "__main__":
    main()
