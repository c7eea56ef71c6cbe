"""Installing the project prints no deprecation warnings: pyproject.toml uses today's metadata forms."""

import re
import tomllib
from pathlib import Path

PYPROJECT = tomllib.loads((Path(__file__).resolve().parents[2] / "pyproject.toml").read_text())


def test_the_licence_is_an_spdx_expression_which_the_required_setuptools_understands():
    # A table (`{ text = ... }`) makes setuptools >= 77 warn three times per install (PEP 639).
    assert isinstance(PYPROJECT["project"]["license"], str)
    assert re.fullmatch(r"[A-Za-z0-9.+-]+( (AND|OR|WITH) [A-Za-z0-9.+-]+)*", PYPROJECT["project"]["license"])
    (setuptools,) = [r for r in PYPROJECT["build-system"]["requires"] if r.startswith("setuptools")]
    minimum = re.fullmatch(r"setuptools>=(\d+)(\.\d+)*", setuptools.replace(" ", ""))
    assert minimum and int(minimum.group(1)) >= 77, "the SPDX string form needs setuptools 77 or later"
