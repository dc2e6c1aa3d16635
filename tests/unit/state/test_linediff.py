"""The line comparison behind multi-line strings: exact, and costing what the change costs."""

from __future__ import annotations

import difflib
import random

from tfshadow.state.linediff import Work, opcodes


def _replayed(a: list[str], b: list[str], ops: list[tuple[str, int, int, int, int]]) -> list[str]:
    out: list[str] = []
    at_a = at_b = 0
    for tag, i1, i2, j1, j2 in ops:
        assert (i1, j1) == (at_a, at_b)
        if tag == "equal":
            assert a[i1:i2] == b[j1:j2]
        out.extend(b[j1:j2])
        at_a, at_b = i2, j2
    assert (at_a, at_b) == (len(a), len(b))
    return out


def test_linediff_keeps_as_many_lines_as_can_be_kept() -> None:
    rng = random.Random(7)
    for _ in range(500):
        a = [rng.choice("abc") for _ in range(rng.randrange(12))]
        b = [rng.choice("abc") for _ in range(rng.randrange(12))]
        ops = opcodes(a, b)
        assert _replayed(a, b, ops) == b
        kept = sum(i2 - i1 for tag, i1, i2, _, _ in ops if tag == "equal")
        # difflib's match count is a lower bound; no common subsequence is longer than ours.
        matcher = difflib.SequenceMatcher(a=a, b=b, autojunk=False)
        assert kept >= sum(size for _, _, size in matcher.get_matching_blocks())


def test_linediff_work_grows_with_the_changes_not_with_repeated_lines() -> None:
    # A policy laid out line by line: the same few lines thousands of times, three changed.
    old = [f'"s3:Get{j}",' for _ in range(20_000) for j in range(5)]
    new = list(old)
    for index in (1_000, 50_000, 99_000):
        new[index] = '"s3:PutObject",'
    work = Work()

    ops = opcodes(old, new, work=work)

    assert [op for op in ops if op[0] != "equal"] == [
        ("replace", i, i + 1, i, i + 1) for i in (1_000, 50_000, 99_000)
    ]
    assert work.steps <= 2 * 6 * 6  # about (edits + 1) squared diagonals, whatever the length
    assert not work.gave_up


def test_linediff_past_its_bound_reports_the_changed_stretch_whole() -> None:
    old = [str(i) for i in range(100)]
    new = ["x" if i % 2 == 0 and 2 <= i <= 96 else str(i) for i in range(100)]
    work = Work()

    ops = opcodes(old, new, max_edits=10, work=work)

    assert work.gave_up
    assert _replayed(old, new, ops) == new
    assert ops == [("equal", 0, 2, 0, 2), ("replace", 2, 97, 2, 97), ("equal", 97, 100, 97, 100)]
