"""`XLMSeq2SeqBackbone`: an `XLMBackbone` encoder and a decoder of the same
width, for translation."""

import keras
from keras import ops
from keras_hub.layers import TransformerDecoder
from keras_hub.models import Backbone

from xlm_keras.models.xlm_backbone import BACKBONE_ARGUMENTS
from xlm_keras.models.xlm_backbone import XLMBackbone
from xlm_keras.models.xlm_backbone import block_arguments
from xlm_keras.models.xlm_backbone import embedding_layers
from xlm_keras.models.xlm_backbone import final_layer_norm

# `XLMBackbone` arguments the decoder shares with the encoder.
SHARED_ARGUMENTS = tuple(name for name in BACKBONE_ARGUMENTS if name != "causal")


@keras.saving.register_keras_serializable(package="xlm_keras")
class XLMSeq2SeqBackbone(Backbone):
    """Encoder-decoder of the XLM family (XLM paper, section 5.2-5.3).

    The encoder is a bidirectional `XLMBackbone`. The decoder has the same
    embeddings (its own token, position and language tables) and blocks
    that add cross-attention over the encoder output between causal
    self-attention and the feed-forward layer (keras-hub
    `TransformerDecoder`; post-LN, or pre-LN with `normalize_first`). With
    language embeddings the encoder takes the source language and the
    decoder the target language.

    Args:
        vocabulary_size, num_layers, num_heads, hidden_dim,
            intermediate_dim: as `XLMBackbone`'s, for both sides.
        **kwargs: by name,
            - the other `XLMBackbone` arguments in `SHARED_ARGUMENTS`
              (`dropout`, `max_sequence_length`, `position_embedding`,
              `position_offset`, `num_languages`, `use_language_embedding`,
              `activation`, `layer_norm_epsilon`, `normalize_first`; its
              defaults), for both sides;
            - num_decoder_layers: int or None. Decoder blocks (default
              `num_layers`);
            - dtype: dtype policy of the layers;
            - Keras model arguments (`name`, `trainable`).

    Inputs (dict), int32 [batch, source_len] or [batch, target_len]:
        encoder_token_ids, encoder_padding_mask, decoder_token_ids,
        decoder_padding_mask; with language embeddings also
        encoder_language_ids and decoder_language_ids; optional
        encoder_position_ids (default `0 .. source_len-1`).

    Outputs (dict): `encoder_sequence_output` float [batch, source_len,
    hidden], `decoder_sequence_output` float [batch, target_len, hidden].

    Example:
    >>> backbone = XLMSeq2SeqBackbone(vocabulary_size=100, num_layers=2,
    ...     num_heads=2, hidden_dim=16, intermediate_dim=32)
    >>> ids = np.ones((1, 5), "int32")
    >>> backbone({"encoder_token_ids": ids, "encoder_padding_mask": ids,
    ...           "decoder_token_ids": ids, "decoder_padding_mask": ids})
    """

    def __init__(
        self, vocabulary_size, num_layers, num_heads, hidden_dim, intermediate_dim, **kwargs
    ):
        options = {name: kwargs.pop(name) for name in SHARED_ARGUMENTS if name in kwargs}
        num_decoder_layers = kwargs.pop("num_decoder_layers", None) or num_layers
        dtype = kwargs.pop("dtype", None)

        # === Layers ===
        self.encoder = XLMBackbone(
            vocabulary_size,
            num_layers,
            num_heads,
            hidden_dim,
            intermediate_dim,
            **options,
            causal=False,
            dtype=dtype,
            name="encoder",
        )
        # Every shared argument, defaults included, as the encoder holds it.
        shared = {name: getattr(self.encoder, name) for name in SHARED_ARGUMENTS}
        has_language_embedding = self.encoder.has_language_embedding
        self.decoder_embeddings, self.decoder_embeddings_layer_norm = embedding_layers(
            shared, "decoder_embeddings", dtype
        )
        self.token_embedding = self.decoder_embeddings.token_embedding
        self.decoder_embeddings_dropout = keras.layers.Dropout(
            shared["dropout"], dtype=dtype, name="decoder_embeddings_dropout"
        )
        self.decoder_layers = [
            TransformerDecoder(**block_arguments(shared, dtype), name=f"decoder_layer_{i}")
            for i in range(num_decoder_layers)
        ]
        self.decoder_final_layer_norm = final_layer_norm(shared, "decoder_final_layer_norm", dtype)

        # === Functional Model ===
        inputs = {
            name: keras.Input((None,), dtype="int32", name=name)
            for name in (
                "encoder_token_ids",
                "encoder_padding_mask",
                "decoder_token_ids",
                "decoder_padding_mask",
            )
        }
        inputs["encoder_position_ids"] = keras.Input(
            (None,), dtype="int32", name="encoder_position_ids", optional=True
        )
        if has_language_embedding:
            for name in ("encoder_language_ids", "decoder_language_ids"):
                inputs[name] = keras.Input((None,), dtype="int32", name=name)
        encoder_inputs = {
            "token_ids": inputs["encoder_token_ids"],
            "padding_mask": inputs["encoder_padding_mask"],
            "position_ids": inputs["encoder_position_ids"],
        }
        if has_language_embedding:
            encoder_inputs["language_ids"] = inputs["encoder_language_ids"]
        encoder_output = self.encoder(encoder_inputs)
        decoder_output = self.decode(
            inputs["decoder_token_ids"],
            inputs["decoder_padding_mask"],
            encoder_output,
            inputs["encoder_padding_mask"],
            inputs.get("decoder_language_ids"),
        )
        outputs = {
            "encoder_sequence_output": encoder_output,
            "decoder_sequence_output": decoder_output,
        }
        super().__init__(inputs=inputs, outputs=outputs, dtype=dtype, **kwargs)

        # === Config ===
        for name, value in shared.items():
            setattr(self, name, value)
        self.num_decoder_layers = num_decoder_layers

    @property
    def has_language_embedding(self):
        """True when both sides take language ids."""
        return self.encoder.has_language_embedding

    def __call__(self, inputs, *args, **kwargs):
        return super().__call__(complete_seq2seq_inputs(self, inputs), *args, **kwargs)

    def embed_decoder_tokens(self, token_ids, position_ids=None, language_ids=None):
        """Decoder embeddings with their LayerNorm and dropout: float
        [batch, len, hidden]; `position_ids` int [1 or batch, len] counted
        from 0 (default `0 .. len-1`)."""
        x = self.decoder_embeddings(token_ids, position_ids=position_ids, language_ids=language_ids)
        if self.decoder_embeddings_layer_norm is not None:
            x = self.decoder_embeddings_layer_norm(x)
        return self.decoder_embeddings_dropout(x)

    def decode(
        self, token_ids, padding_mask, encoder_output, encoder_padding_mask, language_ids=None
    ):
        """Decoder hidden states float [batch, target_len, hidden] of target
        ids int [batch, target_len] over the encoder output float
        [batch, source_len, hidden]."""
        x = self.embed_decoder_tokens(token_ids, language_ids=language_ids)
        for layer in self.decoder_layers:
            x = layer(
                x,
                encoder_output,
                decoder_padding_mask=padding_mask,
                encoder_padding_mask=encoder_padding_mask,
            )
        if self.decoder_final_layer_norm is not None:
            x = self.decoder_final_layer_norm(x)
        return x

    def get_config(self):
        config = super().get_config()
        config.update({name: getattr(self, name) for name in SHARED_ARGUMENTS})
        config["num_decoder_layers"] = self.num_decoder_layers
        return config


def complete_seq2seq_inputs(model, inputs):
    """Check a dict of seq2seq inputs at the boundary and fill the optional
    `encoder_position_ids` (`0 .. source_len-1`); language ids must be given
    exactly when the model has language embeddings."""
    if not isinstance(inputs, dict) or any(
        keras.backend.is_keras_tensor(v) for v in inputs.values()
    ):
        return inputs
    backbone = getattr(model, "backbone", model)
    language_keys = {"encoder_language_ids", "decoder_language_ids"}
    given = language_keys & set(inputs)
    if backbone.has_language_embedding and given != language_keys:
        raise ValueError(
            f"This model has {backbone.num_languages} language embeddings and needs "
            "`encoder_language_ids` (source language) and `decoder_language_ids` (target "
            f"language), int32 [batch, len]; received keys {sorted(inputs)}."
        )
    if not backbone.has_language_embedding and given:
        raise ValueError(
            f"This model has no language embeddings; remove {sorted(given)} from the inputs."
        )
    inputs = {k: ops.convert_to_tensor(v) for k, v in inputs.items() if v is not None}
    if "encoder_position_ids" not in inputs:
        token_ids = inputs["encoder_token_ids"]
        inputs["encoder_position_ids"] = ops.broadcast_to(
            ops.arange(ops.shape(token_ids)[1], dtype="int32")[None, :], ops.shape(token_ids)
        )
    return inputs
