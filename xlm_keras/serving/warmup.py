"""TF Serving warm-up requests: `assets.extra/tf_serving_warmup_requests`.

TF Serving replays these `PredictionLog` records when it loads a version,
before it reports the version available, so the first real requests do not
pay for initialising the SentencePiece resource and the kernels.

The records are protobuf messages of tensorflow-serving-api. They are
encoded here from their field numbers (tensorflow_serving/apis/
prediction_log.proto, predict.proto, model.proto) so that exporting needs
no tensorflow-serving-api, whose releases pin a TensorFlow version:

    PredictionLog  { PredictLog predict_log = 6; }
    PredictLog     { PredictRequest request = 1; }
    PredictRequest { ModelSpec model_spec = 1; map<string, TensorProto> inputs = 2; }
    ModelSpec      { string signature_name = 3; }
"""

import os

import tensorflow as tf

WARMUP_FILE = os.path.join("assets.extra", "tf_serving_warmup_requests")
WARMUP_TEXTS = ("Hello world!", "", "A <mask> sentence.")


def warmup_requests(signatures, languages, has_language_input, start_id, end_id):
    """One small request per signature.

    Args:
        signatures: exported signature keys (`serving_default` included).
        languages: the tokenizer's language codes.
        has_language_input: whether string signatures take `language`
            (`translate`: `source_language` and `target_language`).
        start_id, end_id: the frame ids, for the `encode` request.

    Returns: list of (signature key, dict input name -> numpy array).
    """
    strings = {"text": tf.constant(WARMUP_TEXTS).numpy()}
    if has_language_input:
        strings["language"] = tf.constant([languages[0]] * len(WARMUP_TEXTS)).numpy()
    ids = {"token_ids": [[start_id, end_id]], "padding_mask": [[1, 1]]}
    if has_language_input:
        ids["language_ids"] = [[0, 0]]
    ids = {name: tf.constant(value, tf.int32).numpy() for name, value in ids.items()}
    pairs = {**strings, "text_pair": strings["text"][::-1]}
    sources = translate_inputs(WARMUP_TEXTS, has_language_input, languages)
    inputs = {"encode": ids, "classify_pair": pairs, "translate": sources}
    if "translate" in signatures:  # An encoder-decoder; its default is translate.
        inputs["serving_default"] = sources
    return [(key, inputs.get(key, strings)) for key in sorted(signatures)]


def translate_inputs(texts, has_language_input, languages):
    """`translate` inputs for `texts`: from `languages[0]` to
    `languages[-1]` for models that take language codes."""
    inputs = {"text": tf.constant(texts).numpy()}
    if has_language_input:
        inputs["source_language"] = tf.constant([languages[0]] * len(texts)).numpy()
        inputs["target_language"] = tf.constant([languages[-1]] * len(texts)).numpy()
    return inputs


def source_requests(sources, has_language_input, languages):
    """`translate` requests of one source each (batch 1)."""
    return [
        ("translate", translate_inputs([source], has_language_input, languages))
        for source in sources
    ]


def write_warmup_requests(saved_model_dir, requests):
    """Write `requests` ((signature key, inputs) pairs) as TF Serving's
    warm-up file in `saved_model_dir`; returns its path."""
    path = os.path.join(saved_model_dir, WARMUP_FILE)
    os.makedirs(os.path.dirname(path), exist_ok=True)
    with tf.io.TFRecordWriter(path) as writer:
        for signature_name, inputs in requests:
            writer.write(prediction_log(signature_name, inputs))
    return path


def prediction_log(signature_name, inputs):
    """A serialized `PredictionLog` holding one `PredictRequest`."""
    model_spec = _field(3, signature_name.encode("utf-8"))
    entries = [
        _field(
            2,
            _field(1, name.encode("utf-8"))
            + _field(2, tf.make_tensor_proto(value).SerializeToString()),
        )
        for name, value in sorted(inputs.items())
    ]
    request = _field(1, model_spec) + b"".join(entries)
    return _field(6, _field(1, request))


def _field(number, payload):
    """A length-delimited protobuf field (wire type 2)."""
    return _varint(number << 3 | 2) + _varint(len(payload)) + payload


def _varint(value):
    encoded = bytearray()
    while True:
        byte, value = value & 0x7F, value >> 7
        encoded.append(byte | (0x80 if value else 0))
        if not value:
            return bytes(encoded)
