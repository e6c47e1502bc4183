"""Dependencies: no release with a known advisory is allowed, and every install uses the lock.

pyproject.toml's lower bounds sit past the advisories the security review named; the
lock (constraints.txt) pins every package Harbor and its tests install; `make run`,
`make test` and so `.ci/run` install through it (`pip install -c constraints.txt`); and
the environment these tests run in is exactly the lock, so a fresh `make test` has
really installed from it.
"""

from __future__ import annotations

import re
import tomllib
from importlib import metadata
from pathlib import Path

import pytest
from packaging.requirements import Requirement
from packaging.utils import canonicalize_name
from packaging.version import Version

ROOT = Path(__file__).parents[1]
CONSTRAINTS = ROOT / "constraints.txt"
# package -> the first release past its published advisories, and the last one before it.
ADVISORY_FLOORS = {
    "gunicorn": ("23.0.0", "22.0.0"),  # request smuggling (CVE-2024-1135, CVE-2024-6827)
    "werkzeug": ("3.0.6", "3.0.5"),  # CVE-2024-49766, CVE-2024-49767
    "requests": ("2.32.4", "2.32.3"),  # CVE-2024-47081: .netrc credentials to other hosts
    "urllib3": ("2.5.0", "2.4.0"),  # CVE-2025-50181, CVE-2025-50182
    "flask": ("3.1.1", "3.1.0"),  # CVE-2025-47278: the fallback signing key
    "jinja2": ("3.1.6", "3.1.5"),  # CVE-2025-27516: sandbox escape
}


def project_requirements() -> dict[str, Requirement]:
    project = tomllib.loads((ROOT / "pyproject.toml").read_text())["project"]
    lines = [*project["dependencies"], *project["optional-dependencies"]["dev"]]
    return {canonicalize_name(Requirement(line).name): Requirement(line) for line in lines}


def locked_versions() -> dict[str, Version]:
    pins = {}
    for line in CONSTRAINTS.read_text().splitlines():
        if not line.strip() or line.startswith("#"):
            continue
        match = re.fullmatch(r"([A-Za-z0-9._-]+)==([^\s;]+)", line.strip())
        assert match, f"constraints.txt: {line!r} is not an exact pin"
        pins[canonicalize_name(match.group(1))] = Version(match.group(2))
    return pins


@pytest.mark.parametrize("package", sorted(ADVISORY_FLOORS))
def test_no_release_with_a_known_advisory_is_allowed(package):
    fixed, vulnerable = ADVISORY_FLOORS[package]
    requirement = project_requirements()[package]
    assert not requirement.specifier.contains(vulnerable), str(requirement)
    assert requirement.specifier.contains(fixed), str(requirement)
    assert locked_versions()[package] >= Version(fixed)


def test_the_lock_pins_every_requirement_within_its_bounds():
    pins = locked_versions()
    for name, requirement in project_requirements().items():
        assert name in pins, f"{name} is not in constraints.txt: run `make lock`"
        assert requirement.specifier.contains(pins[name], prereleases=True), (
            f"constraints.txt pins {name}=={pins[name]}, outside {requirement}")


def test_the_lock_holds_every_installed_package_at_its_pinned_version():
    # This environment is what `make test` installed: with the lock, nothing differs.
    pins = locked_versions()
    installed = {canonicalize_name(dist.metadata["Name"]): Version(dist.version)
                 for dist in metadata.distributions()}
    installed.pop("harbor", None)
    for tool in ("pip", "setuptools", "wheel"):  # the installer's own, not the project's
        installed.pop(tool, None)
        pins.pop(tool, None)
    assert {name: version for name, version in installed.items() if pins.get(name) != version} \
        == {}, "run `make` again: the environment is not the lock (or `make lock` is due)"
    assert set(pins) <= set(installed)


def test_make_and_ci_install_through_the_lock():
    makefile = (ROOT / "Makefile").read_text()
    install_lines = [line for line in makefile.splitlines()
                     if "pip install" in line and "-e '.[dev]'" in line]
    project_install = [line for line in install_lines if "$(BIN)/pip" in line]
    assert project_install and all("-c $(CONSTRAINTS)" in line for line in project_install)
    assert "CONSTRAINTS := constraints.txt" in makefile
    # The venv is rebuilt whenever the lock changes, and run and test both need it.
    assert re.search(r"^\$\(STAMP\): pyproject.toml \$\(CONSTRAINTS\)$", makefile, re.M)
    assert re.search(r"^run: \$\(STAMP\)$", makefile, re.M)
    assert re.search(r"^test: \$\(STAMP\)$", makefile, re.M)
    assert "make test" in (ROOT / ".ci" / "run").read_text()
    assert "make lock" in (ROOT / "README.md").read_text()
