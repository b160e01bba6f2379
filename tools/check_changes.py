"""Fail when user-visible code changed and CHANGES.md did not (run by ``make lint``).

What is compared:
- on a branch: everything since it left ``main`` (its merge base), the working tree included, so
  ``make lint`` says so before the commit does;
- on ``main`` itself (CI, or a branch with nothing of its own): the last commit, merges included
  (a merge brings in its branch's commits);
- with no history to compare (a tarball, a shallow clone of one commit): nothing, with a message.

User-visible code is the templates, the views, the API, ``static/src`` and ``form_schemas``. A
commit that users would not notice (a refactoring, a type annotation) says so with
``[no changes entry]`` in its message: its files are then not counted.

``python tools/check_changes.py [BASE]`` compares with BASE instead (a commit or branch).
"""

from __future__ import annotations

import subprocess
import sys
from collections.abc import Sequence

MARKER = "[no changes entry]"
CHANGES = "CHANGES.md"
#: Paths (prefixes) whose changes users notice; and any views module of the package.
VISIBLE_PREFIXES = (
    "assessment_engine/templates/",
    "assessment_engine/static/src/",
    "assessment_engine/api/",
    "form_schemas/",
)


def is_visible(path: str) -> bool:
    name = path.rsplit("/", 1)[-1]
    in_views = path.startswith("assessment_engine/") and name.endswith(".py") and "views" in name
    return path.startswith(VISIBLE_PREFIXES) or in_views


def _git(*args: str) -> str | None:
    """The command's output, or None when git refuses (no repository, an unknown commit)."""
    try:
        done = subprocess.run(  # noqa: S603 - fixed arguments, no shell
            ["git", *args],  # noqa: S607 - git from PATH, as make and CI run it
            capture_output=True,
            text=True,
            check=False,
        )
    except FileNotFoundError:
        return None
    return done.stdout if done.returncode == 0 else None


def _commit(ref: str) -> str | None:
    found = _git("rev-parse", "--verify", "--quiet", f"{ref}^{{commit}}")
    return found.strip() if found else None


def _base(argv: Sequence[str]) -> tuple[str | None, bool, str]:
    """(the commit to compare with, whether the working tree counts, what is compared)."""
    head = _commit("HEAD")
    if head is None:
        return None, False, "no git history here"
    if argv:
        return _commit(argv[0]), True, f"changes since {argv[0]}"
    for main in ("main", "origin/main"):
        main_commit = _commit(main)
        if main_commit is None:
            continue
        found = _git("merge-base", main_commit, head)
        fork = found.strip() if found else None
        if fork and fork != head:
            return fork, True, f"this branch's changes since it left {main}"
        break
    parent = _commit("HEAD~1")
    if parent is None:
        return None, False, "the last commit has no parent to compare with"
    return parent, False, "the last commit"


def _commits(base: str) -> list[tuple[str, set[str]]] | None:
    """Each commit since ``base``: its message and the files it changed (a merge lists none of
    its own; its branch's commits are listed one by one)."""
    log = _git("log", "--format=%x00%B%x00", "--name-only", f"{base}..HEAD")
    if log is None:
        return None
    chunks = log.split("\x00")[1:]
    return [(chunks[i], set(chunks[i + 1].split())) for i in range(0, len(chunks) - 1, 2)]


def check(argv: Sequence[str]) -> tuple[bool, str]:
    """Whether the change may pass, and why."""
    base, with_worktree, what = _base(argv)
    if base is None:
        return True, f"CHANGES.md check skipped: {what}."
    commits = _commits(base)
    worktree = _git("diff", "--name-only", "HEAD") if with_worktree else ""
    untracked = _git("ls-files", "--others", "--exclude-standard") if with_worktree else ""
    if commits is None or worktree is None or untracked is None:
        return True, f"CHANGES.md check skipped: git could not compare with {base[:12]}."
    uncommitted = set(worktree.split()) | set(untracked.split())
    unmarked = set(uncommitted)
    for message, files in commits:
        if MARKER not in message:
            unmarked |= files
    visible = sorted(path for path in unmarked if is_visible(path))
    if not visible:
        return True, f"CHANGES.md check: no user-visible change without {MARKER} ({what})."
    if CHANGES in uncommitted or any(CHANGES in files for _message, files in commits):
        return True, f"CHANGES.md check: user-visible code and CHANGES.md changed ({what})."
    shown = "\n".join(f"  {path}" for path in visible[:20])
    more = f"\n  ... and {len(visible) - 20} more" if len(visible) > 20 else ""
    return False, (
        f"CHANGES.md check failed ({what}): user-visible code changed but CHANGES.md did not:\n"
        f"{shown}{more}\n"
        f"Add a line to CHANGES.md's top section, or put {MARKER} in the message of each commit "
        "whose change users will not notice."
    )


def main(argv: Sequence[str]) -> int:
    passed, message = check(argv)
    print(message, file=sys.stdout if passed else sys.stderr)
    return 0 if passed else 1


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
