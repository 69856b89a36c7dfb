"""`XLMCausalLM`: XLM's causal language-modelling (CLM) task."""

import keras
import tensorflow as tf
from keras import ops
from keras_hub.models import CausalLM

from xlm_keras.models.xlm_causal_lm_preprocessor import XLMCausalLMPreprocessor
from xlm_keras.models.xlm_task import GenerativeTask
from xlm_keras.models.xlm_task import XLMTask
from xlm_keras.models.xlm_task import generated_padding_mask
from xlm_keras.models.xlm_task import lm_head_layer
from xlm_keras.models.xlm_task import normalize_generate_dict


@keras.saving.register_keras_serializable(package="xlm_keras")
class XLMCausalLM(XLMTask, GenerativeTask, CausalLM):
    """Next-token prediction with a causal `XLMBackbone` and XLM's tied
    prediction layer (embeddings transposed + bias).

    `generate` (keras-hub's, with its samplers; greedy by default) continues
    raw prompts with a key/value cache, so each new token costs one position.
    Models with language embeddings take `{"text": ..., "language": ...}`;
    generated tokens get the prompt's language.

    Args:
        backbone: `XLMBackbone` built with `causal=True`.
        preprocessor: optional `XLMCausalLMPreprocessor`.

    Inputs (dict): the backbone's inputs.

    Output: logits float32 [batch, seq, vocabulary_size]; position `t`
    predicts token `t + 1`. Train with labels = ids shifted left by one and
    `sample_weight` 0 on padding and on the last real token.

    Example:
    >>> clm = XLMCausalLM.from_preset("xlm_tiny_clm")
    >>> ids = np.array([[1, 5, 6, 1]], "int32")
    >>> clm({"token_ids": ids, "padding_mask": ids > -1,
    ...      "language_ids": np.zeros_like(ids)}).shape
    TensorShape([1, 4, 1000])
    >>> clm = XLMCausalLM.from_preset("runs/clm/preset")
    >>> clm.generate({"text": ["Le chat"], "language": ["fr"]}, max_length=20)
    """

    preprocessor_cls = XLMCausalLMPreprocessor

    def __init__(self, backbone, preprocessor=None, **kwargs):
        if not backbone.causal:
            raise ValueError(
                "XLMCausalLM needs a causal backbone: build it with "
                "`causal=True` (e.g. preset 'xlm_clm_enfr_1024'). A "
                "bidirectional backbone would see the tokens it predicts."
            )

        # === Layers ===
        self.backbone = backbone
        self.preprocessor = preprocessor
        self.lm_head = lm_head_layer("xlm", backbone, "clm_head")

        # === Functional Model ===
        inputs = dict(backbone.input)
        outputs = self.lm_head(backbone(inputs))
        super().__init__(inputs=inputs, outputs=outputs, **kwargs)
        self.configure_preprocessor()

    def call_with_cache(self, token_ids, cache, cache_update_index, language_ids=None):
        """Logits of `token_ids` at positions `cache_update_index ..`.

        Args:
            token_ids: int [batch, new].
            cache: float [batch, num_layers, 2, max_length, num_heads,
                head_dim], keys and values of the positions before.
            cache_update_index: int scalar, the position of `token_ids[:, 0]`.
            language_ids: int [batch, new], for models with language
                embeddings.

        Returns: (logits [batch, new, vocab], hidden states
        [batch, new, hidden], the updated cache).
        """
        backbone = self.backbone
        positions = cache_update_index + ops.arange(ops.shape(token_ids)[1])
        x = backbone.embeddings(
            token_ids, position_ids=positions[None, :], language_ids=language_ids
        )
        if backbone.embeddings_layer_norm is not None:
            x = backbone.embeddings_layer_norm(x)
        caches = []
        for index, layer in enumerate(backbone.transformer_layers):
            x, layer_cache = layer.call_with_cache(x, cache[:, index], cache_update_index)
            caches.append(layer_cache)
        if backbone.final_layer_norm is not None:
            x = backbone.final_layer_norm(x)
        return self.lm_head(x), x, ops.stack(caches, axis=1)

    def _normalize_generate_inputs(self, inputs):
        if not isinstance(inputs, dict) or self.preprocessor is None:
            return super()._normalize_generate_inputs(inputs)
        return normalize_generate_dict(super()._normalize_generate_inputs, inputs, "text")

    @tf.autograph.experimental.do_not_convert  # Plain graph code: no AutoGraph pass.
    def generate_step(self, inputs, stop_token_ids=None):
        """One batch of generation (keras-hub's contract): `token_ids` and
        `padding_mask` (+ `language_ids`) int [batch, max_length], prompts
        right-padded; returns them with the padding generated, the mask
        ending after each row's first stop token."""
        token_ids, padding_mask = inputs["token_ids"], inputs["padding_mask"]
        language_ids = inputs.get("language_ids")
        backbone = self.backbone
        batch_size, max_length = ops.shape(token_ids)[0], ops.shape(token_ids)[1]
        head_dim = backbone.hidden_dim // backbone.num_heads
        cache = ops.zeros(
            [batch_size, backbone.num_layers, 2, max_length, backbone.num_heads, head_dim],
            dtype=self.compute_dtype,
        )
        _, hidden_states, cache = self.call_with_cache(token_ids, cache, 0, language_ids)
        index = ops.min(ops.sum(ops.cast(padding_mask, "int32"), axis=-1))

        def next(prompt, cache, index):
            position = index - 1
            rows = ops.shape(prompt)[0]
            step_language = (
                None if language_ids is None else ops.slice(language_ids, [0, position], [rows, 1])
            )
            logits, hidden, cache = self.call_with_cache(
                ops.slice(prompt, [0, position], [rows, 1]), cache, position, step_language
            )
            return ops.squeeze(logits, 1), ops.squeeze(hidden, 1), cache

        token_ids = self.sampler(
            next=next,
            prompt=token_ids,
            cache=cache,
            index=index,
            mask=padding_mask,
            stop_token_ids=stop_token_ids,
            hidden_states=hidden_states,
            model=self,
        )
        padding_mask = generated_padding_mask(token_ids, padding_mask, stop_token_ids)
        outputs = {"token_ids": token_ids, "padding_mask": padding_mask}
        if language_ids is not None:
            outputs["language_ids"] = language_ids
        return outputs
