"""`xlm_keras.serving`: SavedModels with in-graph tokenisation, loaded in a
fresh process that has only TensorFlow and tf-text's SentencePiece kernels,
compared against the Keras model, XLMTokenizer and pack_single."""

import io
import json
import os
import shutil
import subprocess
import sys

import keras
import numpy as np
import pytest
import sentencepiece as spm
import tensorflow as tf
from tensorflow.core.protobuf import saved_model_pb2

from tests.helpers import run_child
from xlm_keras import XLMBackbone
from xlm_keras import XLMMaskedLM
from xlm_keras.data import corpus
from xlm_keras.models import XLMTokenizer
from xlm_keras.models import presets
from xlm_keras.models.xlm_backbone import family
from xlm_keras.pretraining.evaluation import encode_sentences
from xlm_keras.serving import OpAuditError
from xlm_keras.serving import audit_ops
from xlm_keras.serving import export
from xlm_keras.serving import next_version
from xlm_keras.serving import saved_model_ops
from xlm_keras.serving import sentencepiece_library
from xlm_keras.serving.exporter import SIGNATURES_FILE
from xlm_keras.serving.exporter import check_signatures
from xlm_keras.serving.exporter import check_translate_options
from xlm_keras.text.packing import pack_single
from xlm_keras.text.packing import sentence_frame

MAX_LENGTH = 24
TEXTS = [
    "Der schnelle braune Fuchs springt über den faulen Hund.",
    "Hello world!",
    "",
    "Bonjour le monde, ça va ? 😀 שלום 中文",
    "A sentence far too long for the tiny export, so the packer has to cut "
    "it down to the maximum sequence length and keep both special tokens.",
    "Guten Morgen",
]
TEXT_LANGUAGES = ["de", "en", "fr", "fr", "en", "de"]
MASK_TEXTS = ["Der <mask> Fuchs springt <mask>.", "<mask>", "no mask here", "<mask><mask> x <mask>"]
CHILD = os.path.join(os.path.dirname(__file__), "saved_model_child.py")


def _fairseq_tokenizer():
    """An XLM-R-layout SentencePiece model (`<unk>`=0, `<s>`=1, `</s>`=2)."""
    files = corpus.monolingual_files(corpus.SAMPLE_CORPUS_DIR, "train")
    lines = [
        line
        for code in ("de", "en", "fr")
        for path in files[code]
        for line in open(path, encoding="utf-8")
    ]
    model = io.BytesIO()
    spm.SentencePieceTrainer.train(
        sentence_iterator=iter(lines),
        model_writer=model,
        vocab_size=500,
        model_type="bpe",
        minloglevel=2,
        num_threads=1,
    )
    return XLMTokenizer(proto=model.getvalue(), id_convention="fairseq")


def _reference(task, tokenizer, languages):
    """What the Keras objects say about TEXTS and MASK_TEXTS."""
    backbone = task.backbone
    start_id, end_id = sentence_frame(family(backbone), tokenizer)
    language_ids = None
    if languages is not None:
        language_ids = tf.constant([tokenizer.language_id(code) for code in languages])
    packed = pack_single(
        tokenizer.tokenize(tf.constant(TEXTS)),
        MAX_LENGTH,
        start_id,
        end_id,
        tokenizer.pad_token_id,
        language_id=language_ids,
    )
    inputs = {k: packed[k] for k in ("token_ids", "padding_mask")}
    if languages is not None:
        inputs["language_ids"] = packed["language_ids"]
    hidden = backbone(inputs, training=False).numpy()
    if languages is None:  # encode_sentences needs a language code.
        embedding = _mean(hidden, packed["padding_mask"])
    else:
        embedding = np.concatenate(
            [
                encode_sentences(backbone, tokenizer, [text], code, MAX_LENGTH)
                for text, code in zip(TEXTS, languages)
            ]
        )
    reference = {k: v.numpy() for k, v in inputs.items()}
    reference.update(embedding=embedding, cls_embedding=hidden[:, 0], sequence_output=hidden)
    reference["fill_mask"] = _fill_mask_reference(task, tokenizer, start_id, end_id, languages)
    return reference


def _mean(hidden, padding_mask):
    mask = padding_mask.numpy()[..., None].astype("float32")
    return (hidden * mask).sum(1) / mask.sum(1)


def _fill_mask_reference(task, tokenizer, start_id, end_id, languages):
    """Top-5 tokens and probabilities per mask (special tokens never), ids
    joined in Python."""
    results = []
    for row, text in enumerate(MASK_TEXTS):
        ids = []
        for i, piece in enumerate(text.split("<mask>")):
            ids += ([tokenizer.mask_token_id] if i else []) + tokenizer.tokenize(
                piece
            ).numpy().tolist()
        ids = [start_id] + ids[: MAX_LENGTH - 2] + [end_id]
        positions = [i for i, token in enumerate(ids) if token == tokenizer.mask_token_id]
        if not positions:
            results.append(([], [], []))
            continue
        x = {
            "token_ids": np.array([ids], "int32"),
            "padding_mask": np.ones((1, len(ids)), "int32"),
            "mask_positions": np.array([positions], "int32"),
        }
        if languages is not None:
            x["language_ids"] = np.full(
                (1, len(ids)), tokenizer.language_id(languages[row]), "int32"
            )
        logits = task(x, training=False)[0].numpy()
        logits[:, tokenizer.special_token_ids] = -np.inf  # Never a filling.
        probabilities = tf.nn.softmax(logits).numpy()
        top = np.argsort(-probabilities, axis=-1)[:, :5]
        results.append(
            (
                positions,
                [[tokenizer.id_to_token(int(i)) for i in r] for r in top],
                np.take_along_axis(probabilities, top, -1),
            )
        )
    return results


@pytest.fixture(scope="module")
def exported(tokenizer_dir, tmp_path_factory):
    """Two presets (XLM with language embeddings, native ids; XLM-R style,
    fairseq ids), exported; the XLM one twice. The presets are deleted
    before the fresh process loads the SavedModels."""
    keras.utils.set_random_seed(0)  # Before any tokenizer (tensorflow/text#570).
    root = tmp_path_factory.mktemp("serving")
    xlm_tokenizer = XLMTokenizer.from_preset(tokenizer_dir)
    xlm_r_tokenizer = _fairseq_tokenizer()
    models = {
        "xlm": (
            xlm_tokenizer,
            dict(
                presets.backbone_config("xlm_tiny", False),
                num_languages=len(xlm_tokenizer.languages),
            ),
            TEXT_LANGUAGES,
        ),
        "xlm_r": (xlm_r_tokenizer, presets.backbone_config("xlm_roberta_tiny", False), None),
    }
    result = {"root": root, "paths": {}, "reference": {}, "specs": {}}
    for name, (tokenizer, config, languages) in models.items():
        preset = root / f"{name}_preset"
        task = XLMMaskedLM(XLMBackbone(**dict(config, vocabulary_size=tokenizer.vocabulary_size())))
        task.save_to_preset(str(preset))
        tokenizer.save_to_preset(str(preset))
        result["reference"][name] = _reference(task, tokenizer, languages)
        result["paths"][name] = export(
            str(preset), str(root / name), max_sequence_length=MAX_LENGTH
        )
        result["specs"][name] = {
            "path": result["paths"][name],
            "texts": TEXTS,
            "languages": languages,
            "mask_texts": MASK_TEXTS,
            "max_sequence_length": MAX_LENGTH,
            "vocabulary_size": tokenizer.vocabulary_size(),
            "known_languages": tokenizer.languages,
        }
        if name == "xlm":
            result["vocabulary_spm"] = (
                preset / "assets" / "tokenizer" / "vocabulary.spm"
            ).read_bytes()
            result["second_export"] = export(
                str(preset), str(root / name), max_sequence_length=MAX_LENGTH
            )
    for name in models:
        shutil.rmtree(root / f"{name}_preset")

    out = root / "child"
    out.mkdir()
    cli = shutil.which("saved_model_cli", path=os.path.dirname(sys.executable))
    show = cli and subprocess.Popen(
        [cli, "show", "--all", "--dir", result["paths"]["xlm"]],
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
        text=True,
    )
    spec = {"library": sentencepiece_library(), "out": str(out), "models": result["specs"]}
    run_child(CHILD, spec, root / "spec.json")
    result["saved_model_cli"] = show and show.communicate(timeout=300)[0]
    result["summary"] = json.loads((out / "summary.json").read_text())
    result["outputs"] = {name: dict(np.load(out / f"{name}.npz")) for name in models}
    return result


SIGNATURES = ["embed", "encode", "fill_mask", "serving_default", "tokenize"]


@pytest.mark.slow
def test_loads_without_keras_or_tensorflow_text(exported):
    assert exported["summary"]["modules"] == []
    for name in ("xlm", "xlm_r"):
        assert exported["summary"][name]["signatures"] == SIGNATURES


@pytest.mark.slow
def test_warmup_requests_replay_on_every_signature(exported):
    for name in ("xlm", "xlm_r"):
        assert exported["summary"][name]["warmup"] == SIGNATURES


@pytest.mark.slow
@pytest.mark.parametrize("name", ["xlm", "xlm_r"])
def test_token_ids_match_tokenizer_and_pack_single(exported, name):
    outputs, reference = exported["outputs"][name], exported["reference"][name]
    length = outputs["tokenize/token_ids"].shape[1]
    assert length == MAX_LENGTH  # The long text fills the row; the rest is padding.
    keys = ["token_ids", "padding_mask"] + ["language_ids"] * (name == "xlm")
    assert sorted(k.split("/")[1] for k in outputs if k.startswith("tokenize/")) == sorted(keys)
    for key in keys:
        np.testing.assert_array_equal(outputs[f"tokenize/{key}"], reference[key])


@pytest.mark.slow
@pytest.mark.parametrize("name", ["xlm", "xlm_r"])
def test_embeddings_match_keras(exported, name):
    outputs, reference = exported["outputs"][name], exported["reference"][name]
    for signature in ("embed", "serving_default"):
        np.testing.assert_allclose(
            outputs[f"{signature}/embedding"], reference["embedding"], atol=1e-5
        )
        np.testing.assert_allclose(
            outputs[f"{signature}/cls_embedding"], reference["cls_embedding"], atol=1e-5
        )
        l2 = reference["embedding"] / np.linalg.norm(reference["embedding"], axis=1, keepdims=True)
        np.testing.assert_allclose(outputs[f"{signature}/embedding_l2"], l2, atol=1e-5)
    np.testing.assert_allclose(
        outputs["encode/sequence_output"], reference["sequence_output"], atol=1e-5
    )


@pytest.mark.slow
@pytest.mark.parametrize("name", ["xlm", "xlm_r"])
def test_fill_mask_matches_keras(exported, name):
    outputs, reference = exported["outputs"][name], exported["reference"][name]["fill_mask"]
    positions = outputs["fill_mask/mask_positions"]
    assert positions.shape == (len(MASK_TEXTS), 3)
    for row, (expected_positions, tokens, scores) in enumerate(reference):
        count = len(expected_positions)
        np.testing.assert_array_equal(positions[row, :count], expected_positions)
        assert (positions[row, count:] == -1).all()
        got_tokens = outputs["fill_mask/top_k_tokens"][row]
        assert [[t.decode() for t in r] for r in got_tokens[:count]] == tokens
        assert (got_tokens[count:] == b"").all()
        got_scores = outputs["fill_mask/top_k_scores"][row]
        np.testing.assert_allclose(
            got_scores[:count].reshape(-1, 5), np.reshape(scores, (-1, 5)), atol=1e-6
        )
        assert (got_scores[count:] == 0).all()


@pytest.mark.slow
def test_unknown_language_fails_with_the_known_codes(exported):
    message = exported["summary"]["xlm"]["unknown_language"]
    assert message is not None and "Unknown language code" in message
    assert "known codes: de, en, fr" in message and "xx" in message
    mismatch = exported["summary"]["xlm"]["language_count_mismatch"]
    assert mismatch is not None and "`language` must be one language code, or one per" in mismatch


@pytest.mark.slow
@pytest.mark.parametrize("name", ["xlm", "xlm_r"])
def test_hostile_inputs(exported, name):
    report = exported["summary"][name]["hostile"]
    assert report["inputs"] >= 500 + 1024
    assert report["crashes"] == []
    assert report["bad_outputs"] == []
    assert report["expected_errors"] == (20 if name == "xlm" else 0)


@pytest.mark.slow
def test_exports_are_byte_identical(exported):
    first, second = exported["paths"]["xlm"], exported["second_export"]
    assert os.path.basename(second) == "2"
    names = sorted(os.listdir(os.path.join(first, "variables")))
    assert names == ["variables.data-00000-of-00001", "variables.index"]
    for file_name in names:
        with (
            open(os.path.join(first, "variables", file_name), "rb") as a,
            open(os.path.join(second, "variables", file_name), "rb") as b,
        ):
            assert a.read() == b.read(), file_name
    with (
        open(os.path.join(first, SIGNATURES_FILE)) as a,
        open(os.path.join(second, SIGNATURES_FILE)) as b,
    ):
        assert a.read() == b.read()


@pytest.mark.slow
def test_sentencepiece_model_is_inside_the_saved_model(exported):
    saved_model = saved_model_pb2.SavedModel()
    with open(os.path.join(exported["paths"]["xlm"], "saved_model.pb"), "rb") as f:
        saved_model.ParseFromString(f.read())
    models = [
        node.attr["model"].s
        for function in saved_model.meta_graphs[0].graph_def.library.function
        for node in function.node_def
        if node.op == "SentencepieceOp"
    ]
    assert models == [exported["vocabulary_spm"]]
    with open(os.path.join(exported["paths"]["xlm"], "assets", "vocabulary.spm"), "rb") as f:
        assert f.read() == exported["vocabulary_spm"]


@pytest.mark.slow
def test_saved_model_cli_lists_the_signatures(exported):
    if exported["saved_model_cli"] is None:
        pytest.skip("saved_model_cli is not installed next to this Python")
    listing = exported["saved_model_cli"]
    for name in ("serving_default", "embed", "tokenize", "encode", "fill_mask"):
        assert f"signature_def['{name}']" in listing
    for tensor in (
        "embedding_l2",
        "cls_embedding",
        "top_k_tokens",
        "sequence_output",
        "language_ids",
    ):
        assert f"outputs['{tensor}']" in listing


@pytest.mark.slow
def test_signatures_json(exported):
    with open(os.path.join(exported["paths"]["xlm"], SIGNATURES_FILE)) as f:
        description = json.load(f)
    signatures = description["signatures"]
    assert sorted(signatures) == ["embed", "encode", "fill_mask", "serving_default", "tokenize"]
    assert signatures["embed"]["inputs"]["text"] == {
        "tensor": "embed_text:0",
        "dtype": "string",
        "shape": [-1],
    }
    assert signatures["embed"]["outputs"]["embedding"]["shape"] == [-1, 32]
    assert signatures["fill_mask"]["outputs"]["top_k_tokens"]["shape"] == [-1, -1, 5]
    assert description["model"]["languages"] == ["de", "en", "fr"]
    assert description["ops"]["sentencepiece"] == ["SentencepieceOp", "SentencepieceTokenizeOp"]
    with open(os.path.join(exported["paths"]["xlm_r"], SIGNATURES_FILE)) as f:
        assert sorted(json.load(f)["signatures"]["embed"]["inputs"]) == ["text"]


@pytest.mark.slow
def test_versions_are_never_overwritten(exported):
    base = os.path.dirname(exported["paths"]["xlm"])
    assert sorted(os.listdir(base)) == ["1", "2"]  # No temporary directory left.
    assert next_version(base) == 3
    with pytest.raises(FileExistsError, match="Version 1 already exists"):
        export("/nonexistent/preset", base, version=1)
    with pytest.raises(ValueError, match="positive int"):
        export("/nonexistent/preset", base, version=0)


def test_fill_mask_needs_a_masked_lm():
    backbone = XLMBackbone(**presets.backbone_config("xlm_roberta_tiny", False))
    assert check_signatures(None, backbone) == ["embed", "tokenize", "encode"]
    with pytest.raises(ValueError, match="`fill_mask` needs an XLMMaskedLM"):
        check_signatures(["fill_mask"], backbone)
    with pytest.raises(ValueError, match="Unknown signatures"):
        check_signatures(["summarize"], backbone)


def test_translate_options_are_for_translate_only():
    check_translate_options(["translate"], jit_compile=True, decoder_dtype="bfloat16")
    check_translate_options(["embed"])
    with pytest.raises(ValueError, match="jit_compile applies to `translate` only"):
        check_translate_options(["embed", "tokenize"], jit_compile=True)
    with pytest.raises(ValueError, match="'bfloat16' applies to `translate` only"):
        check_translate_options(["embed"], decoder_dtype="bfloat16")
    with pytest.raises(ValueError, match="must be one of float32, bfloat16; got 'int4'"):
        check_translate_options(["translate"], decoder_dtype="int4")


def test_op_audit_rejects_python_callbacks_and_other_custom_ops(tmp_path):
    module = tf.Module()
    module.f = tf.function(
        lambda x: tf.numpy_function(np.sort, [x], tf.float32),
        input_signature=[tf.TensorSpec([None], tf.float32)],
    )
    tf.saved_model.save(module, str(tmp_path))
    uses = saved_model_ops(str(tmp_path))
    assert "PyFunc" in uses
    with pytest.raises(OpAuditError, match=r"PyFunc \(Python callback"):
        audit_ops(uses)
    with pytest.raises(OpAuditError, match=r"RoundRobinTrim \(not core TensorFlow"):
        audit_ops(["Const", "RoundRobinTrim", "SentencepieceOp"])
    assert audit_ops(["Const", "SentencepieceOp"]) == {
        "core": ["Const"],
        "sentencepiece": ["SentencepieceOp"],
    }


def test_unwritable_export_dir_is_refused_before_loading(tmp_path):
    (tmp_path / "file").write_text("")
    with pytest.raises(PermissionError, match="Cannot write export_dir.*is a file"):
        export("/nonexistent/preset", str(tmp_path / "file" / "models"))


def test_temporary_directories_of_dead_exporters_are_removed(tmp_path):
    dead = subprocess.Popen([sys.executable, "-c", ""])
    dead.wait()
    base = tmp_path / "models"
    (base / f".tmp-1-{dead.pid}").mkdir(parents=True)
    (base / f".tmp-2-{os.getpid()}").mkdir()
    with pytest.raises(FileNotFoundError, match="/nonexistent/preset"):
        export("/nonexistent/preset", str(base))
    assert sorted(os.listdir(base)) == [f".tmp-2-{os.getpid()}"]
