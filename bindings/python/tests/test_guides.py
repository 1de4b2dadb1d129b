"""The guides' Python examples run: every ```python block of a guide, in order, in one
namespace per guide (later blocks use what earlier ones defined), against the installed
package. A guide whose example stops working fails here."""

from __future__ import annotations

import re
from pathlib import Path

import pytest

REPO = Path(__file__).resolve().parents[3]
MIGRATION_GUIDE = REPO / "bindings" / "python" / "docs" / "migrating.md"
GUIDES = [MIGRATION_GUIDE, *sorted((REPO / "crates" / "auth0-axum-api" / "docs").glob("*.md"))]

# A fenced block opened by exactly "```python" and closed by the next "```" line.
PYTHON_BLOCK = re.compile(r"^```python[ \t]*\n(.*?)^```[ \t]*$", re.DOTALL | re.MULTILINE)


def python_blocks(guide: Path) -> list[str]:
    return PYTHON_BLOCK.findall(guide.read_text(encoding="utf-8"))


def test_blocks_are_extracted_in_order_and_only_python_ones():
    sample = "x\n```python\na = 1\n```\n```sh\nls\n```\n```pycon\n>>> 1\n```\n"
    sample += "```python\nb = a\n```\n"
    assert PYTHON_BLOCK.findall(sample) == ["a = 1\n", "b = a\n"]


def test_the_guides_are_found_with_their_examples():
    # A moved file or a changed fence must fail here, not silently test nothing.
    assert MIGRATION_GUIDE.is_file()
    assert len(GUIDES) >= 7, GUIDES
    assert len(python_blocks(MIGRATION_GUIDE)) >= 5


@pytest.mark.parametrize(
    "guide", [g for g in GUIDES if python_blocks(g)], ids=lambda g: g.relative_to(REPO).as_posix()
)
def test_guide_examples_run(guide: Path):
    namespace: dict = {"__name__": f"guide_{guide.stem.replace('-', '_')}"}
    for number, source in enumerate(python_blocks(guide), start=1):
        code = compile(source, f"{guide.name} (python block {number})", "exec")
        exec(code, namespace)
