"""moses_words against transformers' XLMTokenizer (sacremoses; the reference of
tools/moses_agreement.py) on the sample corpus and on texts that exercise each rule, and the
same words in tf.function, tf.data and a SavedModel."""

from pathlib import Path

import pytest
import tensorflow as tf

from tests.helpers import load_script
from xlm_keras.data.corpus import SAMPLE_CORPUS_DIR
from xlm_keras.text.moses import moses_words

LINES_PER_LANGUAGE = 60
REQUIRED_AGREEMENT = 0.995

# (language, text): each exercises a rule of the normaliser or the tokenizer.
TRICKY_TEXTS = [
    ("en", "Mr. Smith paid $5,300... for it. It's John's, isn't it?"),
    ("en", "He said \"no\", and 'yes'. In the 1990's U.S.A. (e.g. here)."),
    ("en", "See No. 5 and No. Five; pp. 12-14 vs. Art. 3."),
    ("en", "``Quoted'' text -- and a/b or @user #tag 50 % & more...."),
    ("en", "Ends with a quote.'"),
    ("en", "Tabs\tand\u00a0spaces\u2009and\u3000ideographic  ones"),
    ("en", "Zero\u200bwidth\x07bell\ue000private\u0378unassigned"),
    ("fr", "L'homme d'État dit « bonjour » : 1\u00a0000 ,\"x\" et… qu'il vient."),
    ("fr", "M. Dupont, c.-à-d. le Dr. Martin. Voir fig. 3 etc. Fin."),
    ("it", "L'uomo dell'anno, 3,5 milioni. Sig. Rossi."),
    ("de", "Die „Straße“ kostet 3\u00a0500 €. Nr. 5 z.B. ÄÖÜ."),
    ("es", "¿Qué tal? «Bien»... Sr. García, 1\u00a0000 personas."),
    ("pt", "O Sr. Silva disse: “olá”. Nº\u00a05, 50\u00a0%."),
    ("ro", "Şcoala şi ţara, în România. Ţânţar ăla."),
    ("ko", "한국어 문장입니다. 좋아요! (테스트) 3.5%"),
    ("el", "ΟΔΟΣ Αθηνών. Ο κ. Παπαδόπουλος είπε «ναι»."),
    ("ru", "Г-н Иванов сказал: «Привет». Т.е. всё. Ёлка."),
    ("cs", "Dr. Novák, tj. 1\u00a0000 Kč. Atd."),
    ("xx", "An unknown code uses English rules. Mr. X. Dr. Y."),
    ("zh", "今天 天气 很好 。 Hello , World"),
    ("ja", "これは テスト です 。"),
    ("en", ""),
    ("en", "   "),
]


@pytest.fixture(scope="module")
def reference(tmp_path_factory):
    """transformers' XLM pre-tokenisation: `words(text, language, lowercase)`."""
    agreement = load_script("tools/moses_agreement.py")
    tokenizer = agreement.reference_tokenizer(tmp_path_factory.mktemp("xlm_vocabulary"))

    def words(text, language, lowercase):
        return agreement.transformers_words(tokenizer, text, language, lowercase=lowercase)

    return words


def _decoded(ragged):
    return [[word.decode("utf-8") for word in row] for row in ragged.to_list()]


def _sample_texts():
    """(texts, languages): the first lines of every language of the sample corpus."""
    texts, languages = [], []
    for path in sorted(Path(SAMPLE_CORPUS_DIR, "mono").glob("*.train.txt")):
        lines = path.read_text(encoding="utf-8").splitlines()[:LINES_PER_LANGUAGE]
        texts += lines
        languages += [path.name.split(".")[0]] * len(lines)
    return texts, languages


@pytest.mark.parametrize("lowercase", [False, True])
def test_sample_corpus_words_match_transformers(reference, lowercase):
    texts, languages = _sample_texts()
    got = _decoded(moses_words(texts, languages, lowercase_and_remove_accent=lowercase))
    differing = {}
    for text, language, words in zip(texts, languages, got):
        expected = reference(text, language, lowercase)
        if words != expected:
            differing.setdefault(language, []).append(f"{text!r}\n  {expected}\n  {words}")
    assert len(set(languages)) >= 15
    for language in sorted(set(languages)):
        agreement = 1 - len(differing.get(language, [])) / languages.count(language)
        assert agreement >= REQUIRED_AGREEMENT, f"{language}: {agreement:.1%}\n" + "\n".join(
            differing[language]
        )


@pytest.mark.parametrize("lowercase", [False, True])
def test_tricky_texts_match_transformers(reference, lowercase):
    languages, texts = zip(*TRICKY_TEXTS)
    got = _decoded(moses_words(list(texts), list(languages), lowercase_and_remove_accent=lowercase))
    for text, language, words in zip(texts, languages, got):
        assert words == reference(text, language, lowercase), (language, text)


def test_graph_mode_and_tf_data_give_the_eager_words():
    languages, texts = zip(*TRICKY_TEXTS)

    def words(texts, languages):
        return moses_words(texts, languages, lowercase_and_remove_accent=True)

    eager = words(list(texts), list(languages)).to_list()
    graph = tf.function(words, input_signature=[tf.TensorSpec([None], tf.string)] * 2)
    assert graph(tf.constant(texts), tf.constant(languages)).to_list() == eager
    dataset = tf.data.Dataset.from_tensor_slices((list(texts), list(languages))).batch(7)
    assert [row for batch in dataset.map(words) for row in batch.to_list()] == eager


def test_one_language_for_all_texts_equals_the_code_per_text():
    texts = ["L'homme d'État.", "C'est M. Dupont."]
    assert (
        moses_words(texts, "fr").to_list()
        == moses_words(texts, tf.constant("fr")).to_list()
        == moses_words(tf.constant(texts), tf.constant(["fr", "fr"])).to_list()
        == [[b"L'", b"homme", b"d'", b"\xc3\x89tat", b"."], [b"C'", b"est", b"M.", b"Dupont", b"."]]
    )


@pytest.mark.slow
def test_saved_model_splits_with_core_ops_only(tmp_path):
    from xlm_keras.serving.op_audit import audit_ops
    from xlm_keras.serving.op_audit import saved_model_ops

    languages, texts = zip(*TRICKY_TEXTS)
    module = tf.Module()
    module.words = tf.function(
        lambda texts, languages: moses_words(
            texts, languages, lowercase_and_remove_accent=True
        ).to_tensor(),
        input_signature=[tf.TensorSpec([None], tf.string)] * 2,
    )
    tf.saved_model.save(module, str(tmp_path))
    audit_ops(saved_model_ops(str(tmp_path)))
    served = tf.saved_model.load(str(tmp_path)).words(tf.constant(texts), tf.constant(languages))
    expected = moses_words(list(texts), list(languages), lowercase_and_remove_accent=True)
    assert served.numpy().tolist() == expected.to_tensor().numpy().tolist()


def test_a_text_that_is_not_a_batch_is_refused_and_an_empty_batch_is_empty():
    with pytest.raises(ValueError, match=r"tf.string \[B\].*Wrap a single text"):
        moses_words("Hello.", "en")
    assert moses_words(tf.constant([], tf.string), "en").shape.as_list() == [0, None]
