"""Split a batch of newly written corpus rows once, before any rule sees it.

    python tests/data/corpus/split.py ROUND NEW.tsv [NEW.tsv ...]

Rows are kept when their text (case and spacing ignored) is in no corpus file yet; a
row goes to the locked part when the SHA-256 of its text, mod 100, is below
`LOCKED_SHARE`. Writes `<round>-tuning.tsv` and `<round>-locked.tsv` beside this
script. Round 1 (`tuning.tsv`, `locked.tsv`) was split the same way with 36.
"""

from __future__ import annotations

import csv
import hashlib
import sys
from pathlib import Path

HERE = Path(__file__).resolve().parent
LOCKED_SHARE = 30
COLUMNS = ["text", "labels", "lang", "zip", "city", "state", "safety", "subject", "source"]


def key(text: str) -> str:
    return " ".join(text.lower().split())


def rows_of(path: Path) -> list[dict[str, str]]:
    with path.open(encoding="utf-8", newline="") as handle:
        return list(csv.DictReader(handle, delimiter="\t", quoting=csv.QUOTE_NONE))


def main(round_name: str, batches: list[str]) -> None:
    seen = {key(row["text"]) for path in HERE.glob("*.tsv") for row in rows_of(path)}
    dev = HERE.parents[2] / "intents" / "data" / "intents-dev.tsv"
    seen |= {key(row["text"]) for row in rows_of(dev)}
    parts: dict[str, list[dict[str, str]]] = {"tuning": [], "locked": []}
    for batch in batches:
        for row in rows_of(Path(batch)):
            text = " ".join((row.get("text") or "").split())
            if not text or not row.get("labels") or key(text) in seen:
                continue
            seen.add(key(text))
            row["text"] = text
            digest = int(hashlib.sha256(text.encode("utf-8")).hexdigest(), 16)
            parts["locked" if digest % 100 < LOCKED_SHARE else "tuning"].append(row)
    for part, rows in parts.items():
        path = HERE / f"{round_name}-{part}.tsv"
        with path.open("w", encoding="utf-8", newline="") as handle:
            writer = csv.DictWriter(handle, COLUMNS, delimiter="\t", quoting=csv.QUOTE_NONE,
                                    quotechar=None, extrasaction="ignore",
                                    lineterminator="\n")
            writer.writeheader()
            writer.writerows(rows)
        print(f"{path.name}: {len(rows)} rows")


if __name__ == "__main__":
    main(sys.argv[1], sys.argv[2:])
