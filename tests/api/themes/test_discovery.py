import random
from dataclasses import dataclass

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from api.themes.codebook import load_codebook
from api.themes.discovery import DiscoveryItem, Proposal, discover, theme_from_proposal
from api.themes.tagging import Tagger

PLANTED = {
    "showers": ["shower", "showers", "hot", "water", "cold", "freezing", "broken", "boiler"],
    "curfew": ["curfew", "locked", "late", "door", "night", "strict"],
    "dentist": ["dentist", "tooth", "teeth", "toothache", "pain", "appointment"],
}
GLUE = [
    "the",
    "is",
    "was",
    "no",
    "again",
    "and",
    "my",
    "at",
    "in",
    "a",
    "too",
    "its",
    "proper",
    "really",
]
FILLER = [
    "bus",
    "park",
    "weather",
    "phone",
    "football",
    "telly",
    "bike",
    "shop",
    "music",
    "chair",
    "window",
    "sky",
]


def planted_texts(seed: int, count: int = 600) -> list[tuple[str, str]]:
    """Return answers about three planted topics, with stray words and pure filler."""
    rng = random.Random(seed)
    items = []
    for _ in range(count):
        if rng.random() < 0.7:
            words = rng.sample(PLANTED[rng.choice(list(PLANTED))], rng.randint(2, 4))
            words += rng.sample(GLUE, 2)
            if rng.random() < 0.3:
                words.append(rng.choice(FILLER))
            rng.shuffle(words)
        else:
            words = [rng.choice(FILLER + GLUE) for _ in range(rng.randint(2, 6))]
        items.append((" ".join(words), f"p{rng.randrange(150)}"))
    return items


@pytest.mark.parametrize("seed", [1, 2, 3])
def test_planted_topics_come_back_as_proposals(seed: int) -> None:
    proposals = discover(planted_texts(seed), seed=seed)
    for topic, words in PLANTED.items():
        best = max(len(set(p.terms) & set(words)) for p in proposals)
        assert best >= 4, f"{topic} not found in {[p.terms for p in proposals]}"


def test_proposals_carry_terms_counts_and_a_name() -> None:
    proposals = discover(planted_texts(1))
    assert proposals
    for proposal in proposals:
        assert 1 <= len(proposal.terms) <= 8
        assert proposal.name and proposal.name[0].isupper()
        assert proposal.size >= proposal.contributors >= 1
        assert len(proposal.examples) <= 3
    assert [p.contributors for p in proposals] == sorted(
        (p.contributors for p in proposals), reverse=True
    )


def test_examples_appear_only_once_a_group_has_min_group_people() -> None:
    items = [("the lift is broken again", "alice")] * 10
    items += [("lift broken can't get upstairs", "bob")] * 10
    items += [("broken lift for weeks", "carol")] * 10
    few = discover(items, min_group=5)
    assert few and all(p.contributors == 3 and p.examples == [] for p in few)
    many = discover(items, min_group=3)
    assert many[0].contributors == 3 and 1 <= len(many[0].examples) <= 3


def test_examples_come_from_different_people_and_never_name_them() -> None:
    items = [(f"the lift is broken on floor {i % 4}", f"person-{i}") for i in range(40)]
    proposal = discover(items, min_group=5)[0]
    assert len(proposal.examples) == 3
    assert len(set(proposal.examples)) == 3
    assert not any("person-" in e for e in proposal.examples)
    assert "contributor" not in Proposal.model_fields


def test_same_seed_gives_the_same_proposals() -> None:
    items = planted_texts(7)
    assert discover(items, seed=4) == discover(items, seed=4)


@pytest.mark.parametrize(
    "items",
    [
        [],
        [("", "a")],
        [("😡😡😡", "a"), ("🙏", "b"), ("...", "c"), ("the a is", "d")],
        [("no hot water", "a"), ("curfew", "b")],
        [("x" * 4096, "a"), ("word " * 819, "b"), ("ą" * 4096, "c")],
        [("\u202e\u200b", "a"), ("<script>", "b"), ("'; DROP TABLE x; --", "c")],
    ],
)
def test_awkward_input_never_raises(items: list[tuple[str, str]]) -> None:
    proposals = discover(items)
    assert all(isinstance(p, Proposal) for p in proposals)


def test_fewer_texts_than_themes_still_works() -> None:
    items = [("hot water broken", "a"), ("hot water cold", "b"), ("curfew too early", "c")]
    proposals = discover(items, max_themes=8)
    assert len(proposals) <= 2


def test_identical_texts_make_one_proposal() -> None:
    items = [("the microwave is broken", f"p{i}") for i in range(30)]
    proposals = discover(items, min_group=5)
    assert len(proposals) == 1
    assert {"microwave", "broken"} <= set(proposals[0].terms)
    assert proposals[0].size == 30 and proposals[0].contributors == 30
    assert proposals[0].examples == ["the microwave is broken"]


def test_items_may_be_pairs_models_or_rows() -> None:
    @dataclass
    class Row:
        text: str
        contributor: str

    texts = ["broken microwave again", "microwave broken", "the microwave is broken"] * 3
    pairs = [(t, f"p{i}") for i, t in enumerate(texts)]
    models = [DiscoveryItem(text=t, contributor=c) for t, c in pairs]
    rows = [Row(t, c) for t, c in pairs]
    assert discover(pairs) == discover(models) == discover(rows)
    assert discover([None, 3, ("only one",), (None, "x")]) == []  # type: ignore[list-item]


def test_long_examples_are_clipped() -> None:
    long = "microwave broken " + "blah " * 200
    proposals = discover([(long, f"p{i}") for i in range(6)], min_group=5)
    assert proposals[0].examples and len(proposals[0].examples[0]) <= 280


def test_accepted_proposal_becomes_a_theme_that_tags_its_examples() -> None:
    items = [(f"microwave broken in kitchen {i}", f"p{i}") for i in range(10)]
    proposal = discover(items, min_group=5)[0]
    entry = theme_from_proposal(proposal)
    codebook = load_codebook().with_theme(entry)
    assert entry.id in Tagger(codebook).tag(proposal.examples[0])
    assert theme_from_proposal(proposal, theme_id="kitchen_kit").id == "kitchen_kit"
    odd = Proposal(name="24/7", terms=["24"], size=2, contributors=2)
    assert theme_from_proposal(odd).id == "theme_24_7"


@settings(max_examples=40, deadline=None)
@given(
    st.lists(st.tuples(st.text(max_size=80), st.sampled_from("abcdefg")), max_size=40),
    st.integers(min_value=1, max_value=10),
)
def test_any_input_gives_well_formed_proposals(items: list[tuple[str, str]], k: int) -> None:
    for proposal in discover(items, max_themes=k, min_group=3):
        assert proposal.contributors <= proposal.size
        assert proposal.examples == [] or proposal.contributors >= 3
