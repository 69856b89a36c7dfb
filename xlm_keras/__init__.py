"""xlm-keras: the XLM family of cross-lingual language models in Keras 3."""

import os

from xlm_keras.native_stderr import start_up_lines_held

os.environ.setdefault("KERAS_BACKEND", "tensorflow")

with start_up_lines_held():  # TensorFlow's C++ start-up lines, which no log level hides.
    import keras
    import tensorflow as tf

    # The first device use (absl's `app.run` lists them before `main`).
    tf.config.list_physical_devices()

if keras.backend.backend() != "tensorflow":
    raise ImportError(
        "xlm_keras runs on Keras' TensorFlow backend, but Keras was loaded with "
        f"the {keras.backend.backend()!r} backend. Set KERAS_BACKEND=tensorflow "
        "before importing keras."
    )

from xlm_keras import convert  # noqa: E402
from xlm_keras.convert import export_transformers  # noqa: E402
from xlm_keras.models import XLMBackbone  # noqa: E402
from xlm_keras.models import XLMBeamSampler  # noqa: E402
from xlm_keras.models import XLMCausalLM  # noqa: E402
from xlm_keras.models import XLMCausalLMPreprocessor  # noqa: E402
from xlm_keras.models import XLMMaskedLM  # noqa: E402
from xlm_keras.models import XLMMaskedLMPreprocessor  # noqa: E402
from xlm_keras.models import XLMSeq2SeqBackbone  # noqa: E402
from xlm_keras.models import XLMSeq2SeqLM  # noqa: E402
from xlm_keras.models import XLMSeq2SeqLMPreprocessor  # noqa: E402
from xlm_keras.models import XLMSpanQA  # noqa: E402
from xlm_keras.models import XLMSpanQAPreprocessor  # noqa: E402
from xlm_keras.models import XLMTextClassifier  # noqa: E402
from xlm_keras.models import XLMTextClassifierPreprocessor  # noqa: E402
from xlm_keras.models import XLMTokenClassifier  # noqa: E402
from xlm_keras.models import XLMTokenClassifierPreprocessor  # noqa: E402
from xlm_keras.models import XLMTokenizer  # noqa: E402
from xlm_keras.models import load_model  # noqa: E402
from xlm_keras.models import train_tokenizer  # noqa: E402
from xlm_keras.models.presets import PRESETS  # noqa: E402

__version__ = "0.1.0"
