"""A mistyped `--config.<key>` is one line naming the key, the section's keys
and the close match, exit 2; configs build on other config files by path,
from any directory."""

import pathlib
import subprocess
import sys

import ml_collections
import pytest

from xlm_keras.cli import config_flag
from xlm_keras.config_files import load_config_file

ROOT = pathlib.Path(__file__).resolve().parents[2]


def _config():
    return ml_collections.ConfigDict(
        {"train": {"num_steps": 3, "seed": 0}, "model": {"init_from": "xlm_tiny"}}
    )


def test_known_keys_pass():
    assert config_flag.unknown_key(_config(), ["train.num_steps", "model.init_from"]) is None


def test_a_mistyped_key_names_the_section_keys_and_the_close_match():
    assert config_flag.unknown_key(_config(), ["train.seed", "train.num_stepz"]) == (
        "--config.train.num_stepz: config.train has no key 'num_stepz' "
        "(did you mean 'num_steps'?); its keys: num_steps, seed"
    )
    assert config_flag.unknown_key(_config(), ["modl.init_from"]) == (
        "--config.modl.init_from: config has no key 'modl' (did you mean 'model'?); "
        "its keys: model, train"
    )
    assert config_flag.unknown_key(_config(), ["train.seed.x"]) == (
        "--config.train.seed.x: config.train.seed is a value, not a section with keys"
    )


def test_the_command_line_is_read_like_ml_collections_reads_it():
    argv = ["xlm-train", "--config", "a.py", "--config.train.seed=1", "--noconfig.train.jit"]
    assert config_flag.config_path(argv) == "a.py"
    assert config_flag.config_path(["x", "--config=b.py:arg"]) == "b.py:arg"
    assert config_flag.config_path(["x", "--config.train.seed=1"]) is None
    assert config_flag.override_keys(argv) == ["train.seed", "train.jit"]


def test_a_config_builds_on_a_shipped_one_by_path_from_anywhere(tmp_path, monkeypatch):
    """A user's config outside the repository, as docs/pretraining.md shows."""
    shipped = ROOT / "configs" / "mt_enfr.py"
    mine = tmp_path / "my_configs" / "mt_small.py"
    mine.parent.mkdir()
    mine.write_text(
        "from xlm_keras.config_files import load_config_file\n"
        f"mt_enfr = load_config_file({str(shipped)!r}, relative_to=__file__)\n"
        "def get_config():\n"
        "    config = mt_enfr.get_config()\n"
        "    config.data.batch_size = 4\n"
        "    return config\n",
        encoding="utf-8",
    )
    monkeypatch.chdir(tmp_path)
    config = load_config_file(
        "my_configs/mt_small.py", relative_to=str(tmp_path / "x")
    ).get_config()
    assert config.data.batch_size == 4
    assert (
        config.translation.directions
        == load_config_file(shipped, relative_to=__file__).get_config().translation.directions
    )
    assert load_config_file(shipped, relative_to=__file__) is load_config_file(
        "../../configs/mt_enfr.py", relative_to=__file__
    )
    with pytest.raises(FileNotFoundError, match="mt_enfrr.py not found"):
        load_config_file("mt_enfrr.py", relative_to=str(shipped))


@pytest.mark.slow
def test_a_mistyped_override_exits_2_with_one_line(tmp_path):
    result = subprocess.run(
        [
            sys.executable,
            "-m",
            "xlm_keras.cli.train",
            f"--config={ROOT / 'configs' / 'mt_ende.py'}",
            f"--workdir={tmp_path}",
            "--config.train.num_stepz=3",
        ],
        capture_output=True,
        text=True,
        timeout=300,
        cwd=tmp_path,
    )
    assert result.returncode == 2, result.stderr[-2000:]
    assert "Traceback" not in result.stderr
    assert result.stderr.splitlines()[-1].startswith(
        "xlm-train: error: --config.train.num_stepz: config.train has no key 'num_stepz' "
        "(did you mean 'num_steps'?); its keys: "
    )
    assert not list(tmp_path.iterdir())
