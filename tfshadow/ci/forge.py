"""What a forge (GitHub, GitLab) offers for sticky comments: list, update, create, delete."""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass
from typing import Protocol


@dataclass(frozen=True)
class Comment:
    """A comment (GitHub) or note (GitLab) as the forge returned it."""

    id: int
    body: str
    url: str
    author: str = ""  # the login (GitHub) or username (GitLab) that wrote it, if the API said


class Forge(Protocol):
    """The comments of one pull or merge request."""

    name: str
    limit: int  # the most characters a comment body may have

    def comments(self) -> Iterator[Comment]:
        """Every comment written by people or bots (not system notes), oldest first.

        Raises CiError when any page cannot be read.
        """
        ...

    def update(self, comment: Comment, body: str) -> Comment: ...

    def create(self, body: str) -> Comment: ...

    def delete(self, comment: Comment) -> None: ...
