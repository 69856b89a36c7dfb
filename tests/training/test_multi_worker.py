"""Two workers on 127.0.0.1 train together under `MultiWorkerMirroredStrategy`.

Each worker is `tests/training/child_process.py pretrain
--strategy=multi_worker` (`pretrain.run`, what `xlm-train` runs) with its
own `TF_CONFIG` task index; both share one workdir, as workers on a shared
file system do, so the tests also see whether the non-chief clobbers the
chief's files. The run happens once per module; the tests check:

- both finish; the chief (worker 0) writes the last checkpoint and the
  preset, and the non-chief's scratch checkpoint is gone;
- both end with the same weights (each dumps `model.get_weights()`), and
  they are the preset's weights;
- they read disjoint halves of the data. The corpus is a tiny copy of the
  de/en/fr sample (99 distinct lines per file, fewer than the readers'
  128-line blocks), one file per language and pair, so each worker gets
  every file with its own line shard. `child_process` records the files and
  line shard of every input pipeline the trainer built (from its real
  `InputContext`); the test reads each file through the same readers with
  that plan: each worker's lines are about half the file, the two share
  none, and together they are the whole file.
"""

import json
import os
import socket
import subprocess
import types

import numpy as np
import pytest
import tensorflow as tf

from tests.training import child_process
from tests.training.conftest import LANGUAGES
from xlm_keras.data import corpus
from xlm_keras.data import line_datasets
from xlm_keras.models import XLMMaskedLM

pytestmark = pytest.mark.slow  # A cluster of worker processes.

WORKERS = 2
LINES_PER_FILE = 99
TIMEOUT = 240


def free_ports(count):
    sockets = [socket.socket() for _ in range(count)]
    for s in sockets:
        s.bind(("127.0.0.1", 0))
    ports = [s.getsockname()[1] for s in sockets]
    for s in sockets:
        s.close()
    return ports


def tiny_corpus(directory):
    """The first `LINES_PER_FILE` distinct lines of the sample's mono and
    en-X parallel train files for `LANGUAGES`. Returns: file name -> lines."""
    lines = {}
    names = {
        "mono": [f"{code}.train.txt" for code in LANGUAGES],
        "parallel": [f"en-{code}.train.tsv" for code in LANGUAGES if code != "en"],
    }
    for kind, files in names.items():
        os.makedirs(directory / kind)
        for name in files:
            with open(os.path.join(corpus.SAMPLE_CORPUS_DIR, kind, name), encoding="utf-8") as f:
                lines[name] = list(dict.fromkeys(line.strip() for line in f))[:LINES_PER_FILE]
            (directory / kind / name).write_text("\n".join(lines[name]) + "\n", encoding="utf-8")
    return lines


def run_workers(directory, config):
    """Start the workers, wait for both; kill both if one fails or hangs."""
    cluster = [f"127.0.0.1:{port}" for port in free_ports(WORKERS)]
    processes, logs = [], []
    for index in range(WORKERS):
        env = dict(
            os.environ,
            TF_CONFIG=json.dumps(
                {"cluster": {"worker": cluster}, "task": {"type": "worker", "index": index}}
            ),
        )
        logs.append(open(directory / f"worker_{index}.log", "w"))
        processes.append(
            subprocess.Popen(
                child_process.command(
                    "pretrain",
                    "--strategy=multi_worker",
                    f"--workdir={directory / 'workdir'}",
                    f"--out={directory / f'out_{index}'}",
                    f"--config={json.dumps(config)}",
                ),
                env=env,
                stdout=logs[-1],
                stderr=subprocess.STDOUT,
            )
        )
    try:
        for process in processes:
            process.wait(timeout=TIMEOUT)
    finally:
        for process in processes:
            if process.poll() is None:
                process.kill()
                process.wait()
        for log in logs:
            log.close()
    for index, process in enumerate(processes):
        tail = (directory / f"worker_{index}.log").read_text()[-5000:]
        assert process.returncode == 0, f"worker {index} failed:\n{tail}"


def saved_weights(npz_path):
    with np.load(npz_path) as arrays:
        return [arrays[f"arr_{i}"] for i in range(len(arrays.files))]


@pytest.fixture(scope="module")
def cluster_run(tmp_path_factory, tokenizer_dir):
    """Both workers' results, after one run on the tiny corpus."""
    directory = tmp_path_factory.mktemp("multi_worker")
    lines = tiny_corpus(directory / "corpus")
    run_workers(
        directory,
        child_process.tiny_config(
            tokenizer_dir, LANGUAGES, **{"data.corpus_dir": str(directory / "corpus")}
        ),
    )
    return types.SimpleNamespace(
        workdir=directory / "workdir",
        corpus_dir=directory / "corpus",
        corpus_lines=lines,
        results=[
            json.loads((directory / f"out_{i}" / "result.json").read_text()) for i in range(WORKERS)
        ],
        weights=[saved_weights(directory / f"out_{i}" / "weights.npz") for i in range(WORKERS)],
    )


def test_chief_writes_checkpoint_and_preset_and_nothing_else_remains(cluster_run):
    assert [r["replicas"] for r in cluster_run.results] == [WORKERS] * WORKERS
    workdir = cluster_run.workdir
    assert sorted(os.listdir(workdir / "checkpoints")) == [
        "checkpoint",
        "ckpt-10.data-00000-of-00001",
        "ckpt-10.index",
    ]
    assert not (workdir / "scratch" / "worker_1").exists()
    assert (workdir / "preset" / "model.weights.h5").exists()


def test_workers_end_with_the_same_weights_as_the_preset(cluster_run):
    chief, other = cluster_run.weights
    preset = XLMMaskedLM.from_preset(str(cluster_run.workdir / "preset"), compile=False)
    for mine, theirs, saved in zip(chief, other, preset.get_weights(), strict=True):
        np.testing.assert_array_equal(theirs, mine)
        np.testing.assert_array_equal(saved, mine)


def planned_shard(result, file_name):
    """The one line shard this worker's pipelines were given for `file_name`."""
    shards = {
        tuple(plan["line_shard"] or ())
        for plan in result["plans"]
        for path in plan["paths"]
        if os.path.basename(path if isinstance(path, str) else path[0]) == file_name
    }
    assert len(shards) == 1, (file_name, shards)
    return shards.pop()


def read_with_shard(path, shard):
    """The lines the readers give for `path` under line shard `shard`."""
    context = tf.distribute.InputContext(
        num_input_pipelines=shard[1], input_pipeline_id=shard[0], num_replicas_in_sync=shard[1]
    )
    if path.endswith(".tsv"):
        batches = line_datasets.pair_batches([path], batch_lines=128, input_context=context)
        return [
            f"{s.decode()}\t{t.decode()}"
            for sources, targets in batches.as_numpy_iterator()
            for s, t in zip(sources, targets)
        ]
    batches = line_datasets.sentence_batches([path], batch_lines=128, input_context=context)
    return [s.decode() for batch in batches.as_numpy_iterator() for s in batch]


@pytest.mark.parametrize(
    "file_name",
    [f"{code}.train.txt" for code in LANGUAGES]
    + [f"en-{code}.train.tsv" for code in LANGUAGES if code != "en"],
)
def test_workers_read_disjoint_halves_that_make_the_whole_file(cluster_run, file_name):
    lines = set(cluster_run.corpus_lines[file_name])
    folder = "parallel" if file_name.endswith(".tsv") else "mono"
    path = str(cluster_run.corpus_dir / folder / file_name)
    shards = []
    for index, result in enumerate(cluster_run.results):
        shard = planned_shard(result, file_name)
        assert shard == (index, WORKERS)
        read = read_with_shard(path, shard)
        assert abs(len(read) - len(lines) / WORKERS) <= 1, (index, len(read))
        shards.append(set(read))
    assert not shards[0] & shards[1], "both workers read the same lines"
    assert shards[0] | shards[1] == lines, "lines nobody read"
