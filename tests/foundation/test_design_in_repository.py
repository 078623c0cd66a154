"""The design is in the repository: no file refers to a document that is not in it.

Source files once cited design notes kept elsewhere (a DESIGN.md, a SUMUP.md, a launch
checklist, files in a neighbouring folder). The design now lives in docs/ARCHITECTURE.md and the
other documents here, so every document a file names must be one of the repository's own.
"""

import re
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
SKIPPED = {".git", ".venv", "node_modules", "__pycache__", "staticfiles", "media"}
TEXT = {
    ".py",
    ".md",
    ".html",
    ".txt",
    ".toml",
    ".cfg",
    ".ini",
    ".yml",
    ".yaml",
    ".json",
    ".js",
    ".css",
    ".sh",
}
NAMED_DOCUMENT = re.compile(r"[\w./-]*\b[\w-]+\.md\b")
# Documents that were cited but never lived here, and ways of pointing outside the repository.
OUTSIDE = re.compile(r"DESIGN\.md|SUMUP\.md|LAUNCH_CHECKLIST|\.\./shared|/work/", re.I)


def repository_files():
    for path in sorted(ROOT.rglob("*")):
        relative = path.relative_to(ROOT)
        if SKIPPED & set(relative.parts) or not path.is_file() or path == Path(__file__):
            continue
        if path.suffix in TEXT or path.name in {"Dockerfile", "Makefile", "Procfile", ".env.example"}:
            yield relative.as_posix(), path.read_text(errors="replace")


def test_no_file_points_outside_the_repository():
    found = [
        f"{path}:{text.count(chr(10), 0, match.start()) + 1} {match.group()}"
        for path, text in repository_files()
        for match in OUTSIDE.finditer(text)
    ]
    assert found == []


def test_every_document_a_file_names_is_in_the_repository():
    documents = {path.name for path in ROOT.rglob("*.md") if not SKIPPED & set(path.relative_to(ROOT).parts)}
    missing = sorted(
        f"{path}: {name}"
        for path, text in repository_files()
        for name in NAMED_DOCUMENT.findall(text)
        if Path(name).name not in documents
    )
    assert missing == []


def test_the_checks_catch_an_outside_document():
    assert OUTSIDE.search("see DESIGN.md section 4")
    assert OUTSIDE.search("as in ../shared/SUMUP.md")
    assert NAMED_DOCUMENT.findall("(docs/ARCHITECTURE.md, then NOTES.md)") == [
        "docs/ARCHITECTURE.md",
        "NOTES.md",
    ]
