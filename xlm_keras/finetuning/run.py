"""Fine-tune a pretrained preset on a labelled task in one language, keep
the best model by validation metric, then report zero-shot metrics in every
language."""

import os

import keras
from absl import logging

from xlm_keras.finetuning import evaluation as task_evaluation
from xlm_keras.finetuning import qa_features as qa
from xlm_keras.finetuning import task_pipelines
from xlm_keras.finetuning.config import split_list
from xlm_keras.finetuning.language_centering import center_languages
from xlm_keras.finetuning.language_centering import with_task_languages
from xlm_keras.finetuning.task_data import SAMPLE_TASK_DIR
from xlm_keras.finetuning.task_data import open_task_data
from xlm_keras.models import XLMBackbone
from xlm_keras.models import XLMTokenizer
from xlm_keras.models import presets
from xlm_keras.training import reports
from xlm_keras.training.checkpoints import is_chief
from xlm_keras.training.precision import under_run_policy
from xlm_keras.training.strategy import create_strategy
from xlm_keras.training.trainer import train
from xlm_keras.training.training_run import TrainingRun

REPORT_FILE = "zero_shot.json"


def load_tokenizer(config):
    """The configured tokenizer, else `model.init_from`'s."""
    directory = config.data.tokenizer or config.model.init_from
    if presets.is_builtin(directory) or not os.path.isfile(
        os.path.join(os.path.expanduser(directory), "tokenizer.json")
    ):
        raise ValueError(
            f"No tokenizer in {directory!r}: set data.tokenizer to a tokenizer preset "
            "(xlm-tokenizer output, or the pretraining run's preset)."
        )
    return XLMTokenizer.from_preset(os.path.expanduser(directory))


def build_task(config, task_data, tokenizer):
    """The task model: the pretrained preset's backbone plus a new head (or a
    fine-tuned preset of the same task, head included)."""
    cls = task_pipelines.TASK_CLASSES[task_data.task_type]
    kwargs = {}
    if task_data.task_type != "qa":
        kwargs = dict(
            num_classes=len(task_data.label_names),
            label_names=list(task_data.label_names),
            dropout=config.model.dropout,
        )
    if task_data.task_type == "classification":
        kwargs.update(
            head=config.model.classifier_head,
            pooling=config.model.classifier_pooling,
            # A shift per tokenizer language (a backbone without language
            # embeddings has one embedding row, not one per language).
            language_centering=config.model.language_centering and len(tokenizer.languages),
        )
    preset = os.path.expanduser(config.model.init_from)
    if presets.is_builtin(preset):  # Random weights, sized to the tokenizer (tests, demos).
        backbone = XLMBackbone(
            **dict(
                presets.backbone_config(preset, load_weights=False),
                vocabulary_size=tokenizer.vocabulary_size(),
                num_languages=max(len(tokenizer.languages), 1),
            )
        )
        return cls(backbone, **kwargs)
    return cls.from_preset(preset, **kwargs)


def task_languages(config, task_data, spec):
    """(train language, validation languages, zero-shot languages)."""
    train_language = config.task.train_language
    validation = split_list(config.task.validation_languages) or [train_language]
    evaluation = split_list(config.task.eval_languages) or task_evaluation.default_languages(
        spec, task_data, config.task.eval_split
    )
    return train_language, validation, evaluation


@under_run_policy
def run(config, workdir, strategy_name="auto", tpu=None):
    """Fine-tune as configured; returns the zero-shot report (dict)."""
    strategy = create_strategy(strategy_name, tpu)
    chief = is_chief(strategy)
    keras.utils.set_random_seed(config.train.seed)
    tokenizer = load_tokenizer(config)  # After seeding (tensorflow/text#570).
    task_data = open_task_data(
        config.task.data or SAMPLE_TASK_DIR,
        config.task.type,
        split_list(config.task.label_names),
        config.task.tfds_data_dir or None,
    )
    if config.model.language_centering:
        tokenizer = with_task_languages(
            tokenizer,
            task_data,
            ("train", "validation", config.task.eval_split, config.task.centering_split),
        )
    with strategy.scope():
        model = build_task(config, task_data, tokenizer)
    qa_options = (
        {"doc_stride": config.data.doc_stride, "max_query_length": config.data.max_query_length}
        if task_data.task_type == "qa"
        else {}
    )
    preprocessor = task_pipelines.preprocessor_for(
        model, tokenizer, config.data.sequence_length, **qa_options
    )
    spec = task_pipelines.TaskSpec(preprocessor, config.data.batch_size, config.data.seed)
    train_language, validation_languages, eval_languages = task_languages(config, task_data, spec)
    for language in {train_language, *validation_languages, *eval_languages}:
        task_evaluation.check_language(spec, language)  # Unknown languages fail before compute.

    train_records = task_data.records("train", train_language)
    validation_records = {
        code: task_data.records("validation", code) for code in validation_languages
    }
    eval_records = {
        code: task_data.records(config.task.eval_split, code) for code in eval_languages
    }  # Missing data fails before compute.
    centering_records = {}
    if getattr(model, "language_centering", False):
        centering_records = {
            code: task_data.records(config.task.centering_split, code)
            for code in {train_language, *eval_languages}
        }
    logging.info(
        "Fine-tuning on %d %s examples; validation %s",
        len(train_records),
        train_language,
        {k: len(v) for k, v in validation_records.items()},
    )
    if task_data.task_type == "qa":
        features = qa.qa_features(spec, train_records, train_language)
        dataset_fn = lambda context, skip: qa.qa_dataset(  # noqa: E731
            spec, features, True, 0, context, skip
        )
    else:
        dataset_fn = lambda context, skip: task_pipelines.task_dataset(  # noqa: E731
            spec, task_data.task_type, train_records, train_language, 0, True, context, skip
        )

    metric = task_evaluation.MAIN_METRIC[task_data.task_type]

    def evaluator(trained):
        scores = {
            code: task_evaluation.task_metrics(trained, spec, task_data, records, code)[metric]
            for code, records in validation_records.items()
        }
        mean = sum(scores.values()) / len(scores)
        return mean, {**{f"{metric}/{code}": v for code, v in scores.items()}, metric: mean}

    def save(trained, directory):
        trained.preprocessor = preprocessor  # Saved with its tokenizer: raw text in.
        trained.save_to_preset(directory)

    def multipliers(trained):
        encoder = {v.path for v in trained.backbone.trainable_variables}
        factor = config.optimizer.head_learning_rate / config.optimizer.learning_rate
        return {v.path: factor for v in trained.trainable_variables if v.path not in encoder}

    def center(best):
        # Before the preset is written: it never holds an uncentred model.
        center_languages(best, spec, centering_records, train_language)
        logging.info(
            "Centered languages %s on %s text",
            sorted(centering_records),
            config.task.centering_split,
        )
        return best

    parts = TrainingRun(
        build_model=lambda: model,
        dataset_fns={"finetune": dataset_fn},
        language_names=[train_language],
        save=save,
        evaluate=evaluator,
        metric_name=metric,
        finalize=center if centering_records else None,
        learning_rate_multipliers=multipliers,
    )
    best = train(parts, config=config, workdir=workdir, strategy=strategy)
    if task_data.stats.counts:
        logging.info(
            "Task lines read: %s", task_data.stats.summary(every_file=logging.level_debug())
        )
    if not chief:
        return None
    report = task_evaluation.zero_shot_report(
        best, spec, task_data, eval_records, config.task.eval_split, train_language
    )
    report["label_names"] = list(task_data.label_names)
    reports.write_run_report(
        report,
        workdir,
        REPORT_FILE,
        config.train.num_steps,
        task_evaluation.write_report,
        task_evaluation.format_report,
    )
    return report
