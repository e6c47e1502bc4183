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

from dataclasses import dataclass
from functools import lru_cache
from pathlib import Path

import numpy as np

from .normalization import fold, normalize_folded

MODEL_PATH = Path(__file__).resolve().parent / "data" / "second_opinion.npz"
LETTER_NGRAMS = (3, 5)


def features(text: str) -> list[str]:
    """Return the features of one message: words, word pairs and letter n-grams.

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
    low, high = LETTER_NGRAMS
    for word in folded.split():
        padded = f" {word} "
        for size in range(low, high + 1):
            if len(padded) < size:
                break
            found.extend(f"c:{padded[i:i + size]}" for i in range(len(padded) - size + 1))
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
        found = features(text) if folded is None or words is None else features_of(folded,
                                                                                   words)
        counts: dict[int, int] = {}
        for feature in found:
            number = self.index.get(feature)
            if number is not None:
                counts[number] = counts.get(number, 0) + 1
        numbers = values = None
        if counts:
            numbers = np.fromiter(counts, dtype=np.int64, count=len(counts))
            # Sublinear tf times idf, then unit length: what TfidfVectorizer computed.
            values = (1.0 + np.log(np.fromiter(counts.values(), dtype=np.float64,
                                               count=len(counts)))) * self.idf[numbers]
            values /= np.sqrt(values @ values)
        ranked = {}
        for name, head in self.heads.items():
            logits = head.bias.copy()
            if numbers is not None:
                logits += values @ head.weights[numbers]
            if len(head.classes) == 2 and logits.shape == (1,):
                logits = np.array([0.0, logits[0]])
            logits -= logits.max()
            odds = np.exp(logits)
            odds /= odds.sum()
            order = np.argsort(-odds)
            ranked[name] = tuple((head.classes[i], float(odds[i])) for i in order[:6])
        return Opinion(ranked)


@lru_cache(maxsize=1)
def second_opinion() -> SecondOpinion | None:
    """Return the shipped model, or None when the package has none (rules alone)."""
    if not MODEL_PATH.exists():
        return None
    return SecondOpinion.load(MODEL_PATH)
