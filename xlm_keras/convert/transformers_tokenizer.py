"""A tokenizer as files that transformers' `AutoTokenizer` loads, giving our
ids on raw text: an `XLMTokenizer` as a `tokenizer.json` built from the
SentencePiece model with our ids and our sentence frame; an
`XLMBPETokenizer` as transformers' `XLMTokenizer` files."""

import json
import os

from xlm_keras.data.sentencepiece_training import MASK_TOKEN
from xlm_keras.data.sentencepiece_training import SPECIAL_TOKENS
from xlm_keras.models.xlm_bpe_tokenizer import MERGES_FILE
from xlm_keras.models.xlm_bpe_tokenizer import VOCAB_FILE
from xlm_keras.models.xlm_tokenizer import FAIRSEQ_SENTENCEPIECE_HEAD
from xlm_keras.text.packing import sentence_frame

# SentencePiece piece types (sentencepiece_model.proto).
_NORMAL, _UNKNOWN, _CONTROL, _USER_DEFINED = 1, 2, 3, 4
_UNIGRAM = 1
# The file name transformers' XLM-R tokenizer and `xlm-convert --source=hf`
# read a fairseq-layout SentencePiece model from.
SENTENCEPIECE_FILE = "sentencepiece.bpe.model"


def write_tokenizer(tokenizer, output_dir, *, frame, model_max_length):
    """Write `tokenizer.json`, `tokenizer_config.json` and
    `special_tokens_map.json` (and for fairseq ids the original
    `sentencepiece.bpe.model`) into `output_dir`.

    Args:
        tokenizer: `XLMTokenizer`.
        output_dir: str, an existing directory.
        frame: `"xlm"` (`</s> x </s>`) or `"roberta"` (`<s> x </s>`); pairs
            are `start a </s></s> b </s>` in both, as `packing` frames them.
        model_max_length: int, the longest input the model takes.
    """
    import tokenizers
    from transformers.convert_slow_tokenizer import SpmConverter
    from transformers.convert_slow_tokenizer import import_protobuf

    proto = import_protobuf().ModelProto()
    proto.ParseFromString(_proto_bytes(tokenizer))
    if tokenizer.id_convention == "fairseq":
        with open(os.path.join(output_dir, SENTENCEPIECE_FILE), "wb") as f:
            f.write(proto.SerializeToString())
        _to_model_ids(proto)
    if proto.trainer_spec.model_type == _UNIGRAM:
        vocabulary = [(piece.piece, piece.score) for piece in proto.pieces]
    else:
        vocabulary = {piece.piece: i for i, piece in enumerate(proto.pieces)}
    backend = SpmConverter.build_tokenizer_from_spm_proto(proto, vocabulary)
    specials = [*SPECIAL_TOKENS, MASK_TOKEN]
    backend.add_special_tokens(
        [
            tokenizers.AddedToken(token, special=True, lstrip=token == MASK_TOKEN)
            for token in specials
        ]
    )
    start_id, end_id = sentence_frame(frame, tokenizer)
    start, end = tokenizer.id_to_token(start_id), tokenizer.id_to_token(end_id)
    backend.post_processor = tokenizers.processors.TemplateProcessing(
        single=f"{start} $A {end}",
        pair=f"{start} $A {end} {end} $B {end}",
        special_tokens=[(token, tokenizer.token_to_id(token)) for token in {start, end}],
    )
    for token in specials:
        if backend.token_to_id(token) != tokenizer.token_to_id(token):
            raise ValueError(
                f"{token} is id {backend.token_to_id(token)} in the tokenizer.json built from "
                f"the SentencePiece model but {tokenizer.token_to_id(token)} in the model."
            )
    backend.save(os.path.join(output_dir, "tokenizer.json"))
    special_tokens = {
        "bos_token": start,
        "cls_token": start,
        "eos_token": end,
        "sep_token": end,
        "pad_token": tokenizer.pad_token,
        "unk_token": tokenizer.unk_token,
        "mask_token": MASK_TOKEN,
    }
    config = dict(
        special_tokens,
        tokenizer_class="PreTrainedTokenizerFast",
        # No token_type_ids: transformers' XLM would add the embedding of
        # token id 0 to every token.
        model_input_names=["input_ids", "attention_mask"],
        model_max_length=model_max_length,
        clean_up_tokenization_spaces=False,
    )
    _write_json(os.path.join(output_dir, "tokenizer_config.json"), config)
    _write_json(os.path.join(output_dir, "special_tokens_map.json"), special_tokens)


def write_bpe_tokenizer(tokenizer, output_dir, *, model_max_length):
    """Write an `XLMBPETokenizer` as transformers' `XLMTokenizer` reads it:
    `vocab.json`, `merges.txt` and `tokenizer_config.json` (lower-casing,
    languages, XLM's special tokens) into `output_dir`. Sentences are
    framed `</s> x </s>` as ours; transformers frames a pair
    `</s> a </s> b </s>`, one `</s>` fewer than our packing."""
    with open(os.path.join(output_dir, VOCAB_FILE), "w", encoding="utf-8") as f:
        json.dump(tokenizer.vocabulary, f, ensure_ascii=False)
    with open(os.path.join(output_dir, MERGES_FILE), "w", encoding="utf-8") as f:
        f.writelines(f"{merge}\n" for merge in tokenizer.merges)
    languages = list(tokenizer.languages)
    config = dict(
        tokenizer_class="XLMTokenizer",
        do_lowercase_and_remove_accent=tokenizer.lowercase_and_remove_accent,
        lang2id={code: i for i, code in enumerate(languages)} or None,
        id2lang=dict(enumerate(languages)) or None,
        # transformers starts a sentence with bos_token (older releases:
        # cls_token); XLM's sentences start with </s>.
        bos_token=tokenizer.end_token,
        cls_token=tokenizer.end_token,
        sep_token=tokenizer.end_token,
        pad_token=tokenizer.pad_token,
        unk_token=tokenizer.unk_token,
        mask_token=tokenizer.mask_token,
        additional_special_tokens=[
            token for token in tokenizer.special_tokens if token.startswith("<special")
        ],
        # No token_type_ids (see `write_tokenizer`).
        model_input_names=["input_ids", "attention_mask"],
        model_max_length=model_max_length,
    )
    _write_json(os.path.join(output_dir, "tokenizer_config.json"), config)


def _proto_bytes(tokenizer):
    """The serialized SentencePiece model of `tokenizer`."""
    if isinstance(tokenizer.proto, bytes):
        return tokenizer.proto
    with open(tokenizer.proto, "rb") as f:
        return f.read()


def _to_model_ids(proto):
    """Renumber a fairseq-layout model (`<unk>`, `<s>`, `</s>` first) in
    place so that piece ids are model ids, as `XLMTokenizer` remaps them:
    `<s>`, `<pad>`, `</s>`, `<unk>`, the other pieces, `<mask>` last."""
    pieces = list(proto.pieces)[len(FAIRSEQ_SENTENCEPIECE_HEAD) :]
    del proto.pieces[:]
    for token in SPECIAL_TOKENS:
        kind = _UNKNOWN if token == "<unk>" else _CONTROL
        proto.pieces.add(piece=token, score=0.0, type=kind)
    proto.pieces.extend(pieces)
    proto.pieces.add(piece=MASK_TOKEN, score=0.0, type=_USER_DEFINED)
    ids = {piece: i for i, piece in enumerate(SPECIAL_TOKENS)}
    proto.trainer_spec.bos_id = ids["<s>"]
    proto.trainer_spec.pad_id = ids["<pad>"]
    proto.trainer_spec.eos_id = ids["</s>"]
    proto.trainer_spec.unk_id = ids["<unk>"]


def _write_json(path, values):
    with open(path, "w", encoding="utf-8") as f:
        json.dump(values, f, ensure_ascii=False, indent=2)
