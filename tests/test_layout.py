"""The house rules a newcomer relies on, checked: every module of the orders app says what it owns
and stays under 400 lines, and the paths README's "Where things are" names exist."""

import ast
import re
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent
MODULES = sorted(
    path
    for path in (ROOT / "orders").rglob("*.py")
    if "migrations" not in path.parts and path.read_text().strip()
)


@pytest.mark.parametrize("path", MODULES, ids=lambda path: str(path.relative_to(ROOT)))
def test_every_orders_module_says_what_it_owns_and_stays_short(path):
    source = path.read_text()
    assert ast.get_docstring(ast.parse(source)), "opens with a sentence saying what it owns"
    assert len(source.splitlines()) <= 400


def test_every_path_where_things_are_names_exists():
    readme = (ROOT / "README.md").read_text()
    section = readme.split("## Where things are", 1)[1].split("\n## ", 1)[0]
    named = set(
        re.findall(r"`((?:orders|ordersite|webhooks|sandbox|tests|bench|docs)/[^`]*)`", section)
    )
    missing = [name for name in sorted(named) if "<" not in name and not any(ROOT.glob(name))]
    assert named and missing == []
