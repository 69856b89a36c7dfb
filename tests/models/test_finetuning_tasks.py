"""XLMTextClassifier, XLMTokenClassifier, XLMSpanQA: heads, training,
serialisation and loading from other presets."""

import os

import keras
import numpy as np
import pytest

from xlm_keras import XLMBackbone
from xlm_keras import XLMMaskedLM
from xlm_keras import XLMSpanQA
from xlm_keras import XLMTextClassifier
from xlm_keras import XLMTokenClassifier
from xlm_keras.models import load_model
from xlm_keras.models import presets
from xlm_keras.models.xlm_span_qa import PADDING_LOGIT

LENGTHS = (8, 5, 3, 6)
LABEL_NAMES = ["entailment", "neutral", "contradiction"]
TASKS = [XLMTextClassifier, XLMTokenClassifier, XLMSpanQA]


def _task(task_cls, preset, **kwargs):
    if task_cls is not XLMSpanQA:
        kwargs.setdefault("num_classes", 3)
    return task_cls.from_preset(preset, **kwargs)


def _batch(has_languages, seed=0, vocabulary_size=1000, num_languages=4):
    """Right-padded inputs: token_ids, padding_mask, language_ids if needed."""
    rng = np.random.default_rng(seed)
    padding_mask = np.arange(max(LENGTHS))[None, :] < np.array(LENGTHS)[:, None]
    token_ids = rng.integers(4, vocabulary_size, size=padding_mask.shape).astype("int32")
    token_ids[~padding_mask] = 1
    x = {"token_ids": token_ids, "padding_mask": padding_mask}
    if has_languages:
        x["language_ids"] = rng.integers(0, num_languages, size=token_ids.shape).astype("int32")
    return x


def _labels(task, x, seed=0):
    rng = np.random.default_rng(seed)
    if isinstance(task, XLMTextClassifier):
        return rng.integers(0, 3, size=len(LENGTHS))
    if isinstance(task, XLMTokenClassifier):
        return rng.integers(0, 3, size=x["token_ids"].shape)
    starts = rng.integers(0, np.array(LENGTHS))
    ends = np.minimum(starts + 1, np.array(LENGTHS) - 1)
    return np.stack([starts, ends], axis=1)


def _randomize_head(task, seed=2):
    """Non-trivial head weights, so that losing them would show."""
    backbone_weights = {id(w) for w in task.backbone.weights}
    rng = np.random.default_rng(seed)
    for weight in task.weights:
        if id(weight) not in backbone_weights:
            weight.assign(rng.normal(size=weight.shape).astype("float32"))


@pytest.mark.parametrize("preset", ["xlm_tiny", "xlm_roberta_tiny"])
@pytest.mark.parametrize("task_cls", TASKS)
def test_output_shapes(task_cls, preset):
    task = _task(task_cls, preset)
    x = _batch(task.backbone.has_language_embedding)
    logits = task(x)
    batch, length = x["token_ids"].shape
    expected = {
        XLMTextClassifier: (batch, 3),
        XLMTokenClassifier: (batch, length, 3),
        XLMSpanQA: (batch, 2, length),
    }[task_cls]
    assert tuple(logits.shape) == expected
    assert logits.dtype == "float32"


def test_classifier_heads():
    assert XLMTextClassifier.from_preset("xlm_tiny", num_classes=2).head == "xlm"
    roberta = XLMTextClassifier.from_preset("xlm_roberta_tiny", num_classes=2)
    assert roberta.head == "roberta"
    assert roberta.pooled_dense.units == roberta.backbone.hidden_dim
    xlm_style = XLMTextClassifier.from_preset("xlm_roberta_tiny", num_classes=2, head="xlm")
    assert xlm_style.pooled_dense is None
    with pytest.raises(ValueError, match="head='bert'"):
        XLMTextClassifier.from_preset("xlm_tiny", num_classes=2, head="bert")


@pytest.mark.parametrize("head", ["xlm", "roberta"])
def test_mean_pooling_against_numpy(head):
    task = XLMTextClassifier.from_preset(
        "xlm_roberta_tiny", num_classes=3, head=head, pooling="mean"
    )
    _randomize_head(task)
    x = _batch(has_languages=False)
    hidden = np.asarray(task.backbone(x))
    mask = x["padding_mask"][..., None]
    pooled = (hidden * mask).sum(1) / mask.sum(1)
    if head == "roberta":
        pooled = np.tanh(pooled @ task.pooled_dense.kernel.numpy() + task.pooled_dense.bias.numpy())
    logits = pooled @ task.output_dense.kernel.numpy() + task.output_dense.bias.numpy()
    np.testing.assert_allclose(task(x), logits, rtol=1e-5, atol=1e-5)
    with pytest.raises(ValueError, match="pooling='max'"):
        XLMTextClassifier.from_preset("xlm_tiny", num_classes=2, pooling="max")


def test_language_centering_shifts_each_language(tmp_path):
    backbone = XLMBackbone(
        **dict(presets.backbone_config("xlm_tiny", False), use_language_embedding=False)
    )
    centered = XLMTextClassifier(backbone, 3, pooling="mean", language_centering=True)
    _randomize_head(centered)
    x = _batch(has_languages=True)
    with pytest.raises(ValueError, match="centers languages and needs `language_ids`"):
        centered({k: v for k, v in x.items() if k != "language_ids"})
    means = {i: np.full(backbone.hidden_dim, i, "float32") for i in range(4)}
    centered.centering.set_shifts(means, train_language_id=2)
    shifts = centered.centering.shifts.numpy()
    np.testing.assert_array_equal(shifts[:, 0], [2, 1, 0, -1])

    pooled = centered.pooled(x).numpy() + shifts[x["language_ids"][:, 0]]
    logits = pooled @ centered.output_dense.kernel.numpy() + centered.output_dense.bias.numpy()
    np.testing.assert_allclose(centered(x), logits, rtol=1e-5, atol=1e-5)
    centered.save_to_preset(str(tmp_path / "preset"))
    np.testing.assert_array_equal(load_model(str(tmp_path / "preset"))(x), centered(x))


@pytest.mark.parametrize("task_cls", TASKS)
def test_language_id_rules(task_cls):
    with pytest.raises(ValueError, match="needs `language_ids`"):
        _task(task_cls, "xlm_tiny")(_batch(has_languages=False))
    with pytest.raises(ValueError, match="no language embeddings"):
        _task(task_cls, "xlm_roberta_tiny")(_batch(has_languages=True))


def test_span_qa_masks_padding():
    task = XLMSpanQA.from_preset("xlm_roberta_tiny")
    x = _batch(has_languages=False)
    logits = np.asarray(task(x))
    padding = ~x["padding_mask"][:, None, :].repeat(2, axis=1)
    assert np.all(logits[padding] == PADDING_LOGIT)
    assert np.all(np.abs(logits[~padding]) < 1e3)
    # Real positions do not depend on what the padding holds.
    x_other = dict(x, token_ids=np.where(x["padding_mask"], x["token_ids"], 7))
    np.testing.assert_allclose(np.asarray(task(x_other))[~padding], logits[~padding], atol=1e-5)


@pytest.mark.parametrize("task_cls", [XLMTextClassifier, XLMTokenClassifier])
def test_label_names(task_cls):
    assert _task(task_cls, "xlm_tiny").label_names == ["0", "1", "2"]
    task = _task(task_cls, "xlm_tiny", label_names=tuple(LABEL_NAMES))
    assert task.label_names == LABEL_NAMES
    assert task.get_config()["label_names"] == LABEL_NAMES
    backbone = task.backbone
    for bad, match in [
        (dict(num_classes=0), "num_classes=0"),
        (dict(num_classes=2.5), "num_classes=2.5"),
        (dict(num_classes=True), "num_classes=True"),
        (dict(num_classes=2, label_names=LABEL_NAMES), "2 classes.*received 3"),
        (dict(num_classes=2, label_names=["a", "a"]), r"unique; \['a'\]"),
        (dict(num_classes=2, label_names=["a", 1]), "must be strings"),
    ]:
        with pytest.raises(ValueError, match=match):
            task_cls(backbone, **bad)


@pytest.mark.slow
def test_default_compile_fits_out_of_the_box():
    task = XLMTextClassifier.from_preset("xlm_tiny", num_classes=3)
    assert isinstance(task.optimizer, keras.optimizers.AdamW)
    assert float(task.optimizer.learning_rate) == pytest.approx(2e-5)
    task.optimizer.learning_rate = 3e-3  # Tiny data: learn it in a few steps.
    x = _batch(has_languages=True)
    history = task.fit(x, _labels(task, x), epochs=20, batch_size=4, verbose=0)
    assert history.history["loss"][-1] < 0.5 * history.history["loss"][0]
    assert "sparse_categorical_accuracy" in history.history


@pytest.mark.slow
@pytest.mark.parametrize(
    "task_cls,preset", [(XLMTokenClassifier, "xlm_roberta_tiny"), (XLMSpanQA, "xlm_tiny")]
)
def test_fit_lowers_loss(task_cls, preset):
    task = _task(task_cls, preset)
    # Eager: a few steps cost less than tracing a training graph.
    task.compile(optimizer=keras.optimizers.Adam(1e-2), run_eagerly=True)
    x = _batch(task.backbone.has_language_embedding)
    sample_weight = x["padding_mask"].astype("float32") if task_cls is XLMTokenClassifier else None
    history = task.fit(
        x, _labels(task, x), sample_weight=sample_weight, epochs=8, batch_size=4, verbose=0
    )
    assert history.history["loss"][-1] < 0.5 * history.history["loss"][0]


@pytest.mark.parametrize(
    "task_cls,preset",
    [
        (XLMTextClassifier, "xlm_tiny"),
        (XLMTextClassifier, "xlm_roberta_tiny"),
        (XLMTokenClassifier, "xlm_tiny"),
        (XLMSpanQA, "xlm_roberta_tiny"),
    ],
)
def test_round_trips(task_cls, preset, tmp_path):
    kwargs = {} if task_cls is XLMSpanQA else dict(label_names=LABEL_NAMES)
    if task_cls is XLMTextClassifier and preset == "xlm_tiny":
        kwargs["pooling"] = "mean"
    task = _task(task_cls, preset, **kwargs)
    _randomize_head(task)
    x = _batch(task.backbone.has_language_embedding)
    expected = task(x)

    task.save(tmp_path / "task.keras")
    reloaded = keras.saving.load_model(tmp_path / "task.keras", safe_mode=True)
    np.testing.assert_array_equal(reloaded(x), expected)

    task.save_to_preset(str(tmp_path / "preset"))
    for loaded in (
        task_cls.from_preset(str(tmp_path / "preset")),
        load_model(str(tmp_path / "preset")),
    ):
        assert type(loaded) is task_cls
        np.testing.assert_array_equal(loaded(x), expected)
        if task_cls is not XLMSpanQA:
            assert loaded.label_names == LABEL_NAMES


@pytest.mark.parametrize("task_cls", [XLMTextClassifier, XLMTokenClassifier])
def test_num_classes_on_own_preset_gives_new_head(task_cls, tmp_path):
    task = _task(task_cls, "xlm_tiny", label_names=LABEL_NAMES)
    task.save_to_preset(str(tmp_path / "preset"))
    fresh = task_cls.from_preset(str(tmp_path / "preset"), num_classes=2)
    assert fresh.label_names == ["0", "1"]
    assert fresh.output_dense.units == 2
    _assert_same_weights(fresh.backbone, task.backbone)


def _assert_same_weights(a, b):
    for wa, wb in zip(a.weights, b.weights, strict=True):
        np.testing.assert_array_equal(wa, wb, err_msg=wa.path)


@pytest.fixture(scope="module")
def pretrained_dirs(tmp_path_factory, tokenizer_dir):
    """An XLMMaskedLM preset with a tokenizer (a pretraining run's
    `workdir/preset`) and a backbone-only preset, both with trained-looking
    (non-initial) backbone weights."""
    from xlm_keras.models import XLMTokenizer

    root = tmp_path_factory.mktemp("pretrained")
    keras.utils.set_random_seed(1)
    tokenizer = XLMTokenizer.from_preset(tokenizer_dir)
    # Sized to its tokenizer (ids and languages), as a pretraining run writes it.
    config = dict(
        presets.backbone_config("xlm_tiny", False),
        vocabulary_size=tokenizer.vocabulary_size(),
        num_languages=len(tokenizer.languages),
    )
    mlm = XLMMaskedLM(XLMBackbone(**config))
    mlm.save_to_preset(str(root / "mlm"))
    tokenizer.save_to_preset(str(root / "mlm"))
    backbone = XLMBackbone.from_preset("xlm_roberta_tiny")
    backbone.save_to_preset(str(root / "backbone"))
    return {"mlm": (str(root / "mlm"), mlm), "backbone": (str(root / "backbone"), backbone)}


@pytest.mark.parametrize("source", ["mlm", "backbone"])
@pytest.mark.parametrize("task_cls", TASKS)
def test_from_preset_of_pretrained_model(task_cls, source, pretrained_dirs):
    preset_dir, pretrained = pretrained_dirs[source]
    kwargs = {} if task_cls is XLMSpanQA else dict(num_classes=3, label_names=LABEL_NAMES)
    task = task_cls.from_preset(preset_dir, **kwargs)
    assert type(task) is task_cls
    _assert_same_weights(task.backbone, getattr(pretrained, "backbone", pretrained))
    if task_cls is not XLMSpanQA:
        assert task.label_names == LABEL_NAMES
    backbone = task.backbone
    x = _batch(backbone.has_language_embedding, 0, backbone.vocabulary_size, backbone.num_languages)
    assert np.all(np.isfinite(task(x)))


def test_from_preset_needs_num_classes_for_new_head(pretrained_dirs):
    with pytest.raises(TypeError, match="num_classes"):
        XLMTextClassifier.from_preset(pretrained_dirs["mlm"][0])
    assert os.path.isfile(os.path.join(pretrained_dirs["mlm"][0], "tokenizer.json"))
