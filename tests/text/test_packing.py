"""pack_single / pack_pair / XLMPacker: frames, truncation, positions,
language ids, and the same results in eager, tf.function, tf.data and a
SavedModel."""

import keras
import numpy as np
import pytest
import tensorflow as tf
from keras_hub.layers import MultiSegmentPacker
from keras_hub.layers import StartEndPacker

from xlm_keras.text.packing import XLMPacker
from xlm_keras.text.packing import pack_pair
from xlm_keras.text.packing import pack_single

BOS, PAD, EOS = 0, 1, 2
EN, FR = 4, 1


def _ragged(rows):
    return tf.ragged.constant(rows, dtype=tf.int32, ragged_rank=1)


def _numpy(outputs):
    return {name: value.numpy() for name, value in outputs.items()}


def _assert_equal(outputs, expected):
    assert set(outputs) == set(expected)
    for name, value in expected.items():
        np.testing.assert_array_equal(outputs[name], value, err_msg=name)
        assert outputs[name].dtype == tf.int32


def test_single_xlm_roberta_frame_pads_and_truncates():
    outputs = pack_single(_ragged([[5, 6], [7, 8, 9, 10, 11], []]), 6, BOS, EOS, PAD)
    _assert_equal(
        outputs,
        {
            "token_ids": [[0, 5, 6, 2, 1, 1], [0, 7, 8, 9, 10, 2], [0, 2, 1, 1, 1, 1]],
            "padding_mask": [[1, 1, 1, 1, 0, 0], [1, 1, 1, 1, 1, 1], [1, 1, 0, 0, 0, 0]],
            "position_ids": [[0, 1, 2, 3, 0, 0], [0, 1, 2, 3, 4, 5], [0, 1, 0, 0, 0, 0]],
        },
    )


def test_single_xlm_frame_with_language_ids():
    rows = _ragged([[5, 6, 7], [8]])
    expected_ids = [[2, 5, 6, 7, 2], [2, 8, 2, 1, 1]]
    per_row = pack_single(rows, 5, EOS, EOS, PAD, language_id=tf.constant([EN, FR]))
    np.testing.assert_array_equal(per_row["token_ids"], expected_ids)
    np.testing.assert_array_equal(per_row["language_ids"], [[4, 4, 4, 4, 4], [1, 1, 1, 0, 0]])
    shared = pack_single(rows, 5, EOS, EOS, PAD, language_id=EN)
    np.testing.assert_array_equal(shared["language_ids"], [[4, 4, 4, 4, 4], [4, 4, 4, 0, 0]])


def test_single_unbatched_sequence():
    outputs = pack_single(tf.constant([5, 6, 7]), 4, BOS, EOS, PAD, language_id=EN)
    _assert_equal(
        outputs,
        {
            "token_ids": [0, 5, 6, 2],
            "padding_mask": [1, 1, 1, 1],
            "position_ids": [0, 1, 2, 3],
            "language_ids": [4, 4, 4, 4],
        },
    )


def _tlm(first, second, length=10):
    """TLM's frame: </s> first </s> </s> second </s>, languages, positions
    restarting at the second sentence."""
    return pack_pair(
        first,
        second,
        length,
        EOS,
        EOS,
        PAD,
        first_language_id=EN,
        second_language_id=FR,
        reset_positions=True,
    )


def test_tlm_pair_layout_languages_and_position_reset():
    first = _ragged([[5, 6], [5, 6, 7, 8, 9, 10, 11], [5], [5, 6, 7, 8, 9, 10]])
    second = _ragged([[7], [20], [20, 21, 22, 23, 24, 25, 26], [20, 21, 22, 23, 24]])
    outputs = _tlm(first, second, 9)
    # Rows: both short; first long; second long; both long (5 = 3 + 2).
    _assert_equal(
        outputs,
        {
            "token_ids": [
                [2, 5, 6, 2, 2, 7, 2, 1, 1],
                [2, 5, 6, 7, 8, 2, 2, 20, 2],
                [2, 5, 2, 2, 20, 21, 22, 23, 2],
                [2, 5, 6, 7, 2, 2, 20, 21, 2],
            ],
            "padding_mask": [[1] * 7 + [0] * 2] + [[1] * 9] * 3,
            "position_ids": [
                [0, 1, 2, 3, 0, 1, 2, 0, 0],
                [0, 1, 2, 3, 4, 5, 0, 1, 2],
                [0, 1, 2, 0, 1, 2, 3, 4, 5],
                [0, 1, 2, 3, 4, 0, 1, 2, 3],
            ],
            "language_ids": [
                [4, 4, 4, 4, 1, 1, 1, 0, 0],
                [4, 4, 4, 4, 4, 4, 1, 1, 1],
                [4, 4, 4, 1, 1, 1, 1, 1, 1],
                [4, 4, 4, 4, 4, 1, 1, 1, 1],
            ],
        },
    )


def test_classification_pair_keeps_running_positions():
    outputs = pack_pair(_ragged([[5, 6]]), _ragged([[7]]), 9, BOS, EOS, PAD)
    _assert_equal(
        outputs,
        {
            "token_ids": [[0, 5, 6, 2, 2, 7, 2, 1, 1]],
            "padding_mask": [[1, 1, 1, 1, 1, 1, 1, 0, 0]],
            "position_ids": [[0, 1, 2, 3, 4, 5, 6, 0, 0]],
        },
    )


def test_pair_separator_and_per_row_languages_unbatched():
    outputs = pack_pair(
        tf.constant([5]),
        tf.constant([7, 8]),
        7,
        BOS,
        EOS,
        PAD,
        separator_start_id=9,
        first_language_id=3,
        second_language_id=2,
    )
    np.testing.assert_array_equal(outputs["token_ids"], [0, 5, 2, 9, 7, 8, 2])
    np.testing.assert_array_equal(outputs["language_ids"], [3, 3, 3, 2, 2, 2, 2])


def test_matches_keras_hub_packers_on_random_inputs():
    rng = np.random.default_rng(0)

    def rows():
        return _ragged([list(rng.integers(4, 100, rng.integers(0, 12))) for _ in range(64)])

    first, second = rows(), rows()
    reference = MultiSegmentPacker(12, BOS, EOS, sep_value=[EOS, EOS], pad_value=PAD)
    ids, _ = reference((first, second))
    outputs = pack_pair(first, second, 12, BOS, EOS, PAD)
    np.testing.assert_array_equal(outputs["token_ids"], ids)
    np.testing.assert_array_equal(outputs["padding_mask"], np.asarray(ids) != PAD)
    single = StartEndPacker(8, BOS, EOS, PAD, return_padding_mask=True)(first)
    outputs = pack_single(first, 8, BOS, EOS, PAD)
    np.testing.assert_array_equal(outputs["token_ids"], single[0])
    np.testing.assert_array_equal(outputs["padding_mask"], single[1])


def test_same_results_in_tf_function_and_tf_data():
    first = _ragged([[5, 6, 7], [8, 9, 10, 11, 12, 13, 14], [15]])
    second = _ragged([[20], [21, 22, 23, 24, 25], [26, 27, 28, 29, 30, 31, 32]])
    eager = _numpy(_tlm(first, second))
    traced = _numpy(tf.function(_tlm)(first, second))
    dataset = tf.data.Dataset.from_tensor_slices((first, second)).batch(3).map(_tlm)
    batched = _numpy(next(iter(dataset)))
    unbatched = tf.data.Dataset.from_tensor_slices((first, second)).map(_tlm).batch(3)
    for outputs in (traced, batched, _numpy(next(iter(unbatched)))):
        for name in eager:
            np.testing.assert_array_equal(outputs[name], eager[name], err_msg=name)


def test_packer_layer_config_and_saved_model(tmp_path):
    packer = XLMPacker(10, EOS, EOS, PAD, reset_positions=True)
    restored = keras.layers.deserialize(keras.layers.serialize(packer))
    assert restored.get_config() == packer.get_config()
    first, second = _ragged([[5, 6, 7], [8]]), _ragged([[20, 21], [22, 23, 24]])
    expected = _numpy(_tlm(first, second))
    layer_out = _numpy(restored((first, second), language_id=(EN, FR)))
    assert _numpy(XLMPacker(6, BOS, EOS, PAD)(first))["token_ids"].tolist() == [
        [0, 5, 6, 7, 2, 1],
        [0, 8, 2, 1, 1, 1],
    ]

    module = tf.Module()
    module.packer = packer
    spec = tf.RaggedTensorSpec([None, None], tf.int32)
    module.pack = tf.function(
        lambda a, b: packer((a, b), language_id=(EN, FR)), input_signature=[spec, spec]
    )
    tf.saved_model.save(module, str(tmp_path))
    loaded = tf.saved_model.load(str(tmp_path))
    served = _numpy(loaded.pack(first, second))
    graph = loaded.pack.get_concrete_function(spec, spec).graph.as_graph_def()
    ops = {node.op for node in graph.node}
    ops |= {node.op for f in graph.library.function for node in f.node_def}
    assert not [op for op in ops if "TFText" in op]
    for outputs in (layer_out, served):
        for name in expected:
            np.testing.assert_array_equal(outputs[name], expected[name], err_msg=name)


def test_errors_name_the_bad_value():
    with pytest.raises(ValueError, match="sequence_length=3"):
        pack_pair(_ragged([[5]]), _ragged([[6]]), 3, BOS, EOS, PAD)
    with pytest.raises(ValueError, match="RaggedTensor.from_tensor"):
        pack_single(tf.constant([[5, 6]]), 4, BOS, EOS, PAD)
    with pytest.raises(ValueError, match="second_language_id=None"):
        pack_pair(_ragged([[5]]), _ragged([[6]]), 6, BOS, EOS, PAD, first_language_id=EN)
