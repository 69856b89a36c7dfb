"""Randomly initialised Hugging Face reference models and padded batches."""

import io

import numpy as np
import torch
import transformers

BATCH, LENGTH = 3, 9
LENGTHS = (9, 6, 3)  # Right padding: rows end with padding.


def randomize(model, seed=0, skip=()):
    """Give every parameter random values (HF initialises LayerNorm to 1/0 and
    biases to 0, which would hide mistakes in those weights)."""
    generator = torch.Generator().manual_seed(seed)
    with torch.no_grad():
        for name, param in model.named_parameters():
            if any(s in name for s in skip):
                continue
            noise = torch.randn(param.shape, generator=generator)
            if "LayerNorm" in name or "layer_norm" in name:
                param.copy_(1.0 + 0.1 * noise if name.endswith("weight") else 0.1 * noise)
            else:
                param.copy_(0.05 * noise)
    return model.eval()


def torch_run(model, input_ids, attention_mask, **inputs):
    """`model(input_ids=..., attention_mask=..., **inputs)` without gradients,
    numpy id arrays passed as torch long tensors (other values, None
    included, as they are)."""
    inputs = dict(inputs, input_ids=input_ids, attention_mask=attention_mask)
    inputs = {
        name: torch.tensor(value, dtype=torch.long) if isinstance(value, np.ndarray) else value
        for name, value in inputs.items()
    }
    with torch.no_grad():
        return model(**inputs)


def xlm_config(**overrides):
    config = dict(
        vocab_size=99,
        emb_dim=32,
        n_layers=2,
        n_heads=4,
        n_langs=3,
        use_lang_emb=True,
        max_position_embeddings=40,
        dropout=0.0,
        attention_dropout=0.0,
        pad_index=2,
        gelu_activation=True,
        lang2id={"en": 0, "fr": 1, "de": 2},
        id2lang={0: "en", 1: "fr", 2: "de"},
    )
    config.update(overrides)
    return transformers.XLMConfig(**config)


def xlm_roberta_config(xl=False, **overrides):
    config = dict(
        vocab_size=101,
        hidden_size=32,
        num_hidden_layers=2,
        num_attention_heads=4,
        intermediate_size=48,
        max_position_embeddings=34,
        hidden_dropout_prob=0.0,
        attention_probs_dropout_prob=0.0,
        pad_token_id=1,
        bos_token_id=0,
        eos_token_id=2,
        type_vocab_size=1,
        layer_norm_eps=1e-5,
    )
    config.update(overrides)
    if xl:
        return transformers.XLMRobertaXLConfig(**config)
    return transformers.XLMRobertaConfig(**config)


def padded_batch(vocab_size, pad_id, seed=0, num_languages=0):
    """token_ids int [B, T] with right padding, padding_mask bool [B, T],
    language_ids [B, T] (or None)."""
    rng = np.random.default_rng(seed)
    token_ids = rng.integers(4, vocab_size, size=(BATCH, LENGTH)).astype("int32")
    padding_mask = np.arange(LENGTH)[None, :] < np.array(LENGTHS)[:, None]
    token_ids[~padding_mask] = pad_id
    language_ids = None
    if num_languages:
        language_ids = rng.integers(0, num_languages, size=(BATCH, LENGTH)).astype("int32")
    return token_ids, padding_mask, language_ids


def max_abs_diff_on_tokens(a, b, padding_mask):
    return float(np.max(np.abs(np.asarray(a) - np.asarray(b))[padding_mask]))


SENTENCES = [
    "Hello world!",
    "Bonjour le monde.",
    "こんにちは世界",
    "مرحبا بالعالم",
    "Hallo Welt, wie geht's?",
    "emoji 🍕 e\u0301",
]


def write_sentencepiece(directory, vocab_size=50):
    """Train a tiny SentencePiece model on `SENTENCES` and write it as XLM-R's
    `sentencepiece.bpe.model`; an XLM-R model over it needs
    `vocab_size + 2` ids (fairseq's `<pad>` and `<mask>` added)."""
    import sentencepiece as spm

    model_file = io.BytesIO()
    spm.SentencePieceTrainer.train(
        sentence_iterator=iter(SENTENCES * 20),
        model_writer=model_file,
        vocab_size=vocab_size,
        character_coverage=1.0,
        minloglevel=2,
    )
    (directory / "sentencepiece.bpe.model").write_bytes(model_file.getvalue())
