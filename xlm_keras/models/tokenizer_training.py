"""`train_tokenizer`: a SentencePiece model trained on a corpus, as an
`XLMTokenizer` preset."""

from xlm_keras.data.sentencepiece_training import train_sentencepiece
from xlm_keras.models.xlm_tokenizer import XLMTokenizer


def train_tokenizer(corpora, output_dir, vocabulary_size, languages=None, **options):
    """Train a multilingual tokenizer with XLM's native id layout.

    Args:
        corpora: dict language code -> list of text files (one sentence per
            line, `.gz` and `.xz` allowed).
        output_dir: tokenizer preset directory to write.
        vocabulary_size: int. Pieces in the model, specials included.
        languages: language codes in language-id order, the keys of
            `corpora`; default sorted.
        **options: `model_type`, `character_coverage`, `byte_fallback`,
            `sample_alpha`, `max_sentences`, `seed`, as
            `xlm_keras.data.sentencepiece_training.train_sentencepiece`.

    Returns: the trained `XLMTokenizer`, also saved to `output_dir`.
    """
    proto, languages = train_sentencepiece(corpora, vocabulary_size, languages, **options)
    tokenizer = XLMTokenizer(proto=proto, languages=languages)
    tokenizer.save_to_preset(output_dir)
    return tokenizer
