"""Learning-rate schedule, weight-decay exclusions, objective mixing, config checks."""

import subprocess
import sys

import numpy as np
import pytest

from xlm_keras import XLMMaskedLM
from xlm_keras.pretraining import config as config_lib
from xlm_keras.training.optimizer import WarmupDecay
from xlm_keras.training.optimizer import create_optimizer
from xlm_keras.training.strategy import create_strategy
from xlm_keras.training.trainer import objective_schedule


def test_warmup_then_linear_and_inverse_sqrt():
    linear = WarmupDecay(1e-3, warmup_steps=10, total_steps=110, decay="linear")
    assert float(linear(0)) == 0.0
    assert float(linear(5)) == pytest.approx(5e-4)
    assert float(linear(10)) == pytest.approx(1e-3)
    assert float(linear(60)) == pytest.approx(5e-4)
    assert float(linear(110)) == pytest.approx(0.0)
    inverse = WarmupDecay(1e-3, warmup_steps=100, total_steps=10**6, decay="inverse_sqrt")
    assert float(inverse(400)) == pytest.approx(1e-3 * np.sqrt(100 / 400))


def test_no_weight_decay_on_biases_and_layer_norms():
    model = XLMMaskedLM.from_preset("xlm_tiny", compile=False)
    optimizer = create_optimizer(1e-3, warmup_steps=0, total_steps=10, weight_decay=0.1)
    optimizer.build(model.trainable_variables)
    decayed = {v.path for v in model.trainable_variables if optimizer._use_weight_decay(v)}
    assert decayed, "kernels and embeddings are decayed"
    for variable in model.trainable_variables:
        if variable.name in ("bias", "gamma", "beta", "output_bias"):
            assert variable.path not in decayed


def test_objective_schedule_alternates_by_weight():
    assert objective_schedule({"mlm": 1, "tlm": 1}, 4) == ["mlm", "tlm", "mlm", "tlm"]
    pattern = objective_schedule({"mlm": 2, "tlm": 1}, 6)
    assert pattern.count("mlm") == 4 and pattern.count("tlm") == 2
    assert objective_schedule({"mlm": 1, "tlm": 0}, 3) == ["mlm"] * 3


def test_config_errors_name_the_key():
    config = config_lib.base_config()
    config.train.checkpoint_every = 15
    config.objectives.clm.weight = 1.0
    config.model.init_from = "gpt2"
    with pytest.raises(ValueError) as error:
        config_lib.validate(config)
    message = str(error.value)
    for key in ("train.checkpoint_every", "objectives.clm.weight", "model.init_from"):
        assert key in message
    config_lib.validate(config_lib.base_config())


@pytest.mark.slow
@pytest.mark.parametrize("tpu", ["None", "'local'"])
def test_tpu_strategy_without_tpu_fails_clearly(tpu):
    """Runs the resolver and TPU initialisation for real, in a fresh process
    (a failed TPU initialisation leaves TensorFlow's context changed)."""
    code = (
        "from xlm_keras.training.strategy import create_strategy\n"
        f"try:\n    create_strategy('tpu', tpu={tpu})\n"
        "except RuntimeError as error:\n    print('ERROR:', error)\n"
    )
    result = subprocess.run(
        [sys.executable, "-c", code], capture_output=True, text=True, timeout=120
    )
    assert "ERROR: No TPU found" in result.stdout, result.stderr[-2000:]
    assert "--strategy=auto" in result.stdout


def test_multi_worker_without_tf_config_fails_clearly(monkeypatch):
    monkeypatch.delenv("TF_CONFIG", raising=False)
    with pytest.raises(ValueError, match="TF_CONFIG"):
        create_strategy("multi_worker")


def test_learning_rate_multipliers_scale_the_step_of_named_variables():
    """Adam's first step moves every weight by lr (gradient sign); a 10x
    multiplier moves the head's weight 10x as far."""
    import keras

    encoder = keras.Variable(np.ones([3], "float32"), name="encoder")
    head = keras.Variable(np.ones([3], "float32"), name="head")
    optimizer = create_optimizer(
        1e-3,
        warmup_steps=0,
        total_steps=10,
        decay="constant",
        weight_decay=0.0,
        learning_rate_multipliers={head.path: 10.0},
    )
    gradient = np.array([0.5, -2.0, 3.0], "float32")
    optimizer.apply([gradient, gradient], [encoder, head])
    encoder_step = 1.0 - np.asarray(encoder.value)
    head_step = 1.0 - np.asarray(head.value)
    np.testing.assert_allclose(encoder_step, 1e-3 * np.sign(gradient), rtol=1e-3)
    np.testing.assert_allclose(head_step, 10 * encoder_step, rtol=1e-4)
