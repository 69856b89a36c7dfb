"""The run's Keras dtype policy (`train.mixed_precision`), set for the time
its models are built and trained, then put back."""

import contextlib
import functools

import keras


@contextlib.contextmanager
def precision_policy(name):
    """Keras' global dtype policy is `name` ("mixed_bfloat16",
    "mixed_float16"; "" keeps the current one) inside the block and what it
    was before after it. Layers take the policy when they are built, so
    every model of the run is built inside the block."""
    previous = keras.mixed_precision.global_policy()
    if name:
        keras.mixed_precision.set_global_policy(name)
    try:
        yield
    finally:
        keras.mixed_precision.set_global_policy(previous)


def under_run_policy(run_fn):
    """Decorates a `run(config, ...)` function so that all of it (models
    built, trained, reloaded) runs inside
    `precision_policy(config.train.mixed_precision)`."""

    @functools.wraps(run_fn)
    def run_with_policy(config, *args, **kwargs):
        with precision_policy(config.train.mixed_precision):
            return run_fn(config, *args, **kwargs)

    return run_with_policy
