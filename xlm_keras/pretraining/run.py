"""Wire config, corpus, tokenizer, model and data into the training loop."""

import os

import keras
from absl import logging

from xlm_keras.data import corpus
from xlm_keras.data.line_datasets import DEFAULT_CACHE_DIR
from xlm_keras.models import XLMBackbone
from xlm_keras.models import XLMCausalLM
from xlm_keras.models import XLMMaskedLM
from xlm_keras.models import presets
from xlm_keras.pretraining import init_from
from xlm_keras.pretraining import pipelines
from xlm_keras.training.checkpoints import is_chief
from xlm_keras.training.config import missing_languages
from xlm_keras.training.config import split_languages
from xlm_keras.training.precision import under_run_policy
from xlm_keras.training.strategy import create_strategy
from xlm_keras.training.tokenizer_setup import load_or_train_tokenizer
from xlm_keras.training.trainer import train
from xlm_keras.training.training_run import TrainingRun

PIPELINES = {
    "mlm": pipelines.mlm_dataset,
    "tlm": pipelines.tlm_dataset,
    "clm": pipelines.clm_dataset,
}


def corpus_languages(config, corpus_dir):
    """Language codes to train on, sorted (their index is the language id)."""
    available = sorted(corpus.monolingual_files(corpus_dir, "train"))
    if not config.data.languages:
        return available
    wanted = split_languages(config.data.languages)
    unknown = sorted(set(wanted) - set(available))
    if unknown:
        raise ValueError(
            f"data.languages has {unknown}, which {corpus_dir} lacks; it has {available}."
        )
    return sorted(wanted)


def build_task(config, tokenizer, num_languages):
    """The LM task of `model.init_from`: a preset directory's (weights and
    head, continued), or a built-in shape sized to the tokenizer."""
    if init_from.continues(config):
        return init_from.load_lm_task(config)
    causal = config.objectives.clm.weight > 0
    backbone_config = dict(
        presets.backbone_config(config.model.init_from, load_weights=False),
        vocabulary_size=tokenizer.vocabulary_size(),
        num_languages=num_languages,
        use_language_embedding=config.model.use_language_embedding,
        dropout=config.model.dropout,
        causal=causal,
    )
    backbone = XLMBackbone(**backbone_config)
    if causal:
        return XLMCausalLM(backbone, compile=False)
    return XLMMaskedLM(backbone, lm_head=presets.lm_head(config.model.init_from), compile=False)


def uses_language_ids(config):
    """Whether the model takes language ids: a continued preset's own
    choice, else `model.use_language_embedding`."""
    if init_from.continues(config):
        return init_from.has_language_embedding(presets.init_config(config.model.init_from))
    return config.model.use_language_embedding


def pipeline_spec(config, tokenizer, languages=None, cache_dir=DEFAULT_CACHE_DIR):
    """The `PipelineSpec` of the config's data and model sections (no target
    weights); `languages` and `cache_dir` as in `PipelineSpec`."""
    data = config.data
    return pipelines.PipelineSpec(
        tokenizer,
        data.sequence_length,
        data.batch_size,
        data.mask_rate,
        uses_language_ids(config),
        seed=data.seed,
        languages=languages,
        shuffle_buffer=data.shuffle_buffer,
        cache_dir=cache_dir,
    )


def _tokenizer_source(config, workdir):
    """Where the tokenizer without `data.tokenizer` comes from, for messages."""
    return config.model.init_from if init_from.continues(config) else workdir


@under_run_policy
def run(config, workdir, strategy_name="auto", tpu=None):
    """Pretrain as configured; returns the trained task."""
    strategy = create_strategy(strategy_name, tpu)
    chief = is_chief(strategy)
    keras.utils.set_random_seed(config.train.seed)
    corpus_dir = os.path.expanduser(config.data.corpus_dir) or corpus.SAMPLE_CORPUS_DIR
    languages = corpus_languages(config, corpus_dir)
    pipelines.require_usable_corpus(
        corpus_dir, languages, [name for name in PIPELINES if config.objectives[name].weight > 0]
    )
    tokenizer = load_or_train_tokenizer(config, corpus_dir, languages, workdir, chief)
    language_names = languages  # Only the metrics tell languages apart.
    if uses_language_ids(config):
        # The tokenizer's ids (a subset of a larger tokenizer keeps them), so
        # the model and the metrics cover all of its languages.
        language_names = list(tokenizer.languages)
        problem = missing_languages(
            languages, language_names, config.data.tokenizer or _tokenizer_source(config, workdir)
        )
        if problem:
            raise ValueError(f"data.languages: {problem}.")
    spec = pipeline_spec(
        config, tokenizer, language_names, cache_dir=os.path.join(workdir, "corpus_cache")
    )
    if config.data.target_frequency_alpha > 0:
        spec.token_weights = pipelines.target_weights(
            spec, corpus_dir, languages, config.data.target_frequency_alpha
        )
    dataset_fns = {
        name: (
            lambda context, skip, name=name: PIPELINES[name](
                spec, corpus_dir, languages, config.objectives[name].alpha, context, skip
            )
        )
        for name in PIPELINES
        if config.objectives[name].weight > 0
    }

    def save(model, directory):
        # With its preprocessor (and tokenizer): the preset takes raw text.
        model.preprocessor = model.preprocessor_cls(
            tokenizer, sequence_length=config.data.sequence_length
        )
        model.configure_preprocessor()
        model.save_to_preset(directory)

    parts = TrainingRun(
        build_model=lambda: build_task(config, tokenizer, len(tokenizer.languages)),
        dataset_fns=dataset_fns,
        language_names=language_names,
        save=save,
    )
    model = train(parts, config=config, workdir=workdir, strategy=strategy)
    stats = spec.corpus_stats()
    logging.info("Corpus lines read: %s", stats.summary(every_file=logging.level_debug()))
    return model
