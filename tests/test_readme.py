"""The README stays true: the two commands first, and every setting documented."""
from pathlib import Path

from reception.config import ENV_PREFIX, SETTINGS

README = (Path(__file__).resolve().parent.parent / "README.md").read_text(encoding="utf-8")


def test_readme_starts_with_the_two_commands():
    first_block = README.split("```")[1]
    assert first_block.strip().splitlines()[0].startswith("make run")
    assert "make test" in first_block


def test_every_environment_variable_is_documented():
    missing = [ENV_PREFIX + key for key in SETTINGS if f"`{ENV_PREFIX}{key}`" not in README]
    assert missing == []
