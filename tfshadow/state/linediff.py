"""The lines two texts keep, remove and add, in a time that grows with the change, not the text.

:class:`difflib.SequenceMatcher` (without its autojunk heuristic, which drops frequent lines and
then misreports them) looks at every earlier occurrence of a line to match it, so a document
whose lines repeat (a 5 MB IAM policy laid out line by line, ``"s3:GetObject",`` thousands of
times) takes hours. Here the lines both sides begin and end with are taken off first, and the
rest is compared with Myers' algorithm, whose work is about (lines × changed lines): a few
changes in a long text cost a few passes over it. Past :data:`MAX_EDITS` changed lines the
stretch between the first change and the last is reported as removed and added whole, which
is still a true account of the change, in bounded time.
"""

from __future__ import annotations

from collections.abc import Hashable, Sequence
from dataclasses import dataclass

# Myers' work grows with the square of the changed lines too: 2,000 stays within a second or so.
MAX_EDITS = 2000

Opcode = tuple[str, int, int, int, int]


@dataclass
class Work:
    """How much comparing was done: ``steps`` is the diagonals Myers' search went through."""

    steps: int = 0
    gave_up: bool = False


def opcodes(
    a: Sequence[Hashable],
    b: Sequence[Hashable],
    *,
    max_edits: int = MAX_EDITS,
    work: Work | None = None,
) -> list[Opcode]:
    """``a`` to ``b`` as :meth:`difflib.SequenceMatcher.get_opcodes` reads it: ``equal``,
    ``delete``, ``insert`` and ``replace`` runs covering both sequences in order."""
    n, m = len(a), len(b)
    head = 0
    while head < n and head < m and a[head] == b[head]:
        head += 1
    tail = 0
    while tail < n - head and tail < m - head and a[n - 1 - tail] == b[m - 1 - tail]:
        tail += 1
    ops: list[Opcode] = []
    if head:
        ops.append(("equal", 0, head, 0, head))
    # Lines as small integers: comparing them is then as cheap as the lines are long.
    ids: dict[Hashable, int] = {}
    x = [ids.setdefault(item, len(ids)) for item in a[head : n - tail]]
    y = [ids.setdefault(item, len(ids)) for item in b[head : m - tail]]
    middle = _myers(x, y, max_edits, work if work is not None else Work())
    if middle is None:
        if x or y:
            tag = "replace" if x and y else "delete" if x else "insert"
            ops.append((tag, head, n - tail, head, m - tail))
    else:
        ops.extend(
            (tag, i1 + head, i2 + head, j1 + head, j2 + head) for tag, i1, i2, j1, j2 in middle
        )
    if tail:
        ops.append(("equal", n - tail, n, m - tail, m))
    return ops


def _myers(x: list[int], y: list[int], max_edits: int, work: Work) -> list[Opcode] | None:
    """The shortest edit script from ``x`` to ``y`` as opcodes; None past ``max_edits``."""
    n, m = len(x), len(y)
    if not n or not m:
        if n or m:
            return [("delete", 0, n, 0, 0)] if n else [("insert", 0, 0, 0, m)]
        return []
    limit = min(max_edits, n + m)
    offset = limit + 1
    v = [0] * (2 * limit + 3)
    # The furthest point reached on each diagonal after each number of edits, for the way back.
    trace: list[list[int]] = []
    for d in range(limit + 1):
        for k in range(-d, d + 1, 2):
            work.steps += 1
            if k == -d or (k != d and v[offset + k - 1] < v[offset + k + 1]):
                i = v[offset + k + 1]
            else:
                i = v[offset + k - 1] + 1
            j = i - k
            while i < n and j < m and x[i] == y[j]:
                i += 1
                j += 1
            v[offset + k] = i
            if i >= n and j >= m:
                trace.append(v[offset - d : offset + d + 1])
                return _opcodes_from(trace, n, m)
        trace.append(v[offset - d : offset + d + 1])
    work.gave_up = True
    return None


def _opcodes_from(trace: list[list[int]], n: int, m: int) -> list[Opcode]:
    """Walk back from (n, m) through ``trace``, then group the steps into runs."""
    steps: list[str] = []  # newest first: "=", "-" or "+"
    i, j = n, m
    for d in range(len(trace) - 1, 0, -1):
        previous = trace[d - 1]

        def reached(k: int, previous: list[int] = previous, d: int = d) -> int:
            return previous[k + d - 1]

        k = i - j
        down = k == -d or (k != d and reached(k - 1) < reached(k + 1))
        prev_k = k + 1 if down else k - 1
        prev_i = reached(prev_k)
        prev_j = prev_i - prev_k
        while i > prev_i + (0 if down else 1) and j > prev_j + (1 if down else 0):
            steps.append("=")
            i -= 1
            j -= 1
        steps.append("+" if down else "-")
        i, j = prev_i, prev_j
    steps.extend("=" * i)
    steps.reverse()
    ops: list[Opcode] = []
    a = b = 0
    index = 0
    while index < len(steps):
        if steps[index] == "=":
            start = index
            while index < len(steps) and steps[index] == "=":
                index += 1
            run = index - start
            ops.append(("equal", a, a + run, b, b + run))
            a += run
            b += run
            continue
        removed = added = 0
        while index < len(steps) and steps[index] != "=":
            if steps[index] == "-":
                removed += 1
            else:
                added += 1
            index += 1
        tag = "replace" if removed and added else "delete" if removed else "insert"
        ops.append((tag, a, a + removed, b, b + added))
        a += removed
        b += added
    return ops
