"""The README's and the guides' links and commands stay true.

Every relative link points at a file (and a heading, for ``#anchors``);
every ``keras-ppg-kd`` command in a code block names a real command and
only flags that command accepts; every ``python examples/...`` or
``python benchmarks/...`` line names a script that defines its flags.
"""

import pathlib
import re
import shlex

import pytest

from keras_ppg_kd import cli

ROOT = pathlib.Path(__file__).resolve().parents[1]
PAGES = sorted(
    [ROOT / "README.md", ROOT / "CHANGELOG.md", *ROOT.glob("docs/**/*.md")]
)
LINK = re.compile(r"\[[^\]]*\]\(([^)\s]+)\)")
BLOCK = re.compile(r"```(?:bash|sh)?\n(.*?)```", re.S)


def _slug(heading):
    """GitHub's anchor of a Markdown heading."""
    text = re.sub(r"[^\w\- ]", "", heading.strip().lower())
    return text.replace(" ", "-")


def _anchors(page):
    return {
        _slug(line.lstrip("#"))
        for line in page.read_text().splitlines()
        if line.startswith("#")
    }


def _commands(page):
    """Command lines of the page's code blocks (continuations joined)."""
    for block in BLOCK.findall(page.read_text()):
        for line in block.replace("\\\n", " ").splitlines():
            line = line.split(" # ")[0].strip()
            if line:
                yield line


def _name(page):
    return str(page.relative_to(ROOT))


def _broken_links(page):
    broken = []
    for target in LINK.findall(page.read_text()):
        if re.match(r"[a-z]+:", target):  # http(s), mailto
            continue
        path, _, anchor = target.partition("#")
        resolved = (page.parent / path).resolve() if path else page
        if not resolved.exists():
            broken.append(target)
        elif anchor and resolved.suffix == ".md":
            if anchor not in _anchors(resolved):
                broken.append(target)
    return broken


def _wrong_commands(page):
    wrong = []
    for line in _commands(page):
        for part in re.split(r"&&|\|", line):
            if not part.strip().startswith(("keras-ppg-kd ", "python ")):
                continue
            words = shlex.split(part.strip())
            flags = [w.split("=")[0][2:] for w in words if w.startswith("--")]
            if words[:1] == ["keras-ppg-kd"] and len(words) > 1:
                command = words[1]
                if command not in cli._COMMANDS:
                    wrong.append(f"unknown command: {part.strip()}")
                    continue
                accepted = set(cli._COMMANDS[command][1]) | {"verbosity"}
                wrong += [
                    f"--{f} in {part.strip()}"
                    for f in flags
                    if f.removeprefix("no") not in accepted
                    and not f.startswith("config.")
                ]
            elif (
                words[:1] == ["python"]
                and len(words) > 1
                and (words[1].startswith(("examples/", "benchmarks/")))
            ):
                script = ROOT / words[1]
                if not script.is_file():
                    wrong.append(f"no script {words[1]}")
                    continue
                source = script.read_text()
                wrong += [
                    f"--{f} not defined in {words[1]}"
                    for f in flags
                    if f'"{f}"' not in source and f"--{f}" not in source
                ]
    return wrong


@pytest.mark.parametrize("page", PAGES, ids=_name)
def test_links_resolve(page):
    assert not _broken_links(page)


@pytest.mark.parametrize("page", PAGES, ids=_name)
def test_commands_name_real_commands_and_flags(page):
    assert not _wrong_commands(page)


def test_the_checks_see_a_broken_link_and_a_wrong_flag(tmp_path):
    page = tmp_path / "page.md"
    page.write_text(
        "# Title\n[a](missing.md) [b](#title) [c](#nowhere)\n"
        "```bash\nkeras-ppg-kd export --model=m --strategy=dkd\n"
        "keras-ppg-kd frobnicate\npython examples/nope.py\n"
        "python examples/main_job.py --no_such_flag\n```\n"
    )
    assert _broken_links(page) == ["missing.md", "#nowhere"]
    assert _wrong_commands(page) == [
        "--strategy in keras-ppg-kd export --model=m --strategy=dkd",
        "unknown command: keras-ppg-kd frobnicate",
        "no script examples/nope.py",
        "--no_such_flag not defined in examples/main_job.py",
    ]


def test_the_readme_is_a_guide_not_a_notebook():
    lines = (ROOT / "README.md").read_text().splitlines()
    assert len(lines) <= 250, f"README.md has {len(lines)} lines"
