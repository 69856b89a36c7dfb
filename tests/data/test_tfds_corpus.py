"""The TFDS builder prepares a local corpus; public data sets fail clearly."""

import pytest
import tensorflow_datasets as tfds

from xlm_keras.data.tfds_corpus import XlmLocalCorpus
from xlm_keras.data.tfds_corpus import load_public


def _corpus(root):
    (root / "mono").mkdir(parents=True)
    (root / "parallel").mkdir()
    (root / "mono" / "en.train.txt").write_bytes(b"Hello.\nWorld.\n\xff\n")
    (root / "mono" / "fr.train.txt").write_text("Bonjour.\n")
    (root / "mono" / "fr.test.txt").write_text("Salut.\n")
    (root / "parallel" / "en-fr.train.tsv").write_text("Hello.\tBonjour.\nbad line\n")
    return root


@pytest.mark.parametrize("config", ["monolingual", "parallel"])
def test_local_corpus_builder(config, tmp_path):
    corpus = _corpus(tmp_path / "corpus")
    builder = XlmLocalCorpus(config=config, data_dir=str(tmp_path / "tfds"))
    builder.download_and_prepare(
        download_config=tfds.download.DownloadConfig(manual_dir=str(corpus))
    )
    rows = list(builder.as_dataset(split="train").as_numpy_iterator())
    if config == "monolingual":
        assert sorted((r["language"], r["text"]) for r in rows) == [
            (b"en", b"Hello."),
            (b"en", b"World."),
            (b"fr", b"Bonjour."),
        ]
        assert set(builder.info.splits) == {"train", "test"}
    else:
        assert rows == [
            {
                "source": b"Hello.",
                "target": b"Bonjour.",
                "source_language": b"en",
                "target_language": b"fr",
            }
        ]


def test_public_dataset_not_downloaded_is_a_clear_error(tmp_path):
    with pytest.raises(FileNotFoundError, match="tfds build xnli"):
        load_public("tfds:xnli", "train", data_dir=str(tmp_path))
