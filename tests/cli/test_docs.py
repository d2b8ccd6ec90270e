"""Documentation that cannot drift (the sqlite-utils way): every command and option is
documented, docs/cli.md is the commands' own --help, and CONTRIBUTING.md lists every
problem code with its fix and the normalisation the matcher really applies."""

from __future__ import annotations

import re
from pathlib import Path

import click
import pytest
from click.testing import CliRunner
from conftest import REPO

from nkdata.checks.textmatch import FOLD
from nkdata.cli import docs as clidocs
from nkdata.cli.main import main
from nkdata.problems import CODES

COMMANDS = clidocs.command_names()
CLI_MD = (REPO / clidocs.CLI_DOC).read_text(encoding="utf-8")
CONTRIBUTING = (REPO / clidocs.CONTRIBUTING).read_text(encoding="utf-8")


def test_there_are_commands() -> None:
    assert {"validate", "schema", "build", "release", "diff", "new-source"} <= set(COMMANDS)


@pytest.mark.parametrize("name", COMMANDS)
def test_command_and_options_are_documented(name: str) -> None:
    cmd = main.commands[name]
    assert cmd.help and cmd.help.strip(), f"nkdata {name} has no docstring"
    undocumented = [p.name for p in cmd.params if isinstance(p, click.Option) and p.name != "help" and not p.help]
    assert undocumented == [], f"nkdata {name}: options without help: {undocumented}"


@pytest.mark.parametrize("name", [None, *COMMANDS])
def test_cli_reference_is_each_commands_own_help(name: str | None) -> None:
    args = ([name] if name else []) + ["--help"]
    out = CliRunner().invoke(main, args, prog_name="nkdata", terminal_width=clidocs.WIDTH, max_content_width=clidocs.WIDTH)
    assert out.exit_code == 0
    assert out.output == clidocs.command_help(name) + "\n"
    heading = f"## nkdata {name}" if name else "## nkdata"
    assert f"{heading}\n\n```\n{out.output.rstrip()}\n```" in CLI_MD


def test_cli_reference_has_not_drifted() -> None:
    assert CLI_MD == clidocs.cli_markdown() + "\n", "docs/cli.md is stale: run 'python -m nkdata.cli.docs' and commit it"


def test_every_problem_code_has_a_fix_and_is_in_contributing() -> None:
    assert set(clidocs.FIXES) == set(CODES), f"codes without a fix: {set(CODES) - set(clidocs.FIXES)}; fixes for no code: {set(clidocs.FIXES) - set(CODES)}"
    for code, meaning in CODES.items():
        assert f"| `{code}` | {meaning} | {clidocs.FIXES[code]} |" in CONTRIBUTING, code


def test_contributing_codes_table_has_not_drifted() -> None:
    assert CONTRIBUTING == clidocs.contributing_text(CONTRIBUTING), "CONTRIBUTING.md is stale: run 'python -m nkdata.cli.docs'"
    assert clidocs.drifted(REPO) == []


def test_contributing_covers_the_normalisation_the_matcher_applies() -> None:
    section = CONTRIBUTING[CONTRIBUTING.index("## Evidence rules") : CONTRIBUTING.index("## Vocabularies")]
    missing = [ch for ch in FOLD if ch not in section]
    assert missing == [], f"CONTRIBUTING.md does not mention these folded characters: {missing}"
    assert "NFKC" in section and "white space" in section


def test_contributing_links_resolve() -> None:
    for target in re.findall(r"\]\(((?!https?:|#)[^)]+)\)", CONTRIBUTING):
        assert (REPO / target).exists(), target
    anchors = set(re.findall(r"\]\(#([^)]+)\)", CONTRIBUTING))
    headings = {re.sub(r"[^a-z0-9 -]", "", h.lower()).replace(" ", "-") for h in re.findall(r"^#+ (.+)$", CONTRIBUTING, re.M)}
    assert anchors <= headings, anchors - headings


def test_contributing_names_every_command_a_contributor_runs() -> None:
    for command in ("nkdata new-source", "nkdata validate", "nkdata schema", "nkdata diff", "nkdata release", "python -m pytest"):
        assert command in CONTRIBUTING, command


def test_readme_gives_the_direct_addresses_data_package_yaml_configures() -> None:
    """The README's download addresses are data/package.yaml's download_base for the declared version."""
    import yaml

    meta = yaml.safe_load((REPO / "data" / "package.yaml").read_text(encoding="utf-8"))
    version = re.search(r'__version__ = "([^"]+)"', (REPO / "nkdata" / "_version.py").read_text(encoding="utf-8"))
    assert version is not None
    v = version[1]
    base = meta["download_base"].replace("{version}", v)
    readme = (REPO / clidocs.README).read_text(encoding="utf-8")
    block = readme[readme.index(clidocs.DOWNLOADS_BEGIN) : readme.index(clidocs.DOWNLOADS_END)]
    names = [f"nkdata-{v}.zip", f"nkdata-{v}.zip.sha256", "datapackage.json", f"nkdata-{v}.sqlite", f"nkdata-{v}.metadata.json"]
    assert re.findall(r"<(https://[^>]+)>", block) == [base + name for name in names]
    assert f"curl -fL -O {base}nkdata-{v}.zip -O {base}nkdata-{v}.zip.sha256" in block
    assert clidocs.expected(REPO)[clidocs.README] == readme, "README.md is stale: run 'python -m nkdata.cli.docs'"


@pytest.mark.parametrize("argv", [["--chek"], ["--help"], ["-h"], ["check"]])
def test_the_generator_writes_nothing_for_an_argument_it_does_not_run(argv: list[str], tmp_path: Path, monkeypatch: pytest.MonkeyPatch,
                                                                      capsys: pytest.CaptureFixture[str]) -> None:
    """A typo of --check, or asking for --help, must not rewrite the generated files (it used to, silently)."""
    for rel in (clidocs.CONTRIBUTING, clidocs.README, "data/package.yaml"):
        (tmp_path / rel).parent.mkdir(parents=True, exist_ok=True)
        (tmp_path / rel).write_bytes((REPO / rel).read_bytes())
    stale = CONTRIBUTING.replace("| `M201` |", "| `M201 stale` |")
    (tmp_path / clidocs.CONTRIBUTING).write_text(stale, encoding="utf-8")
    monkeypatch.chdir(tmp_path)
    code = clidocs.run(argv)
    out = capsys.readouterr()
    assert code == (0 if argv[0] in ("-h", "--help") else 2)
    assert "usage: python -m nkdata.cli.docs" in out.out + out.err
    assert (tmp_path / clidocs.CONTRIBUTING).read_text(encoding="utf-8") == stale
    assert not (tmp_path / clidocs.CLI_DOC).exists()
