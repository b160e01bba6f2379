"""``tools/check_changes.py`` (run by ``make lint``): user-visible code changes come with a line
in CHANGES.md or an explicit marker, and a clean clone of ``main`` passes."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest

SCRIPT = Path(__file__).resolve().parents[1] / "tools" / "check_changes.py"
GIT_ENV = {
    **os.environ,
    "GIT_AUTHOR_NAME": "t",
    "GIT_AUTHOR_EMAIL": "t@example.org",
    "GIT_COMMITTER_NAME": "t",
    "GIT_COMMITTER_EMAIL": "t@example.org",
    "GIT_CONFIG_GLOBAL": os.devnull,
    "GIT_CONFIG_NOSYSTEM": "1",
}


def git(repo: Path, *args: str) -> str:
    done = subprocess.run(
        ["git", *args], cwd=repo, env=GIT_ENV, capture_output=True, text=True, check=True
    )
    return done.stdout


def commit(repo: Path, message: str, files: dict[str, str]) -> None:
    for name, text in files.items():
        path = repo / name
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(text)
    git(repo, "add", "-A")
    git(repo, "commit", "-q", "-m", message)


def run_check(repo: Path) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, str(SCRIPT)], cwd=repo, env=GIT_ENV, capture_output=True, text=True
    )


@pytest.fixture
def repo(tmp_path: Path) -> Path:
    git(tmp_path, "init", "-q", "-b", "main")
    commit(tmp_path, "Start", {"CHANGES.md": "# Changes\n", "README.md": "readme\n"})
    return tmp_path


TEMPLATE = {"assessment_engine/templates/page.html": "<p>new words</p>\n"}


def test_a_branch_that_changes_a_template_without_a_changes_line_fails(repo: Path) -> None:
    git(repo, "switch", "-q", "-c", "feature")
    commit(repo, "New words", TEMPLATE)
    done = run_check(repo)
    assert done.returncode == 1
    assert "assessment_engine/templates/page.html" in done.stderr
    assert "[no changes entry]" in done.stderr


def test_uncommitted_view_changes_count_on_a_branch(repo: Path) -> None:
    git(repo, "switch", "-q", "-c", "feature")
    commit(repo, "Docs", {"README.md": "more\n"})
    views = repo / "assessment_engine" / "records" / "record_views.py"
    views.parent.mkdir(parents=True)
    views.write_text("x = 1\n")
    assert run_check(repo).returncode == 1
    (repo / "CHANGES.md").write_text("# Changes\n- A new page.\n")
    assert run_check(repo).returncode == 0


def test_a_changes_line_or_the_marker_lets_it_pass(repo: Path) -> None:
    git(repo, "switch", "-q", "-c", "feature")
    commit(
        repo, "Refactor the API\n\n[no changes entry]", {"assessment_engine/api/x.py": "y = 2\n"}
    )
    assert run_check(repo).returncode == 0
    git(repo, "switch", "-q", "main")
    git(repo, "switch", "-q", "-c", "other")
    commit(repo, "New words", {"CHANGES.md": "# Changes\n- New words.\n", **TEMPLATE})
    done = run_check(repo)
    assert done.returncode == 0, done.stderr


def test_on_main_the_last_commit_is_checked(repo: Path) -> None:
    commit(repo, "Form schemas", {"form_schemas/a.json": "{}\n"})
    assert run_check(repo).returncode == 1
    commit(repo, "Unrelated", {"README.md": "other\n"})
    assert run_check(repo).returncode == 0


def test_a_clean_shallow_clone_of_main_passes(
    repo: Path, tmp_path_factory: pytest.TempPathFactory
) -> None:
    commit(repo, "Form schemas", {"form_schemas/a.json": "{}\n"})
    clone = tmp_path_factory.mktemp("clone")
    git(clone, "clone", "-q", "--depth", "1", f"file://{repo}", ".")
    done = run_check(clone)
    assert done.returncode == 0
    assert "skipped" in done.stdout


def test_the_marker_covers_only_its_own_commit(repo: Path) -> None:
    git(repo, "switch", "-q", "-c", "feature")
    commit(repo, "Refactor\n\n[no changes entry]", {"assessment_engine/api/x.py": "y = 2\n"})
    commit(repo, "New words", TEMPLATE)
    done = run_check(repo)
    assert done.returncode == 1
    assert "page.html" in done.stderr
    assert "api/x.py" not in done.stderr
