"""`xlm-train --dry_run`: the resolved config and the files the run would
read, printed after the config check, before any compute."""

import glob
import os

from xlm_keras.data import corpus
from xlm_keras.finetuning.task_data import SAMPLE_TASK_DIR
from xlm_keras.training.config import split_languages
from xlm_keras.translation import pipelines as translation_pipelines
from xlm_keras.translation.config import objective_weights
from xlm_keras.translation.config import parse_directions


def report(config, kind):
    """The dry run's text: `config` (YAML) and what a `kind` run reads
    ("pretraining", "fine-tuning" or "translation")."""
    reads = {
        "pretraining": _pretraining_files,
        "fine-tuning": _task_files,
        "translation": _translation_files,
    }[kind](config)
    lines = [f"# {kind} config", str(config).rstrip(), "# it would read"]
    lines += [f"{label}: {path}" for label, paths in reads for path in paths]
    lines.append("# dry run: nothing was trained or written")
    return "\n".join(lines)


def _corpus_dir(config):
    return os.path.expanduser(config.data.corpus_dir) or corpus.SAMPLE_CORPUS_DIR


def _pretraining_files(config):
    corpus_dir = _corpus_dir(config)
    wanted = set(split_languages(config.data.languages))
    reads = []
    if config.objectives.mlm.weight > 0 or config.objectives.clm.weight > 0:
        for language, paths in corpus.monolingual_files(corpus_dir, "train").items():
            if not wanted or language in wanted:
                reads.append((f"mono {language}", paths))
    if config.objectives.tlm.weight > 0:
        for pair, paths in corpus.parallel_files(corpus_dir, "train").items():
            if not wanted or set(pair) <= wanted:
                reads.append((f"parallel {'-'.join(pair)}", paths))
    return reads


def _translation_files(config):
    corpus_dir = _corpus_dir(config)
    directions = parse_directions(config.translation.directions)
    splits = ["train"] + ([config.translation.eval_split] if config.translation.eval_split else [])
    reads = []
    for split in splits:
        for direction in directions:
            paths, _ = translation_pipelines.direction_files(corpus_dir, split, direction)
            reads.append((f"{split} {translation_pipelines.direction_name(direction)}", paths))
    if config.data.monolingual == "mono" and set(objective_weights(config)) & {"ae", "bt"}:
        mono = corpus.monolingual_files(corpus_dir, "train")
        for language in sorted({code for direction in directions for code in direction}):
            reads.append((f"mono {language}", mono.get(language, [])))
    return reads


def _task_files(config):
    data = config.task.data or SAMPLE_TASK_DIR
    if data.startswith("tfds:"):
        return [("TFDS", [f"{data} in {config.task.tfds_data_dir or 'the TFDS default dir'}"])]
    return [("task", sorted(glob.glob(os.path.join(os.path.expanduser(data), "*.*"))))]
