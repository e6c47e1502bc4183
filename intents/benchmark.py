"""`harbor bench classify`: time `classify()` per message with every rule loaded.

The rules are compiled and the place index built before timing (both happen once per
process in production too; their cost is reported separately). Before every round the
memo of spelling corrections is emptied, so each round pays for its misspellings the
way a fresh message would; `warm_*` figures keep the memo, as a long-running worker does.
`median_ms`/`p99_ms` are wall-clock time; `cpu_*` count only this thread's CPU time, which
leaves out the moments another process held the (shared) CPU.
"""

from __future__ import annotations

import gc
import math
import os
import statistics
import time
from pathlib import Path

from . import classify, warm_up
from .evaluation import DEV_SET, read_evaluation_file
from .matcher import CompiledRules, compiled_rules
from .rules import load_rules


def _percentile(sorted_values: list[float], share: float) -> float:
    """Nearest-rank percentile of already sorted values."""
    rank = max(1, math.ceil(share * len(sorted_values)))
    return sorted_values[min(rank, len(sorted_values)) - 1]


def run_classify_benchmark(dataset: str | None = None, rounds: int = 20) -> dict:
    """Time classify() on every message of `dataset` (default: the dev set), `rounds` times."""
    path = Path(dataset) if dataset else DEV_SET
    messages = [row.text for row in read_evaluation_file(path)]
    if not messages:
        raise ValueError(f"{path}: no messages")
    rounds = max(1, rounds)

    started = time.perf_counter()
    CompiledRules(load_rules())  # what the first classify() of a process pays, once
    compile_ms = (time.perf_counter() - started) * 1000
    rules = compiled_rules()
    started = time.perf_counter()
    warm_up()  # geography's index; 0 when this process (the app) had already warmed up
    warm_up_ms = (time.perf_counter() - started) * 1000

    cold: list[float] = []
    cold_cpu: list[float] = []
    warm: list[float] = []
    timer = time.perf_counter_ns
    cpu_timer = time.thread_time_ns
    for _ in range(rounds):
        rules.clear_memos()
        gc.collect()
        for text in messages:
            before, before_cpu = timer(), cpu_timer()
            classify(text)
            cold.append((timer() - before) / 1e6)
            cold_cpu.append((cpu_timer() - before_cpu) / 1e6)
    for _ in range(rounds):
        for text in messages:
            before = timer()
            classify(text)
            warm.append((timer() - before) / 1e6)
    cold.sort()
    cold_cpu.sort()
    warm.sort()
    keywords = sum(len(patterns) for index in (rules.first_exact, rules.first_prefix,
                                               rules.first_pair)
                   for patterns in index.values())
    return {
        "dataset": str(path),
        "messages": len(messages),
        "rounds": rounds,
        "rule_files": len(rules.rules),
        "keyword_patterns": keywords,
        "example_choices": len(rules.example_choice),
        "whole_message_keywords": len(rules.whole_message),
        "compile_rules_ms": compile_ms,
        "warm_up_ms": warm_up_ms,
        "load_average_1min": os.getloadavg()[0],
        "median_ms": statistics.median(cold),
        "p99_ms": _percentile(cold, 0.99),
        "mean_ms": statistics.fmean(cold),
        "max_ms": cold[-1],
        "cpu_median_ms": statistics.median(cold_cpu),
        "cpu_p99_ms": _percentile(cold_cpu, 0.99),
        "warm_median_ms": statistics.median(warm),
        "warm_p99_ms": _percentile(warm, 0.99),
    }
