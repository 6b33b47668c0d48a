"""Propose new themes from answers the codebook does not cover.

Short answers are clustered offline with TF-IDF and non-negative matrix factorisation
(NMF): each component is a candidate theme, its heaviest terms describe it, and each
answer joins the component it loads on most. NMF suits short texts better than k-means,
which tends to gather every sparse vector into one large leftover cluster.
"""

import re
import warnings
from collections import Counter
from collections.abc import Iterable, Sequence
from typing import Any

import numpy as np
from pydantic import BaseModel, ConfigDict, Field
from scipy.sparse import csr_matrix
from sklearn.decomposition import NMF, MiniBatchNMF
from sklearn.exceptions import ConvergenceWarning
from sklearn.feature_extraction.text import CountVectorizer, TfidfTransformer

from api.themes.codebook import ThemeEntry
from api.themes.tagging import STOP_WORDS, fold, stem_en, tokenize

_MAX_CHARS = 2_000  # answers are short; one pasted essay must not outweigh the rest
_EXAMPLE_CHARS = 280
_MAX_FEATURES = 20_000
_MAX_TERMS = 8
_MIN_SIZE = 2  # one answer is not a pattern
_BATCH_FROM = 20_000  # above this many answers, fit NMF in mini-batches
_MERGE_ABOVE = 0.35  # centroid cosine similarity at which two clusters are one theme
_MIN_LIFT = 1.5  # how much likelier a term must be inside a cluster than overall
_MIN_FIT = 0.1  # cosine similarity to its cluster's centre an answer needs to belong
# Words common in feedback that say nothing about what it is about.
_FILLER_WORDS = """
    like get got need want make made thing things good bad lot lots much many time today
    day days bit better best ever every always never also even yet well way back cos coz
    cuz tbh innit honestly proper literally basically actually
"""
_FILLER = frozenset(_FILLER_WORDS.split())
_STOP = STOP_WORDS["en"] | STOP_WORDS["pl"] | STOP_WORDS["ro"] | _FILLER


class DiscoveryItem(BaseModel):
    """One answer to cluster: its (redacted) text and who sent it, as a pseudonym."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    text: str
    contributor: str


class Proposal(BaseModel):
    """A candidate theme found among answers the codebook does not cover."""

    model_config = ConfigDict(extra="forbid")

    name: str
    terms: list[str]
    size: int = Field(ge=0, description="number of answers in the group")
    contributors: int = Field(ge=0, description="number of distinct people in the group")
    examples: list[str] = Field(
        default_factory=list, description="up to three quotes, only for groups of min_group+"
    )


def _pair(item: Any) -> tuple[str, str] | None:
    if isinstance(item, DiscoveryItem):
        return item.text, item.contributor
    if isinstance(item, tuple | list) and len(item) == 2:
        text, contributor = item
    else:
        text, contributor = getattr(item, "text", None), getattr(item, "contributor", None)
    if not isinstance(text, str) or contributor is None:
        return None
    return text, str(contributor)


class _Words:
    """Turn texts into content-word stems, remembering how each stem is usually spelt."""

    def __init__(self) -> None:
        self._stems: dict[str, str | None] = {}
        self.spellings: dict[str, Counter[str]] = {}

    def __call__(self, text: str) -> list[str]:
        out = []
        for token in tokenize(text[:_MAX_CHARS]):
            stem = self._stems.get(token, "")
            if stem == "":
                keep = len(token) >= 2 and not token.isdigit() and token not in _STOP
                stem = stem_en(token) if keep else None
                self._stems[token] = stem
            if stem is not None:
                out.append(stem)
                self.spellings.setdefault(stem, Counter())[token] += 1
        return out

    def display(self, feature: str) -> str:
        """Return a feature ("hot wat") as people spell it ("hot water")."""
        return " ".join(self.spellings[s].most_common(1)[0][0] for s in feature.split())


def discover(
    items: Sequence[tuple[str, str]] | Sequence[DiscoveryItem] | Iterable[Any],
    *,
    min_group: int = 5,
    max_themes: int = 8,
    seed: int = 0,
) -> list[Proposal]:
    """Cluster answers into proposed themes, quoting only groups of min_group people or more."""
    words = _Words()
    docs: list[str] = []
    texts: list[str] = []
    owners: list[str] = []
    for item in items:
        pair = _pair(item)
        if pair is None:
            continue
        stems = words(pair[0])
        if stems:
            docs.append(" ".join(stems))
            texts.append(pair[0])
            owners.append(pair[1])
    if not docs or max_themes < 1:
        return []
    counter = CountVectorizer(
        token_pattern=r"\S+",
        lowercase=False,
        ngram_range=(1, 2),
        min_df=2 if len(docs) >= 50 else 1,
        max_features=_MAX_FEATURES,
        dtype=np.float32,
    )
    try:
        counts = csr_matrix(counter.fit_transform(docs))
    except ValueError:  # nothing left after pruning rare words
        return []
    features = counter.get_feature_names_out()
    # Cluster on single words; word pairs only help describe a cluster afterwards.
    single = np.flatnonzero([" " not in f for f in features])
    if len(single) == 0:
        return []
    vectors = csr_matrix(TfidfTransformer(sublinear_tf=True).fit_transform(counts[:, single]))
    k = min(max_themes, len(set(docs)), len(single))
    labels = _cluster(vectors, k, seed)
    proposals = []
    for label in np.unique(labels[labels >= 0]):
        members = np.flatnonzero(labels == label)
        if len(members) < _MIN_SIZE:
            continue
        terms = _top_terms(counts, members, features, words)
        if not terms:
            continue
        people = len({owners[i] for i in members})
        examples = []
        if people >= min_group:
            examples = _examples(members, vectors, texts, owners)
        proposals.append(
            Proposal(
                name=_name(terms),
                terms=terms,
                size=len(members),
                contributors=people,
                examples=examples,
            )
        )
    proposals.sort(key=lambda p: (-p.contributors, -p.size, p.name))
    return proposals


def _cluster(vectors: csr_matrix, k: int, seed: int) -> np.ndarray:
    """Return a cluster label per row, or -1 for rows that fit no cluster."""
    model: NMF | MiniBatchNMF
    if vectors.shape[0] >= _BATCH_FROM:
        model = MiniBatchNMF(
            n_components=k, init="nndsvda", batch_size=4096, max_iter=30, random_state=seed
        )
    else:
        model = NMF(n_components=k, init="nndsvda", max_iter=300, random_state=seed)
    with warnings.catch_warnings():
        # Stopping early still gives usable topics; the caller cannot act on the warning.
        warnings.simplefilter("ignore", ConvergenceWarning)
        # A perfect fit (identical answers) leaves a residual of -0.0, whose square root
        # NumPy warns about; the result is still right.
        warnings.filterwarnings("ignore", "invalid value encountered in sqrt", RuntimeWarning)
        weights = np.asarray(model.fit_transform(vectors))
    labels = np.where(weights.max(axis=1) > 0, weights.argmax(axis=1), -1)
    # NMF happily splits one theme over several components ("toothache", "dentist"):
    # join clusters whose centroids point the same way.
    while True:
        found = np.unique(labels[labels >= 0])
        if len(found) < 2:
            break
        centroids = _centroids(vectors, labels, found)
        similarity = centroids @ centroids.T
        np.fill_diagonal(similarity, -1.0)
        a, b = np.unravel_index(int(np.argmax(similarity)), similarity.shape)
        if similarity[a, b] < _MERGE_ABOVE:
            break
        labels[labels == found[b]] = found[a]
    # Answers barely like their cluster's centre are noise, not members.
    found = np.unique(labels[labels >= 0])
    if len(found):
        centroids = _centroids(vectors, labels, found)
        position = np.searchsorted(found, np.maximum(labels, 0))
        similarity = np.asarray(vectors @ centroids.T)
        fit = similarity[np.arange(len(labels)), position]
        labels[(labels >= 0) & (fit < _MIN_FIT)] = -1
    return labels


def _centroids(vectors: csr_matrix, labels: np.ndarray, found: np.ndarray) -> np.ndarray:
    """Return the unit-length mean vector of each cluster in found, one row each."""
    rows = np.flatnonzero(np.isin(labels, found))
    which = csr_matrix(
        (np.ones(len(rows)), (np.searchsorted(found, labels[rows]), rows)),
        shape=(len(found), vectors.shape[0]),
    )
    sums = np.asarray((which @ vectors).todense())
    norms = np.linalg.norm(sums, axis=1, keepdims=True)
    return sums / np.where(norms > 0, norms, 1.0)


def _top_terms(
    counts: csr_matrix, members: np.ndarray, features: np.ndarray, words: _Words
) -> list[str]:
    """Return the words that set this cluster apart (class-based TF-IDF)."""
    inside = np.asarray(counts[members].sum(axis=0)).ravel()
    overall = np.asarray(counts.sum(axis=0)).ravel()
    share = inside / max(inside.sum(), 1.0)
    score = share * np.log1p(inside.sum() / np.maximum(overall, 1.0))
    # A term must be more common inside the cluster than outside it to describe it.
    lift = share / np.maximum(overall / max(overall.sum(), 1.0), 1e-12)
    # A cluster holding nearly every answer cannot be much likelier than itself.
    ceiling = overall.sum() / max(inside.sum(), 1.0)
    score[lift < min(_MIN_LIFT, 0.9 * ceiling)] = 0.0
    # A word pair must recur within the cluster before it can describe it.
    pairs = np.char.find(features.astype(str), " ") >= 0
    score[pairs & (inside < max(2.0, 0.05 * len(members)))] = 0.0
    terms: list[str] = []
    covered: set[str] = set()
    for index in np.argsort(-score, kind="stable")[: _MAX_TERMS * 4]:
        if score[index] <= 0 or len(terms) >= _MAX_TERMS:
            break
        stems = str(features[index]).split()
        # A pair adds nothing once both its words are listed, and vice versa.
        if set(stems) <= covered:
            continue
        covered.update(stems)
        terms.append(words.display(str(features[index])))
    return terms


def _examples(
    members: np.ndarray, vectors: csr_matrix, texts: list[str], owners: list[str]
) -> list[str]:
    centre = np.asarray(vectors[members].mean(axis=0)).ravel()
    fit = np.asarray(vectors[members] @ centre).ravel()
    order = members[np.argsort(-fit, kind="stable")]
    chosen: list[str] = []
    seen_texts: set[str] = set()
    seen_people: set[str] = set()
    # Quote the clearest members, each from a different person and saying something new.
    for index in order:
        key = " ".join(tokenize(texts[index]))
        if key in seen_texts or owners[index] in seen_people:
            continue
        seen_texts.add(key)
        seen_people.add(owners[index])
        chosen.append(_clip(texts[index]))
        if len(chosen) == 3:
            break
    return chosen


def _clip(text: str) -> str:
    text = " ".join(text.split())
    return text if len(text) <= _EXAMPLE_CHARS else text[: _EXAMPLE_CHARS - 1] + "…"


def _name(terms: list[str]) -> str:
    first = terms[0]
    second = next((t for t in terms[1:] if not set(t.split()) & set(first.split())), None)
    name = f"{first} / {second}" if second else first
    return name[:1].upper() + name[1:]


def theme_from_proposal(
    proposal: Proposal, *, theme_id: str | None = None, language: str = "en"
) -> ThemeEntry:
    """Return a codebook theme built from an accepted proposal."""
    slug = theme_id or "_".join(re.findall(r"[a-z0-9]+", fold(proposal.name)))[:48]
    if not re.match(r"^[a-z][a-z0-9_]{1,47}$", slug):
        slug = f"theme_{slug}"[:48].rstrip("_")
    return ThemeEntry(id=slug, name=proposal.name, terms={language: list(proposal.terms)})
