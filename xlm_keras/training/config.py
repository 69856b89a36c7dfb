"""The experiment config: defaults, and the check that runs before compute."""

import ml_collections

from xlm_keras.models.presets import PRESETS
from xlm_keras.training.optimizer import DECAYS
from xlm_keras.training.strategy import STRATEGIES

OBJECTIVES = ("mlm", "tlm", "clm")
MIXED_PRECISION = ("", "mixed_float16", "mixed_bfloat16")


def base_config():
    """Every field with a default and a one-line comment; configs/*.py
    override what their recipe changes."""
    c = ml_collections.ConfigDict()

    c.model = ml_collections.ConfigDict()
    c.model.preset = "xlm_tiny"  # Architecture preset; vocabulary/languages come from the tokenizer.
    c.model.dropout = 0.1  # Dropout on embeddings, attention and residuals.
    c.model.use_language_embedding = True  # XLM's per-token language embeddings (XLM-R: False).

    c.data = ml_collections.ConfigDict()
    c.data.corpus_dir = ""  # Corpus directory (mono/, parallel/); "" = bundled sample.
    c.data.languages = ""  # Comma-separated language codes; "" = all in the corpus.
    c.data.tokenizer = ""  # Tokenizer preset dir; "" = train one into workdir/tokenizer.
    c.data.vocabulary_size = 4000  # Size of a tokenizer trained at start-up.
    c.data.sequence_length = 64  # Tokens per training example.
    c.data.batch_size = 16  # Examples per replica per micro-batch.
    c.data.mask_rate = 0.15  # Share of tokens that become MLM/TLM targets.
    c.data.sample_alpha = 0.0  # XLM frequency-weighted target sampling (0 = uniform).
    c.data.seed = 0  # Seed of data order and masking.

    c.objectives = ml_collections.ConfigDict()
    for name, weight in (("mlm", 1.0), ("tlm", 0.0), ("clm", 0.0)):
        objective = ml_collections.ConfigDict()
        objective.weight = weight  # Share of steps (0 = off); XLM alternates MLM and TLM.
        objective.alpha = 0.5  # Language sampling exponent q_i ∝ p_i^alpha.
        c.objectives[name] = objective

    c.optimizer = ml_collections.ConfigDict()
    c.optimizer.learning_rate = 1e-3  # Peak learning rate.
    c.optimizer.warmup_steps = 50  # Linear warm-up steps.
    c.optimizer.decay = "linear"  # linear | inverse_sqrt | constant after warm-up.
    c.optimizer.weight_decay = 0.01  # AdamW decay (not on biases / LayerNorm).
    c.optimizer.beta_1 = 0.9
    c.optimizer.beta_2 = 0.98
    c.optimizer.epsilon = 1e-6
    c.optimizer.clip_norm = 1.0  # Global gradient-norm clip; 0 = none.
    c.optimizer.accumulation_steps = 1  # Micro-batches per optimizer step.

    c.train = ml_collections.ConfigDict()
    c.train.num_steps = 600  # Optimizer steps.
    c.train.steps_per_execution = 10  # Steps per compiled call (and per log line).
    c.train.checkpoint_every = 100  # Steps between checkpoints (multiple of the above).
    c.train.keep_checkpoints = 3  # Checkpoints kept.
    c.train.seed = 0  # Seed of weight initialisation and dropout.
    c.train.mixed_precision = ""  # "" | mixed_float16 (GPU) | mixed_bfloat16 (TPU).
    c.train.jit_compile = False  # XLA-compile the forward/backward pass.
    return c


def validate(config, strategy_name="auto"):
    """Reject a bad config before any compute, naming the key and the fix."""
    errors = []

    def check(ok, key, message):
        if not ok:
            errors.append(f"{key}: {message}")

    check(config.model.preset in PRESETS, "model.preset",
          f"unknown preset {config.model.preset!r}; choose one of {sorted(PRESETS)}")
    check(0 <= config.model.dropout < 1, "model.dropout", "must be in [0, 1)")
    check(strategy_name in STRATEGIES, "--strategy", f"choose one of {STRATEGIES}")
    check(config.data.sequence_length >= 8, "data.sequence_length", "must be >= 8")
    check(config.data.batch_size >= 1, "data.batch_size", "must be >= 1")
    check(0 < config.data.mask_rate < 1, "data.mask_rate", "must be in (0, 1)")
    check(config.data.vocabulary_size >= 100, "data.vocabulary_size", "must be >= 100")
    weights = {name: config.objectives[name].weight for name in OBJECTIVES}
    check(all(w >= 0 for w in weights.values()), "objectives.*.weight", "must be >= 0")
    check(any(w > 0 for w in weights.values()), "objectives.*.weight",
          "at least one of mlm/tlm/clm needs a positive weight")
    check(not (weights["clm"] > 0 and (weights["mlm"] > 0 or weights["tlm"] > 0)),
          "objectives.clm.weight",
          "CLM needs a causal model and cannot be mixed with MLM/TLM; set "
          "objectives.mlm.weight=0 and objectives.tlm.weight=0, or clm.weight=0")
    for name in OBJECTIVES:
        check(0 <= config.objectives[name].alpha <= 1, f"objectives.{name}.alpha", "must be in [0, 1]")
    check_optimization(config, check)
    if errors:
        raise ValueError("Invalid config:\n  " + "\n  ".join(errors))


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


def get_config():
    """The default experiment (tiny model, bundled corpus) for `xlm-train`."""
    return base_config()
