"""The translation config (`configs/mt_*.py`, `configs/unmt_*.py`):
defaults, and the check that runs before compute. `xlm-train` trains
translation when a config has a `translation` section."""

import math
import os

import ml_collections

from xlm_keras.layers.xlm_embedding import uses_language_embedding
from xlm_keras.models import presets
from xlm_keras.ranges import finite_in_range
from xlm_keras.ranges import range_text
from xlm_keras.training.config import check_corpus_dir
from xlm_keras.training.config import check_optimization
from xlm_keras.training.config import check_workdir
from xlm_keras.training.config import config_checker
from xlm_keras.training.config import optimizer_config
from xlm_keras.training.config import split_languages
from xlm_keras.training.config import tokenizer_languages
from xlm_keras.training.config import train_config
from xlm_keras.training.strategy import STRATEGIES
from xlm_keras.training.trainer import loss_schedules
from xlm_keras.training.trainer import objective_schedule

METRICS = ("bleu", "chrf")
OBJECTIVES = ("mt", "ae", "bt")
MONOLINGUAL = ("halves", "mono")
# Beam score = log-prob / length ** length_penalty: any finite exponent >= 0
# (`xlm-eval --length_penalty` and `xlm-export --length_penalty` too).
LENGTH_PENALTY_LOW = 0


def base_mt_config():
    """Every field with a default and a one-line comment."""
    c = ml_collections.ConfigDict()

    c.model = ml_collections.ConfigDict()
    # Pretrained preset dir (encoder AND decoder from it) or a built-in shape (random weights).
    c.model.init_from = "xlm_tiny"
    c.model.num_decoder_layers = 0  # Decoder blocks; 0 = the encoder's depth.
    c.model.dropout = 0.1  # Dropout of encoder and decoder (replaces a pretrained preset's).
    c.model.use_language_embedding = (
        True  # Built-in shapes: language embeddings (needed for both directions).
    )

    c.data = ml_collections.ConfigDict()
    c.data.corpus_dir = (
        ""  # Corpus directory with parallel/<l1>-<l2>.<split>.tsv; "" = bundled sample.
    )
    c.data.tokenizer = (
        ""  # Tokenizer preset dir; "" = init_from's, or one trained into workdir/tokenizer.
    )
    c.data.vocabulary_size = 4000  # Size of a tokenizer trained at start-up.
    c.data.source_length = 64  # Source tokens per example, specials included.
    c.data.target_length = (
        64  # Target tokens per example (and longest translation), specials included.
    )
    c.data.batch_size = 16  # Pairs per replica per micro-batch (at full length, see below).
    # mt: batch pairs of similar length; a batch of w columns holds batch_size * max length // w
    # pairs (about as many tokens as batch_size full-length pairs). XLA compiles once per width.
    c.data.length_buckets = False
    c.data.seed = 0  # Seed of data order (and of the denoising noise).
    # ae/bt text: halves = each language's side of disjoint halves of the parallel train
    # files; mono = mono/<lang>.train.txt.
    c.data.monolingual = "halves"

    # XLM's mt_steps / ae_steps / bt_steps, mixed by weight (steps_per_execution chunks).
    c.objectives = ml_collections.ConfigDict()
    c.objectives.mt = ml_collections.ConfigDict(
        {"weight": 1.0}
    )  # Supervised: parallel pairs of every direction.
    c.objectives.ae = ml_collections.ConfigDict(
        {"weight": 0.0}
    )  # Denoising auto-encoding of each language's monolingual text.
    c.objectives.bt = ml_collections.ConfigDict(
        {"weight": 0.0}
    )  # Online back-translation: direction s-t learns from t text translated t -> s by the model.
    for name in OBJECTIVES:
        # Loss coefficient by step, XLM's lambda_<name>: "0:1,1000:0.1,3000:0" (linear between
        # points; 0 skips the objective's steps); "" = 1 throughout.
        c.objectives[name].lambda_schedule = ""

    c.translation = ml_collections.ConfigDict()
    c.translation.directions = (
        "en-fr,fr-en"  # Comma-separated source-target directions, trained together.
    )
    c.translation.label_smoothing = 0.1  # Of the target cross-entropy; 0 = none.
    c.translation.validation_pairs = 50  # First pairs of each train file, held out for validation.
    c.translation.validation_metric = (
        "bleu"  # bleu | chrf: greedy score (mean over directions) that picks the best model.
    )
    c.translation.eval_split = "test"  # Split of the final BLEU/chrF report; "" = no report.
    c.translation.num_beams = 4  # Beam size of the final report (greedy is reported too).
    c.translation.length_penalty = 1.0  # Beam score = log-prob / length ** length_penalty.
    c.translation.word_shuffle = (
        3.0  # ae noise: no word moves this many positions or more (0 = none).
    )
    c.translation.word_dropout = 0.1  # ae noise: probability of dropping a word.
    c.translation.word_blank = 0.1  # ae noise: probability of replacing a word by <mask>.

    c.optimizer = optimizer_config(learning_rate=5e-4, warmup_steps=100, beta_2=0.98, epsilon=1e-6)
    c.train = train_config(num_steps=1000, keep_checkpoints=2)
    c.train.eval_every = (
        200  # Steps between validation BLEU runs (multiple of steps_per_execution).
    )
    c.train.patience = 0  # Stop after this many validations without improvement; 0 = never.
    return c


def parse_directions(value):
    """ "en-fr, fr-en" -> [("en", "fr"), ("fr", "en")]; malformed items raise."""
    directions = []
    for item in split_languages(value):
        parts = item.split("-")
        if len(parts) != 2 or not all(parts) or parts[0] == parts[1]:
            raise ValueError(
                f"translation.directions: {item!r} is not <source>-<target> with two "
                "different language codes, e.g. 'en-fr,fr-en'"
            )
        directions.append(tuple(parts))
    return directions


def takes_language_ids(config, backbone):
    """Whether the translation model will have language embeddings."""
    if presets.is_builtin(config.model.init_from):
        return config.model.use_language_embedding
    return uses_language_embedding(
        backbone.get("num_languages", 1), backbone.get("use_language_embedding")
    )


def validate_mt(config, strategy_name="auto", workdir=None):
    """Reject a bad translation config before any compute; `workdir`, when
    given, must be writable."""
    check, raise_errors = config_checker()
    check(strategy_name in STRATEGIES, "--strategy", f"choose one of {STRATEGIES}")
    backbone = presets.init_config(config.model.init_from)
    check(
        backbone is not None,
        "model.init_from",
        f"{config.model.init_from!r} is neither a preset directory (with config.json; e.g. "
        f"an xlm-train pretraining workdir's `preset`) nor a built-in shape "
        f"{sorted(presets.PRESETS)}",
    )
    check(
        config.model.num_decoder_layers >= 0,
        "model.num_decoder_layers",
        "must be >= 0 (0: the encoder's depth)",
    )
    check(0 <= config.model.dropout < 1, "model.dropout", "must be in [0, 1)")
    data = config.data
    for key in ("source_length", "target_length"):
        check(data[key] >= 4, f"data.{key}", "must be >= 4")
        max_length = (backbone or {}).get("max_sequence_length")
        check(
            not max_length or data[key] <= max_length,
            f"data.{key}",
            f"{data[key]} exceeds the {config.model.init_from} maximum of {max_length} positions",
        )
    check(data.batch_size >= 1, "data.batch_size", "must be >= 1")
    check(data.vocabulary_size >= 100, "data.vocabulary_size", "must be >= 100")
    check_corpus_dir(data.corpus_dir, check, "with parallel/<l1>-<l2>.<split>.tsv files,")
    translation = config.translation
    try:
        directions = parse_directions(translation.directions)
        check(
            bool(directions),
            "translation.directions",
            f"{translation.directions!r} names no direction; name at least one, e.g. 'en-fr,fr-en'",
        )
    except ValueError as error:
        check(False, "translation.directions", str(error).split(": ", 1)[1])
        directions = []
    check(
        len(set(directions)) == len(directions), "translation.directions", "lists a direction twice"
    )
    check(0 <= translation.label_smoothing < 1, "translation.label_smoothing", "must be in [0, 1)")
    check(translation.validation_pairs >= 1, "translation.validation_pairs", "must be >= 1")
    check(
        translation.validation_metric in METRICS,
        "translation.validation_metric",
        f"choose one of {METRICS}",
    )
    check(translation.num_beams >= 1, "translation.num_beams", "must be >= 1")
    check(
        finite_in_range(translation.length_penalty, LENGTH_PENALTY_LOW),
        "translation.length_penalty",
        range_text(LENGTH_PENALTY_LOW),
    )
    check(config.train.patience >= 0, "train.patience", "must be >= 0")
    _check_objectives(config, check)
    if backbone is not None:
        _check_languages(config, backbone, directions, check)
    check_optimization(config, check)
    if workdir is not None:
        check_workdir(workdir, check)
    raise_errors()


def objective_weights(config):
    """{objective: weight} of the objectives that train (weight > 0)."""
    return {
        name: config.objectives[name].weight
        for name in OBJECTIVES
        if config.objectives[name].weight > 0
    }


def _check_objectives(config, check):
    unknown = sorted(set(config.objectives) - set(OBJECTIVES))
    check(not unknown, "objectives", f"unknown {unknown}; choose among {OBJECTIVES}")
    for name in OBJECTIVES:
        check(
            finite_in_range(config.objectives[name].weight, 0),
            f"objectives.{name}.weight",
            range_text(0),
        )
    check(
        any(config.objectives[name].weight > 0 for name in OBJECTIVES),
        "objectives",
        "give at least one of mt, ae, bt a weight > 0 (mt: supervised; ae + bt: "
        "unsupervised, XLM's recipe)",
    )
    schedules, parsed = {}, True
    for name in OBJECTIVES:
        try:
            schedules.update(loss_schedules(config, [name]))
        except ValueError as error:
            check(False, f"objectives.{name}.lambda_schedule", str(error))
            parsed = False
    chunk = config.train.steps_per_execution
    if parsed and chunk >= 1:
        try:
            num_chunks = math.ceil(config.train.num_steps / chunk)
            objective_schedule(objective_weights(config), num_chunks, schedules, chunk)
        except ValueError as error:
            check(False, "objectives.*.lambda_schedule", str(error))
    check(
        config.data.monolingual in MONOLINGUAL, "data.monolingual", f"choose one of {MONOLINGUAL}"
    )
    translation = config.translation
    check(finite_in_range(translation.word_shuffle, 0), "translation.word_shuffle", range_text(0))
    for key in ("word_dropout", "word_blank"):
        check(0 <= translation[key] < 1, f"translation.{key}", "must be in [0, 1)")


def _check_languages(config, backbone, directions, check):
    """Directions a model without language embeddings cannot tell apart,
    and languages the tokenizer lacks."""
    targets = {}
    for source, target in directions:
        targets.setdefault(source, set()).add(target)
    ambiguous = sorted(source for source, wanted in targets.items() if len(wanted) > 1)
    has_languages = takes_language_ids(config, backbone)
    if not has_languages:
        both = sorted(f"{s}-{t}" for s, t in directions if (t, s) in directions)
        check(
            not both and not ambiguous,
            "translation.directions",
            f"{config.translation.directions!r} has sources with several targets "
            f"({both or ambiguous}), but {config.model.init_from} has no language "
            "embeddings (XLM-R family), so its decoder cannot tell which language to write; "
            "train one direction per run (e.g. translation.directions='en-fr'), or use a "
            "model with language embeddings (an XLM preset, or "
            "model.use_language_embedding=True for a built-in shape)",
        )
        check(
            config.objectives.bt.weight == 0,
            "objectives.bt.weight",
            f"back-translation translates each direction's target text back into its "
            f"source language, but {config.model.init_from} has no language embeddings "
            "(XLM-R family), so its decoder writes only one language; use a model with "
            "language embeddings, or set objectives.bt.weight=0",
        )
    tokenizer_dir = os.path.expanduser(config.data.tokenizer) or (
        None if presets.is_builtin(config.model.init_from) else config.model.init_from
    )
    if tokenizer_dir is None:
        return
    known = tokenizer_languages(tokenizer_dir)
    check(
        known is not None,
        "data.tokenizer",
        f"{tokenizer_dir!r} has no tokenizer.json; pass a tokenizer or preset directory",
    )
    if not known or not has_languages:
        return
    unknown = sorted({code for pair in directions for code in pair} - set(known))
    check(
        not unknown,
        "translation.directions",
        f"{unknown} are not in the tokenizer {tokenizer_dir}, which knows {known}; "
        "translate only those, or use a tokenizer trained on them",
    )


def get_config():
    """en<->fr on the bundled corpus with a tiny random model."""
    return base_mt_config()
