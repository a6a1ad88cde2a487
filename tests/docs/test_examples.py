"""The documentation stays true: its examples run and its settings page is complete.

Every ```python block in ``docs/*.md`` and ``README.md`` runs in a fresh namespace
against a throwaway Baton home and database. An HTML comment on the line before
a block changes how it is treated:

- ``<!-- no-test -->``: not run (for fragments that cannot run on their own);
- ``<!-- pytest -->``: the block is a test module, run by pytest in a subprocess.
"""

from __future__ import annotations

import re
import subprocess
import sys
import textwrap
import traceback
from dataclasses import dataclass
from pathlib import Path

import pytest

from baton.settings import Settings
from baton.testing import baton_test_harness

ROOT = Path(__file__).resolve().parents[2]
DOCS = ROOT / "docs"
PAGES = (
    "index.md",
    "flows-and-tasks.md",
    "results.md",
    "logging.md",
    "orchestration.md",
    "settings.md",
    "testing.md",
    "cli.md",
    "api.md",
    "schedules.md",
    "deployments.md",
    "ui.md",
    "architecture.md",
)
# A fence: three or more backticks, then an info string without backticks (CommonMark).
OPENING = re.compile(r"^ {0,3}(`{3,})\s*([^`\s]*)[^`]*$")
DIRECTIVE = re.compile(r"^\s*<!--\s*([\w-]+)\s*-->\s*$")
DIRECTIVES = (None, "no-test", "pytest")


@dataclass(frozen=True)
class Example:
    """One fenced code block of a Markdown file."""

    path: Path
    index: int  # 1-based among the file's python blocks
    line: int  # line number of the block's first code line
    code: str
    directive: str | None

    @property
    def where(self) -> str:
        return f"{self.path.relative_to(ROOT)}, python block {self.index} (line {self.line})"


def python_blocks(path: Path) -> list[Example]:
    """The ```python blocks of ``path``, with the directive comment before each, if any."""
    lines = path.read_text(encoding="utf-8").splitlines()
    examples: list[Example] = []
    number = 0
    while number < len(lines):
        opening = OPENING.match(lines[number])
        if opening is None:
            number += 1
            continue
        closing = re.compile(rf"^ {{0,3}}`{{{len(opening.group(1))},}}\s*$")
        end = number + 1
        while end < len(lines) and not closing.match(lines[end]):
            end += 1
        if opening.group(2) == "python":
            previous = next((text for text in reversed(lines[:number]) if text.strip()), "")
            directive = DIRECTIVE.match(previous)
            examples.append(
                Example(
                    path=path,
                    index=len(examples) + 1,
                    line=number + 2,
                    code=textwrap.dedent("\n".join(lines[number + 1 : end]) + "\n"),
                    directive=directive.group(1) if directive else None,
                )
            )
        number = end + 1
    return examples


def sources() -> list[Path]:
    found = sorted(DOCS.glob("*.md"))
    readme = ROOT / "README.md"
    return [*found, readme] if readme.is_file() else found


EXAMPLES = [example for path in sources() for example in python_blocks(path)]


def _id(example: Example) -> str:
    return f"{example.path.name}-{example.index}"


@pytest.mark.parametrize("example", EXAMPLES, ids=_id)
def test_example_runs(example: Example, tmp_path: Path) -> None:
    assert example.directive in DIRECTIVES, f"{example.where}: unknown {example.directive!r}"
    if example.directive == "no-test":
        pytest.skip(f"{example.where} is marked no-test")
    if example.directive == "pytest":
        _run_as_test_module(example, tmp_path)
        return
    # Leading newlines make tracebacks point at the block's lines in the Markdown file.
    source = "\n" * (example.line - 1) + example.code
    code = compile(source, str(example.path), "exec")
    namespace = {"__name__": "__main__", "__file__": str(example.path)}
    with baton_test_harness():
        try:
            exec(code, namespace)
        except Exception as error:
            details = "".join(traceback.format_exception(error))
            pytest.fail(
                f"{example.where} raised {type(error).__name__}: {error}\n{details}",
                pytrace=False,
            )


def _run_as_test_module(example: Example, tmp_path: Path) -> None:
    module = tmp_path / f"test_{example.path.stem.replace('-', '_')}_{example.index}.py"
    module.write_text(example.code, encoding="utf-8")
    finished = subprocess.run(
        [sys.executable, "-m", "pytest", "-q", "-p", "no:cacheprovider", module.name],
        cwd=tmp_path,
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )
    output = finished.stdout + finished.stderr
    assert finished.returncode == 0, f"{example.where} failed under pytest:\n{output}"
    assert re.search(r"\b\d+ passed\b", output), f"{example.where} ran no test:\n{output}"


def test_extractor_reads_fences_and_directives(tmp_path: Path) -> None:
    page = tmp_path / "page.md"
    page.write_text(
        "Text with ```` ```python ```` inline.\n\n"
        "```python\nx = 1\n```\n\n"
        "```bash\necho no\n```\n\n"
        "<!-- no-test -->\n\n````python\n```\nnested fence\n````\n\n"
        "1. In a list:\n\n   ```python\n   y = 2\n   ```\n",
        encoding="utf-8",
    )
    found = python_blocks(page)
    assert [(e.index, e.line, e.code, e.directive) for e in found] == [
        (1, 4, "x = 1\n", None),
        (2, 14, "```\nnested fence\n", "no-test"),
        (3, 21, "y = 2\n", None),
    ]


def test_every_page_exists_and_has_examples() -> None:
    """A broken extractor would make every example test pass vacuously; count them."""
    missing = [page for page in PAGES if not (DOCS / page).is_file()]
    assert missing == []
    runnable = {e.path.name for e in EXAMPLES if e.directive != "no-test"}
    # These pages show commands, or code that needs processes or a server to run.
    pages_with_code = set(PAGES) - {
        "settings.md",
        "cli.md",
        "architecture.md",
        "ui.md",
        "deployments.md",
    }
    assert pages_with_code - runnable == set()


def anchors(path: Path) -> set[str]:
    """The link targets of ``path``'s headings, spelled as GitHub makes them."""
    found: set[str] = set()
    fence: str | None = None
    for line in path.read_text(encoding="utf-8").splitlines():
        opening = OPENING.match(line)
        if fence is None and opening is not None:
            fence = opening.group(1)
        elif fence is not None and line.strip().startswith(fence) and not line.strip("` "):
            fence = None
        elif fence is None and (heading := re.match(r"^#{1,6}\s+(.*)$", line)):
            found.add(re.sub(r"[^\w\- ]", "", heading.group(1).lower()).replace(" ", "-"))
    return found


def test_links_between_pages_resolve() -> None:
    link = re.compile(r"\]\(([\w-]+\.md)?(?:#([\w-]+))?\)")
    broken = []
    for path in sorted(DOCS.glob("*.md")):
        for target, anchor in link.findall(path.read_text(encoding="utf-8")):
            page = DOCS / target if target else path
            if not page.is_file() or (anchor and anchor not in anchors(page)):
                broken.append(f"{path.name} -> {target}#{anchor}")
    assert broken == []


def test_settings_page_lists_every_setting_with_its_default() -> None:
    text = (DOCS / "settings.md").read_text(encoding="utf-8")
    expected = {f"BATON_{name.upper()}": field for name, field in Settings.model_fields.items()}
    documented = set(re.findall(r"`(BATON_[A-Z_]+)`", text))
    assert set(expected) - documented == set(), "settings missing from docs/settings.md"
    assert documented - set(expected) == set(), "docs/settings.md names unknown settings"
    rows = {
        match.group(1): line
        for line in text.splitlines()
        if line.startswith("|") and (match := re.search(r"`(BATON_[A-Z_]+)`", line))
    }
    for variable, field in expected.items():
        assert variable in rows, f"{variable} has no row in the settings table"
        default = field.default
        if default is None:
            continue
        shown = str(default).lower() if isinstance(default, bool) else str(default)
        assert f"`{shown}`" in rows[variable], f"{variable}: default {shown!r} not in its row"


def test_api_page_lists_every_endpoint() -> None:
    """docs/api.md's endpoint table and the served API name the same routes."""
    from baton.api import create_app

    with baton_test_harness():
        app = create_app()
        try:
            paths = app.openapi()["paths"]
        finally:
            app.state.db.dispose()
    served = {
        (method.upper(), path.removeprefix("/api"))
        for path, operations in paths.items()
        for method in operations
    }
    text = (DOCS / "api.md").read_text(encoding="utf-8")
    documented = set(re.findall(r"^\| `([A-Z]+)` \| `(/[^`]*)` \|", text, flags=re.MULTILINE))
    assert served - documented == set(), "endpoints missing from docs/api.md"
    assert documented - served == set(), "docs/api.md names endpoints the API does not serve"
