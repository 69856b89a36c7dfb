"""Load a `Checkpoint` into Keras models and write a preset directory."""

import json
import os
import shutil

import numpy as np

from xlm_keras.convert.bpe_files import bpe_tokenizer
from xlm_keras.keras_hub_internals import attention_parts
from xlm_keras.keras_hub_internals import block_sublayers
from xlm_keras.keras_hub_internals import lm_head_parts
from xlm_keras.models import XLMBackbone
from xlm_keras.models import XLMCausalLM
from xlm_keras.models import XLMMaskedLM
from xlm_keras.models import XLMSeq2SeqBackbone
from xlm_keras.models import XLMSeq2SeqLM
from xlm_keras.models import XLMSpanQA
from xlm_keras.models import XLMTextClassifier
from xlm_keras.models import XLMTokenClassifier
from xlm_keras.models.weights_to_load import weights_to_load
from xlm_keras.models.xlm_bpe_tokenizer import MERGES_FILE
from xlm_keras.models.xlm_bpe_tokenizer import VOCAB_FILE
from xlm_keras.models.xlm_tokenizer import LANGUAGES_FILE
from xlm_keras.models.xlm_tokenizer import XLMTokenizer

SENTENCEPIECE_FILE = "sentencepiece.bpe.model"
# `Checkpoint.task` -> the task class it becomes.
TASKS = {
    "text_classifier": XLMTextClassifier,
    "token_classifier": XLMTokenClassifier,
    "span_qa": XLMSpanQA,
}


class _Assigner:
    """Assigns canonical weights to variables, checking shapes and that every
    weight and every variable is used exactly once.

    The `pair_*` functions below walk a model and hand each variable with its
    canonical name to an object with this class's `tensor`, `linear` and
    `layer_norm` methods: this assigner writes the checkpoint's values in,
    `from_keras.KerasReader` reads a model's values out (one name map, both
    directions)."""

    def __init__(self, checkpoint):
        self.weights = dict(checkpoint.weights)
        self.source = checkpoint.source
        self.assigned = set()

    def take(self, name):
        """The float32 values of weight `name`, read from the checkpoint file
        now (and dropped by the assigner, so each is held only while it is
        assigned)."""
        if name not in self.weights:
            raise ValueError(f"{self.source}: weight {name!r} is missing.")
        return np.asarray(self.weights.pop(name), dtype=np.float32)

    def assign(self, variable, value):
        if tuple(variable.shape) != value.shape:
            raise ValueError(
                f"{self.source}: shape mismatch for {variable.path}: the model "
                f"expects {tuple(variable.shape)}, the checkpoint has {value.shape}."
            )
        variable.assign(value)
        self.assigned.add(id(variable))

    def tensor(self, variable, name):
        """Weight `name` into `variable`, as it is."""
        self.assign(variable, self.take(name))

    def linear(self, dense, name, kernel_shape=None):
        """torch Linear `[out, in]` -> Keras kernel `[in, out]` (reshaped for
        attention), bias likewise."""
        kernel = self.take(f"{name}.weight").T
        bias = self.take(f"{name}.bias")
        self.assign(dense.kernel, kernel.reshape(kernel_shape or kernel.shape))
        self.assign(dense.bias, bias.reshape(dense.bias.shape))

    def layer_norm(self, layer, name):
        self.assign(layer.gamma, self.take(f"{name}.weight"))
        self.assign(layer.beta, self.take(f"{name}.bias"))

    def finish(self, model):
        unassigned = [v.path for v in model.weights if id(v) not in self.assigned]
        if self.weights or unassigned:
            raise ValueError(
                f"{self.source}: checkpoint and model disagree. Unused "
                f"checkpoint weights: {sorted(self.weights)[:10]}; model "
                f"variables without a value: {unassigned[:10]}."
            )


def _pair_embeddings(put, embeddings, layer_norm, prefix=""):
    """Token, position and language tables and the embedding LayerNorm."""
    put.tensor(embeddings.token_embedding.embeddings, f"{prefix}token_embedding")
    if embeddings.position_embedding == "learned":
        put.tensor(embeddings.position_table.position_embeddings, f"{prefix}position_embedding")
    if embeddings.language_embedding is not None:
        put.tensor(embeddings.language_embedding.embeddings, f"{prefix}language_embedding")
    if layer_norm is not None:
        put.layer_norm(layer_norm, f"{prefix}embeddings_layer_norm")


def _pair_attention(put, attention, name, hidden, heads):
    """`{name}query/key/value/attention_output` into a keras-hub attention."""
    head_dim = hidden // heads
    parts = attention_parts(attention)
    for part, dense in (("query", parts.query), ("key", parts.key), ("value", parts.value)):
        put.linear(dense, f"{name}{part}", (hidden, heads, head_dim))
    put.linear(parts.output, f"{name}attention_output", (heads, head_dim, hidden))


def _pair_block(put, layer, name, hidden, heads):
    """Self-attention, cross-attention (decoder blocks) and feed-forward of
    a keras-hub `TransformerEncoder`/`TransformerDecoder` block."""
    parts = block_sublayers(layer)
    _pair_attention(put, parts.self_attention, name, hidden, heads)
    put.layer_norm(parts.self_attention_norm, f"{name}attention_layer_norm")
    if parts.cross_attention is not None:
        _pair_attention(put, parts.cross_attention, f"{name}cross_", hidden, heads)
        put.layer_norm(parts.cross_attention_norm, f"{name}cross_attention_layer_norm")
    put.linear(parts.feedforward_intermediate, f"{name}intermediate")
    put.linear(parts.feedforward_output, f"{name}output")
    put.layer_norm(parts.feedforward_norm, f"{name}ffn_layer_norm")


def pair_backbone(backbone, put):
    _pair_embeddings(put, backbone.embeddings, backbone.embeddings_layer_norm)
    for i, layer in enumerate(backbone.transformer_layers):
        _pair_block(put, layer, f"layers.{i}.", backbone.hidden_dim, backbone.num_heads)
    if backbone.final_layer_norm is not None:
        put.layer_norm(backbone.final_layer_norm, "final_layer_norm")


def pair_decoder(backbone, put):
    """The decoder of an `XLMSeq2SeqBackbone` from `decoder.*` weights."""
    _pair_embeddings(
        put, backbone.decoder_embeddings, backbone.decoder_embeddings_layer_norm, "decoder."
    )
    for i, layer in enumerate(backbone.decoder_layers):
        _pair_block(put, layer, f"decoder.layers.{i}.", backbone.hidden_dim, backbone.num_heads)
    if backbone.decoder_final_layer_norm is not None:
        put.layer_norm(backbone.decoder_final_layer_norm, "decoder.final_layer_norm")


def pair_lm_head(task, lm_head, put):
    if isinstance(task, XLMSeq2SeqLM):
        head = task.output_head
    else:
        head = task.masked_lm_head if isinstance(task, XLMMaskedLM) else task.lm_head
    if lm_head == "xlm":
        put.tensor(head.bias, "lm_head.bias")
    else:
        parts = lm_head_parts(head)
        put.linear(parts.dense, "lm_head.dense")
        put.layer_norm(parts.norm, "lm_head.layer_norm")
        put.tensor(parts.bias, "lm_head.bias")


def pair_task_head(task, put):
    """The fine-tuned head: `head.logits` is the dense layer giving the
    logits, `head.pooled_dense` XLM-R's dense + tanh before it."""
    if isinstance(task, XLMSpanQA):
        put.linear(task.span_dense, "head.logits")
        return
    if getattr(task, "pooled_dense", None) is not None:
        put.linear(task.pooled_dense, "head.pooled_dense")
    put.linear(task.output_dense, "head.logits")


def build_model(checkpoint):
    """Keras model holding the checkpoint's weights: `XLMSeq2SeqLM` for the
    task `"seq2seq"`, the task class of `checkpoint.task` (`TASKS`) for a
    fine-tuned head, `XLMCausalLM` for
    causal checkpoints with an LM head, `XLMMaskedLM` for others with an LM
    head, else `XLMBackbone`."""
    if checkpoint.task == "seq2seq":
        return _build_seq2seq(checkpoint)
    with weights_to_load():
        backbone = XLMBackbone(**checkpoint.backbone_config)
    model = backbone
    if checkpoint.task:
        model = TASKS[checkpoint.task](backbone, **checkpoint.task_config)
    elif checkpoint.lm_head and checkpoint.backbone_config["causal"]:
        if checkpoint.lm_head != "xlm":
            raise ValueError(f"{checkpoint.source}: a causal model needs XLM's head.")
        model = XLMCausalLM(backbone)
    elif checkpoint.lm_head:
        model = XLMMaskedLM(backbone, lm_head=checkpoint.lm_head)
    put = _Assigner(checkpoint)
    pair_backbone(backbone, put)
    if checkpoint.task:
        pair_task_head(model, put)
    elif model is not backbone:
        pair_lm_head(model, checkpoint.lm_head, put)
    put.finish(model)
    return model


def _build_seq2seq(checkpoint):
    with weights_to_load():
        backbone = XLMSeq2SeqBackbone(**checkpoint.backbone_config)
    model = XLMSeq2SeqLM(backbone, lm_head=checkpoint.lm_head)
    put = _Assigner(checkpoint)
    pair_backbone(model.backbone.encoder, put)
    pair_decoder(model.backbone, put)
    pair_lm_head(model, checkpoint.lm_head, put)
    put.finish(model)
    return model


def write_preset(checkpoint, output_dir):
    """Convert `checkpoint` into a keras-hub preset directory.

    Writes `config.json` + `model.weights.h5` (backbone), `task.json` +
    `task.weights.h5` (LM or task head, when present, with the task's
    `label_names`), and under `assets/tokenizer/`
    the language list plus: for XLM-R checkpoints an `XLMTokenizer`
    (`tokenizer.json`, `vocabulary.spm`, fairseq ids) that
    `XLMTokenizer.from_preset(output_dir)` loads; for XLM checkpoints with
    BPE merges (`vocab.json` + `merges.txt`, or fastBPE `codes`) an
    `XLMBPETokenizer` (`tokenizer.json`, `vocab.json`, `merges.txt`), which
    `XLMTokenizer.from_preset` loads too; else the files found beside the
    checkpoint, copied.

    Returns: the Keras model that was saved.
    """
    model = build_model(checkpoint)
    model.save_to_preset(output_dir)
    asset_dir = os.path.join(output_dir, "assets", "tokenizer")
    os.makedirs(asset_dir, exist_ok=True)
    for name, path in checkpoint.assets.items():
        if name not in (SENTENCEPIECE_FILE, MERGES_FILE):
            shutil.copyfile(path, os.path.join(asset_dir, name))
    if {VOCAB_FILE, MERGES_FILE} <= set(checkpoint.assets):
        bpe_tokenizer(checkpoint).save_to_preset(output_dir)
    elif SENTENCEPIECE_FILE in checkpoint.assets:
        tokenizer = XLMTokenizer(
            proto=checkpoint.assets[SENTENCEPIECE_FILE],
            languages=checkpoint.languages,
            id_convention="fairseq",
        )
        vocabulary_size = checkpoint.backbone_config["vocabulary_size"]
        if tokenizer.vocabulary_size() > vocabulary_size:
            raise ValueError(
                f"{checkpoint.source}: {SENTENCEPIECE_FILE} gives "
                f"{tokenizer.vocabulary_size()} ids but the model has only "
                f"{vocabulary_size} embeddings; the tokenizer does not belong "
                "to this checkpoint."
            )
        tokenizer.save_to_preset(output_dir)
    else:
        with open(os.path.join(asset_dir, LANGUAGES_FILE), "w") as f:
            json.dump(checkpoint.languages, f, ensure_ascii=False)
    return model
