"""`model.init_from` in pretraining: a built-in shape starts from random
weights; a preset directory continues its LM task (continued pretraining)
with its tokenizer, languages and position limit."""

import filecmp
import os

from xlm_keras.data import corpus
from xlm_keras.layers.xlm_embedding import uses_language_embedding
from xlm_keras.models import XLMBackbone
from xlm_keras.models import XLMCausalLM
from xlm_keras.models import XLMMaskedLM
from xlm_keras.models import presets
from xlm_keras.models.preset_files import TOKENIZER_ASSETS
from xlm_keras.models.preset_files import VOCABULARY_FILE
from xlm_keras.models.preset_files import tokenizer_languages
from xlm_keras.training.config import split_languages

# The LM task (and head) each kind of objective continues: MLM and TLM an
# MLM head, CLM a CLM head over a causal backbone.
LM_TASKS = {"masked": XLMMaskedLM, "causal": XLMCausalLM}
CONTINUES = {
    "XLMMaskedLM": "MLM and TLM continue an XLMMaskedLM preset (its MLM head with it): pass "
    "an MLM/TLM run's preset or an xlm-convert output of an MLM checkpoint",
    "XLMCausalLM": "CLM continues an XLMCausalLM preset (its CLM head with it): pass a CLM "
    "run's preset or an xlm-convert output of a CLM checkpoint",
}


def lm_task(config):
    """The task class the configured objectives train."""
    return LM_TASKS["causal" if config.objectives.clm.weight > 0 else "masked"]


def continues(config):
    """Whether `model.init_from` is a preset directory to continue."""
    return not presets.is_builtin(config.model.init_from)


def has_language_embedding(backbone_config):
    """Whether a backbone of `backbone_config` (`XLMBackbone` kwargs) takes
    language ids."""
    return uses_language_embedding(
        backbone_config.get("num_languages", 1), backbone_config.get("use_language_embedding", True)
    )


def check_init_from(config, check):
    """`model.init_from`'s checks before compute; `check(ok, key, message)`
    collects failures. Returns its backbone config, or None."""
    init_from = config.model.init_from
    backbone = presets.init_config(init_from)
    check(
        backbone is not None,
        "model.init_from",
        f"{init_from!r} is neither a preset directory (with config.json: an xlm-train "
        f"run's `preset`, an xlm-convert output) nor a built-in shape {sorted(presets.PRESETS)}",
    )
    if backbone is None or not continues(config):
        return backbone
    preset = os.path.expanduser(init_from)
    saved = presets.saved_task_name(preset)
    needed = lm_task(config).__name__
    check(
        saved == needed,
        "model.init_from",
        f"{init_from} holds {saved or 'a backbone without an LM head'}, but {CONTINUES[needed]}",
    )
    known = tokenizer_languages(preset)
    check(
        known is not None,
        "model.init_from",
        f"{init_from} has no tokenizer (tokenizer.json); continued "
        "pretraining keeps the checkpoint's vocabulary: convert the checkpoint with its "
        "sentencepiece.bpe.model beside it",
    )
    if known is None:
        return backbone
    if config.data.tokenizer:
        check(
            _same_tokenizer(os.path.expanduser(config.data.tokenizer), preset),
            "data.tokenizer",
            f"{config.data.tokenizer} is another tokenizer than model.init_from {init_from}'s "
            "(vocabulary or languages differ); continued pretraining keeps the checkpoint's "
            "tokenizer: set data.tokenizer=''",
        )
    languages = corpus_languages_or_none(config)
    if languages and has_language_embedding(backbone):
        unknown = sorted(set(languages) - set(known))
        check(
            not unknown,
            "data.languages",
            f"{unknown} have no language embedding in {init_from}, whose languages are "
            f"{known}; set data.languages to some of those, or continue a checkpoint "
            "without language embeddings (XLM-R)",
        )
    return backbone


def corpus_languages_or_none(config):
    """The languages a run reads (`data.languages`, else every language of
    the corpus's monolingual train files), or None without a corpus."""
    if config.data.languages:
        return split_languages(config.data.languages)
    corpus_dir = os.path.expanduser(config.data.corpus_dir) or corpus.SAMPLE_CORPUS_DIR
    if not os.path.isdir(corpus_dir):
        return None
    return sorted(corpus.monolingual_files(corpus_dir, "train"))


def _same_tokenizer(tokenizer_dir, preset):
    """Same SentencePiece vocabulary and language list."""
    vocabularies = [
        os.path.join(d, TOKENIZER_ASSETS, VOCABULARY_FILE) for d in (tokenizer_dir, preset)
    ]
    return (
        all(os.path.isfile(path) for path in vocabularies)
        and filecmp.cmp(*vocabularies, shallow=False)
        and tokenizer_languages(tokenizer_dir) == tokenizer_languages(preset)
    )


def load_lm_task(config):
    """The preset's LM task (backbone and head weights), its dropout
    replaced by `model.dropout`; no preprocessor, uncompiled."""
    preset = os.path.expanduser(config.model.init_from)
    backbone = XLMBackbone.from_preset(preset, dropout=config.model.dropout)
    return lm_task(config).from_preset(preset, backbone=backbone, preprocessor=None, compile=False)
