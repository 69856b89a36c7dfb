"""The pretraining config (`configs/*.py` without a `task` section):
defaults, and the check that runs before compute."""

import os

import ml_collections

from xlm_keras.pretraining import init_from
from xlm_keras.ranges import finite_in_range
from xlm_keras.ranges import range_text
from xlm_keras.training.config import check_corpus_dir
from xlm_keras.training.config import check_optimization
from xlm_keras.training.config import check_renamed_preset
from xlm_keras.training.config import check_workdir
from xlm_keras.training.config import config_checker
from xlm_keras.training.config import missing_languages
from xlm_keras.training.config import optimizer_config
from xlm_keras.training.config import split_languages
from xlm_keras.training.config import tokenizer_languages
from xlm_keras.training.config import train_config
from xlm_keras.training.strategy import STRATEGIES

OBJECTIVES = ("mlm", "tlm", "clm")


def base_config():
    """Every field with a default and a one-line comment; configs/*.py
    override what their recipe changes."""
    c = ml_collections.ConfigDict()

    c.model = ml_collections.ConfigDict()
    # A built-in shape (random weights; vocabulary and languages from the tokenizer), or a
    # preset directory to continue (its weights, LM head, tokenizer, languages, positions).
    c.model.init_from = "xlm_tiny"
    c.model.preset = ""  # Renamed model.init_from; a value is refused.
    c.model.dropout = 0.1  # Dropout on embeddings, attention and residuals (replaces a preset's).
    c.model.use_language_embedding = (
        True  # Built-in shapes: XLM's per-token language embeddings (XLM-R: False).
    )

    c.data = ml_collections.ConfigDict()
    c.data.corpus_dir = ""  # Corpus directory (mono/, parallel/); "" = bundled sample.
    c.data.languages = ""  # Comma-separated language codes; "" = all in the corpus.
    c.data.tokenizer = (
        ""  # Tokenizer preset dir; "" = init_from's, or one trained into workdir/tokenizer.
    )
    c.data.vocabulary_size = 4000  # Size of a tokenizer trained at start-up.
    c.data.sequence_length = 64  # Tokens per training example.
    c.data.batch_size = 16  # Examples per replica per micro-batch.
    c.data.mask_rate = 0.15  # Share of tokens that become MLM/TLM targets.
    c.data.target_frequency_alpha = 0.0  # XLM's MLM targets drawn ∝ count^-alpha (0 = uniform).
    c.data.seed = 0  # Seed of data order and masking.
    c.data.shuffle_buffer = 10_000  # Lines shuffled per language, 128 at a time (0 = off).

    c.objectives = ml_collections.ConfigDict()
    for name, weight in (("mlm", 1.0), ("tlm", 0.0), ("clm", 0.0)):
        objective = ml_collections.ConfigDict()
        objective.weight = weight  # Share of steps (0 = off); XLM alternates MLM and TLM.
        objective.alpha = 0.5  # Language sampling exponent q_i ∝ p_i^alpha.
        c.objectives[name] = objective

    c.optimizer = optimizer_config(learning_rate=1e-3, warmup_steps=50, beta_2=0.98, epsilon=1e-6)
    c.train = train_config(num_steps=600, keep_checkpoints=3)
    return c


def validate(config, strategy_name="auto", workdir=None):
    """Reject a bad config before any compute (tokenizer training included),
    naming the key and the fix; `workdir`, when given, must be writable."""
    check, raise_errors = config_checker()
    check_renamed_preset(config, check)
    check(0 <= config.model.dropout < 1, "model.dropout", "must be in [0, 1)")
    check(strategy_name in STRATEGIES, "--strategy", f"choose one of {STRATEGIES}")
    _check_data(config, check)
    weights = {name: config.objectives[name].weight for name in OBJECTIVES}
    check(
        all(finite_in_range(w, 0) for w in weights.values()), "objectives.*.weight", range_text(0)
    )
    check(
        any(w > 0 for w in weights.values()),
        "objectives.*.weight",
        "at least one of mlm/tlm/clm needs a positive weight",
    )
    check(
        not (weights["clm"] > 0 and (weights["mlm"] > 0 or weights["tlm"] > 0)),
        "objectives.clm.weight",
        "CLM needs a causal model and cannot be mixed with MLM/TLM; set "
        "objectives.mlm.weight=0 and objectives.tlm.weight=0, or clm.weight=0",
    )
    for name in OBJECTIVES:
        check(
            0 <= config.objectives[name].alpha <= 1, f"objectives.{name}.alpha", "must be in [0, 1]"
        )
    if all(finite_in_range(w, 0) for w in weights.values()) and any(weights.values()):
        _check_init_from(config, check)
    check_optimization(config, check)
    if workdir is not None:
        check_workdir(workdir, check)
    raise_errors()


def _check_init_from(config, check):
    """`model.init_from`, and the sequence length against its positions."""
    backbone = init_from.check_init_from(config, check)
    max_length = (backbone or {}).get("max_sequence_length")
    check(
        not max_length or config.data.sequence_length <= max_length,
        "data.sequence_length",
        f"{config.data.sequence_length} exceeds the {config.model.init_from} maximum of "
        f"{max_length} positions",
    )


def _check_data(config, check):
    """The `data` section, against the tokenizer."""
    data = config.data
    check(data.sequence_length >= 8, "data.sequence_length", "must be >= 8")
    check(data.batch_size >= 1, "data.batch_size", "must be >= 1")
    check(data.shuffle_buffer >= 0, "data.shuffle_buffer", "must be >= 0 (0 = file order)")
    check(0 < data.mask_rate < 1, "data.mask_rate", "must be in (0, 1)")
    check(
        0 <= data.target_frequency_alpha <= 1,
        "data.target_frequency_alpha",
        "must be in [0, 1] (XLM uses 0 or 0.5)",
    )
    check(data.vocabulary_size >= 100, "data.vocabulary_size", "must be >= 100")
    check_corpus_dir(data.corpus_dir, check, "(mono/, parallel/)")
    if data.tokenizer:
        tokenizer_dir = os.path.expanduser(data.tokenizer)
        known = tokenizer_languages(tokenizer_dir)
        check(
            known is not None,
            "data.tokenizer",
            f"{data.tokenizer!r} has no tokenizer.json; pass an xlm-tokenizer output "
            "or a preset directory, or '' to train one",
        )
        problem = known is not None and missing_languages(
            split_languages(data.languages), known, tokenizer_dir
        )
        check(not problem, "data.languages", problem)


def get_config():
    """The default experiment (tiny model, bundled corpus) for `xlm-train`."""
    return base_config()
