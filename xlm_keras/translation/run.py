"""Train an `XLMSeq2SeqLM` (every configured direction in one run) on
parallel pairs (`mt`), and/or XLM's unsupervised objectives on monolingual
text (`ae` denoising, `bt` online back-translation), keep the best model by
validation BLEU (or chrF), then report BLEU and chrF on the evaluation
split, with the copy baseline (output = source)."""

import os

import keras
from absl import logging

from xlm_keras.data import corpus
from xlm_keras.models import XLMSeq2SeqBackbone
from xlm_keras.models import XLMSeq2SeqLM
from xlm_keras.models import XLMSeq2SeqLMPreprocessor
from xlm_keras.models import presets
from xlm_keras.training import reports
from xlm_keras.training.checkpoints import is_chief
from xlm_keras.training.config import missing_languages
from xlm_keras.training.precision import under_run_policy
from xlm_keras.training.strategy import create_strategy
from xlm_keras.training.tokenizer_setup import load_or_train_tokenizer
from xlm_keras.training.trainer import train
from xlm_keras.training.training_run import TrainingRun
from xlm_keras.translation import evaluation
from xlm_keras.translation import pipelines
from xlm_keras.translation.back_translation import back_translation_transform
from xlm_keras.translation.config import objective_weights
from xlm_keras.translation.config import parse_directions

REPORT_FILE = "translation.json"
TEXTS_DIR = "translations"  # The report's sources, references and translations, one per line.


def build_model(config, tokenizer):
    """The translation model: encoder and decoder from `model.init_from`
    (pretrained preset) or a built-in shape sized to the tokenizer (random
    weights), with its preprocessor."""
    preprocessor = XLMSeq2SeqLMPreprocessor(
        tokenizer,
        encoder_sequence_length=config.data.source_length,
        decoder_sequence_length=config.data.target_length,
    )
    num_decoder_layers = config.model.num_decoder_layers or None
    init_from = os.path.expanduser(config.model.init_from)
    if not presets.is_builtin(init_from):
        return XLMSeq2SeqLM.from_pretrained_encoder(
            init_from,
            num_decoder_layers=num_decoder_layers,
            dropout=config.model.dropout,
            preprocessor=preprocessor,
        )
    shape = presets.backbone_config(init_from, load_weights=False)
    shape.pop("causal", None)
    backbone = XLMSeq2SeqBackbone(
        **dict(
            shape,
            vocabulary_size=tokenizer.vocabulary_size(),
            num_languages=max(len(tokenizer.languages), 1),
            use_language_embedding=config.model.use_language_embedding,
            dropout=config.model.dropout,
            num_decoder_layers=num_decoder_layers,
        )
    )
    return XLMSeq2SeqLM(backbone, preprocessor=preprocessor, lm_head=presets.lm_head(init_from))


@under_run_policy
def run(config, workdir, strategy_name="auto", tpu=None):
    """Train translation as configured; returns the report (dict) of the
    best model on `translation.eval_split` (None on non-chief workers, or
    without an evaluation split)."""
    strategy = create_strategy(strategy_name, tpu)
    chief = is_chief(strategy)
    keras.utils.set_random_seed(config.train.seed)
    corpus_dir = os.path.expanduser(config.data.corpus_dir) or corpus.SAMPLE_CORPUS_DIR
    directions = parse_directions(config.translation.directions)
    languages = sorted({code for direction in directions for code in direction})
    hold_out = config.translation.validation_pairs
    # Missing files, and files with nothing to train on, fail before compute.
    pipelines.require_training_data(
        corpus_dir, directions, hold_out, config.data.monolingual, objective_weights(config)
    )
    validation = {
        d: pipelines.evaluation_pairs(corpus_dir, "train", d, hold_out) for d in directions
    }
    split = config.translation.eval_split
    test = (
        {d: pipelines.evaluation_pairs(corpus_dir, split, d) for d in directions} if split else {}
    )
    tokenizer = load_or_train_tokenizer(config, corpus_dir, languages, workdir, chief)
    with strategy.scope():
        model = build_model(config, tokenizer)
    if model.preprocessor.use_language_ids:
        problem = missing_languages(
            languages, tokenizer.languages, config.data.tokenizer or config.model.init_from
        )
        if problem:
            raise ValueError(f"translation.directions: {problem}.")
    translation = config.translation
    noise = {
        "shuffle_distance": translation.word_shuffle,
        "dropout": translation.word_dropout,
        "blank": translation.word_blank,
    }
    spec = pipelines.TranslationSpec(
        model.preprocessor,
        directions,
        config.data.batch_size,
        hold_out,
        config.data.seed,
        config.data.monolingual,
        noise,
        config.data.length_buckets,
    )
    max_length = config.data.target_length

    def evaluator(trained):
        scores = {}
        for direction, (sources, references) in validation.items():
            name = pipelines.direction_name(direction)
            greedy, _ = evaluation.direction_scores(
                trained, sources, references, direction, max_length
            )
            scores.update({f"{metric}/{name}": value for metric, value in greedy.items()})
        means = {
            metric: sum(scores[f"{metric}/{name}"] for name in spec.direction_names)
            / len(directions)
            for metric in ("bleu", "chrf")
        }
        return means[config.translation.validation_metric], {**scores, **means}

    datasets = {"mt": pipelines.mt_dataset, "ae": pipelines.ae_dataset, "bt": pipelines.bt_dataset}
    weights = objective_weights(config)
    logging.info(
        "Translation directions %s; objectives %s; %d validation pairs each",
        spec.direction_names,
        weights,
        hold_out,
    )
    parts = TrainingRun(
        build_model=lambda: model,
        dataset_fns={
            name: lambda context, skip, make=datasets[name]: make(spec, corpus_dir, context, skip)
            for name in weights
        },
        language_names=spec.metric_names,
        save=lambda trained, directory: trained.save_to_preset(directory),
        evaluate=evaluator,
        metric_name={"bleu": "BLEU", "chrf": "chrF"}[config.translation.validation_metric],
        label_smoothing=translation.label_smoothing,
        batch_transforms=lambda trained: {"bt": back_translation_transform(trained, max_length)},
    )
    best = train(parts, config=config, workdir=workdir, strategy=strategy)
    logging.info("Lines read: %s", spec.stats.summary(every_file=logging.level_debug()))
    if not chief or not split:
        return None
    report = evaluation.translation_report(
        best,
        test,
        split,
        max_length,
        config.translation.num_beams,
        config.translation.length_penalty,
        output_dir=os.path.join(workdir, TEXTS_DIR),
    )
    reports.write_run_report(
        report,
        workdir,
        REPORT_FILE,
        config.train.num_steps,
        evaluation.write_report,
        evaluation.format_report,
    )
    return report
