"""Load exported SavedModels the way a server does and call every signature.

Runs in a fresh interpreter (`test_exporter.py` starts it) with
`tensorflow_text`, `keras`, `keras_hub` and `xlm_keras` blocked: only
TensorFlow plus tf-text's SentencePiece kernels, loaded from their `.so`.

  python saved_model_child.py SPEC.json

SPEC: {"library": path of _sentencepiece_tokenizer.so, "out": directory,
       "models": {name: {"path", "texts", "languages" (or null),
                         "mask_texts", "max_sequence_length",
                         "vocabulary_size", "known_languages"}}}
Writes out/<name>.npz (every output of every signature on `texts` /
`mask_texts`, key "<signature>/<output>") and out/summary.json (signature
keys, the unknown-language error, the hostile-input report).
"""

import json
import os
import sys

for _name in ("tensorflow_text", "keras", "keras_hub", "xlm_keras", "tf_keras"):
    sys.modules[_name] = None
os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "2")

import numpy as np  # noqa: E402
import tensorflow as tf  # noqa: E402

HOSTILE_BATCH = 128
SEED = 1234


def hostile_texts(rng):
    """Over 500 short byte strings no well-behaved client sends."""
    fixed = [
        b"",
        b" ",
        b"\x00",
        b"a\x00b",
        b"\x00" * 100,
        b"\t\n\r\x0b\x0c",
        "\ufeffBOM".encode(),
        b"\xff",
        b"\xfe\xff",
        b"\xc3\x28",
        b"\xa0\xa1",
        b"\xe2\x82",
        b"\xe2\x28\xa1",
        b"\xed\xa0\x80",
        b"\xf0\x28\x8c\xbc",
        b"\xf8\x88\x80\x80\x80",
        b"\xc0\xaf",
        b"valid then \xff\xfe invalid",
        "\ufffd\uffff\ue000\U0010ffff".encode(),
        "👩‍👩‍👧‍👦 🇫🇷 😀😀😀 👍🏽".encode(),
        "שלום עולם مرحبا بالعالم".encode(),
        "abc שלום 中文 Привет नमस्ते 😀 e\u0301".encode(),
        ("e\u0301\u0302\u0303" * 200).encode(),
        ("Z\u0351\u0357\u0350\u036b" * 100).encode(),
        "𝕏𝕐ℤ ﷽ ꙮ".encode(),
        "\u202eRTL override\u202c \u200b\u200d".encode(),
        b"<mask>" * 300,
        b"<s></s><pad><unk><mask>",
    ]
    alphabet = [
        chr(c)
        for c in (
            *range(32, 127),
            *range(0x400, 0x450),
            *range(0x5D0, 0x5EB),
            *range(0x4E00, 0x4E80),
            *range(0x300, 0x370),
            *range(0x1F600, 0x1F650),
            0,
            0x200D,
            0xFEFF,
        )
    ]
    generated = []
    for i in range(480):
        length = int(rng.integers(0, 120))
        if i % 3 == 0:  # Random bytes: mostly invalid UTF-8.
            generated.append(rng.integers(0, 256, length, dtype=np.uint8).tobytes())
        else:
            text = "".join(rng.choice(alphabet, length))
            if i % 3 == 1:
                text = text[: length // 2] + "<mask>" + text[length // 2 :]
            generated.append(text.encode())
    return fixed + generated


def huge_texts():
    """Long requests, 1 MB among them."""
    return [
        b"x" * (1 << 20),  # One 1 MB word.
        ("ab\u00e9 \u4e2d\U0001f600 " * (1 << 17)).encode()[: 1 << 20],  # Cut mid-character.
        "中文".encode() * 3000,
        b"w " * 25_000,
    ]


class Hostile:
    """Calls signatures on hostile batches; counts crashes and bad outputs."""

    def __init__(self, model, spec, rng):
        self.model, self.spec, self.rng = model, spec, rng
        self.report = {
            "inputs": 0,
            "requests": 0,
            "crashes": [],
            "bad_outputs": [],
            "expected_errors": 0,
        }

    def languages(self, size):
        known = self.spec["known_languages"]
        return tf.constant([known[i % len(known)] for i in range(size)], tf.string)

    def call(self, name, **inputs):
        self.report["requests"] += 1
        try:
            return {k: v.numpy() for k, v in self.model.signatures[name](**inputs).items()}
        except Exception as error:  # noqa: BLE001 - any exception is a crash here.
            self.report["crashes"].append(f"{name}: {type(error).__name__}: {str(error)[:300]}")
            return None

    def batch(self, texts):
        size = len(texts)
        self.report["inputs"] += size
        text = tf.constant(texts, tf.string, shape=[size])
        strings = {"text": text}
        if self.spec["languages"] is not None:
            strings["language"] = self.languages(size)
        pairs = {**strings, "text_pair": tf.reverse(text, [0])}
        for name in ("embed", "tokenize", "fill_mask", "classify", "classify_pair", "tag"):
            if name not in self.model.signatures:
                continue
            outputs = self.call(name, **(pairs if name == "classify_pair" else strings))
            if outputs is not None:
                self.check(name, outputs, size)
            if name == "tokenize" and outputs is not None:
                encoded = self.call("encode", **{k: tf.constant(v) for k, v in outputs.items()})
                if encoded is not None:
                    self.check("encode", encoded, size)

    def check(self, name, outputs, size):
        problems = []
        for key, value in outputs.items():
            if value.shape[:1] != (size,):
                problems.append(f"{key} has {value.shape[0]} rows, not {size}")
            if value.dtype.kind == "f" and not np.isfinite(value).all():
                problems.append(f"{key} is not finite")
        if name == "embed" and size:
            norms = np.linalg.norm(outputs["embedding_l2"], axis=1)
            if not np.allclose(norms, 1.0, atol=1e-4):
                problems.append("embedding_l2 is not unit length")
        if name == "tokenize":
            ids, mask = outputs["token_ids"], outputs["padding_mask"]
            if not 2 <= ids.shape[1] <= self.spec["max_sequence_length"]:
                problems.append(f"T={ids.shape[1]}")
            if ids.size and not (0 <= ids.min() and ids.max() < self.spec["vocabulary_size"]):
                problems.append("token id out of range")
            if size and mask.sum(1).min() < 2:
                problems.append("a row lost its specials")
        if name.startswith("classify") and size:
            if not np.allclose(outputs["probabilities"].sum(1), 1.0, atol=1e-4):
                problems.append("probabilities do not sum to 1")
        if name == "tag" and outputs["tags"].shape != outputs["words"].shape:
            problems.append("tags and words differ in shape")
        if name == "fill_mask":
            scores = outputs["top_k_scores"]
            if scores.size and not (0 <= scores.min() and scores.max() <= 1):
                problems.append("scores outside [0, 1]")
        if problems:
            self.report["bad_outputs"].append(f"{name}: {problems}")

    def bad_languages(self, texts):
        """Hostile language codes: each request must fail with
        InvalidArgumentError naming the known codes, nothing else."""
        for code in texts[:20]:
            self.report["requests"] += 1
            try:
                self.model.signatures["embed"](
                    text=tf.constant(["x"]), language=tf.constant([code])
                )
                self.report["crashes"].append(f"language {code[:20]!r} was accepted")
            except tf.errors.InvalidArgumentError as error:
                if "known codes: " + ", ".join(self.spec["known_languages"]) in error.message:
                    self.report["expected_errors"] += 1
                else:
                    self.report["crashes"].append(
                        f"language error without codes: {error.message[:200]}"
                    )


def replay_warmup(model, path):
    """Call the model with every request of TF Serving's warm-up file,
    decoded from the protobuf wire format (no tensorflow-serving-api here).
    Returns: the signature keys called, in order."""
    from tensorflow.core.framework import tensor_pb2

    called = []
    for record in tf.data.TFRecordDataset(path):
        request = _fields(_fields(_fields(record.numpy())[6][0])[1][0])
        signature = _fields(request[1][0])[3][0].decode()
        inputs = {}
        for entry in map(_fields, request.get(2, [])):
            tensor = tensor_pb2.TensorProto.FromString(entry[2][0])
            inputs[entry[1][0].decode()] = tf.constant(tf.make_ndarray(tensor))
        model.signatures[signature](**inputs)
        called.append(signature)
    return called


def _fields(message):
    """field number -> payloads, for a message of length-delimited fields."""
    fields, i = {}, 0
    while i < len(message):
        key, i = _varint(message, i)
        assert key & 7 == 2, "only length-delimited fields expected"
        length, i = _varint(message, i)
        fields.setdefault(key >> 3, []).append(message[i : i + length])
        i += length
    return fields


def _varint(data, i):
    value, shift = 0, 0
    while True:
        value |= (data[i] & 0x7F) << shift
        shift += 7
        i += 1
        if data[i - 1] < 0x80:
            return value, i


def _numpy(tensor):
    """A numpy array that `np.load` reads without pickle (strings as bytes)."""
    value = tensor.numpy()
    return value.astype(bytes) if value.dtype == object else value


def run_model(name, spec, library_out):
    model = tf.saved_model.load(spec["path"])
    text = tf.constant(spec["texts"])
    strings = {"text": text}
    mask_strings = {"text": tf.constant(spec["mask_texts"])}
    if spec["languages"] is not None:
        strings["language"] = tf.constant(spec["languages"])
        mask_strings["language"] = tf.constant(spec["languages"][: len(spec["mask_texts"])])
    inputs = {
        "fill_mask": mask_strings,
        "classify_pair": {**strings, "text_pair": tf.reverse(text, [0])},
    }
    arrays = {}
    for signature in sorted(model.signatures):
        if signature == "encode":
            continue
        outputs = model.signatures[signature](**inputs.get(signature, strings))
        arrays.update({f"{signature}/{k}": _numpy(v) for k, v in outputs.items()})
    tokens = {
        k.split("/")[1]: tf.constant(v) for k, v in arrays.items() if k.startswith("tokenize/")
    }
    arrays["encode/sequence_output"] = model.signatures["encode"](**tokens)[
        "sequence_output"
    ].numpy()
    np.savez(os.path.join(library_out, f"{name}.npz"), **arrays)

    summary = {
        "signatures": sorted(model.signatures),
        "warmup": replay_warmup(
            model, os.path.join(spec["path"], "assets.extra", "tf_serving_warmup_requests")
        ),
    }
    if spec["languages"] is not None:
        try:
            model.signatures["embed"](
                text=tf.constant(["a", "b"]), language=tf.constant(["en", "xx"])
            )
            summary["unknown_language"] = None
        except tf.errors.InvalidArgumentError as error:
            summary["unknown_language"] = error.message
        try:
            model.signatures["embed"](
                text=tf.constant(["a", "b", "c"]), language=tf.constant(["en", "de"])
            )
            summary["language_count_mismatch"] = None
        except tf.errors.InvalidArgumentError as error:
            summary["language_count_mismatch"] = error.message

    rng = np.random.default_rng(SEED)
    hostile = Hostile(model, spec, rng)
    texts = hostile_texts(rng)
    hostile.batch([])
    hostile.batch(huge_texts())
    for start in range(0, len(texts), HOSTILE_BATCH):
        hostile.batch(texts[start : start + HOSTILE_BATCH])
    hostile.batch([texts[i] for i in rng.integers(0, len(texts), 1024)])
    if spec["languages"] is not None:
        hostile.bad_languages(texts)
    summary["hostile"] = hostile.report
    return summary


def main(spec_path):
    with open(spec_path) as f:
        spec = json.load(f)
    tf.load_op_library(spec["library"])
    summary = {name: run_model(name, model, spec["out"]) for name, model in spec["models"].items()}
    summary["modules"] = sorted(
        m
        for m in ("tensorflow_text", "keras", "keras_hub", "xlm_keras")
        if sys.modules.get(m) is not None
    )
    with open(os.path.join(spec["out"], "summary.json"), "w") as f:
        json.dump(summary, f, indent=1)


if __name__ == "__main__":
    main(sys.argv[1])
