"""`XLMBackbone`: the encoder shared by every member of the XLM family."""

import keras
from keras import ops
from keras_hub.models import Backbone

from xlm_keras.layers import XLMDropout
from xlm_keras.layers import XLMEmbedding
from xlm_keras.layers import XLMTransformerLayer
from xlm_keras.layers.xlm_embedding import uses_language_embedding
from xlm_keras.models import preset_files
from xlm_keras.models import presets
from xlm_keras.models import weights_to_load

# Every `XLMBackbone` argument (but `dtype`): what its config holds.
BACKBONE_ARGUMENTS = (
    "vocabulary_size",
    "num_layers",
    "num_heads",
    "hidden_dim",
    "intermediate_dim",
    "dropout",
    "max_sequence_length",
    "position_embedding",
    "position_offset",
    "num_languages",
    "use_language_embedding",
    "activation",
    "layer_norm_epsilon",
    "normalize_first",
    "causal",
)


def xlm_kernel_initializer(stddev=0.02):
    return keras.initializers.TruncatedNormal(stddev=stddev)


def backbone_initializer():
    """Of backbone kernels and tables: `xlm_kernel_initializer()`, or
    zeros when the weights will be loaded (`weights_to_load`)."""
    return keras.initializers.Zeros() if weights_to_load.loading() else xlm_kernel_initializer()


def embedding_layers(config, name, dtype):
    """One side's token + position (+ language) embeddings, named `name`,
    and their LayerNorm `{name}_layer_norm` (None when pre-LN).

    `config`: the backbone arguments (`BACKBONE_ARGUMENTS`, `causal` aside).
    """
    has_language_embedding = uses_language_embedding(
        config["num_languages"], config["use_language_embedding"]
    )
    embeddings = XLMEmbedding(
        vocabulary_size=config["vocabulary_size"],
        hidden_dim=config["hidden_dim"],
        max_sequence_length=config["max_sequence_length"],
        position_embedding=config["position_embedding"],
        position_offset=config["position_offset"],
        num_language_embeddings=config["num_languages"] if has_language_embedding else 0,
        embeddings_initializer=backbone_initializer(),
        dtype=dtype,
        name=name,
    )
    if config["normalize_first"]:
        return embeddings, None
    return embeddings, keras.layers.LayerNormalization(
        epsilon=config["layer_norm_epsilon"], dtype=dtype, name=f"{name}_layer_norm"
    )


def block_arguments(config, dtype):
    """The keras-hub block arguments (`TransformerEncoder`/`Decoder`) of the
    backbone arguments `config`."""
    return dict(
        num_heads=config["num_heads"],
        intermediate_dim=config["intermediate_dim"],
        activation=config["activation"],
        dropout=config["dropout"],
        layer_norm_epsilon=config["layer_norm_epsilon"],
        normalize_first=config["normalize_first"],
        kernel_initializer=backbone_initializer(),
        dtype=dtype,
    )


def final_layer_norm(config, name, dtype):
    """The LayerNorm after the last block of a pre-LN side (None post-LN)."""
    if not config["normalize_first"]:
        return None
    return keras.layers.LayerNormalization(
        epsilon=config["layer_norm_epsilon"], dtype=dtype, name=name
    )


@keras.saving.register_keras_serializable(package="xlm_keras")
class XLMBackbone(Backbone):
    """XLM / XLM-R encoder: ids in, hidden states out.

    One config covers the family: original XLM (language embeddings, learned
    or sinusoidal positions, post-LN, eps 1e-12, optionally causal for CLM),
    XLM-R base/large (no language embeddings, positions offset by 2, post-LN,
    eps 1e-5) and XLM-R XL/XXL (pre-LN: no embedding LayerNorm, a final one).

    Args:
        vocabulary_size: int. Size of the token table.
        num_layers: int. Transformer blocks.
        num_heads: int. Attention heads per block.
        hidden_dim: int. Width of the hidden states.
        intermediate_dim: int. Width of the feed-forward inner layer.
        dropout: float. Dropout on embeddings, attention and residuals.
        max_sequence_length: int. Longest input, in tokens.
        position_embedding: `"learned"` or `"sinusoidal"` (XLM's fixed table).
        position_offset: int. Added to position ids (XLM-R: 2).
        num_languages: int. Languages the model was trained on.
        use_language_embedding: bool. Add a language embedding per token;
            takes effect only when `num_languages > 1` (as in XLM).
        activation: `"gelu"` (exact, erf) or `"relu"`.
        layer_norm_epsilon: float. 1e-12 for XLM, 1e-5 for XLM-R.
        normalize_first: bool. Pre-LN blocks with a final LayerNorm and no
            embedding LayerNorm (XLM-R XL/XXL).
        causal: bool. Causal self-attention (CLM) instead of bidirectional.
        dtype: dtype policy of the layers.

    Inputs (dict):
        token_ids: int32 [batch, seq].
        padding_mask: int/bool [batch, seq], 1 on real tokens.
        language_ids: int32 [batch, seq]. Required when the model has language
            embeddings; passing it to a model without them is an error.
        position_ids: int32 [batch, seq], optional, counted from 0 (TLM
            restarts them at the second sentence); default `0 .. seq-1`.

    Output: `sequence_output` float [batch, seq, hidden_dim].

    Example:
    >>> backbone = XLMBackbone.from_preset("xlm_tiny")
    >>> ids = np.array([[0, 5, 6, 1]], "int32")
    >>> backbone({"token_ids": ids, "padding_mask": ids > -1,
    ...           "language_ids": np.zeros_like(ids)}).shape
    TensorShape([1, 4, 32])
    """

    def __init__(
        self,
        vocabulary_size,
        num_layers,
        num_heads,
        hidden_dim,
        intermediate_dim,
        dropout=0.1,
        max_sequence_length=512,
        position_embedding="learned",
        position_offset=0,
        num_languages=1,
        use_language_embedding=True,
        activation="gelu",
        layer_norm_epsilon=1e-12,
        normalize_first=False,
        causal=False,
        dtype=None,
        **kwargs,
    ):
        if activation not in ("gelu", "relu"):
            raise ValueError(
                "`activation` must be 'gelu' (exact) or 'relu'. "
                f"Received: activation={activation!r}"
            )
        # The arguments by name (locals() read before any other local exists).
        config = {name: value for name, value in locals().items() if name in BACKBONE_ARGUMENTS}
        has_language_embedding = uses_language_embedding(num_languages, use_language_embedding)

        # === Layers ===
        self.embeddings, self.embeddings_layer_norm = embedding_layers(config, "embeddings", dtype)
        self.token_embedding = self.embeddings.token_embedding
        self.embeddings_dropout = XLMDropout(dropout, dtype=dtype, name="embeddings_dropout")
        self.transformer_layers = [
            XLMTransformerLayer(
                causal=causal, **block_arguments(config, dtype), name=f"transformer_layer_{i}"
            )
            for i in range(num_layers)
        ]
        self.final_layer_norm = final_layer_norm(config, "final_layer_norm", dtype)

        # === Functional Model ===
        inputs = {
            "token_ids": keras.Input((None,), dtype="int32", name="token_ids"),
            "padding_mask": keras.Input((None,), dtype="int32", name="padding_mask"),
            "position_ids": keras.Input((None,), dtype="int32", name="position_ids", optional=True),
        }
        if has_language_embedding:
            inputs["language_ids"] = keras.Input((None,), dtype="int32", name="language_ids")
        x = self._encode(inputs)
        super().__init__(inputs=inputs, outputs=x, dtype=dtype, **kwargs)

        # === Config ===
        for name, value in config.items():
            setattr(self, name, value)

    @property
    def has_language_embedding(self):
        """True when `language_ids` is an input (XLM with several languages)."""
        return self.embeddings.language_embedding is not None

    def __call__(self, inputs, *args, **kwargs):
        return super().__call__(complete_inputs(self, inputs), *args, **kwargs)

    def sequence_output_at(self, inputs, positions, training=None):
        """float [batch, P, hidden_dim]: the backbone's output at `positions`
        int32 [batch, P], for a loss that reads only those rows (MLM / TLM
        targets). The last block computes its queries, output projection
        and feed-forward only there (`XLMTransformerLayer`'s
        `query_positions`; keys and values still at every position): the
        same numbers as gathering from `backbone(inputs)`, with most of a
        block's work less when P is a small share of seq.

        Args:
            inputs: the backbone's inputs (dict, as `__call__` takes them).
            positions: int32 [batch, P], each in `0 .. seq-1`.
            training: bool; dropout as in `__call__`.
        """
        return self._encode(complete_inputs(self, inputs), training, positions)

    def _encode(self, inputs, training=None, positions=None):
        """The forward pass on complete inputs (see `complete_inputs`): the
        functional graph's, and `sequence_output_at`'s with `positions`."""
        x = self.embeddings(
            inputs["token_ids"],
            position_ids=inputs["position_ids"],
            language_ids=inputs.get("language_ids"),
        )
        if self.embeddings_layer_norm is not None:
            x = self.embeddings_layer_norm(x)
        x = self.embeddings_dropout(x, training=training)
        last = len(self.transformer_layers) - 1
        for index, layer in enumerate(self.transformer_layers):
            x = layer(
                x,
                padding_mask=inputs["padding_mask"],
                training=training,
                query_positions=positions if index == last else None,
            )
        if self.final_layer_norm is not None:
            x = self.final_layer_norm(x)
        return x

    def get_config(self):
        config = super().get_config()
        config.update({name: getattr(self, name) for name in BACKBONE_ARGUMENTS})
        return config

    @classmethod
    def from_preset(cls, preset, load_weights=True, **kwargs):
        """Build from a preset name (architecture only, random weights) or
        load a preset directory written by `save_to_preset`/`xlm-convert`."""
        if presets.is_builtin(preset):
            return cls(**presets.backbone_config(preset, load_weights), **kwargs)
        preset_files.check_files(preset)
        with preset_files.loading_weights(preset), weights_to_load.weights_to_load(load_weights):
            return super().from_preset(
                preset, load_weights=load_weights, **preset_files.in_current_policy(kwargs)
            )


def family(model):
    """`"roberta"` for XLM-R layouts (positions offset past the padding id),
    else `"xlm"`: picks the default heads and the sentence frame."""
    backbone = getattr(model, "backbone", model)
    return "roberta" if backbone.position_offset > 0 else "xlm"


def takes_language_ids(model):
    """Whether `model` (a backbone or a task) takes `language_ids`: its
    backbone has language embeddings, or it centers languages."""
    backbone = getattr(model, "backbone", model)
    return backbone.has_language_embedding or getattr(model, "language_centering", False)


def complete_inputs(model, inputs):
    """Check a dict of model inputs at the boundary and fill optional ones.

    Missing `position_ids` become `0 .. seq-1`; `language_ids` given to a
    model without language embeddings is an error, never ignored. Arrays are
    converted to tensors (Keras refuses a call mixing the two).
    """
    if not isinstance(inputs, dict):
        return inputs
    backbone = getattr(model, "backbone", model)
    needs_language_ids = takes_language_ids(model)
    if "language_ids" in inputs and not needs_language_ids:
        raise ValueError(
            "This model has no language embeddings "
            f"(num_languages={backbone.num_languages}, use_language_embedding="
            f"{backbone.use_language_embedding}), so `language_ids` would be "
            "ignored. Remove 'language_ids' from the inputs, or use a model "
            "with language embeddings (e.g. an xlm_mlm_*_1024 preset)."
        )
    if needs_language_ids and "language_ids" not in inputs:
        reason = (
            f"has {backbone.num_languages} language embeddings"
            if backbone.has_language_embedding
            else "centers languages"
        )
        raise ValueError(
            f"This model {reason} and needs `language_ids` int32 [batch, seq] "
            "(one language id per token). Add 'language_ids' to the inputs."
        )
    expected = set(model.input.keys()) if isinstance(model.input, dict) else set()
    unknown = set(inputs) - expected
    if expected and unknown:
        raise ValueError(
            f"Unknown model inputs {sorted(unknown)}; expected some of {sorted(expected)}."
        )
    if any(keras.backend.is_keras_tensor(v) for v in inputs.values()):
        return {"position_ids": None, **inputs}
    inputs = {k: ops.convert_to_tensor(v) for k, v in inputs.items() if v is not None}
    if "position_ids" not in inputs:
        token_ids = inputs["token_ids"]
        inputs["position_ids"] = ops.broadcast_to(
            ops.arange(ops.shape(token_ids)[1], dtype="int32")[None, :], ops.shape(token_ids)
        )
    return inputs
