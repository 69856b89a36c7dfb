"""`XLMSeq2SeqLM`: translation with an XLM encoder-decoder."""

import keras
import tensorflow as tf
from keras import ops
from keras_hub.models import Seq2SeqLM
from keras_hub.samplers import ContrastiveSampler

from xlm_keras.inference.decoder import CachedDecoder
from xlm_keras.inference.encoder import covers
from xlm_keras.inference.encoder import token_states
from xlm_keras.keras_hub_internals import TOKENIZER_CONFIG_FILE
from xlm_keras.keras_hub_internals import block_sublayers
from xlm_keras.keras_hub_internals import check_file_exists
from xlm_keras.layers.encoder_block import TokenLayout
from xlm_keras.layers.encoder_block import additive_key_mask
from xlm_keras.models import preset_files
from xlm_keras.models import presets
from xlm_keras.models.weights_to_load import weights_to_load
from xlm_keras.models.xlm_backbone import XLMBackbone
from xlm_keras.models.xlm_causal_lm import XLMCausalLM
from xlm_keras.models.xlm_masked_lm import XLMMaskedLM
from xlm_keras.models.xlm_seq2seq_backbone import SHARED_ARGUMENTS
from xlm_keras.models.xlm_seq2seq_backbone import XLMSeq2SeqBackbone
from xlm_keras.models.xlm_seq2seq_backbone import complete_seq2seq_inputs
from xlm_keras.models.xlm_seq2seq_lm_preprocessor import XLMSeq2SeqLMPreprocessor
from xlm_keras.models.xlm_task import GenerativeTask
from xlm_keras.models.xlm_task import check_task_preset
from xlm_keras.models.xlm_task import generated_padding_mask
from xlm_keras.models.xlm_task import lm_head_layer
from xlm_keras.models.xlm_task import normalize_generate_dict
from xlm_keras.models.xlm_task import resolve_head
from xlm_keras.models.xlm_tokenizer import XLMTokenizer

# Saved tasks whose LM head can initialise the translation output head.
PRETRAINED_HEADS = {cls.__name__: cls for cls in (XLMMaskedLM, XLMCausalLM)}


@keras.saving.register_keras_serializable(package="xlm_keras")
class XLMSeq2SeqLM(GenerativeTask, Seq2SeqLM):
    """Encoder-decoder translation model of the XLM family, with the output
    projection tied to the decoder's token table.

    `generate` translates raw sources with a key/value cache (each new token
    costs one position); `compile(sampler=...)` picks greedy (default),
    `XLMBeamSampler(num_beams, length_penalty)` or any keras-hub sampler.
    `from_pretrained_encoder` initialises encoder and decoder from one
    pretrained XLM/XLM-R preset, as XLM does.

    Args:
        backbone: `XLMSeq2SeqBackbone`.
        preprocessor: optional `XLMSeq2SeqLMPreprocessor`.
        lm_head: `"xlm"` (tied projection + bias), `"roberta"` (dense, GELU,
            LayerNorm, tied projection + bias) or `"auto"` (the family's).

    Inputs (dict): the backbone's inputs.

    Output: logits float [batch, target_len, vocabulary_size]; position `t`
    predicts target token `t + 1`.

    Example:
    >>> mt = XLMSeq2SeqLM.from_pretrained_encoder("runs/mlm_tlm/preset")
    >>> mt.fit(pairs.batch(16))  # {"source", "target", "source_language", ...}
    >>> mt.compile(sampler=XLMBeamSampler(num_beams=4))
    >>> mt.generate({"source": ["Hello"], "source_language": "en",
    ...              "target_language": "fr"}, max_length=32)
    """

    backbone_cls = XLMSeq2SeqBackbone
    preprocessor_cls = XLMSeq2SeqLMPreprocessor

    def __init__(self, backbone, preprocessor=None, lm_head="auto", **kwargs):
        lm_head = resolve_head(lm_head, backbone, "lm_head")

        # === Layers ===
        self.backbone = backbone
        self.preprocessor = preprocessor
        self.output_head = lm_head_layer(lm_head, backbone, "output_head")

        # === Functional Model ===
        inputs = dict(backbone.input)
        outputs = self.output_head(backbone(inputs)["decoder_sequence_output"])
        super().__init__(inputs=inputs, outputs=outputs, **kwargs)

        # === Config ===
        self.lm_head = lm_head
        if preprocessor is not None:
            preprocessor.configure_for(self)

    def __call__(self, inputs, *args, **kwargs):
        return super().__call__(complete_seq2seq_inputs(self, inputs), *args, **kwargs)

    def call_encoder(self, inputs, drop_padding=False):
        """The encoder output at inference as rows: (float [N, hidden],
        `TokenLayout` of `encoder_padding_mask`); `drop_padding` leaves the
        padding out of the rows (not for XLA)."""
        encoder = self.backbone.encoder
        encoder_inputs = {
            "token_ids": inputs["encoder_token_ids"],
            "padding_mask": inputs["encoder_padding_mask"],
        }
        if self.backbone.has_language_embedding:
            encoder_inputs["language_ids"] = inputs["encoder_language_ids"]
        if covers(encoder):
            return token_states(encoder, encoder_inputs, drop_padding)
        layout = TokenLayout(inputs["encoder_padding_mask"], drop_padding)
        return layout.rows(encoder(encoder_inputs, training=False)), layout

    def _normalize_generate_inputs(self, inputs):
        if not isinstance(inputs, dict) or self.preprocessor is None:
            return super()._normalize_generate_inputs(inputs)
        return normalize_generate_dict(super()._normalize_generate_inputs, inputs, "source")

    @tf.autograph.experimental.do_not_convert  # Plain graph code: no AutoGraph pass.
    def generate_step(
        self, inputs, stop_token_ids=None, sampler=None, drop_padding=None, decoding_weights=None
    ):
        """One batch of generation (keras-hub's contract): encoder inputs and
        a right-padded decoder prompt int [batch, max_length] (+ language
        ids) in; the same dict back with the decoder padding generated and
        `decoder_padding_mask` ending after each row's first stop token;
        with `XLMBeamSampler` also `score` float32 [batch]. `sampler`
        overrides the compiled one (back-translation decodes greedily).
        `drop_padding` (default: when not `jit_compile`) runs the encoder on
        the source tokens only; XLA needs it off. `decoding_weights`: the
        decoder's weights fused at export (`inference.decoder.DecodingWeights`);
        by default they are fused in the call."""
        sampler = sampler or self.sampler
        if drop_padding is None:
            drop_padding = not self.jit_compile
        if isinstance(sampler, ContrastiveSampler):
            raise ValueError(
                "XLMSeq2SeqLM does not support `ContrastiveSampler` (it needs the prompt's "
                "hidden states, which cached translation does not compute). Use 'greedy', "
                "`XLMBeamSampler` or a sampling sampler ('top_k', 'top_p', 'random')."
            )
        token_ids, padding_mask = inputs["decoder_token_ids"], inputs["decoder_padding_mask"]
        language_ids = inputs.get("decoder_language_ids")
        decoder = CachedDecoder(self, decoding_weights)
        encoder_rows, encoder_layout = self.call_encoder(inputs, drop_padding)
        key_mask = additive_key_mask(inputs["encoder_padding_mask"])
        batch_size, max_length = ops.shape(token_ids)[0], ops.shape(token_ids)[1]
        # Loop variables cannot be None: a model without languages carries zeros.
        row_language = (
            ops.zeros([batch_size, 1], "int32") if language_ids is None else language_ids[:, :1]
        )
        takes_language = language_ids is not None

        # The encoder tensors ride in the cache (read-only) so that samplers
        # expand them with the rows (beams).
        shared = (key_mask, decoder.cross_cache(encoder_rows, encoder_layout), row_language)

        def next(prompt, cache, index):
            self_cache, (key_mask, cross_cache, row_language) = cache
            position = index - 1
            logits, hidden, self_cache = decoder.step(
                ops.slice(prompt, [0, position], [ops.shape(prompt)[0], 1]),
                position,
                self_cache,
                cross_cache,
                key_mask,
                language_ids=row_language if takes_language else None,
            )
            return logits, hidden, (self_cache, (key_mask, cross_cache, row_language))

        # Generation starts after position 0 (the start token): given prompt
        # tokens past it are fed through the cache one by one like generated
        # ones, and the samplers keep them (`mask`).
        result = sampler(
            next=next,
            prompt=token_ids,
            cache=(decoder.empty_self_cache(batch_size, max_length), shared),
            index=1,
            mask=padding_mask,
            stop_token_ids=stop_token_ids,
            model=self,
        )
        token_ids, scores = result if isinstance(result, tuple) else (result, None)
        padding_mask = generated_padding_mask(token_ids, padding_mask, stop_token_ids)
        outputs = dict(inputs, decoder_token_ids=token_ids, decoder_padding_mask=padding_mask)
        if scores is not None:
            outputs["score"] = scores
        return outputs

    def get_config(self):
        config = super().get_config()
        config["lm_head"] = self.lm_head
        return config

    @classmethod
    def from_preset(cls, preset, load_weights=True, compile=True, **kwargs):
        """A built-in preset name (the encoder's shape on both sides, random
        weights) or a seq2seq preset directory (`save_to_preset`,
        `xlm-train`, `xlm-convert`). `compile`: as `XLMTask.from_preset`,
        after the weights are loaded."""
        if presets.is_builtin(preset):
            config = presets.backbone_config(preset, load_weights)
            config.pop("causal", None)
            kwargs.setdefault("lm_head", presets.lm_head(preset))
            return cls(XLMSeq2SeqBackbone(**config), compile=compile, **kwargs)
        check_task_preset(cls, preset, load_weights, kwargs)
        if not check_file_exists(preset, TOKENIZER_CONFIG_FILE):
            kwargs.setdefault("preprocessor", None)
        with preset_files.loading_weights(preset), weights_to_load(load_weights):
            task = super().from_preset(
                preset,
                load_weights=load_weights,
                compile=False,
                **preset_files.in_current_policy(kwargs),
            )
        if compile:
            task.compile()
        return task

    def save_to_preset(self, preset_dir, **kwargs):
        """keras-hub's `save_to_preset`, and the task's class recorded in
        `metadata.json` (`preset_files.record_task`)."""
        super().save_to_preset(preset_dir, **kwargs)
        preset_files.record_task(preset_dir, type(self).__name__)

    @classmethod
    def from_pretrained_encoder(
        cls,
        preset,
        num_decoder_layers=None,
        dropout=None,
        preprocessor="auto",
        encoder_sequence_length=128,
        decoder_sequence_length=128,
        **kwargs,
    ):
        """XLM's initialisation: encoder AND decoder from one pretrained
        XLM/XLM-R preset (an `XLMBackbone`, `XLMMaskedLM` or `XLMCausalLM`
        directory, or a built-in name for random weights).

        The encoder takes the pretrained weights; the decoder takes the same
        embeddings and, block by block, the self-attention and feed-forward
        weights (blocks past the pretrained depth keep their random
        initialisation); cross-attention is new. A preset with an LM head of
        the decoder's kind gives the output head too.

        Args:
            preset: preset directory or built-in name.
            num_decoder_layers: int or None (the encoder's depth).
            dropout: float, or None for the preset's own rate.
            preprocessor: `"auto"` (from the preset's tokenizer, when it has
                one), None, or an `XLMSeq2SeqLMPreprocessor`.
            encoder_sequence_length, decoder_sequence_length: int, for the
                `"auto"` preprocessor.
            **kwargs: `lm_head` and `keras.Model` arguments.
        """
        pretrained = XLMBackbone.from_preset(preset)
        config = {name: getattr(pretrained, name) for name in SHARED_ARGUMENTS}
        if dropout is not None:
            config["dropout"] = dropout
        backbone = XLMSeq2SeqBackbone(
            **config, num_decoder_layers=num_decoder_layers, dtype=pretrained.dtype_policy
        )
        if preprocessor == "auto":
            preprocessor = None
            if not presets.is_builtin(preset) and check_file_exists(preset, TOKENIZER_CONFIG_FILE):
                preprocessor = XLMSeq2SeqLMPreprocessor(
                    XLMTokenizer.from_preset(preset),
                    encoder_sequence_length=encoder_sequence_length,
                    decoder_sequence_length=decoder_sequence_length,
                )
        model = cls(backbone, preprocessor=preprocessor, **kwargs)
        copy_pretrained_weights(pretrained, model)
        copy_pretrained_head(preset, model)
        return model


def copy_pretrained_weights(pretrained, model):
    """Encoder <- `pretrained`; decoder embeddings and the self-attention and
    feed-forward weights of each decoder block <- the same."""
    backbone = model.backbone
    backbone.encoder.set_weights(pretrained.get_weights())
    backbone.decoder_embeddings.set_weights(pretrained.embeddings.get_weights())
    if pretrained.embeddings_layer_norm is not None:
        backbone.decoder_embeddings_layer_norm.set_weights(
            pretrained.embeddings_layer_norm.get_weights()
        )
    if pretrained.final_layer_norm is not None:
        backbone.decoder_final_layer_norm.set_weights(pretrained.final_layer_norm.get_weights())
    for source, target in zip(pretrained.transformer_layers, backbone.decoder_layers):
        source, target = block_sublayers(source), block_sublayers(target)
        for name in (
            "self_attention",
            "self_attention_norm",
            "feedforward_intermediate",
            "feedforward_output",
            "feedforward_norm",
        ):
            getattr(target, name).set_weights(getattr(source, name).get_weights())


def copy_pretrained_head(preset, model):
    """The output head <- the preset's LM head, when it has one of the same
    kind (XLM: the bias; XLM-R: dense, LayerNorm and bias)."""
    task = PRETRAINED_HEADS.get(presets.saved_task_name(preset))
    if task is None:
        return
    # Uncompiled: a pretraining run saves no optimizer, and loading one would warn.
    pretrained = task.from_preset(preset, preprocessor=None, compile=False)
    head = pretrained.masked_lm_head if task is XLMMaskedLM else pretrained.lm_head
    if isinstance(head, type(model.output_head)):
        model.output_head.set_weights(head.get_weights())
