"""Sticky pull/merge request comments: one per configuration, edited in place on every run.

A comment is tfshadow's when its first line is the hidden marker ``<!-- tfshadow:plan -->``
(``<!-- tfshadow:plan:KEY -->`` when several configurations of one repository comment on the
same pull request). Requiring the marker on the first line leaves alone a comment that merely
quotes one. Every page of comments is read before anything is written, so a listing that fails
half-way never ends in a duplicate. Two pipelines of one pull request running at once can each
find none and create one: the next run edits the newest and deletes the older copies.

Bodies are trimmed to the forge's limit (GitHub 65,536 characters, GitLab 1,000,000): the
longest ``<details>`` sections are cut first, each with a line saying how much was left out;
only when that is not enough is the end of the document cut.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from dataclasses import dataclass
from typing import TYPE_CHECKING

from tfshadow.ci.forge import Comment, Forge
from tfshadow.errors import CiError

if TYPE_CHECKING:
    import requests

__all__ = ["PLATFORMS", "CommentResult", "compose", "marker", "post_sticky", "trim_markdown"]

PLATFORMS = ("github", "gitlab")
MARKER_PREFIX = "tfshadow:plan"

_KEY_UNSAFE = re.compile(r"[^A-Za-z0-9_.@+/-]+")
_DASHES = re.compile(r"-{2,}")
_FENCE = re.compile(r"^ {0,3}(`{3,}|~{3,})")
_TAG = re.compile(r"<(/?)details\b[^>]*>", re.IGNORECASE)


@dataclass(frozen=True)
class CommentResult:
    """What :func:`post_sticky` did: ``created`` or ``updated``, the comment's web link, and
    how many older copies of it were deleted."""

    action: str
    url: str
    removed: int = 0


def marker(key: str | None = None) -> str:
    """The hidden first line that finds the comment again. Characters that could end an HTML
    comment (``--``, ``>``) or confuse the match are replaced in ``key``."""
    safe = _DASHES.sub("-", _KEY_UNSAFE.sub("-", key or "")).strip("-")
    return f"<!-- {MARKER_PREFIX}:{safe} -->" if safe else f"<!-- {MARKER_PREFIX} -->"


def compose(tag: str, markdown: str, limit: int) -> str:
    """The comment body: the marker line, then ``markdown`` trimmed so the whole fits ``limit``
    (a marker line the report already starts with is replaced, not repeated)."""
    first, _, rest = markdown.partition("\n")
    if first.startswith("<!-- tfshadow:plan") and first.endswith("-->"):
        markdown = rest
    return f"{tag}\n{trim_markdown(markdown, limit - len(tag) - 1)}"


def post_sticky(
    platform: str,
    markdown: str,
    *,
    env: Mapping[str, str],
    pr: int | None,
    session: requests.Session | None = None,
    key: str | None = None,
) -> CommentResult:
    """Create the comment, or edit the one carrying the same marker, on pull request ``pr``
    (default: the one the pipeline runs for, from ``env``).

    ``platform`` is ``github`` or ``gitlab``; see :mod:`tfshadow.ci.github` and
    :mod:`tfshadow.ci.gitlab` for the environment each reads. Raises CiError (never naming
    the token) on missing settings, an unreachable API or an error answer.
    """
    forge = _forge(platform, env, pr, session)
    tag = marker(key)
    body = compose(tag, markdown, forge.limit)
    found = _find(forge, tag)
    for index, existing in enumerate(found):
        try:
            updated = forge.update(existing, body)
        except CiError as exc:
            # Anyone on the pull request can post a comment that starts with the marker; the
            # token may not edit it. Then the newest one it may edit, or a new one.
            if exc.status in (403, 404):
                continue
            raise
        author = updated.author or existing.author
        removed = _remove(forge, [c for c in found[index + 1 :] if author and c.author == author])
        return CommentResult("updated", updated.url or existing.url, removed)
    return CommentResult("created", forge.create(body).url)


def _forge(
    platform: str, env: Mapping[str, str], pr: int | None, session: requests.Session | None
) -> Forge:
    if pr is not None and pr <= 0:
        raise CiError(f"--pr {pr} is not a pull request number", "pass a positive number")
    if platform == "github":
        from tfshadow.ci.github import GitHubForge

        return GitHubForge(env, pr, session=session)
    if platform == "gitlab":
        from tfshadow.ci.gitlab import GitLabForge

        return GitLabForge(env, pr, session=session)
    raise CiError(f"unknown platform {platform!r}", f"use one of {', '.join(PLATFORMS)}")


def _find(forge: Forge, tag: str) -> list[Comment]:
    """The comments carrying ``tag``, newest first."""
    # The whole listing is read first: a page that fails must fail before any write.
    return [c for c in forge.comments() if _first_line(c.body) == tag][::-1]


def _remove(forge: Forge, older: list[Comment]) -> int:
    """Delete ``older`` copies of the comment (two pipelines of one pull request that both
    found none each created one; only those by the same author: a person's comment that
    starts with the marker is theirs to delete): how many went. The report is posted
    already, so a copy that cannot be deleted (an API error) is left for the next run."""
    removed = 0
    for comment in older:
        try:
            forge.delete(comment)
        except CiError:
            continue
        removed += 1
    return removed


def _first_line(body: str) -> str:
    stripped = body.lstrip()
    return stripped.split("\n", 1)[0].strip()


# --- trimming ----------------------------------------------------------------------------------


@dataclass(frozen=True)
class _Block:
    """The content lines ``start:end`` of an innermost ``<details>`` section."""

    start: int
    end: int


def trim_markdown(markdown: str, limit: int) -> str:
    """``markdown`` cut to at most ``limit`` characters, saying what was left out.

    The longest innermost ``<details>`` sections are cut first (keeping their first lines,
    closing a code fence left open); then, if needed, the end of the document.
    """
    if len(markdown) <= limit:
        return markdown
    lines = markdown.splitlines(keepends=True)
    excess = len(markdown) - limit
    replaced: dict[int, list[str]] = {}  # block start -> its new content lines
    ends: dict[int, int] = {}
    for block in sorted(_innermost_blocks(lines), key=lambda b: -_size(lines[b.start : b.end])):
        if excess <= 0:
            break
        content = lines[block.start : block.end]
        size = _size(content)
        cut = _cut(content, size - excess)
        saved = size - _size(cut)
        if saved > 0:
            replaced[block.start] = cut
            ends[block.start] = block.end
            excess -= saved
    out: list[str] = []
    i = 0
    while i < len(lines):
        if i in replaced:
            out += replaced[i]
            i = ends[i]
        else:
            out.append(lines[i])
            i += 1
    text = "".join(out)
    if len(text) <= limit:
        return text
    return _cut_document(text, limit)


def _innermost_blocks(lines: list[str]) -> list[_Block]:
    blocks: list[_Block] = []
    stack: list[list[int]] = []  # [opening line, has a nested section]
    fence: str | None = None
    for i, line in enumerate(lines):
        fence, is_code = _fence_step(fence, line)
        if is_code:
            continue
        for match in _TAG.finditer(line):
            if not match.group(1):
                if stack:
                    stack[-1][1] = 1
                stack.append([i, 0])
            elif stack:
                opened, nested = stack.pop()
                if not nested and i > opened:
                    start = _content_start(lines, opened, i)
                    if start < i:
                        blocks.append(_Block(start, i))
    return blocks


def _content_start(lines: list[str], opened: int, closed: int) -> int:
    """The first line after the section's ``<summary>``, if it has one."""
    j = opened
    if "<summary" not in lines[opened].lower():
        j = opened + 1
        while j < closed and not lines[j].strip():
            j += 1
        if j >= closed or "<summary" not in lines[j].lower():
            return opened + 1
    while j < closed and "</summary>" not in lines[j].lower():
        j += 1
    return min(j + 1, closed)


def _fence_step(fence: str | None, line: str) -> tuple[str | None, bool]:
    """The code fence open after ``line`` and whether ``line`` is code (or a fence)."""
    match = _FENCE.match(line)
    if fence is not None:
        closes = (
            match is not None
            and match.group(1)[0] == fence[0]
            and len(match.group(1)) >= len(fence)
            and not line.strip().strip(fence[0])
        )
        if closes:
            return None, True
        return fence, True
    if match:
        return match.group(1), True
    return None, False


def _cut(content: list[str], budget: int) -> list[str]:
    """The first lines of ``content`` that fit ``budget`` with the fence closed and the note."""
    longest_fence = max((len(m.group(1)) for m in map(_FENCE.match, content) if m), default=0)
    reserve = len(_note(len(content), _size(content))) + longest_fence + 3
    kept: list[str] = []
    used = 0
    fence: str | None = None
    for line in content:
        if used + len(line) > budget - reserve:
            break
        kept.append(line)
        used += len(line)
        fence, _ = _fence_step(fence, line)
    left = content[len(kept) :]
    if not left:
        return content
    tail = [f"{fence}\n"] if fence else []
    return [*kept, *tail, "\n", _note(len(left), _size(left)) + "\n", "\n"]


def _cut_document(text: str, limit: int) -> str:
    lines = text.splitlines(keepends=True)
    depth_max = 0
    depth = 0
    fence: str | None = None
    for line in lines:
        fence, is_code = _fence_step(fence, line)
        if not is_code:
            depth = max(0, depth + _depth_change(line))
            depth_max = max(depth_max, depth)
    longest_fence = max((len(m.group(1)) for m in map(_FENCE.match, lines) if m), default=0)
    reserve = (
        len(_note(len(lines), len(text))) + longest_fence + 4 + depth_max * len("</details>\n")
    )
    kept: list[str] = []
    used = 0
    depth = 0
    fence = None
    for line in lines:
        if used + len(line) > limit - reserve:
            break
        kept.append(line)
        used += len(line)
        fence, is_code = _fence_step(fence, line)
        if not is_code:
            depth = max(0, depth + _depth_change(line))
    left = lines[len(kept) :]
    tail = [f"{fence}\n"] if fence else []
    tail += ["\n", _note(len(left), _size(left)) + "\n"]
    tail += ["</details>\n"] * depth
    if kept and not kept[-1].endswith("\n"):
        kept[-1] += "\n"
    result = "".join(kept + tail)
    # Only a limit too small for the note itself gets here.
    return result if len(result) <= limit else result[: max(0, limit)]


def _depth_change(line: str) -> int:
    return sum(-1 if m.group(1) else 1 for m in _TAG.finditer(line))


def _note(lines: int, characters: int) -> str:
    noun = "line" if lines == 1 else "lines"
    return (
        f"_… {lines:,} more {noun} ({characters:,} characters) left out to fit the comment "
        "size limit._"
    )


def _size(lines: list[str]) -> int:
    return sum(len(line) for line in lines)
