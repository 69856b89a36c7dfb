"""A small parallel corpus (the first bundled en-fr and en-de pairs)."""

import os

import pytest

from tests.conftest import LANGUAGES  # noqa: F401
from xlm_keras.data import corpus

LINES = {"train": 24, "test": 6}


@pytest.fixture(scope="session")
def corpus_dir(tmp_path_factory):
    directory = tmp_path_factory.mktemp("corpus")
    os.makedirs(directory / "parallel")
    for pair in ("en-fr", "en-de"):
        for split, count in LINES.items():
            name = f"{pair}.{split}.tsv"
            with open(
                os.path.join(corpus.SAMPLE_CORPUS_DIR, "parallel", name), encoding="utf-8"
            ) as f:
                lines = [next(f) for _ in range(count)]
            with open(directory / "parallel" / name, "w", encoding="utf-8") as f:
                f.writelines(lines)
    return str(directory)
