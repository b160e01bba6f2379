"""Administrators' editing of the joint assessment: a save, its check and the preview refresh.

Today's path (the raw JSON editor: POST all three texts, then the version page) beside the new
one (the question editor: POST one question's form, then the questions list, with its checks),
interleaved request by request on one draft; then the preview's first page after a save (the
draft recompiled once for the new revision). Median ms of ``--repeat`` rounds, in process,
on a throwaway SQLite database. Run: .venv/bin/python tests/benchmarks/bench_admin.py
"""

from __future__ import annotations

import argparse
import html as html_module
import re
import statistics
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent.parent
sys.path.insert(0, str(ROOT))

from report import Row, emit, scratch_app  # noqa: E402

from assessment_engine.extensions import db  # noqa: E402

PASSWORD = "timing harness passphrase"
TARGET_MS = 300.0


def _token(page: str) -> str:
    found = re.search(r'name="csrf_token"(?: type="hidden")? value="([^"]+)"', page)
    assert found, "no CSRF token"
    return found.group(1)


def _revision(page: str) -> str:
    found = re.search(r'name="revision"[^>]*value="(\d+)"', page)
    assert found, "no revision"
    return found.group(1)


def _timed(call):  # type: ignore[no-untyped-def]
    start = time.perf_counter()
    result = call()
    return (time.perf_counter() - start) * 1000, result


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--repeat", type=int, default=10)
    parser.add_argument("--json", action="store_true", help="print rows for run.py")
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as folder:
        app = scratch_app(folder, SECOND_FACTOR_ROLES=[])
        with app.app_context():
            from assessment_engine.auth.models import Role
            from assessment_engine.auth.services import create_user
            from assessment_engine.partners.services import get_organisation

            create_user(
                db.session,
                email="bench.admin@pkc.example",
                name="Bench",
                password=PASSWORD,
                organisation=get_organisation(db.session, "perth-kinross-council"),
                role=Role.ADMINISTRATOR,
            )
            db.session.commit()
        client = app.test_client()
        page = client.get("/sign-in").get_data(as_text=True)
        client.post(
            "/sign-in",
            data={
                "email": "bench.admin@pkc.example",
                "password": PASSWORD,
                "csrf_token": _token(page),
            },
        )
        token = _token(client.get("/admin/questionnaires").get_data(as_text=True))
        made = client.post(
            "/admin/questionnaires/joint-assessment/drafts", data={"csrf_token": token}
        )
        base = made.headers["Location"]
        question = f"{base}/questions/about/preferred_name"
        old_save, old_page, new_save, new_page, previews = [], [], [], [], []
        for round_ in range(args.repeat + 2):
            # today's path: the three texts posted, then the version page with its checks
            version = client.get(base).get_data(as_text=True)
            texts = {
                part: html_module.unescape(
                    re.search(
                        rf'<textarea[^>]*name="{part}"[^>]*>\n(.*?)</textarea>', version, re.S
                    ).group(1)  # type: ignore[union-attr]
                )
                for part in ("document", "rules", "test_cases")
            }
            data = {**texts, "revision": _revision(version), "csrf_token": token}
            saved_ms, saved = _timed(lambda data=data: client.post(base, data=data))
            assert saved.status_code == 302
            page_ms, shown = _timed(lambda: client.get(base))
            assert shown.status_code == 200
            # what was measured is a whole check: the texts saved have no problems
            assert 'id="no-problems"' in shown.get_data(as_text=True)
            # the question editor: one question's form posted, then the list with its checks
            form = client.get(question).get_data(as_text=True)
            posted = {
                "csrf_token": token,
                "revision": _revision(form),
                "name": "preferred_name",
                "title": f"What would the person like to be called? ({round_})",
                "hint": "The name they like people to use",
                "type": "short_text",
                "required": "no",
                "max_length": "200",
                "show_when": "",
                "not_after": "",
                "section": "about",
            }
            edit_ms, edited = _timed(lambda posted=posted: client.post(question, data=posted))
            assert edited.status_code == 302, edited.get_data(as_text=True)[:2000]
            list_ms, listed = _timed(lambda: client.get(f"{base}/questions"))
            assert listed.status_code == 200
            assert 'id="no-problems"' in listed.get_data(as_text=True)
            preview_ms, previewed = _timed(lambda: client.get(f"{base}/preview"))
            assert previewed.status_code == 200
            if round_ >= 2:  # two warm-up rounds
                old_save.append(saved_ms)
                old_page.append(page_ms)
                new_save.append(edit_ms)
                new_page.append(list_ms)
                previews.append(preview_ms)
        median = statistics.median
        print(f"joint assessment, median of {args.repeat} interleaved rounds (ms)")
        for name, values in (
            ("raw JSON save POST", old_save),
            ("version page GET (checks)", old_page),
            ("question save POST", new_save),
            ("questions list GET (checks)", new_page),
            ("preview first GET after a save", previews),
        ):
            print(f"{name:<32} {median(values):>8.1f}")
        rows = [
            Row(
                name="question editor save (POST), joint assessment",
                value=median(new_save),
                unit="ms",
                reference_name="raw JSON save today",
                reference=median(old_save),
                target=f"< {TARGET_MS:.0f} ms",
                met=median(new_save) < TARGET_MS,
            ),
            Row(
                name="question list with its checks (GET), joint assessment",
                value=median(new_page),
                unit="ms",
                reference_name="version page today",
                reference=median(old_page),
                target=f"< {TARGET_MS:.0f} ms",
                met=median(new_page) < TARGET_MS,
            ),
            Row(
                name="preview refresh after a save, joint assessment",
                value=median(previews),
                unit="ms",
                reference_name="version page today",
                reference=median(old_page),
                target=f"< {TARGET_MS:.0f} ms",
                met=median(previews) < TARGET_MS,
            ),
        ]
        emit(rows, args.json)


if __name__ == "__main__":
    main()
