"""Export a preset as a versioned SavedModel that takes raw strings.

Layout (TF Serving's): `export_base/<version>/` with `saved_model.pb`,
`variables/`, `assets/` (the tokenizer files), `assets.extra/` (TF
Serving warm-up requests) and `signatures.json` (every signature's tensors,
the model's serving facts and the op audit). A version is written to
`export_base/.tmp-<version>-<pid>` and renamed into place, so a server
polling `export_base` never sees half a model; an existing version is never
replaced. Temporary directories left by exporters that died are removed.
"""

import json
import os
import re
import shutil

import tensorflow as tf
from tensorflow.core.protobuf import saved_model_pb2

from xlm_keras.models import XLMTokenizer
from xlm_keras.models.checks import check_int
from xlm_keras.models.load_model import load_model
from xlm_keras.models.preset_files import check_tokenizer_fits
from xlm_keras.models.xlm_backbone import family
from xlm_keras.models.xlm_beam_sampler import check_beam_arguments
from xlm_keras.models.xlm_masked_lm_preprocessor import MASK_POSITION_PADDING
from xlm_keras.paths import cannot_write
from xlm_keras.serving.op_audit import audit_ops
from xlm_keras.serving.op_audit import prefetch_core_ops
from xlm_keras.serving.op_audit import saved_model_ops
from xlm_keras.serving.serving_module import SIGNATURES
from xlm_keras.serving.serving_module import TASK_SIGNATURES
from xlm_keras.serving.serving_module import ServingModule
from xlm_keras.serving.serving_module import supported_signatures
from xlm_keras.serving.translation_module import TranslationModule
from xlm_keras.serving.translation_module import bucket_sources
from xlm_keras.serving.warmup import source_requests
from xlm_keras.serving.warmup import warmup_requests
from xlm_keras.serving.warmup import write_warmup_requests
from xlm_keras.text.packing import sentence_frame

SIGNATURES_FILE = "signatures.json"
DECODER_DTYPES = ("float32", "bfloat16")


def export(
    preset_dir,
    export_base,
    version=None,
    max_sequence_length=None,
    signatures=None,
    top_k=5,
    warmup=True,
    max_decode_length=None,
    num_beams=1,
    length_penalty=1.0,
    jit_compile=False,
    decoder_dtype="float32",
):
    """Export a preset's model with in-graph tokenisation.

    Args:
        preset_dir: preset directory (`save_to_preset`, `xlm-convert`,
            `xlm-train`'s `workdir/preset`) with the model and its tokenizer.
        export_base: directory of versions; created if missing.
        version: int >= 1; default: one more than the highest existing.
        max_sequence_length: int. Longest packed input, specials included;
            default where the preset's preprocessor cuts texts, so that the
            export answers as `predict` / `generate()` do: its
            `sequence_length` (`encoder_sequence_length` for `translate`),
            else (no preprocessor) the backbone's `max_sequence_length`.
        signatures: names from `SIGNATURES`; default all the model supports
            (`fill_mask` needs an `XLMMaskedLM`, `classify`/`classify_pair`
            an `XLMTextClassifier`, `tag` an `XLMTokenClassifier`).
            `serving_default` (= embed) is always exported.
        top_k: int >= 1. Predictions per `<mask>` in `fill_mask`.
        warmup: bool. Write TF Serving warm-up requests (one per signature;
            with `jit_compile` also one batch-1 `translate` per source
            bucket, so that a server compiles them when it loads the
            version) to `assets.extra/tf_serving_warmup_requests`.
        max_decode_length, num_beams, length_penalty: `translate` only (an
            `XLMSeq2SeqLM`, which serves only `translate`): the longest
            translation in tokens, specials included (default the preset
            preprocessor's `decoder_sequence_length`, else the backbone's
            `max_sequence_length`), beams (1: greedy) and the beam length
            penalty (finite, >= 0).
        jit_compile: bool, `translate` only. Decode small requests (at most
            `translation_module.XLA_MAX_ROWS` rows) in one XLA-compiled
            loop: faster at batch 1, but TF Serving must run with
            `--xla_cpu_compilation_enabled=true`, so it is opt-in.
        decoder_dtype: `translate` only: "float32" (default) or "bfloat16",
            the dtype of the decoder blocks' and output table's weights and
            matmuls (half the bytes a decoding step reads; faster only on
            CPUs with bfloat16 matrix instructions, see docs/benchmarks.md).

    Returns: str, the path of the new version directory.

    Raises: `PermissionError` if `export_base` cannot be written (checked
    before loading), `FileExistsError` if the version exists, `ValueError`
    for bad arguments, `OpAuditError` if a graph uses an op a server lacks.
    """
    reason = cannot_write(export_base)
    if reason:  # Before the model is loaded: that takes long.
        raise PermissionError(
            f"Cannot write export_dir {export_base!r}: {reason}. Pass a directory you can write."
        )
    remove_dead_temp_dirs(export_base)
    version = _check_version(export_base, version)
    top_k = check_int(top_k, "top_k", 1)
    num_beams, length_penalty = check_beam_arguments(num_beams, length_penalty)
    prefetch_core_ops()  # A subprocess; it runs while the model is traced.
    model = load_model(preset_dir)
    tokenizer = XLMTokenizer.from_preset(preset_dir)
    backbone = getattr(model, "backbone", model)
    check_tokenizer_fits(tokenizer, backbone, preset_dir)
    signatures = check_signatures(signatures, model)
    check_translate_options(signatures, jit_compile=jit_compile, decoder_dtype=decoder_dtype)
    if "translate" in signatures:
        max_sequence_length = _check_length(
            max_sequence_length, backbone, default=_preprocessor_length(model, "encoder_")
        )
        max_decode_length = _check_length(
            max_decode_length,
            backbone,
            "max_decode_length",
            _preprocessor_length(model, "decoder_"),
        )
        module = TranslationModule(
            model,
            tokenizer,
            max_sequence_length,
            max_decode_length,
            num_beams,
            length_penalty,
            jit_compile,
            decoder_dtype,
        )
    else:
        max_sequence_length = _check_length(
            max_sequence_length, backbone, default=_preprocessor_length(model)
        )
        module = ServingModule(model, tokenizer, max_sequence_length, top_k)
    module.tokenizer_assets = _tokenizer_assets(preset_dir)

    final_dir = os.path.join(export_base, str(version))
    temp_dir = os.path.join(export_base, f".tmp-{version}-{os.getpid()}")
    shutil.rmtree(temp_dir, ignore_errors=True)
    try:
        tf.saved_model.save(module, temp_dir, signatures=module.signature_functions(signatures))
        ops = audit_ops(saved_model_ops(temp_dir))
        table = signature_table(temp_dir)
        if warmup:
            requests = warmup_requests(
                table,
                tokenizer.languages,
                module.has_language_input,
                *sentence_frame(family(model), tokenizer),
            )
            if jit_compile:  # Only with translate: compile every source bucket at load.
                sources = bucket_sources(tokenizer, max_sequence_length)
                requests += source_requests(sources, module.has_language_input, tokenizer.languages)
            write_warmup_requests(temp_dir, requests)
        description = {
            "model": _serving_facts(module, model, tokenizer, signatures),
            "signatures": table,
            "ops": ops,
        }
        with open(os.path.join(temp_dir, SIGNATURES_FILE), "w", encoding="utf-8") as f:
            json.dump(description, f, indent=2, ensure_ascii=False)
            f.write("\n")
        if os.path.exists(final_dir):  # os.rename would replace an empty one.
            raise FileExistsError(_exists_message(final_dir))
        try:
            os.rename(temp_dir, final_dir)
        except OSError as error:  # Another exporter took the version first.
            raise FileExistsError(_exists_message(final_dir)) from error
    finally:
        shutil.rmtree(temp_dir, ignore_errors=True)
    return final_dir


def check_translate_options(signatures, jit_compile=False, decoder_dtype="float32"):
    """Raise `ValueError` for `translate`'s options without `translate`, or
    an unknown `decoder_dtype`."""
    if decoder_dtype not in DECODER_DTYPES:
        raise ValueError(
            f"decoder_dtype must be one of {', '.join(DECODER_DTYPES)}; got {decoder_dtype!r}."
        )
    if "translate" in signatures:
        return
    if jit_compile:
        raise ValueError(
            "jit_compile applies to `translate` only (an XLMSeq2SeqLM preset): the encoder "
            "signatures run faster without XLA on CPU. Export without jit_compile."
        )
    if decoder_dtype != "float32":
        raise ValueError(
            f"decoder_dtype={decoder_dtype!r} applies to `translate` only (an XLMSeq2SeqLM "
            "preset). Export without it."
        )


def remove_dead_temp_dirs(export_base):
    """Delete `.tmp-<version>-<pid>` directories whose process is gone (an
    exporter killed mid-save); those of live exporters are left alone."""
    if not os.path.isdir(export_base):
        return
    for name in os.listdir(export_base):
        match = re.fullmatch(r"\.tmp-\d+-(\d+)", name)
        if match and not _alive(int(match[1])):
            shutil.rmtree(os.path.join(export_base, name), ignore_errors=True)


def _alive(pid):
    """Whether process `pid` exists on this machine."""
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:  # Another user's process.
        pass
    return True


def _serving_facts(module, model, tokenizer, signatures):
    """What a client needs besides the tensors, for `signatures.json`."""
    backbone = getattr(model, "backbone", model)
    facts = {
        "task": type(model).__name__,
        "max_sequence_length": module.max_sequence_length,
        "hidden_dim": backbone.hidden_dim,
        "vocabulary_size": tokenizer.vocabulary_size(),
        "id_convention": tokenizer.id_convention,
        "languages": list(tokenizer.languages),
        "has_language_input": module.has_language_input,
        "frame": list(sentence_frame(family(model), tokenizer)),
        "top_k": module.top_k if "fill_mask" in signatures else None,
        "label_names": list(getattr(model, "label_names", [])),
        "mask_position_padding": MASK_POSITION_PADDING,
    }
    if "translate" in signatures:
        facts.update(
            max_decode_length=module.max_decode_length,
            num_beams=module.num_beams,
            length_penalty=module.length_penalty,
            jit_compile=module.jit_compile,
            decoder_dtype=module.decoder_dtype,
        )
    return facts


def _tokenizer_assets(preset_dir):
    """The preset's tokenizer files (SentencePiece model, languages) as
    SavedModel assets, copied to `assets/` for clients; the graph itself
    holds the SentencePiece model in its resource op."""
    asset_dir = os.path.join(preset_dir, "assets", "tokenizer")
    if not os.path.isdir(asset_dir):
        return []
    return [
        tf.saved_model.Asset(os.path.join(asset_dir, name))
        for name in sorted(os.listdir(asset_dir))
    ]


def signature_table(saved_model_dir):
    """dict signature key -> {"inputs", "outputs"}: each a dict name ->
    {"tensor", "dtype", "shape"} (shape -1 = any size), as a server sees it."""
    saved_model = saved_model_pb2.SavedModel()
    with open(os.path.join(saved_model_dir, "saved_model.pb"), "rb") as f:
        saved_model.ParseFromString(f.read())
    table = {}
    for key, signature in sorted(saved_model.meta_graphs[0].signature_def.items()):
        if key.startswith("__"):  # `__saved_model_init_op`, not a signature.
            continue
        table[key] = {
            side: {
                name: {
                    "tensor": info.name,
                    "dtype": tf.dtypes.as_dtype(info.dtype).name,
                    "shape": [dim.size for dim in info.tensor_shape.dim],
                }
                for name, info in sorted(tensors.items())
            }
            for side, tensors in (("inputs", signature.inputs), ("outputs", signature.outputs))
        }
    return table


def next_version(export_base):
    """One more than the highest integer version in `export_base` (1 if none)."""
    if not os.path.isdir(export_base):
        return 1
    versions = [int(name) for name in os.listdir(export_base) if re.fullmatch(r"\d+", name)]
    return max(versions, default=0) + 1


def _check_version(export_base, version):
    if version is None:
        return next_version(export_base)
    if isinstance(version, bool) or not isinstance(version, int) or version < 1:
        raise ValueError(
            f"`version` must be a positive int (TF Serving's version directory); "
            f"got {version!r}. Leave it unset for the next free one, "
            f"{next_version(export_base)}."
        )
    final_dir = os.path.join(export_base, str(version))
    if os.path.exists(final_dir):
        raise FileExistsError(_exists_message(final_dir))
    return version


def _exists_message(final_dir):
    base, version = os.path.split(final_dir)
    return (
        f"Version {version} already exists in {base!r}; versions are never "
        f"overwritten. Pass another version, or none for the next free one "
        f"({next_version(base)})."
    )


def _check_length(length, backbone, name="max_sequence_length", default=None):
    if length is None:
        return min(default or backbone.max_sequence_length, backbone.max_sequence_length)
    if (
        isinstance(length, bool)
        or not isinstance(length, int)
        or not 2 <= length <= backbone.max_sequence_length
    ):
        raise ValueError(
            f"`{name}` must be an int in [2, "
            f"{backbone.max_sequence_length}] (2 specials; the model's position "
            f"table); got {length!r}."
        )
    return length


def _preprocessor_length(model, side=""):
    """Where the preset's preprocessor cuts: its `sequence_length` (what
    `predict` packs), or with `side` `"encoder_"` / `"decoder_"` a seq2seq
    one's `encoder_sequence_length` (where `generate()` cuts sources) /
    `decoder_sequence_length` (what it decodes to by default); None
    without a preprocessor."""
    return getattr(getattr(model, "preprocessor", None), f"{side}sequence_length", None)


def check_signatures(signatures, model):
    available = supported_signatures(model)
    if signatures is None:
        return available
    signatures = list(signatures)
    unknown = [name for name in signatures if name not in SIGNATURES]
    if unknown:
        raise ValueError(f"Unknown signatures {unknown}; choose from {list(SIGNATURES)}.")
    for name in signatures:
        if name not in available:
            raise ValueError(
                f"`{name}` needs {_needs(name)}; this preset's model is "
                f"{type(model).__name__}. Export the other signatures: {available}."
            )
    return [name for name in SIGNATURES if name in signatures]


def _needs(signature):
    """What kind of model serves `signature`, for an error message."""
    task = TASK_SIGNATURES.get(signature)
    return f"an {task}" if task else "an encoder-only model (XLMBackbone or its tasks)"
