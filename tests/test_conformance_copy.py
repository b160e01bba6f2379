"""The conformance material kept in the project is the shared material, byte for byte.

Tests read ``tests/data/conformance`` (so a fresh clone runs them all); CI also names the shared
folder in ``ASSESSMENT_CONFORMANCE_DIR``, and then this test says which file drifted.
"""

from __future__ import annotations

import pytest

from .conftest import CONFORMANCE, SHARED_CONFORMANCE

FOLDERS = ("fhir-sdc", "fhir-outside", "json-logic")


def test_the_project_copy_names_its_sources() -> None:
    readme = (CONFORMANCE / "README.md").read_text("utf-8")
    for folder in FOLDERS:
        assert f"`{folder}/" in readme
        for path in (CONFORMANCE / folder).glob("*.json"):
            assert path.name in readme or folder == "json-logic", path.name


@pytest.mark.skipif(SHARED_CONFORMANCE is None, reason="ASSESSMENT_CONFORMANCE_DIR is not set")
def test_the_project_copy_is_the_shared_material() -> None:
    assert SHARED_CONFORMANCE is not None
    for folder in FOLDERS:
        ours = {p.name: p.read_bytes() for p in (CONFORMANCE / folder).glob("*.json")}
        shared = {p.name: p.read_bytes() for p in (SHARED_CONFORMANCE / folder).glob("*.json")}
        assert sorted(ours) == sorted(shared), folder
        drifted = [name for name in ours if ours[name] != shared[name]]
        assert not drifted, f"{folder}: {drifted} differ from {SHARED_CONFORMANCE}"
