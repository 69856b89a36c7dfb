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


def create_optimizer(learning_rate, warmup_steps, total_steps, decay="linear",
                     weight_decay=0.01, beta_1=0.9, beta_2=0.98, epsilon=1e-6):
    """AdamW without weight decay on biases and LayerNorm parameters.

    Gradient clipping is done by the training step on the gradients summed
    over replicas (an optimizer's own clipping would see per-replica parts).
    """
    optimizer = keras.optimizers.AdamW(
        learning_rate=WarmupDecay(learning_rate, warmup_steps, total_steps, decay),
        weight_decay=weight_decay,
        beta_1=beta_1,
        beta_2=beta_2,
        epsilon=epsilon,
    )
    optimizer.exclude_from_weight_decay(var_names=NO_DECAY_NAMES)
    return optimizer
