"""The config sections that pretraining and fine-tuning share (`optimizer`,
`train`) and their check; each package's `config.py` adds its own."""

import os

import ml_collections

from xlm_keras.models import preset_files
from xlm_keras.paths import cannot_write
from xlm_keras.ranges import finite_in_range
from xlm_keras.ranges import range_text
from xlm_keras.training.optimizer import DECAYS

MIXED_PRECISION = ("", "mixed_float16", "mixed_bfloat16")


def optimizer_config(learning_rate, warmup_steps, beta_2, epsilon):
    """The `optimizer` section: AdamW with warm-up and decay."""
    c = ml_collections.ConfigDict()
    c.learning_rate = learning_rate  # Peak learning rate.
    c.warmup_steps = warmup_steps  # Linear warm-up steps.
    c.decay = "linear"  # linear | inverse_sqrt | constant after warm-up.
    c.weight_decay = 0.01  # AdamW decay (not on biases / LayerNorm).
    c.beta_1 = 0.9
    c.beta_2 = beta_2
    c.epsilon = epsilon
    c.clip_norm = 1.0  # Global gradient-norm clip; 0 = none.
    c.accumulation_steps = 1  # Micro-batches per optimizer step.
    return c


def train_config(num_steps, keep_checkpoints):
    """The `train` section: steps, checkpoints, seed, precision, XLA."""
    c = ml_collections.ConfigDict()
    c.num_steps = num_steps  # Optimizer steps (at most, with early stopping).
    c.steps_per_execution = 10  # Steps per compiled call (and per log line).
    c.checkpoint_every = 100  # Steps between checkpoints (multiple of the above).
    c.keep_checkpoints = keep_checkpoints  # Checkpoints kept.
    c.seed = 0  # Seed of weight initialisation and dropout.
    # "" | mixed_float16 (GPU) | mixed_bfloat16 (TPU; slower than float32
    # on CPUs without bfloat16 matmuls, see README "Training speed").
    c.mixed_precision = ""
    # XLA: one device compiles the whole step, several replicas the
    # forward/backward pass (README "Training speed"). Off here, for the tiny
    # default model, whose short runs spend more on compiling than they
    # save; every recipe in configs/ turns it on (--config.train.jit_compile).
    c.jit_compile = False
    return c


def config_checker():
    """`(check, raise_errors)`: `check(ok, key, message)` collects a failure;
    `raise_errors()` raises one ValueError listing them all (one line), if any."""
    errors = []

    def check(ok, key, message):
        if not ok:
            errors.append(f"{key}: {message}")

    def raise_errors():
        if errors:
            raise ValueError("Invalid config: " + "; ".join(errors))

    return check, raise_errors


def check_renamed_preset(config, check):
    """`model.preset` (kept empty) was renamed `model.init_from`."""
    check(
        not config.model.get("preset"),
        "model.preset",
        f"was renamed model.init_from; pass --config.model.init_from={config.model.get('preset')}",
    )


def check_workdir(workdir, check):
    """`workdir` must be writable (see `cannot_write`)."""
    reason = cannot_write(workdir)
    check(
        reason is None,
        "--workdir",
        f"{workdir!r} cannot be written: {reason}; pass a directory you can write",
    )


def check_corpus_dir(corpus_dir, check, holding):
    """`data.corpus_dir` must be '' (the bundled sample) or a directory;
    `holding` says what the directory holds, in the message."""
    path = os.path.expanduser(corpus_dir)
    check(
        not path or os.path.isdir(path),
        "data.corpus_dir",
        f"{corpus_dir!r} is not a directory; pass a corpus directory {holding} "
        "or '' for the bundled sample (the recipes' full corpus: python tools/build_corpus.py, "
        "then python tools/write_halves.py for its halves)",
    )


def tokenizer_languages(preset_dir):
    """Language codes of a tokenizer preset (its `tokenizer.json`), [] when
    it has none, or None when `preset_dir` holds no tokenizer."""
    return preset_files.tokenizer_languages(preset_dir)


def check_optimization(config, check):
    """The `optimizer` and `train` checks shared by pretraining and
    fine-tuning; `check(ok, key, message)` collects failures."""
    opt = config.optimizer
    positive = "must be a finite number > 0"
    check(_positive(opt.learning_rate), "optimizer.learning_rate", positive)
    check(opt.warmup_steps >= 0, "optimizer.warmup_steps", "must be >= 0")
    check(finite_in_range(opt.weight_decay, 0), "optimizer.weight_decay", range_text(0))
    check(0 <= opt.beta_1 < 1, "optimizer.beta_1", "must be in [0, 1)")
    check(0 <= opt.beta_2 < 1, "optimizer.beta_2", "must be in [0, 1)")
    check(_positive(opt.epsilon), "optimizer.epsilon", positive)
    check(opt.decay in DECAYS, "optimizer.decay", f"choose one of {DECAYS}")
    check(opt.accumulation_steps >= 1, "optimizer.accumulation_steps", "must be >= 1")
    check(finite_in_range(opt.clip_norm, 0), "optimizer.clip_norm", range_text(0))
    train = config.train
    check(train.num_steps >= 1, "train.num_steps", "must be >= 1")
    check(train.steps_per_execution >= 1, "train.steps_per_execution", "must be >= 1")
    check(
        train.keep_checkpoints >= 1,
        "train.keep_checkpoints",
        "must be >= 1 (2 or more lets resume fall back from a damaged checkpoint)",
    )
    for key in ("checkpoint_every",) + (("eval_every",) if "eval_every" in train else ()):
        check(
            train[key] >= 1 and train[key] % train.steps_per_execution == 0,
            f"train.{key}",
            f"must be a positive multiple of train.steps_per_execution={train.steps_per_execution}",
        )
    check(
        train.mixed_precision in MIXED_PRECISION,
        "train.mixed_precision",
        f"choose one of {MIXED_PRECISION}",
    )


def _positive(value):
    return finite_in_range(value, 0) and value > 0


def split_languages(value):
    """ "en, fr" -> ["en", "fr"] (`data.languages`)."""
    return [code.strip() for code in value.split(",") if code.strip()]


def missing_languages(languages, tokenizer_languages, tokenizer_dir):
    """What is wrong when a training language has no id in the tokenizer
    (a message), else None."""
    unknown = sorted(set(languages) - set(tokenizer_languages))
    if not unknown:
        return None
    return (
        f"{unknown} are not in the tokenizer {tokenizer_dir}, which knows "
        f"{list(tokenizer_languages)}; drop them, or use a tokenizer trained on them "
        "(data.tokenizer='' trains one)"
    )
