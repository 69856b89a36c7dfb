"""Post-hoc language centering of pooled sentence vectors."""

import keras
from keras import ops


@keras.saving.register_keras_serializable(package="xlm_keras")
class LanguageCentering(keras.layers.Layer):
    """Moves each language's mean sentence vector onto the training
    language's: `pooled + shifts[language]` (Libovický et al. 2020, "On the
    Language Neutrality of Pre-trained Multilingual Representations").

    The shifts are not trained; they start at zero (the identity) and are
    set from unlabelled text with `set_shifts` after fine-tuning:
    `shifts[l] = mean(train language) - mean(l)`.

    Args:
        num_languages: int. Rows of the shift table (the tokenizer's
            language ids).

    Call arguments:
        pooled: float [batch, hidden].
        language_ids: int [batch, seq]; the first token's id is the row's.

    Returns: float [batch, hidden].
    """

    def __init__(self, num_languages, **kwargs):
        super().__init__(**kwargs)
        self.num_languages = int(num_languages)

    def build(self, pooled_shape, language_ids_shape=None):
        self.shifts = self.add_weight(
            name="shifts",
            shape=(self.num_languages, pooled_shape[-1]),
            initializer="zeros",
            trainable=False,
        )

    def call(self, pooled, language_ids):
        return pooled + ops.cast(ops.take(self.shifts, language_ids[:, 0], axis=0), pooled.dtype)

    def compute_output_shape(self, pooled_shape, language_ids_shape=None):
        # Explicit: Keras' fallback traces `call` inside a StatelessScope,
        # whose exit initialises every deferred variable in the process.
        return pooled_shape

    def set_shifts(self, means, train_language_id):
        """Shift every language with a mean onto `train_language_id`'s.

        Args:
            means: dict language id -> float [hidden], the mean pooled vector
                of unlabelled text in that language (from the model being
                centered). Languages without one keep their shift.
            train_language_id: int, a key of `means`.
        """
        shifts = ops.convert_to_numpy(self.shifts).copy()
        for language_id, mean in means.items():
            shifts[language_id] = means[train_language_id] - mean
        self.shifts.assign(shifts)

    def get_config(self):
        return {**super().get_config(), "num_languages": self.num_languages}
