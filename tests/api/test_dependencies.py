"""Apps depend downwards only: accounts ← regions ← programs ← activities ← reports ← publication ←
campaign. The exact, live modules must not reach the public release or the public site."""

import re
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]
UPWARD = re.compile(r"^\s*(from|import)\s+(campaign|publication)\b", re.MULTILINE)


@pytest.mark.parametrize("app", ["activities", "reports"])
def test_no_module_imports_campaign_or_publication(app):
    modules = sorted((ROOT / app).rglob("*.py"))
    assert modules
    found = [
        f"{module.relative_to(ROOT)}: {match.group(0).strip()}"
        for module in modules
        for match in UPWARD.finditer(module.read_text())
    ]
    assert found == []
