"""AdamW with XLM/BERT conventions and a warm-up/decay schedule."""

import keras
from keras import ops

DECAYS = ("linear", "inverse_sqrt", "constant")
NO_DECAY_NAMES = ["bias", "gamma", "beta", "layer_norm", "embeddings_layer_norm"]


@keras.saving.register_keras_serializable(package="xlm_keras")
class WarmupDecay(keras.optimizers.schedules.LearningRateSchedule):
    """Linear warm-up to `peak`, then linear decay to 0 at `total_steps`,
    inverse square-root decay (XLM's `inverse_sqrt`), or constant.

    lr(s) = peak * s / warmup                      for s < warmup
          = peak * (total - s) / (total - warmup)  linear
          = peak * sqrt(warmup / s)                inverse_sqrt
    """

    def __init__(self, peak, warmup_steps, total_steps, decay="linear"):
        if decay not in DECAYS:
            raise ValueError(f"Unknown decay {decay!r}; choose one of {DECAYS}.")
        self.peak = peak
        self.warmup_steps = warmup_steps
        self.total_steps = total_steps
        self.decay = decay

    def __call__(self, step):
        step = ops.cast(step, "float32")
        warmup = float(max(self.warmup_steps, 1))
        warm = self.peak * step / warmup
        if self.decay == "linear":
            span = float(max(self.total_steps - self.warmup_steps, 1))
            after = self.peak * ops.maximum(self.total_steps - step, 0.0) / span
        elif self.decay == "inverse_sqrt":
            after = self.peak * ops.sqrt(warmup / ops.maximum(step, 1.0))
        else:
            after = ops.convert_to_tensor(self.peak, "float32")
        return ops.where(step < self.warmup_steps, warm, after)

    def get_config(self):
        return {
            "peak": self.peak,
            "warmup_steps": self.warmup_steps,
            "total_steps": self.total_steps,
            "decay": self.decay,
        }


class ScaledAdamW(keras.optimizers.AdamW):
    """AdamW whose step size is scaled per variable, e.g. a fine-tuning head
    that learns faster than the pretrained encoder (XLM's separate learning
    rates). Weight decay stays at the base learning rate.

    Args:
        learning_rate_multipliers: dict variable path -> factor on the
            learning rate (other variables: 1).
        **kwargs: `keras.optimizers.AdamW` arguments.
    """

    def __init__(self, learning_rate_multipliers=None, **kwargs):
        super().__init__(**kwargs)
        self.learning_rate_multipliers = dict(learning_rate_multipliers or {})

    def build(self, var_list):
        super().build(var_list)
        self._multipliers = [
            float(self.learning_rate_multipliers.get(v.path, 1.0)) for v in var_list
        ]

    def update_step(self, gradient, variable, learning_rate):
        factor = self._multipliers[self._get_variable_index(variable)]
        super().update_step(gradient, variable, learning_rate * factor)


def create_optimizer(
    learning_rate,
    *,
    warmup_steps,
    total_steps,
    decay="linear",
    weight_decay=0.01,
    beta_1=0.9,
    beta_2=0.98,
    epsilon=1e-6,
    learning_rate_multipliers=None,
):
    """AdamW without weight decay on biases and LayerNorm parameters.

    Gradient clipping is done by the training step on the gradients summed
    over replicas (an optimizer's own clipping would see per-replica parts).
    `learning_rate_multipliers` (variable path -> factor) scales the
    learning rate of some variables (see `ScaledAdamW`).
    """
    optimizer = ScaledAdamW(
        learning_rate_multipliers=learning_rate_multipliers,
        learning_rate=WarmupDecay(learning_rate, warmup_steps, total_steps, decay),
        weight_decay=weight_decay,
        beta_1=beta_1,
        beta_2=beta_2,
        epsilon=epsilon,
    )
    optimizer.exclude_from_weight_decay(var_names=NO_DECAY_NAMES)
    return optimizer


def optimizer_from_config(optimizer_config, *, total_steps, learning_rate_multipliers=None):
    """`create_optimizer` with the settings of a config's `optimizer` section
    (`training.config.optimizer_config`)."""
    return create_optimizer(
        optimizer_config.learning_rate,
        warmup_steps=optimizer_config.warmup_steps,
        total_steps=total_steps,
        decay=optimizer_config.decay,
        weight_decay=optimizer_config.weight_decay,
        beta_1=optimizer_config.beta_1,
        beta_2=optimizer_config.beta_2,
        epsilon=optimizer_config.epsilon,
        learning_rate_multipliers=learning_rate_multipliers,
    )
