"""Choose the tf.distribute strategy once, at the top of a program."""

import json
import os

import tensorflow as tf
from absl import logging

STRATEGIES = ("auto", "one_device", "mirrored", "multi_worker", "tpu")


def create_strategy(name="auto", tpu=None):
    """Build a `tf.distribute.Strategy`.

    Args:
        name: `"auto"` (TPU if `tpu` is given, several workers if `TF_CONFIG`
            names them, all GPUs if more than one, else one device),
            `"one_device"`, `"mirrored"` (all local GPUs, or the CPU),
            `"multi_worker"` (`MultiWorkerMirroredStrategy` from `TF_CONFIG`)
            or `"tpu"`.
        tpu: TPU name or `grpc://` address (`"local"` on a TPU VM).

    Returns: the strategy; build models and optimizers in its `scope()`.
    """
    if name not in STRATEGIES:
        raise ValueError(f"Unknown strategy {name!r}; choose one of {STRATEGIES}.")
    if name == "auto":
        name = _auto(tpu)
    logging.info("Distribution strategy: %s", name)
    if name == "tpu":
        return _tpu_strategy(tpu)
    if name == "multi_worker":
        if "TF_CONFIG" not in os.environ:
            raise ValueError(
                "strategy=multi_worker needs TF_CONFIG with the cluster and this "
                'worker\'s task, e.g. {"cluster": {"worker": ["host1:port", '
                '"host2:port"]}, "task": {"type": "worker", "index": 0}}.'
            )
        return tf.distribute.MultiWorkerMirroredStrategy()
    if name == "mirrored":
        gpus = tf.config.list_logical_devices("GPU")
        devices = [d.name for d in gpus] or [d.name for d in tf.config.list_logical_devices("CPU")]
        return tf.distribute.MirroredStrategy(devices)
    gpus = tf.config.list_logical_devices("GPU")
    return tf.distribute.OneDeviceStrategy(gpus[0].name if gpus else "/cpu:0")


def _auto(tpu):
    if tpu:
        return "tpu"
    workers = json.loads(os.environ.get("TF_CONFIG", "{}")).get("cluster", {}).get("worker", [])
    if len(workers) > 1:
        return "multi_worker"
    if len(tf.config.list_logical_devices("GPU")) > 1:
        return "mirrored"
    return "one_device"


def _tpu_strategy(tpu):
    try:
        resolver = tf.distribute.cluster_resolver.TPUClusterResolver(tpu=tpu or "")
        tf.config.experimental_connect_to_cluster(resolver)
        tf.tpu.experimental.initialize_tpu_system(resolver)
    except (ValueError, tf.errors.OpError, RuntimeError) as error:
        raise RuntimeError(
            f"No TPU found at tpu={tpu!r} ({type(error).__name__}: {error}). On a "
            "TPU VM pass --tpu=local; on a TPU node pass its name or "
            "grpc://address; without a TPU use --strategy=auto."
        ) from error
    return tf.distribute.TPUStrategy(resolver)
