"""Every keras-hub internal that xlm_keras uses, in one module.

xlm_keras builds on keras-hub's public layers (`TransformerEncoder`,
`TransformerDecoder`, `MaskedLMHead`, Keras' `MultiHeadAttention` inside
them) and its preset machinery, but some of what it needs is not public:
the sublayers those layers keep in private attributes (which the fused
encoder block, the cached decoders and the checkpoint converters read) and
helpers under `keras_hub.src.utils`. keras-hub renames and moves these
between releases (pyproject.toml pins the minor the tests pass with); this
is the only module that imports `keras_hub.src` or reads a private
attribute of a keras-hub object, so a new release is fixed here
(tests/test_keras_hub_internals.py keeps it so).

Hooks that our subclasses override (`Preprocessor._add_missing_kwargs`,
`CausalLM._normalize_generate_inputs`) stay in those classes: overriding
is keras-hub's own extension point for them.
"""

import collections

from keras_hub.src.tokenizers.sentence_piece_tokenizer import VOCAB_FILENAME
from keras_hub.src.utils.preset_utils import ASSET_DIR
from keras_hub.src.utils.preset_utils import TASK_CONFIG_FILE
from keras_hub.src.utils.preset_utils import TOKENIZER_CONFIG_FILE
from keras_hub.src.utils.preset_utils import KerasPresetLoader
from keras_hub.src.utils.preset_utils import check_file_exists
from keras_hub.src.utils.preset_utils import get_file
from keras_hub.src.utils.preset_utils import load_json
from keras_hub.src.utils.tensor_utils import any_equal
from keras_hub.src.utils.tensor_utils import convert_preprocessing_inputs
from keras_hub.src.utils.tensor_utils import convert_to_ragged_batch
from keras_hub.src.utils.tensor_utils import is_int_dtype
from keras_hub.src.utils.tensor_utils import preprocessing_function

__all__ = [
    "ASSET_DIR",
    "TASK_CONFIG_FILE",
    "TOKENIZER_CONFIG_FILE",
    "VOCAB_FILENAME",
    "AttentionParts",
    "BlockSublayers",
    "KerasPresetLoader",
    "LMHeadParts",
    "any_equal",
    "attention_parts",
    "block_sublayers",
    "check_file_exists",
    "convert_preprocessing_inputs",
    "convert_to_ragged_batch",
    "get_file",
    "is_int_dtype",
    "lm_head_parts",
    "load_json",
    "preprocessing_function",
]

BlockSublayers = collections.namedtuple(
    "BlockSublayers",
    "self_attention self_attention_norm self_attention_dropout cross_attention "
    "cross_attention_norm feedforward_intermediate feedforward_output feedforward_norm "
    "feedforward_dropout",
)


def block_sublayers(layer):
    """The sublayers of a built keras-hub `TransformerEncoder` or
    `TransformerDecoder` (or a subclass) as `BlockSublayers`: the
    `MultiHeadAttention`s (`cross_attention` None in an encoder block),
    their `LayerNormalization`s (`*_norm`) and `Dropout`s (`*_dropout`),
    and the feed-forward `Dense` layers (`feedforward_intermediate` with
    the activation, `feedforward_output`)."""
    return BlockSublayers(
        self_attention=layer._self_attention_layer,
        self_attention_norm=layer._self_attention_layer_norm,
        self_attention_dropout=layer._self_attention_dropout,
        cross_attention=getattr(layer, "_cross_attention_layer", None),
        cross_attention_norm=getattr(layer, "_cross_attention_layer_norm", None),
        feedforward_intermediate=layer._feedforward_intermediate_dense,
        feedforward_output=layer._feedforward_output_dense,
        feedforward_norm=layer._feedforward_layer_norm,
        feedforward_dropout=layer._feedforward_dropout,
    )


AttentionParts = collections.namedtuple(
    "AttentionParts", "num_heads head_dim query key value output dropout inverse_sqrt_head_dim"
)


def attention_parts(attention):
    """The projections, dropout and scale of a built Keras
    `MultiHeadAttention` (keras-hub's blocks use its subclass) as
    `AttentionParts`: `num_heads`, `head_dim` (the key and value width of
    one head), the `EinsumDense` projections `query`, `key`, `value`
    (kernels [H, heads, head_dim]) and `output` ([heads, head_dim, H]), the
    `dropout` on the attention probabilities and the query scale
    `inverse_sqrt_head_dim` as Keras computes it."""
    return AttentionParts(
        num_heads=attention.num_heads,
        head_dim=attention.key_dim,
        query=attention.query_dense,
        key=attention.key_dense,
        value=attention.value_dense,
        output=attention.output_dense,
        dropout=attention._dropout_layer,
        inverse_sqrt_head_dim=attention._inverse_sqrt_key_dim,
    )


LMHeadParts = collections.namedtuple("LMHeadParts", "dense norm bias")


def lm_head_parts(head):
    """The `dense` ([H, H], with the activation), LayerNorm `norm` and
    output `bias` (variable [vocabulary_size]) of a built keras-hub
    `MaskedLMHead` (or a subclass) as `LMHeadParts`; the tied table is its
    public `token_embedding`."""
    return LMHeadParts(
        dense=head._intermediate_dense, norm=head._intermediate_layer_norm, bias=head._bias
    )
