"""Builders and checks shared by test modules: tiny models, gradients, the
scripts outside the package (tools/, export/) as modules."""

import functools
import importlib.util
import json
import re
import subprocess
import sys
from pathlib import Path

import keras
import tensorflow as tf
from absl import flags

ROOT = Path(__file__).resolve().parents[1]


def loss_and_gradients(forward, variables, inputs):
    """`forward()` and the gradients of a non-trivial scalar of it with respect
    to `inputs` (watched) and `variables`: (outputs, [d inputs] + [d variables])."""
    with tf.GradientTape() as tape:
        tape.watch(inputs)
        outputs = forward()
        loss = tf.reduce_sum(outputs * tf.cos(outputs))
    return outputs, tape.gradient(loss, [inputs] + variables)


# The tiny model the tests build unless they need another: 2 layers x 16
# wide, 24 positions, no dropout.
TINY_SHAPE = dict(num_layers=2, num_heads=2, hidden_dim=16, intermediate_dim=32)
TINY = dict(TINY_SHAPE, max_sequence_length=24, dropout=0.0)
# The sentence frame and layout of each family, as backbone arguments.
FAMILIES = {
    "xlm": dict(num_languages=3, position_offset=0, position_embedding="sinusoidal"),
    "roberta": dict(num_languages=1, position_offset=2, layer_norm_epsilon=1e-5),
    "roberta_prenorm": dict(
        num_languages=1, position_offset=2, layer_norm_epsilon=1e-5, normalize_first=True
    ),
}


def tiny_backbone(vocabulary_size, **config):
    """A randomly initialised `XLMBackbone` of the `TINY` shape; `config`
    overrides or adds backbone arguments."""
    from xlm_keras.models import XLMBackbone

    return XLMBackbone(**{**TINY, "vocabulary_size": vocabulary_size, **config})


def sized_config(preset, tokenizer, **config):
    """The backbone arguments of built-in `preset` (for random weights) sized
    to `tokenizer`: its vocabulary and, where the preset has language
    embeddings, its languages; `config` overrides."""
    from xlm_keras.models import presets

    sized = presets.backbone_config(preset, load_weights=False)
    sized["vocabulary_size"] = tokenizer.vocabulary_size()
    if sized["use_language_embedding"]:
        sized["num_languages"] = len(tokenizer.languages)
    return {**sized, **config}


def tiny_seq2seq(vocabulary_size, preprocessor=None, **config):
    """A randomly initialised `XLMSeq2SeqLM` of the `TINY` shape; `config`
    overrides or adds `XLMSeq2SeqBackbone` arguments."""
    from xlm_keras.models import XLMSeq2SeqBackbone
    from xlm_keras.models import XLMSeq2SeqLM

    backbone = XLMSeq2SeqBackbone(**{**TINY, "vocabulary_size": vocabulary_size, **config})
    return XLMSeq2SeqLM(backbone, preprocessor=preprocessor)


def tiny_translator(tokenizer, source_length=16, decode_length=8, languages=True, roberta=False):
    """A tiny `XLMSeq2SeqLM` with its preprocessor that translates each
    source differently: weights scaled up from the initial std 0.02, with
    which every source translates alike. `languages`: language embeddings;
    `roberta`: XLM-R positions."""
    from xlm_keras.models import XLMSeq2SeqLMPreprocessor

    preprocessor = XLMSeq2SeqLMPreprocessor(
        tokenizer, encoder_sequence_length=source_length, decoder_sequence_length=decode_length
    )
    model = tiny_seq2seq(
        tokenizer.vocabulary_size(),
        preprocessor,
        hidden_dim=32,
        intermediate_dim=64,
        max_sequence_length=32,
        num_languages=len(tokenizer.languages) if languages else 1,
        position_offset=2 if roberta else 0,
    )
    model.set_weights([w * 25 if w.ndim > 1 else w for w in model.get_weights()])
    return model


@functools.cache
def load_script(path):
    """The script at `path` (relative to the repository root, e.g.
    "tools/build_corpus.py") as a module, registered under its file name so
    that a script importing another (`from build_corpus import ...`) finds it.
    The absl flags it and its neighbours define are dropped again and flags of the same name
    defined elsewhere (the CLIs) are put back: the tests call functions, not
    `main`."""
    path = ROOT / path
    name = path.stem
    # Its own flags and those of the neighbours it may import (tools/bench_common.py).
    text = "".join(script.read_text() for script in path.parent.glob("*.py"))
    names = set(re.findall(r"DEFINE_\w+\(\s*\"(\w+)\"", text))
    clashing = {n: flags.FLAGS[n] for n in names if n in flags.FLAGS}
    for flag in clashing:
        delattr(flags.FLAGS, flag)
    spec = importlib.util.spec_from_file_location(name, path)
    module = importlib.util.module_from_spec(spec)
    sys.modules.setdefault(name, module)
    sys.path.insert(0, str(path.parent))  # Its neighbours, as when run as a script.
    try:
        spec.loader.exec_module(module)
    finally:
        sys.path.remove(str(path.parent))
        for flag in names & set(flags.FLAGS):
            delattr(flags.FLAGS, flag)
        for flag, value in clashing.items():
            flags.FLAGS[flag] = value
    return module


def run_child(script, spec, spec_path):
    """Write `spec` as JSON to `spec_path` and run `script` on it in a fresh
    Python process (a SavedModel loaded with nothing of ours imported); the
    test fails with the child's stderr if it does."""
    spec_path.write_text(json.dumps(spec))
    child = subprocess.run(
        [sys.executable, str(script), str(spec_path)], capture_output=True, text=True, timeout=300
    )
    assert child.returncode == 0, child.stderr[-3000:]


def trained_models(module, monkeypatch):
    """Every model that `module`'s run hands to the trainer."""
    models = []
    real_train = module.train

    def recording_train(parts, **kwargs):
        models.append(parts.build_model())
        return real_train(parts, **kwargs)

    monkeypatch.setattr(module, "train", recording_train)
    return models


def assert_bfloat16_compute_float32_variables(model):
    """`train.mixed_precision="mixed_bfloat16"` took effect on `model`, and
    the policy is float32 again after the run."""
    assert model.dtype_policy.name == "mixed_bfloat16"
    assert model.backbone.compute_dtype == "bfloat16"
    dtypes = {variable.dtype for variable in model.trainable_variables}
    assert dtypes == {"float32"}, dtypes
    assert keras.mixed_precision.global_policy().name == "float32"
