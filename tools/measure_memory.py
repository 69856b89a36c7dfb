"""Peak memory of converting, loading and exporting a checkpoint of XLM-R
base's exact shape, against the checkpoint's size.

  python tools/measure_memory.py --workdir=/tmp/xlm_measure_memory

Builds once, offline, into `--workdir/hf`: a Hugging Face
`XLMRobertaForMaskedLM` of the shape (default XLM-R base: 250,002 rows,
12 x 768, feed-forward 3,072, 514 positions) with its random initial weights,
saved with `save_pretrained` (one `model.safetensors`), and a SentencePiece
model trained on the bundled corpus as its `sentencepiece.bpe.model` (far
fewer pieces than the model's rows, which the converter allows and which
changes nothing in the weights' memory). Then runs, each in a fresh process
started in `--workdir` as a user runs them:

  convert      xlm-convert --source=hf --input=hf --output=preset --overwrite
  from_preset  python -c "XLMMaskedLM.from_preset('preset')"
  export       xlm-export --preset=preset --export_dir=export (all signatures)

and prints the checkpoint's size, each step's peak resident set size (the
kernel's `ru_maxrss` of the finished process, its waited-for children
included) and seconds, each peak as a multiple of the checkpoint, and the
projected peaks of the larger XLM-R checkpoints: checkpoint x measured
multiple (an upper bound), and, with the step `imports` (a process that
only imports TensorFlow, Keras and xlm_keras: what any size pays),
imports + checkpoint x (peak - imports) / stand-in checkpoint. GB are 10^9
bytes.
"""

import multiprocessing
import os
import shutil
import subprocess
import sys
import time

import bench_common
from absl import app
from absl import flags

_WORKDIR = flags.DEFINE_string(
    "workdir", "/tmp/xlm_measure_memory", "Stand-in checkpoint, preset and export (reused)."
)
_INTERMEDIATE_DIM = flags.DEFINE_integer("intermediate_dim", 3072, "Feed-forward width.")
_MAX_LENGTH = flags.DEFINE_integer("max_length", 512, "Positions (Hugging Face's 514 less 2).")
_PIECES = flags.DEFINE_integer("pieces", 8000, "SentencePiece pieces of the stand-in tokenizer.")
_STEPS = flags.DEFINE_list(
    "steps", ["imports", "convert", "from_preset", "export"], "Steps to measure."
)
flags.FLAGS.set_default("num_layers", 12)
flags.FLAGS.set_default("hidden_dim", 768)
flags.FLAGS.set_default("num_heads", 12)
flags.FLAGS.set_default("vocabulary_size", 250002)

GB = 1e9
# Published XLM-R checkpoints: float32, 4 bytes per parameter.
LARGER_CHECKPOINTS = {
    "XLM-R large (560M)": 560e6 * 4,
    "XLM-R XL (3.5B)": 3.5e9 * 4,
    "XLM-R XXL (10.7B)": 10.7e9 * 4,
}
IMPORT_SCRIPT = "import xlm_keras.convert, xlm_keras.models, xlm_keras.serving"
LOAD_SCRIPT = (
    "from xlm_keras.models import XLMMaskedLM; "
    "model = XLMMaskedLM.from_preset('preset'); "
    "print(f'{model.count_params():,} parameters')"
)


def build_stand_in(directory, shape, pieces):
    """Write a random `XLMRobertaForMaskedLM` of `shape`
    (`bench_common.hf_xlmr_config` kwargs) and a SentencePiece model of at
    most `pieces` pieces to `directory`."""
    import torch
    import transformers

    torch.manual_seed(0)
    config = bench_common.hf_xlmr_config(**shape, architectures=["XLMRobertaForMaskedLM"])
    model = transformers.XLMRobertaForMaskedLM(config).eval()
    model.save_pretrained(directory, safe_serialization=True)
    with open(os.path.join(directory, "sentencepiece.bpe.model"), "wb") as f:
        f.write(bench_common.sentencepiece_model(pieces))


def console_script(name):
    """Path of the installed console script `name` beside this Python."""
    return os.path.join(os.path.dirname(sys.executable), name)


def step_commands(workdir):
    """Step name -> command line, run in `workdir`."""
    return {
        "imports": [sys.executable, "-c", IMPORT_SCRIPT],
        "convert": [
            console_script("xlm-convert"),
            "--source=hf",
            "--input=hf",
            "--output=preset",
            "--overwrite",
        ],
        "from_preset": [sys.executable, "-c", LOAD_SCRIPT],
        "export": [console_script("xlm-export"), "--preset=preset", "--export_dir=export"],
    }


def peak_rss(command, workdir):
    """(peak resident bytes, seconds) of `command` run to its end in
    `workdir`; its output goes to `workdir/<program>.log`."""
    log = os.path.join(workdir, os.path.basename(command[0]) + ".log")
    start = time.perf_counter()
    with open(log, "w") as output:
        process = subprocess.Popen(command, cwd=workdir, stdout=output, stderr=subprocess.STDOUT)
        _, status, usage = os.wait4(process.pid, 0)
    seconds = time.perf_counter() - start
    if os.waitstatus_to_exitcode(status):
        raise RuntimeError(f"{' '.join(command)} failed; see {log}.")
    return usage.ru_maxrss * 1024, seconds  # Linux counts ru_maxrss in KiB.


def main(argv):
    del argv
    workdir = os.path.abspath(_WORKDIR.value)
    checkpoint_dir = os.path.join(workdir, "hf")
    weights = os.path.join(checkpoint_dir, "model.safetensors")
    if not os.path.isfile(weights):
        shape = dict(
            num_layers=bench_common.NUM_LAYERS.value,
            hidden_dim=bench_common.HIDDEN_DIM.value,
            num_heads=bench_common.NUM_HEADS.value,
            vocabulary_size=bench_common.VOCABULARY_SIZE.value,
            max_length=_MAX_LENGTH.value,
            intermediate_size=_INTERMEDIATE_DIM.value,
        )
        # In a child process, so that torch's copy of the model is gone before measuring.
        builder = multiprocessing.get_context("fork").Process(
            target=build_stand_in, args=(checkpoint_dir, shape, _PIECES.value)
        )
        builder.start()
        builder.join()
        if builder.exitcode:
            raise RuntimeError(f"Building the stand-in checkpoint in {checkpoint_dir} failed.")
    size = os.path.getsize(weights)
    print(f"checkpoint {weights}: {size / GB:.2f} GB")
    commands = step_commands(workdir)
    peaks = {}
    for step in _STEPS.value:
        if step == "export":
            shutil.rmtree(os.path.join(workdir, "export"), ignore_errors=True)
        peaks[step], seconds = peak_rss(commands[step], workdir)
        print(
            f"{step:12s} peak {peaks[step] / GB:5.2f} GB = {peaks[step] / size:4.2f} x checkpoint, "
            f"{seconds:5.0f} s: {' '.join(commands[step])}"
        )
    fixed = peaks.pop("imports", 0)
    for name, checkpoint_bytes in LARGER_CHECKPOINTS.items():
        projected = ", ".join(
            f"{step} {checkpoint_bytes * peak / size / GB:.1f}"
            + (f" ({(fixed + checkpoint_bytes * (peak - fixed) / size) / GB:.1f})" if fixed else "")
            for step, peak in peaks.items()
        )
        print(f"projected GB, {name}, {checkpoint_bytes / GB:.1f} GB checkpoint: {projected}")


if __name__ == "__main__":
    app.run(main)
