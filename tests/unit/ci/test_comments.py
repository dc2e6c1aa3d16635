"""Sticky comments against local servers standing in for GitHub's and GitLab's REST APIs
(tests/unit/ci/fake_forges.py; the real ones cannot be reached from here). The servers check
methods, paths, auth and API headers and JSON bodies as the real APIs do."""

from __future__ import annotations

import json
import socket
import sys
from collections.abc import Iterator
from pathlib import Path

import pytest
from hypothesis import given
from hypothesis import strategies as st

from tests.unit.ci.fake_forges import (
    GITHUB_TOKEN,
    GITLAB_TOKEN,
    FakeForge,
    github_env,
    gitlab_env,
    serve,
)
from tfshadow.ci.comments import marker, post_sticky, trim_markdown
from tfshadow.errors import CiError

REPORT = "### tfshadow plan\n\n+1 ~0 -0\n"


@pytest.fixture
def github() -> Iterator[FakeForge]:
    with serve("github") as forge:
        yield forge


@pytest.fixture
def gitlab() -> Iterator[FakeForge]:
    with serve("gitlab") as forge:
        yield forge


# --- GitHub ------------------------------------------------------------------------------------


def test_post_sticky_github_creates_when_no_comment_has_the_marker(github: FakeForge) -> None:
    other = github.state.add("LGTM <!-- another-bot:plan -->", user="other-bot[bot]")
    quoted = github.state.add("> <!-- tfshadow:plan:infra -->\n> old plan\n\nwhy?")

    result = post_sticky("github", REPORT, env=github_env(github), pr=7, key="infra")

    assert result.action == "created"
    posts = [r for r in github.state.requests if r.method == "POST"]
    assert [p.path for p in posts] == ["/repos/octo/infra/issues/7/comments"]
    assert posts[0].body == {"body": "<!-- tfshadow:plan:infra -->\n" + REPORT}
    created = github.state.comments[-1]
    assert result.url == f"https://github.example/octo/infra/pull/7#issuecomment-{created['id']}"
    # Neither the other bot's comment nor a reply quoting ours is touched.
    assert github.state.by_id(other["id"])["body"] == "LGTM <!-- another-bot:plan -->"
    assert github.state.by_id(quoted["id"])["body"].startswith("> <!-- tfshadow")
    assert [r.method for r in github.state.writes()] == ["POST"]


def test_post_sticky_github_updates_in_place_when_the_marker_is_on_page_two(
    github: FakeForge,
) -> None:
    for n in range(3):
        github.state.add(f"comment {n}")
    ours = github.state.add("<!-- tfshadow:plan:infra -->\nold plan", user="github-actions[bot]")
    github.state.add("comment after")

    result = post_sticky("github", REPORT, env=github_env(github), pr=7, key="infra")

    assert result.action == "updated"
    assert result.url.endswith(f"#issuecomment-{ours['id']}")
    listing = [r for r in github.state.requests if r.method == "GET"]
    assert [r.query.get("page", "1") for r in listing] == ["1", "2", "3"]
    writes = github.state.writes()
    assert [(w.method, w.path) for w in writes] == [
        ("PATCH", f"/repos/octo/infra/issues/comments/{ours['id']}")
    ]
    assert github.state.by_id(ours["id"])["body"] == "<!-- tfshadow:plan:infra -->\n" + REPORT
    assert len(github.state.comments) == 5


def test_post_sticky_github_passes_over_a_marker_comment_it_may_not_edit(
    github: FakeForge,
) -> None:
    # Anyone on the pull request can post a comment that starts with the marker.
    ours = github.state.add("<!-- tfshadow:plan:infra -->\nold plan", user="github-actions[bot]")
    theirs = github.state.add("<!-- tfshadow:plan:infra -->\nnot a plan", user="mallory")
    github.state.uneditable.add(theirs["id"])

    result = post_sticky("github", REPORT, env=github_env(github), pr=7, key="infra")

    assert result.action == "updated" and result.url.endswith(f"#issuecomment-{ours['id']}")
    assert github.state.by_id(ours["id"])["body"].endswith(REPORT)
    assert github.state.by_id(theirs["id"])["body"].endswith("not a plan")

    # With only comments it may not edit, it posts its own rather than failing every run.
    github.state.comments.remove(ours)
    again = post_sticky("github", REPORT, env=github_env(github), pr=7, key="infra")
    assert again.action == "created" and len(github.state.comments) == 2


def test_post_sticky_github_edits_the_newest_copy_and_deletes_older_ones(
    github: FakeForge,
) -> None:
    # Two pipelines of one pull request ran at once: each found no comment and created one.
    first = github.state.add("<!-- tfshadow:plan:infra -->\nplan A", user="github-actions[bot]")
    review = github.state.add("a review comment")
    second = github.state.add("<!-- tfshadow:plan:infra -->\nplan B", user="github-actions[bot]")
    theirs = github.state.add("<!-- tfshadow:plan:infra -->\nquoted", user="mallory")
    github.state.comments.insert(0, github.state.comments.pop())  # mallory's is the oldest

    result = post_sticky("github", REPORT, env=github_env(github), pr=7, key="infra")

    assert result.action == "updated" and result.removed == 1
    assert result.url.endswith(f"#issuecomment-{second['id']}")
    assert [c["id"] for c in github.state.comments] == [theirs["id"], review["id"], second["id"]]
    assert github.state.by_id(second["id"])["body"] == "<!-- tfshadow:plan:infra -->\n" + REPORT
    # Mallory's comment is left alone: only copies by the same author are deleted.
    assert [(w.method, w.path) for w in github.state.writes()] == [
        ("PATCH", f"/repos/octo/infra/issues/comments/{second['id']}"),
        ("DELETE", f"/repos/octo/infra/issues/comments/{first['id']}"),
    ]

    again = post_sticky("github", REPORT, env=github_env(github), pr=7, key="infra")
    assert again.action == "updated" and again.removed == 0


def test_post_sticky_github_sends_the_api_headers(github: FakeForge) -> None:
    post_sticky("github", REPORT, env=github_env(github), pr=7)
    for seen in github.state.requests:
        assert seen.headers["authorization"] == f"Bearer {GITHUB_TOKEN}"
        assert seen.headers["accept"] == "application/vnd.github+json"
        assert seen.headers["x-github-api-version"] == "2022-11-28"
        assert seen.headers["user-agent"].startswith("tfshadow/")


def test_post_sticky_github_keys_keep_separate_comments(github: FakeForge) -> None:
    env = github_env(github)
    first = post_sticky("github", "network plan\n", env=env, pr=7, key="network")
    second = post_sticky("github", "app plan\n", env=env, pr=7, key="app")
    again = post_sticky("github", "network plan 2\n", env=env, pr=7, key="network")
    unkeyed = post_sticky("github", "plain\n", env=env, pr=7)

    assert [first.action, second.action, again.action, unkeyed.action] == [
        "created",
        "created",
        "updated",
        "created",
    ]
    assert again.url == first.url
    bodies = [c["body"] for c in github.state.comments]
    assert bodies == [
        "<!-- tfshadow:plan:network -->\nnetwork plan 2\n",
        "<!-- tfshadow:plan:app -->\napp plan\n",
        "<!-- tfshadow:plan -->\nplain\n",
    ]


def test_post_sticky_github_reads_the_pr_from_the_event_file(
    github: FakeForge, tmp_path: Path
) -> None:
    event = tmp_path / "event.json"
    event.write_text(json.dumps({"action": "synchronize", "pull_request": {"number": 12}}))

    post_sticky("github", REPORT, env=github_env(github, GITHUB_EVENT_PATH=str(event)), pr=None)

    assert github.state.writes()[0].path == "/repos/octo/infra/issues/12/comments"


_OPENED: list[str] = []


def _note_opens(event: str, args: tuple[object, ...]) -> None:
    if event == "open" and args and isinstance(args[0], str):
        _OPENED.append(args[0])


sys.addaudithook(_note_opens)  # audit hooks stay for the process: it only notes paths


def test_post_sticky_github_reads_the_event_file_once(github: FakeForge, tmp_path: Path) -> None:
    # The number and the fork check both come from the event file: read once, not once each.
    event = tmp_path / "event.json"
    head = {"ref": "patch-1", "repo": {"full_name": "octo/infra"}}
    event.write_text(json.dumps({"pull_request": {"number": 12, "head": head}}))
    _OPENED.clear()

    post_sticky("github", REPORT, env=github_env(github, GITHUB_EVENT_PATH=str(event)), pr=None)

    assert github.state.writes()[0].path == "/repos/octo/infra/issues/12/comments"
    assert _OPENED.count(str(event)) == 1


def test_post_sticky_github_without_a_pr_number_fails_before_any_request(
    github: FakeForge, tmp_path: Path
) -> None:
    event = tmp_path / "event.json"
    event.write_text(json.dumps({"ref": "refs/heads/main", "commits": []}))

    with pytest.raises(CiError, match="not about a pull request") as caught:
        post_sticky("github", REPORT, env=github_env(github, GITHUB_EVENT_PATH=str(event)), pr=None)

    assert "--pr" in caught.value.one_line()
    assert github.state.requests == []


def test_post_sticky_github_on_a_pull_request_from_a_fork_says_why_it_is_refused(
    github: FakeForge, tmp_path: Path
) -> None:
    # A fork's pull request gets a read-only token, whatever the workflow's `permissions`.
    event = tmp_path / "event.json"
    head = {"ref": "patch-1", "repo": {"full_name": "contributor/infra", "fork": True}}
    base = {"ref": "main", "repo": {"full_name": "octo/infra"}}
    event.write_text(json.dumps({"pull_request": {"number": 7, "head": head, "base": base}}))
    github.state.failures["POST"] = [(403, {"message": "Resource not accessible by integration"})]
    env = github_env(github, GITHUB_EVENT_PATH=str(event))

    with pytest.raises(CiError, match="403") as caught:
        post_sticky("github", REPORT, env=env, pr=None)

    line = caught.value.one_line()
    assert "from a fork" in line and "read-only GITHUB_TOKEN" in line and "workflow_run" in line
    assert "pull-requests: write" not in line

    # The same pull request from a branch of the repository itself: permissions are the fix.
    head["repo"]["full_name"] = "octo/infra"
    event.write_text(json.dumps({"pull_request": {"number": 7, "head": head, "base": base}}))
    github.state.failures["POST"] = [(403, {"message": "Resource not accessible by integration"})]
    with pytest.raises(CiError) as caught:
        post_sticky("github", REPORT, env=env, pr=None)
    assert "pull-requests: write" in caught.value.one_line()


def test_post_sticky_github_without_token_names_the_variable(github: FakeForge) -> None:
    env = github_env(github)
    del env["GITHUB_TOKEN"]

    with pytest.raises(CiError, match="GITHUB_TOKEN is not set"):
        post_sticky("github", REPORT, env=env, pr=7)
    assert github.state.requests == []


def test_post_sticky_github_403_on_listing_never_posts_nor_shows_the_token(
    github: FakeForge,
) -> None:
    # The API echoing the token back must not get it into the message either.
    github.state.failures["GET"] = [
        (403, {"message": f"Resource not accessible by integration ({GITHUB_TOKEN})"})
    ]

    with pytest.raises(CiError) as caught:
        post_sticky("github", REPORT, env=github_env(github), pr=7)

    line = caught.value.one_line()
    assert "403" in line
    assert "GET /repos/octo/infra/issues/7/comments" in line
    assert "pull-requests: write" in line
    assert GITHUB_TOKEN not in line and "\n" not in line
    assert github.state.writes() == []


def test_post_sticky_github_rate_limit_says_when_to_retry_not_to_add_permissions(
    github: FakeForge,
) -> None:
    # GitHub answers a spent rate limit with 403, like a missing permission.
    github.state.failures["GET"] = [
        (
            403,
            {"message": "API rate limit exceeded for installation ID 1."},
            {"X-RateLimit-Remaining": "0", "X-RateLimit-Reset": "1893456000"},
        )
    ]

    with pytest.raises(CiError) as caught:
        post_sticky("github", REPORT, env=github_env(github), pr=7)

    line = caught.value.one_line()
    assert "rate limited: wait until 00:00:00 UTC" in line
    assert "pull-requests: write" not in line
    assert github.state.writes() == []


def test_post_sticky_rate_limit_retry_after_is_said_not_slept_on(gitlab: FakeForge) -> None:
    gitlab.state.failures["GET"] = [(429, {"message": "Retry later"}, {"Retry-After": "3600"})]

    with pytest.raises(CiError) as caught:
        post_sticky("gitlab", REPORT, env=gitlab_env(gitlab), pr=None)

    assert "rate limited: wait 3600 s and re-run the job" in caught.value.one_line()
    assert len(gitlab.state.requests) == 1  # not retried an hour later


def test_post_sticky_github_server_error_says_to_re_run_later(github: FakeForge) -> None:
    github.state.failures["GET"] = [(500, {"message": "Server Error"})] * 3

    with pytest.raises(CiError) as caught:
        post_sticky("github", REPORT, env=github_env(github), pr=7)

    line = caught.value.one_line()
    assert line.endswith("GitHub failed on its side: re-run the job in a few minutes")
    assert "above" not in line


def test_post_sticky_github_validation_failure_names_what_failed(github: FakeForge) -> None:
    # GitHub's 422 says only "Validation Failed" in its message; the reason is in `errors`.
    invalid = {
        "message": "Validation Failed",
        "errors": [
            {
                "resource": "IssueComment",
                "code": "custom",
                "field": "body",
                "message": "Body is too long (maximum is 65536 characters)",
            },
            {"resource": "IssueComment", "code": "missing_field", "field": "body"},
        ],
        "documentation_url": "https://docs.github.com/rest",
    }
    github.state.failures["POST"] = [(422, invalid)]

    with pytest.raises(CiError, match="422") as caught:
        post_sticky("github", REPORT, env=github_env(github), pr=7)

    line = caught.value.one_line()
    assert (
        "Validation Failed (Body is too long (maximum is 65536 characters); body: missing_field)"
        in line
    )
    assert "\n" not in line


def test_post_sticky_github_failing_second_page_never_posts(github: FakeForge) -> None:
    for n in range(3):
        github.state.add(f"comment {n}")
    github.state.failing_pages[2] = (404, {"message": "Not Found"})

    with pytest.raises(CiError, match="404"):
        post_sticky("github", REPORT, env=github_env(github), pr=7)

    assert [r.query.get("page", "1") for r in github.state.requests] == ["1", "2"]
    assert github.state.writes() == []


def test_post_sticky_github_retries_a_listing_answered_502(github: FakeForge) -> None:
    github.state.failures["GET"] = [(502, {"message": "Bad Gateway"})]

    result = post_sticky("github", REPORT, env=github_env(github), pr=7)

    assert result.action == "created"
    assert [r.method for r in github.state.requests] == ["GET", "GET", "POST"]


def test_post_sticky_github_never_retries_a_create(github: FakeForge) -> None:
    github.state.failures["POST"] = [(502, {"message": "Bad Gateway"})] * 3

    with pytest.raises(CiError, match="502"):
        post_sticky("github", REPORT, env=github_env(github), pr=7)

    assert [r.method for r in github.state.requests] == ["GET", "POST"]


def test_post_sticky_github_unreachable_says_so(tmp_path: Path) -> None:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port = sock.getsockname()[1]
    env = {
        "GITHUB_TOKEN": GITHUB_TOKEN,
        "GITHUB_REPOSITORY": "octo/infra",
        "GITHUB_API_URL": f"http://127.0.0.1:{port}",
    }

    with pytest.raises(CiError, match="could not be reached") as caught:
        post_sticky("github", REPORT, env=env, pr=7)
    assert GITHUB_TOKEN not in caught.value.one_line()


@pytest.mark.parametrize(
    "url", ["http://[::1", "api.github.com", "ftp://example.com", f"https://x:{GITHUB_TOKEN}@[::1"]
)
def test_post_sticky_github_bad_api_url_fails_clearly(url: str) -> None:
    env = {"GITHUB_TOKEN": GITHUB_TOKEN, "GITHUB_REPOSITORY": "octo/infra", "GITHUB_API_URL": url}

    with pytest.raises(CiError, match="is not an http") as caught:
        post_sticky("github", REPORT, env=env, pr=7)
    assert GITHUB_TOKEN not in caught.value.one_line()


def test_post_sticky_github_trims_a_huge_report_to_fit(github: FakeForge) -> None:
    plan = "".join(f"  + resource line {n}\n" for n in range(20_000))
    report = (
        "### tfshadow plan\n\nPlan: 20000 to add.\n\n"
        "<details><summary>Terraform plan</summary>\n\n```diff\n"
        f"{plan}```\n\n</details>\n\nRecommendations: none.\n"
    )
    assert len(report) > 65_536

    result = post_sticky("github", report, env=github_env(github), pr=7)

    assert result.action == "created"
    body = github.state.comments[-1]["body"]
    assert len(body) <= 65_536
    assert body.startswith("<!-- tfshadow:plan -->\n### tfshadow plan\n")
    assert body.endswith("</details>\n\nRecommendations: none.\n")
    assert "more lines" in body and "left out to fit the comment size limit" in body
    assert body.count("```") % 2 == 0


# --- GitLab ------------------------------------------------------------------------------------


def test_post_sticky_gitlab_creates_a_note_when_none_has_the_marker(gitlab: FakeForge) -> None:
    gitlab.state.add("<!-- tfshadow:plan:infra -->\nadded 1 commit", system=True)
    gitlab.state.add("please look at this")

    result = post_sticky("gitlab", REPORT, env=gitlab_env(gitlab), pr=None, key="infra")

    assert result.action == "created"
    note = gitlab.state.comments[-1]
    assert result.url == f"https://gitlab.example/group/infra/-/merge_requests/7#note_{note['id']}"
    writes = gitlab.state.writes()
    assert [(w.method, w.path, w.body) for w in writes] == [
        (
            "POST",
            "/api/v4/projects/42/merge_requests/7/notes",
            {"body": "<!-- tfshadow:plan:infra -->\n" + REPORT},
        )
    ]
    for seen in gitlab.state.requests:
        assert seen.headers["private-token"] == GITLAB_TOKEN
        assert "authorization" not in seen.headers


def test_post_sticky_gitlab_updates_in_place_when_the_marker_is_on_page_two(
    gitlab: FakeForge,
) -> None:
    gitlab.state.add("first")
    gitlab.state.add("second")
    gitlab.state.add("third")
    ours = gitlab.state.add("<!-- tfshadow:plan -->\nold")

    result = post_sticky("gitlab", REPORT, env=gitlab_env(gitlab), pr=7)

    assert result.action == "updated"
    assert [r.query.get("page", "1") for r in gitlab.state.requests if r.method == "GET"] == [
        "1",
        "2",
    ]
    writes = gitlab.state.writes()
    assert [(w.method, w.path) for w in writes] == [
        ("PUT", f"/api/v4/projects/42/merge_requests/7/notes/{ours['id']}")
    ]
    assert gitlab.state.by_id(ours["id"])["body"] == "<!-- tfshadow:plan -->\n" + REPORT


def test_post_sticky_gitlab_from_a_fork_notes_the_merge_request_in_its_own_project(
    gitlab: FakeForge,
) -> None:
    # A merge request from a fork runs its pipeline in the fork: CI_PROJECT_ID is the fork's,
    # while the merge request (and its IID) belongs to the target project.
    env = gitlab_env(
        gitlab,
        CI_PROJECT_ID="977",
        CI_MERGE_REQUEST_PROJECT_ID="42",
        CI_MERGE_REQUEST_PROJECT_URL="https://gitlab.example/group/infra",
        CI_PROJECT_URL="https://gitlab.example/contributor/infra",
    )

    result = post_sticky("gitlab", REPORT, env=env, pr=None, key="infra")

    assert result.action == "created"
    assert [(r.method, r.path) for r in gitlab.state.requests] == [
        ("GET", "/api/v4/projects/42/merge_requests/7/notes"),
        ("POST", "/api/v4/projects/42/merge_requests/7/notes"),
    ]
    assert result.url.startswith("https://gitlab.example/group/infra/-/merge_requests/7#note_")


def test_post_sticky_gitlab_deletes_older_copies_of_its_note(gitlab: FakeForge) -> None:
    older = gitlab.state.add("<!-- tfshadow:plan -->\nplan A")
    newer = gitlab.state.add("<!-- tfshadow:plan -->\nplan B")

    result = post_sticky("gitlab", REPORT, env=gitlab_env(gitlab), pr=7)

    assert result.action == "updated" and result.removed == 1
    assert [c["id"] for c in gitlab.state.comments] == [newer["id"]]
    assert [(w.method, w.path) for w in gitlab.state.writes()] == [
        ("PUT", f"/api/v4/projects/42/merge_requests/7/notes/{newer['id']}"),
        ("DELETE", f"/api/v4/projects/42/merge_requests/7/notes/{older['id']}"),
    ]


def test_post_sticky_gitlab_403_never_posts_nor_shows_the_token(gitlab: FakeForge) -> None:
    gitlab.state.failures["GET"] = [(403, {"message": "403 Forbidden"})]

    with pytest.raises(CiError, match="403") as caught:
        post_sticky("gitlab", REPORT, env=gitlab_env(gitlab), pr=7)

    assert GITLAB_TOKEN not in caught.value.one_line()
    assert "api" in caught.value.one_line()
    assert gitlab.state.writes() == []


def test_post_sticky_gitlab_wants_an_access_token_not_the_job_token(gitlab: FakeForge) -> None:
    env = gitlab_env(gitlab, CI_JOB_TOKEN="job-token-value")
    del env["GITLAB_TOKEN"]

    with pytest.raises(CiError, match="GITLAB_TOKEN is not set") as caught:
        post_sticky("gitlab", REPORT, env=env, pr=7)

    assert "CI_JOB_TOKEN cannot write notes" in caught.value.one_line()
    assert "job-token-value" not in caught.value.one_line()
    assert gitlab.state.requests == []


def test_post_sticky_gitlab_without_merge_request_fails_clearly(gitlab: FakeForge) -> None:
    env = gitlab_env(gitlab)
    del env["CI_MERGE_REQUEST_IID"]

    with pytest.raises(CiError, match="no merge request"):
        post_sticky("gitlab", REPORT, env=env, pr=None)


# --- marker and trimming -----------------------------------------------------------------------


def test_post_sticky_gitlab_bad_api_url_fails_clearly(gitlab: FakeForge) -> None:
    env = {**gitlab_env(gitlab), "CI_API_V4_URL": "https://gitlab.example:notaport/api/v4"}

    with pytest.raises(CiError, match="is not an http"):
        post_sticky("gitlab", REPORT, env=env, pr=None)
    assert gitlab.state.requests == []


def test_marker_key_cannot_end_the_html_comment() -> None:
    assert marker() == "<!-- tfshadow:plan -->"
    assert marker("prod/eu-west-1") == "<!-- tfshadow:plan:prod/eu-west-1 -->"
    tag = marker("a-->b <x> c")
    assert tag.count("-->") == 1 and tag.endswith(" -->")
    assert "--" not in tag[4:-3]
    assert marker("--") == "<!-- tfshadow:plan -->"


def test_trim_markdown_leaves_a_short_report_alone() -> None:
    assert trim_markdown(REPORT, 1000) == REPORT


def test_trim_markdown_cuts_the_longest_details_section_first() -> None:
    small = "<details><summary>small</summary>\n\nkeep me\n</details>\n"
    big = "<details>\n<summary>big</summary>\n\n" + "x" * 60 + "\n" * 0
    big += "".join(f"line {n}\n" for n in range(500)) + "</details>\n"
    text = "# head\n\n" + small + big + "tail\n"

    out = trim_markdown(text, 1500)

    assert len(out) <= 1500
    assert out.startswith("# head\n\n" + small)
    assert out.endswith("</details>\ntail\n")
    assert "line 0\n" in out and "line 499" not in out
    assert "more lines" in out
    assert out.count("<details") == out.count("</details>") == 2


def test_trim_markdown_without_details_cuts_the_end() -> None:
    text = "# head\n\n```\n" + "".join(f"row {n}\n" for n in range(1000)) + "```\nend\n"

    out = trim_markdown(text, 800)

    assert len(out) <= 800
    assert out.startswith("# head\n")
    assert out.count("```") % 2 == 0
    assert "left out to fit the comment size limit" in out


@given(
    sections=st.lists(st.integers(min_value=0, max_value=300), min_size=0, max_size=4),
    limit=st.integers(min_value=1, max_value=5000),
)
def test_trim_markdown_always_fits(sections: list[int], limit: int) -> None:
    parts = ["# report\n"]
    for n, rows in enumerate(sections):
        parts.append(f"<details><summary>s{n}</summary>\n\n```\n")
        parts += [f"row {i} of section {n}\n" for i in range(rows)]
        parts.append("```\n</details>\n")
    text = "".join(parts)

    assert len(trim_markdown(text, limit)) <= limit
