"""The config sections that pretraining and fine-tuning share (`optimizer`,
`train`) and their check; each package's `config.py` adds its own."""

import ml_collections

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
    c.mixed_precision = ""  # "" | mixed_float16 (GPU) | mixed_bfloat16 (TPU).
    c.jit_compile = False  # XLA-compile the forward/backward pass.
    return c


def config_checker():
    """`(check, raise_errors)`: `check(ok, key, message)` collects a failure;
    `raise_errors()` raises one ValueError listing them all, if any."""
    errors = []

    def check(ok, key, message):
        if not ok:
            errors.append(f"{key}: {message}")

    def raise_errors():
        if errors:
            raise ValueError("Invalid config:\n  " + "\n  ".join(errors))

    return check, raise_errors


def check_optimization(config, check):
    """The `optimizer` and `train` checks shared by pretraining and
    fine-tuning; `check(ok, key, message)` collects failures."""
    check(config.optimizer.learning_rate > 0, "optimizer.learning_rate", "must be > 0")
    check(config.optimizer.decay in DECAYS, "optimizer.decay", f"choose one of {DECAYS}")
    check(config.optimizer.accumulation_steps >= 1, "optimizer.accumulation_steps", "must be >= 1")
    check(config.optimizer.clip_norm >= 0, "optimizer.clip_norm", "must be >= 0")
    train = config.train
    check(train.num_steps >= 1, "train.num_steps", "must be >= 1")
    check(train.steps_per_execution >= 1, "train.steps_per_execution", "must be >= 1")
    for key in ("checkpoint_every",) + (("eval_every",) if "eval_every" in train else ()):
        check(train[key] >= 1 and train[key] % train.steps_per_execution == 0, f"train.{key}",
              f"must be a positive multiple of train.steps_per_execution={train.steps_per_execution}")
    check(train.mixed_precision in MIXED_PRECISION, "train.mixed_precision",
          f"choose one of {MIXED_PRECISION}")
