"""Train the second opinion (`harbor intents train`): scikit-learn, at build time only.

The training rows are the tuning part of the corpus, the shared dev set and the
held-out file; never the locked part (`tests/data/corpus/locked.tsv`), which exists to
say how Harbor reads messages it has never seen. scikit-learn is a dev dependency: the
shipped `.npz` holds plain arrays that `intents.second_opinion` reads with numpy alone.
"""

from __future__ import annotations

from collections.abc import Iterable
from pathlib import Path

import numpy as np

from .evaluation import EvaluationRow, read_evaluation_file
from .second_opinion import HEADS, SecondOpinion, features

REPOSITORY = Path(__file__).resolve().parents[1]
CORPUS = REPOSITORY / "tests" / "data" / "corpus"
# Each round of the corpus was split once, before any rule saw it (corpus/split.py).
TUNING_FILES = (CORPUS / "tuning.tsv",
                *(CORPUS / f"round{number}-tuning.tsv" for number in (2, 3, 4, 5, 6, 7)))
TRAINING_FILES = (
    *TUNING_FILES,
    REPOSITORY / "tests" / "data" / "intents-heldout.tsv",
    Path(__file__).resolve().parent / "data" / "intents-dev.tsv",
)
LOCKED_FILE = CORPUS / "locked.tsv"
LOCKED_FILES = (LOCKED_FILE,
                *(CORPUS / f"round{number}-locked.tsv" for number in (2, 3, 4, 5, 6, 7)))
# Chosen by 5-fold cross-validation on the tuning rows (`harbor intents train --folds 5`).
REGULARIZATION = 16.0
MIN_DOCUMENT_FREQUENCY = 2


def training_rows(files: Iterable[Path] = TRAINING_FILES,
                  with_rule_examples: bool = True) -> list[EvaluationRow]:
    """Read every training file, then the rule files' own examples (what advocates
    wrote a rule for, the model must not read otherwise); a locked file is refused."""
    rows: list[EvaluationRow] = []
    for path in files:
        if Path(path).resolve() in {locked.resolve() for locked in LOCKED_FILES}:
            raise ValueError(f"{path}: the locked test part is never trained on")
        rows.extend(read_evaluation_file(path))
    if with_rule_examples:
        rows.extend(_rule_examples())
    # The shared dev and held-out sets were written before the corpus: the few messages
    # they share with a locked part ("0", "clear") are left out, so the model never
    # reads a locked message.
    locked = _locked_texts()
    return [row for row in rows if _key(row.text) not in locked]


def _key(text: str) -> str:
    return " ".join(text.lower().split())


def _locked_texts() -> frozenset[str]:
    return frozenset(_key(row.text) for path in LOCKED_FILES if path.exists()
                     for row in read_evaluation_file(path))


def _rule_examples() -> list[EvaluationRow]:
    from .rules import load_rules

    return [EvaluationRow(example, (rule.id,), language)
            for rule in load_rules() if rule.id not in ("exit", "unknown")
            for language, block in rule.languages.items() if language in ("en", "es")
            for example in block.examples]


def _answers(row: EvaluationRow, head: str) -> str:
    if head == "intent":
        return row.labels[0]
    if head == "safety":
        return row.safety_signal or "none"
    return row.subject or "self"


def build(rows: list[EvaluationRow], regularization: float = REGULARIZATION) -> SecondOpinion:
    """Fit the three heads on `rows` and return the model as Harbor runs it."""
    try:
        from sklearn.feature_extraction.text import TfidfVectorizer
        from sklearn.linear_model import LogisticRegression
    except ImportError as error:  # pragma: no cover - the dev extra is missing
        raise RuntimeError("training needs scikit-learn: pip install -e '.[dev]'") from error
    vectorizer = TfidfVectorizer(analyzer=features, sublinear_tf=True,
                                 min_df=MIN_DOCUMENT_FREQUENCY, dtype=np.float64)
    matrix = vectorizer.fit_transform([row.text for row in rows])
    heads = {}
    for head in HEADS:
        # The subject is labelled in the corpus only; other files do not say.
        chosen = [number for number, row in enumerate(rows)
                  if head != "subject" or row.subject]
        model = LogisticRegression(C=regularization, max_iter=3000)
        model.fit(matrix[chosen], [_answers(rows[number], head) for number in chosen])
        heads[head] = (model.coef_.T.copy(), model.intercept_.copy(),
                       [str(c) for c in model.classes_])
    return SecondOpinion(vectorizer.get_feature_names_out().tolist(), vectorizer.idf_, heads)


def cross_validated(rows: list[EvaluationRow], folds: int = 5,
                    regularization: float = REGULARIZATION) -> list[tuple[EvaluationRow, object]]:
    """Return (row, opinion of a model that never saw the row) for every row."""
    found: list[tuple[EvaluationRow, object]] = []
    for fold_number in range(folds):
        train = [row for number, row in enumerate(rows) if number % folds != fold_number]
        test = [row for number, row in enumerate(rows) if number % folds == fold_number]
        model = build(train, regularization)
        found.extend((row, model.opinion(row.text)) for row in test)
    return found


def reader_that_never_saw(evaluated: list[EvaluationRow], folds: int = 5,
                          regularization: float = REGULARIZATION):
    """Return a classify() whose second opinion never trained on the message it reads.

    The evaluated rows are cut into `folds` parts; each part is read by a model trained
    on every training row except that part's messages. On the tuning part this says what
    the shipped model (which has read every tuning row) would make of new messages.
    """
    from .reading import read

    everything = training_rows()
    fold_of = {row.text: number % folds for number, row in enumerate(evaluated)}
    models = [build([row for row in everything if fold_of.get(row.text) != number],
                    regularization)
              for number in range(folds)]

    def classify_held_out(text: str):
        number = fold_of.get(text)
        return read(text) if number is None else read(text, models[number])

    return classify_held_out
