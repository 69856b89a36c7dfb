"""TFDS: a builder for local multilingual corpora and public data sets by name."""

import tensorflow_datasets as tfds

from xlm_keras.data import corpus
from xlm_keras.data import readers

TFDS_PREFIX = "tfds:"


class XlmLocalCorpus(tfds.core.GeneratorBasedBuilder):
    """A local corpus directory (see `xlm_keras.data.corpus`) as a TFDS data
    set, validated line by line while it is prepared.

    Configs: `monolingual` (`text`, `language`) and `parallel` (`source`,
    `target`, `source_language`, `target_language`). Splits: every
    `<split>` found in the file names.

    Example:
        builder = XlmLocalCorpus(config="parallel", data_dir="/tmp/tfds")
        builder.download_and_prepare(download_config=tfds.download.DownloadConfig(
            manual_dir=corpus_dir))
        ds = builder.as_dataset(split="train")
    """

    VERSION = tfds.core.Version("1.0.0")
    BUILDER_CONFIGS = [
        tfds.core.BuilderConfig(name="monolingual", description="Sentences with their language."),
        tfds.core.BuilderConfig(name="parallel", description="Translation pairs."),
    ]
    MANUAL_DOWNLOAD_INSTRUCTIONS = (
        "Pass the corpus directory (mono/<lang>.<split>.txt, "
        "parallel/<l1>-<l2>.<split>.tsv) as DownloadConfig(manual_dir=...)."
    )

    def _info(self):
        if self.builder_config.name == "monolingual":
            features = {"text": tfds.features.Text(), "language": tfds.features.Text()}
        else:
            features = {
                "source": tfds.features.Text(),
                "target": tfds.features.Text(),
                "source_language": tfds.features.Text(),
                "target_language": tfds.features.Text(),
            }
        return self.dataset_info_from_configs(features=tfds.features.FeaturesDict(features))

    def _split_generators(self, dl_manager):
        directory = str(dl_manager.manual_dir)
        splits = {}
        for split in ("train", "validation", "test"):
            lister = (
                corpus.monolingual_files
                if self.builder_config.name == "monolingual"
                else corpus.parallel_files
            )
            try:
                splits[split] = self._generate_examples(lister(directory, split))
            except FileNotFoundError:
                continue
        if not splits:
            raise FileNotFoundError(
                f"No corpus files in {directory}. {self.MANUAL_DOWNLOAD_INSTRUCTIONS}"
            )
        return splits

    def _generate_examples(self, files):
        stats = readers.CorpusStats()
        for key, paths in sorted(files.items()):
            for path in paths:
                if self.builder_config.name == "monolingual":
                    for n, text in enumerate(readers.read_text(path, stats)):
                        yield f"{path}:{n}", {"text": text, "language": key}
                else:
                    for n, (source, target) in enumerate(readers.read_tsv_pairs(path, stats)):
                        yield (
                            f"{path}:{n}",
                            {
                                "source": source,
                                "target": target,
                                "source_language": key[0],
                                "target_language": key[1],
                            },
                        )


def load_public(spec, split, data_dir=None):
    """A public TFDS data set the user has already downloaded.

    Args:
        spec: `"tfds:<name>[/<config>]"`, e.g. `"tfds:xnli"`.
        split: TFDS split string, e.g. `"train"`.
        data_dir: TFDS data directory (default: TFDS's own).

    Returns: `tf.data.Dataset` of feature dicts.
    """
    if not spec.startswith(TFDS_PREFIX):
        raise ValueError(f"Expected 'tfds:<name>', got {spec!r}.")
    name = spec[len(TFDS_PREFIX) :]
    try:
        return tfds.load(name, split=split, data_dir=data_dir, download=False)
    except Exception as error:  # TFDS raises several types for "not prepared".
        raise FileNotFoundError(
            f"TFDS data set {name!r} (split {split!r}) is not available in "
            f"{data_dir or 'the default TFDS data_dir'}: {error}. Download and "
            f"prepare it where you have internet (`tfds build {name}`), then "
            "copy the data directory here and pass its path."
        ) from error
