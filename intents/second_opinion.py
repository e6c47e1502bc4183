"""A learned second opinion beside the rules: a linear model on word and letter n-grams.

The rules say what advocates can read and change; they miss messages said in words
nobody wrote into them. This model has read every labelled message of the tuning corpus
(`tests/data/corpus/tuning.tsv`, the shared dev set and the held-out file), so it knows
word families by their letters ("matarme", "matar", "mata") and typos by their pieces
("hes hitting", "hes hittin"). `intents.reading` decides when its view counts.

It ships inside the package (`intents/data/second_opinion.npz`), built by
`harbor intents train` (scikit-learn's TfidfVectorizer and LogisticRegression, a dev
dependency). At run time only numpy is needed: the features below are computed here and
the weights looked up, so nothing is downloaded and scikit-learn is never imported.
"""

from __future__ import annotations

import math
from collections import Counter
from dataclasses import dataclass
from functools import lru_cache
from pathlib import Path

import numpy as np

from .normalization import fold, normalize_folded

MODEL_PATH = Path(__file__).resolve().parent / "data" / "second_opinion.npz"
LETTER_NGRAMS = (3, 5)


def features(text: str) -> list[str]:
    """Return the features of one message: words, word pairs and triples, letter n-grams.

    Words are the normalized words (shorthand expanded: "hes" -> "he is"); letter
    n-grams are taken inside each folded word padded with spaces, so they carry word
    starts and endings ("mat", "arme ") and survive one wrong letter.
    """
    folded = fold(text)
    return features_of(folded, normalize_folded(folded))


def features_of(folded: str, words: list[str]) -> list[str]:
    """Return the features of a message already folded and normalized (see `features`)."""
    found = [f"w:{word}" for word in words]
    found.extend(f"b:{a}_{b}" for a, b in zip(words, words[1:], strict=False))
    found.extend(f"t:{a}_{b}_{c}"
                 for a, b, c in zip(words, words[1:], words[2:], strict=False))
    low, high = LETTER_NGRAMS
    for word in folded.split():
        padded = f" {word} "
        length = len(padded)
        for size in range(low, min(high, length) + 1):
            found += ["c:" + padded[i:i + size] for i in range(length - size + 1)]
    return found


HEADS = ("intent", "safety", "subject")


@dataclass(frozen=True)
class Opinion:
    """The model's view of one message: per head, each answer's probability, best first."""

    ranked: dict[str, tuple[tuple[str, float], ...]]

    def probability(self, head: str, answer: str) -> float:
        for name, value in self.ranked.get(head, ()):
            if name == answer:
                return value
        return 0.0

    def best(self, head: str = "intent") -> tuple[str, float]:
        ranked = self.ranked.get(head)
        return ranked[0] if ranked else ("", 0.0)


@dataclass(frozen=True)
class _Head:
    weights: np.ndarray  # features x answers
    bias: np.ndarray
    classes: tuple[str, ...]


class SecondOpinion:
    """The trained weights, loaded once: `opinion(text)` is a few array look-ups.

    One feature space, three heads: the intent, the safety signal (danger, self_harm or
    none, learned apart so it is found even when a need wins) and the subject (self or
    other).
    """

    def __init__(self, vocabulary: list[str], idf: np.ndarray,
                 heads: dict[str, tuple[np.ndarray, np.ndarray, list[str]]]) -> None:
        self.vocabulary = list(vocabulary)
        self.index = {feature: number for number, feature in enumerate(vocabulary)}
        self.idf = idf.astype(np.float64)
        self.heads = {name: _Head(weights.astype(np.float32), bias.astype(np.float64),
                                  tuple(classes))
                      for name, (weights, bias, classes) in heads.items()}
        # Letter n-grams looked up without their "c:" prefix (most features are n-grams:
        # no string is built for each of them at run time).
        self._letter_index = {feature[2:]: number for feature, number in self.index.items()
                              if feature.startswith("c:")}
        # Every head's weights side by side: one gather and one product per message.
        self._weights = np.hstack([head.weights for head in self.heads.values()])
        self._bias = np.concatenate([head.bias for head in self.heads.values()])
        self._columns: list[tuple[str, int, int]] = []
        start = 0
        for name, head in self.heads.items():
            self._columns.append((name, start, start + head.weights.shape[1]))
            start += head.weights.shape[1]

    def _feature_numbers(self, folded: str, words: list[str]):
        """Yield the index of each feature of `features_of` (None when unknown)."""
        index = self.index
        yield from map(index.get, [f"w:{word}" for word in words])
        yield from map(index.get, [f"b:{a}_{b}" for a, b in zip(words, words[1:], strict=False)])
        yield from map(index.get, [f"t:{a}_{b}_{c}" for a, b, c
                                   in zip(words, words[1:], words[2:], strict=False)])
        letters = self._letter_index.get
        low, high = LETTER_NGRAMS
        for word in folded.split():
            padded = f" {word} "
            length = len(padded)
            for size in range(low, min(high, length) + 1):
                yield from map(letters, [padded[i:i + size]
                                         for i in range(length - size + 1)])

    @classmethod
    def load(cls, path: Path | str = MODEL_PATH) -> SecondOpinion:
        with np.load(path, allow_pickle=False) as data:
            heads = {name: (data[f"{name}_weights"], data[f"{name}_bias"],
                            [str(c) for c in data[f"{name}_classes"]])
                     for name in HEADS if f"{name}_weights" in data}
            return cls([str(v) for v in data["vocabulary"]], data["idf"], heads)

    def save(self, path: Path | str = MODEL_PATH) -> Path:
        """Write plain arrays (no pickle) that `load` reads."""
        arrays = {"vocabulary": np.array(self.vocabulary), "idf": self.idf.astype(np.float32)}
        for name, head in self.heads.items():
            arrays[f"{name}_weights"] = head.weights.astype(np.float16)
            arrays[f"{name}_bias"] = head.bias.astype(np.float32)
            arrays[f"{name}_classes"] = np.array(head.classes)
        np.savez_compressed(path, **arrays)
        return Path(path)

    def opinion(self, text: str, folded: str | None = None,
                words: list[str] | None = None) -> Opinion:
        """Return the model's view of `text`; pass `folded` and `words` when the rules
        already computed them (the message is then not normalized again)."""
        if folded is None or words is None:
            folded = fold(text)
            words = normalize_folded(folded)
        counts = Counter(self._feature_numbers(folded, words))
        counts.pop(None, None)  # features the model never saw
        numbers = values = None
        if counts:
            numbers = np.fromiter(counts, dtype=np.int64, count=len(counts))
            # Sublinear tf times idf, then unit length: what TfidfVectorizer computed.
            values = (1.0 + np.log(np.fromiter(counts.values(), dtype=np.float64,
                                               count=len(counts)))) * self.idf[numbers]
            values /= np.sqrt(values @ values)
        every = self._bias if numbers is None else self._bias + values @ self._weights[numbers]
        ranked = {}
        for name, start, end in self._columns:
            classes = self.heads[name].classes
            logits = every[start:end].tolist()
            if len(classes) == 2 and len(logits) == 1:
                logits = [0.0, logits[0]]  # a binary head keeps one column
            top = max(logits)
            odds = [math.exp(value - top) for value in logits]
            total = sum(odds)
            best = sorted(range(len(odds)), key=odds.__getitem__, reverse=True)[:6]
            ranked[name] = tuple((classes[i], odds[i] / total) for i in best)
        return Opinion(ranked)


@lru_cache(maxsize=1)
def second_opinion() -> SecondOpinion | None:
    """Return the shipped model, or None when the package has none (rules alone)."""
    if not MODEL_PATH.exists():
        return None
    return SecondOpinion.load(MODEL_PATH)
