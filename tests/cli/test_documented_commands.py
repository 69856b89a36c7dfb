"""Every shipped config and every `xlm-*` command line of README.md and
docs/*.md loads through the installed console scripts, as a user on a fresh
install runs them: from a working directory outside the repository, with no
`PYTHONPATH`. `xlm-train` runs as far as its config check (`--dry_run`);
the other programs run as written, on paths moved into a temporary
directory, so they stop at their first missing input with one error line.
A traceback, an unknown flag or a missing required one fails the test."""

import concurrent.futures
import os
import pathlib
import re
import shlex
import subprocess
import sys

import pytest

ROOT = pathlib.Path(__file__).resolve().parents[2]
BIN = pathlib.Path(sys.executable).parent
CONFIGS = sorted((ROOT / "configs").glob("*.py"))
DOCUMENTS = [ROOT / "README.md", *sorted((ROOT / "docs").glob("*.md"))]
PROGRAM = re.compile(r"^xlm-[a-z]+$")

pytestmark = pytest.mark.slow


def documented_commands(path):
    """The `xlm-*` command lines (argv lists) of the fenced code blocks of
    the Markdown file `path`: continuation lines joined, comments dropped,
    `a && b` and `echo ... | xlm-x` split into their commands."""
    commands, block, in_block = [], [], False
    for line in path.read_text(encoding="utf-8").splitlines():
        if line.lstrip().startswith("```"):
            if in_block:
                commands += _commands_of(block)
            block, in_block = [], not in_block
        elif in_block:
            block.append(line)
    return commands


def _commands_of(lines):
    text = re.sub(r"\\\n\s*", " ", "\n".join(lines))
    commands = []
    for line in text.splitlines():
        try:
            words = shlex.split(line, comments=True)
        except ValueError:
            continue  # Not shell (Python in a code block).
        command = []
        for word in [*words, "&&"]:
            if word in ("&&", "|", ";"):
                if command and PROGRAM.match(command[0]):
                    commands.append(command)
                command = []
            else:
                command.append(word)
    return commands


def as_user_would(argv, home):
    """`argv` with its paths moved under `home` (`$W`, `/tmp`, `/models`,
    `gs://`), and `--dry_run` for `xlm-train`."""
    moved = []
    for word in argv:
        word = word.replace("$W", f"{home}/w").replace("$HOME", str(home))
        word = re.sub(r"(=|^)(/tmp|/models|/data)/", rf"\g<1>{home}\g<2>/", word)
        word = word.replace("gs://", f"{home}/gs/")
        moved.append(word)
    if argv[0] == "xlm-train":
        moved.append("--dry_run")
    return moved


def run_as_user(argv, cwd, home):
    """Run the installed console script `argv[0]` in `cwd`, with no
    PYTHONPATH and HOME=`home`; returns the CompletedProcess."""
    env = {k: v for k, v in os.environ.items() if k != "PYTHONPATH"}
    env["HOME"] = str(home)
    return subprocess.run(
        [str(BIN / argv[0]), *argv[1:]],
        cwd=cwd,
        env=env,
        capture_output=True,
        text=True,
        timeout=300,
        stdin=subprocess.DEVNULL,
    )


def problem(argv, result):
    """Why `result` of `argv` is not a clean run (None when it is one): exit
    0, or exit 1 with a single `<program>: error:` line on stderr."""
    lines = result.stderr.splitlines()
    shown = f"{shlex.join(argv)}\nexit {result.returncode}\n" + "\n".join(lines[-15:])
    if "Traceback" in result.stderr:
        return f"traceback:\n{shown}"
    if result.returncode == 0:
        return None
    if result.returncode != 1:
        return f"the command line does not parse:\n{shown}"
    errors = [line for line in lines if line.startswith(f"{argv[0]}: error:")]
    if len(errors) != 1 or "Unexpected arguments" in errors[0]:
        return f"not one expected error line:\n{shown}"
    return None


def run_all(commands, cwd, home):
    """[problem, ...] of running `commands` two at a time."""
    with concurrent.futures.ThreadPoolExecutor(2) as pool:
        results = pool.map(lambda argv: (argv, run_as_user(argv, cwd, home)), commands)
        return [p for p in (problem(argv, result) for argv, result in results) if p]


@pytest.fixture
def user_directory(tmp_path):
    """A working directory outside the repository in which the documents'
    relative paths (`configs/...`, `xlm_keras/data/...`) resolve."""
    cwd = tmp_path / "cwd"
    cwd.mkdir()
    for name in ("configs", "xlm_keras", "tools"):
        (cwd / name).symlink_to(ROOT / name)
    (tmp_path / "home").mkdir()
    return cwd, tmp_path / "home"


def test_every_config_dry_runs_from_outside_the_repository(user_directory):
    cwd, home = user_directory
    commands = []
    for index, config in enumerate(CONFIGS):
        # Half by absolute path, half by a path relative to the working directory.
        path = config if index % 2 else os.path.relpath(config, cwd.parent)
        commands.append(
            ["xlm-train", f"--config={path}", f"--workdir={home}/w/{config.stem}", "--dry_run"]
        )
    failures = run_all(commands, cwd.parent, home)
    assert not failures, "\n\n".join(failures)


def test_documented_commands_load(user_directory):
    cwd, home = user_directory
    commands = []
    for document in DOCUMENTS:
        for argv in documented_commands(document):
            command = as_user_would(argv, home)
            if command not in commands:
                commands.append(command)
    assert len(commands) > 20, "the documents' command lines were not found"
    failures = run_all(commands, cwd, home)
    assert not failures, "\n\n".join(failures)


def test_the_command_parser_reads_continuations_chains_and_pipes(tmp_path):
    document = tmp_path / "doc.md"
    document.write_text(
        "text xlm-train --not-a-command\n"
        "```bash\n"
        "python tools/build_corpus.py   # not ours\n"
        "xlm-train --config=configs/tiny.py \\\n"
        "    --workdir=/tmp/run   # a comment\n"
        'echo "Open it." | xlm-translate --workdir=$W/mt\n'
        "xlm-eval --workdir=/tmp/a && xlm-eval --workdir=/tmp/b\n"
        "```\n"
        "```python\n"
        'print("xlm-train")\n'
        "```\n",
        encoding="utf-8",
    )
    assert documented_commands(document) == [
        ["xlm-train", "--config=configs/tiny.py", "--workdir=/tmp/run"],
        ["xlm-translate", "--workdir=$W/mt"],
        ["xlm-eval", "--workdir=/tmp/a"],
        ["xlm-eval", "--workdir=/tmp/b"],
    ]
    assert as_user_would(["xlm-train", "--workdir=/tmp/run"], "/h") == [
        "xlm-train",
        "--workdir=/h/tmp/run",
        "--dry_run",
    ]
