"""Loading a ``form_schemas/`` directory: every questionnaire version, checked and compiled once.

Layout: ``<key>/v<N>.json`` is version N of questionnaire ``key``; ``_meta/extensions.json`` is
the meta-schema of our extension keywords. Other files (``*.rules.json``, ``*.cases.json``,
``examples/``) belong to other parts of the system and are not read here.
"""

from __future__ import annotations

from collections.abc import Iterator, Mapping
from dataclasses import dataclass, field
from pathlib import Path
from types import MappingProxyType
from typing import Any

from referencing import Registry

from .compiled import CompiledQuestionnaire, compile_questionnaire
from .documents import (
    KEY_PATTERN,
    VERSION_FILE,
    build_registry,
    check_document,
    load_extensions,
    parse_text,
)
from .problems import Problem, QuestionnaireError, unique_problems
from .types.registry import QuestionTypes

EXTENSIONS_PATH = Path("_meta") / "extensions.json"


@dataclass(frozen=True, slots=True)
class QuestionnaireFile:
    """One questionnaire version's file as read: where it is, its text and parsed document."""

    key: str
    version: int
    file: str
    text: str
    document: Mapping[str, Any] | None


@dataclass(frozen=True, eq=False)
class Catalogue:
    """Every questionnaire version in a directory, with the problems of those that were refused.

    ``compiled`` holds the versions that passed every check; a version whose document (or a
    document it ``$ref`` s) has problems is left out, and its problems are in ``problems``.
    """

    root: Path
    extensions: Mapping[str, Any]
    files: tuple[QuestionnaireFile, ...]
    registry: Registry[Any] = field(repr=False)
    problems: tuple[Problem, ...]
    compiled: Mapping[tuple[str, int], CompiledQuestionnaire] = field(repr=False)

    def get(self, key: str, version: int) -> CompiledQuestionnaire:
        """A compiled version; ``KeyError`` when it does not exist or was refused."""
        return self.compiled[(key, version)]

    def latest(self, key: str) -> CompiledQuestionnaire:
        """The highest compiled version of ``key``."""
        versions = [version for (k, version) in self.compiled if k == key]
        if not versions:
            raise KeyError(key)
        return self.compiled[(key, max(versions))]

    def __iter__(self) -> Iterator[tuple[str, int]]:
        return iter(sorted(self.compiled))

    def check_text(
        self, text: str | bytes, *, key: str, version: int, file: str | None = None
    ) -> tuple[dict[str, Any] | None, list[Problem]]:
        """Check a new or edited document's text against this catalogue (the admin editor)."""
        from .documents import check_text

        name = file or f"{key}/v{version}.json"
        return check_text(
            text,
            file=name,
            extensions=self.extensions,
            registry=self.registry,
            key=key,
            version=version,
            texts=self._texts(),
            files=self._files(),
        )

    def _texts(self) -> dict[str, str]:
        return {entry.file: entry.text for entry in self.files}

    def _files(self) -> dict[str, str]:
        return {
            str(entry.document.get("$id")): entry.file
            for entry in self.files
            if entry.document is not None and isinstance(entry.document.get("$id"), str)
        }


def load_directory(root: Path | str, types: QuestionTypes | None = None) -> Catalogue:
    """Read, check and compile every questionnaire version under ``root`` (``form_schemas/``).

    Nothing is raised for a bad document: the catalogue lists every problem of every file so the
    caller can refuse to start (:func:`load_directory_strict`) or show them to an administrator.
    ``types`` are the application's question types (the built-ins when not given).
    """
    root = Path(root)
    extensions = load_extensions(root / EXTENSIONS_PATH)
    files: list[QuestionnaireFile] = []
    problems: list[Problem] = []
    for folder in sorted(p for p in root.iterdir() if p.is_dir() and not p.name.startswith("_")):
        for path in sorted(folder.iterdir()):
            match = VERSION_FILE.match(path.name)
            if not match or not path.is_file():
                continue
            name = path.relative_to(root).as_posix()
            if not KEY_PATTERN.match(folder.name):
                problems.append(
                    Problem(
                        name,
                        "",
                        f"{folder.name!r} is not a questionnaire key: "
                        "use lower-case letters, digits and hyphens",
                        "renderer",
                    )
                )
                continue
            raw = path.read_bytes()
            try:
                text = raw.decode("utf-8")
            except UnicodeDecodeError:
                problems.append(Problem(name, "", "the file is not UTF-8 text", "json", 1))
                continue
            document, parse_problems = parse_text(text, file=name)
            problems += parse_problems
            files.append(QuestionnaireFile(folder.name, int(match.group(1)), name, text, document))
    documents = [entry.document for entry in files if entry.document is not None]
    registry = build_registry(documents)
    texts = {entry.file: entry.text for entry in files}
    uris = {
        str(entry.document["$id"]): entry.file
        for entry in files
        if entry.document is not None and isinstance(entry.document.get("$id"), str)
    }
    compiled: dict[tuple[str, int], CompiledQuestionnaire] = {}
    for entry in files:
        if entry.document is None:
            continue
        try:
            compiled[(entry.key, entry.version)] = compile_questionnaire(
                entry.document,
                extensions=extensions,
                registry=registry,
                file=entry.file,
                key=entry.key,
                version=entry.version,
                texts=texts,
                files=uris,
                types=types,
            )
        except QuestionnaireError as error:
            problems += error.problems
    return Catalogue(
        root=root,
        extensions=MappingProxyType(extensions),
        files=tuple(files),
        registry=registry,
        problems=tuple(unique_problems(problems)),
        compiled=MappingProxyType(compiled),
    )


def load_directory_strict(root: Path | str) -> Catalogue:
    """Like :func:`load_directory`, but raise :class:`QuestionnaireError` if anything is wrong."""
    catalogue = load_directory(root)
    if catalogue.problems:
        raise QuestionnaireError(catalogue.problems)
    return catalogue


__all__ = [
    "Catalogue",
    "QuestionnaireFile",
    "check_document",
    "load_directory",
    "load_directory_strict",
]
