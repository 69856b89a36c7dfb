"""The fine-tuning config (`configs/finetune_*.py`): defaults, and the check
that runs before compute. `xlm-train` fine-tunes when a config has `task`."""

import os

import ml_collections

from xlm_keras.finetuning.task_data import TASK_TYPES
from xlm_keras.models import presets
from xlm_keras.models.xlm_task import HEADS
from xlm_keras.models.xlm_text_classifier import POOLINGS
from xlm_keras.ranges import finite_in_range
from xlm_keras.training.config import check_optimization
from xlm_keras.training.config import check_renamed_preset
from xlm_keras.training.config import check_workdir
from xlm_keras.training.config import config_checker
from xlm_keras.training.config import optimizer_config
from xlm_keras.training.config import tokenizer_languages
from xlm_keras.training.config import train_config
from xlm_keras.training.strategy import STRATEGIES


def base_finetune_config():
    """Every field with a default and a one-line comment."""
    c = ml_collections.ConfigDict()

    c.model = ml_collections.ConfigDict()
    c.model.init_from = (
        ""  # Pretrained preset dir (xlm-train / xlm-convert output) or a built-in shape.
    )
    c.model.preset = ""  # Renamed model.init_from; a value is refused.
    c.model.dropout = 0.1  # Dropout of the task head.
    c.model.classifier_head = (
        "auto"  # Classification: auto | xlm (first token) | roberta (dense-tanh).
    )
    c.model.classifier_pooling = "first"  # Classification: first (token) | mean (of real tokens).
    c.model.language_centering = (
        False  # Classification: shift each language's mean onto the train language's.
    )

    c.task = ml_collections.ConfigDict()
    c.task.type = "classification"  # classification | tagging | qa.
    c.task.data = (
        ""  # Directory of <split>.<language>.jsonl/.tsv, or tfds:<name>; "" = bundled help_topic.
    )
    c.task.tfds_data_dir = ""  # TFDS data dir for tfds:<name> ("" = TFDS default).
    c.task.label_names = ""  # Comma-separated labels; "" = manifest.json / train files / TFDS.
    c.task.train_language = "en"  # Language of the training data (zero-shot transfer from it).
    c.task.validation_languages = (
        ""  # Languages whose mean validation metric picks the best model; "" = train language.
    )
    c.task.eval_languages = ""  # Zero-shot test languages; "" = every language with test data.
    c.task.eval_split = "test"  # Split of the zero-shot report.
    c.task.centering_split = (
        "validation"  # Unlabelled text per language for model.language_centering.
    )
    c.task.max_answer_length = 30  # QA: longest answer, in pieces.

    c.data = ml_collections.ConfigDict()
    c.data.tokenizer = ""  # Tokenizer preset dir; "" = init_from's.
    c.data.sequence_length = 128  # Tokens per example, specials included.
    c.data.batch_size = 32  # Examples per replica per micro-batch.
    c.data.doc_stride = 128  # QA: context pieces between window starts.
    c.data.max_query_length = 64  # QA: question pieces kept.
    c.data.seed = 0  # Shuffling seed.

    c.optimizer = optimizer_config(learning_rate=2e-5, warmup_steps=100, beta_2=0.999, epsilon=1e-8)
    c.optimizer.head_learning_rate = 2e-4  # Peak learning rate of the new head (XLM's lr_p).

    c.train = train_config(num_steps=1000, keep_checkpoints=2)
    c.train.eval_every = 100  # Steps between validation runs (multiple of steps_per_execution).
    c.train.patience = 5  # Stop after this many validations without improvement; 0 = never.
    return c


def split_list(value):
    """ "a, b" -> ["a", "b"]."""
    return [item.strip() for item in value.split(",") if item.strip()]


def validate_finetune(config, strategy_name="auto", workdir=None):
    """Reject a bad fine-tuning config before any compute; `workdir`, when
    given, must be writable."""
    check, raise_errors = config_checker()
    check_renamed_preset(config, check)
    preset = os.path.expanduser(config.model.init_from)
    check(
        presets.init_config(preset) is not None,
        "model.init_from",
        f"{config.model.init_from!r} is neither a preset directory (with "
        "config.json; e.g. an xlm-train workdir's `preset`) nor a built-in shape "
        f"{sorted(presets.PRESETS)}",
    )
    check(
        config.model.classifier_head in ("auto",) + HEADS,
        "model.classifier_head",
        f"choose one of {('auto',) + HEADS}",
    )
    check(
        config.model.classifier_pooling in POOLINGS,
        "model.classifier_pooling",
        f"choose one of {POOLINGS}",
    )
    check(
        not config.model.language_centering or config.task.type == "classification",
        "model.language_centering",
        "only classification heads center languages; set it False",
    )
    check(0 <= config.model.dropout < 1, "model.dropout", "must be in [0, 1)")
    check(config.task.type in TASK_TYPES, "task.type", f"choose one of {TASK_TYPES}")
    data = config.task.data
    check(
        not data or data.startswith("tfds:") or os.path.isdir(os.path.expanduser(data)),
        "task.data",
        f"{data!r} is not a directory; pass a directory of "
        "<split>.<language>.jsonl files or tfds:<name>",
    )
    check(bool(config.task.train_language), "task.train_language", "must be a language code")
    check(config.task.max_answer_length >= 1, "task.max_answer_length", "must be >= 1")
    check(strategy_name in STRATEGIES, "--strategy", f"choose one of {STRATEGIES}")
    check(config.data.sequence_length >= 8, "data.sequence_length", "must be >= 8")
    check(config.data.batch_size >= 1, "data.batch_size", "must be >= 1")
    check(config.data.doc_stride >= 1, "data.doc_stride", "must be >= 1")
    check(
        config.task.type != "qa"
        or 1 <= config.data.max_query_length <= config.data.sequence_length - 8,
        "data.max_query_length",
        "must be in [1, data.sequence_length - 8]",
    )
    check(
        finite_in_range(config.optimizer.head_learning_rate, 0)
        and config.optimizer.head_learning_rate > 0,
        "optimizer.head_learning_rate",
        "must be a finite number > 0",
    )
    check(config.train.patience >= 0, "train.patience", "must be >= 0")
    check_optimization(config, check)
    _check_against_preset(config, preset, check)
    if workdir is not None:
        check_workdir(workdir, check)
    raise_errors()


def _check_against_preset(config, preset, check):
    """Sequence length vs the preset's positions; for models that take
    language ids, task languages vs the tokenizer's."""
    backbone = presets.init_config(preset)
    if backbone is None:
        return
    max_length = backbone.get("max_sequence_length")
    check(
        not max_length or config.data.sequence_length <= max_length,
        "data.sequence_length",
        f"{config.data.sequence_length} exceeds the preset's {max_length} positions",
    )
    tokenizer_dir = os.path.expanduser(config.data.tokenizer) or preset
    known = None if presets.is_builtin(tokenizer_dir) else tokenizer_languages(tokenizer_dir)
    check(
        not config.data.tokenizer or known is not None,
        "data.tokenizer",
        f"{config.data.tokenizer!r} has no tokenizer.json; pass a tokenizer preset",
    )
    if not known or not (backbone.get("use_language_embedding") or config.model.language_centering):
        return
    task = config.task
    wanted = {
        task.train_language,
        *split_list(task.validation_languages),
        *split_list(task.eval_languages),
    }
    unknown = sorted(wanted - set(known))
    check(
        not unknown,
        "task.*_language(s)",
        f"{unknown} are not in the tokenizer {tokenizer_dir}, which knows {known}; "
        "fine-tune and evaluate only those, or use a model without language embeddings",
    )


def get_config():
    """Fine-tune on the bundled help-topic task (needs model.init_from)."""
    return base_finetune_config()
