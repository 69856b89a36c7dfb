"""One distributed optimisation step for the LM tasks (custom loop, the TF
Model Garden / Orbit way: `strategy.run` inside a `tf.function`).

A batch is a dict:
    x: the task's inputs (see `XLMMaskedLM` / `XLMCausalLM` and the
        fine-tuning tasks).
    labels: int32 [batch, ...] (e.g. [batch, targets]; [batch] for
        classification); sample_weight: float32, the labels' shape (0 where
        there is no target); language: int32 [batch], the language index of
        each example for per-language metrics.

Loss = sum of target cross-entropies over all replicas and micro-batches /
sum of target weights over the same: identical on one device and on N
replicas with the same global batch. With label smoothing `e` each target's
cross-entropy is against `(1 - e) * one_hot + e / classes` (keras'
`CategoricalCrossentropy(label_smoothing=e)`).
"""

import keras
import tensorflow as tf


def _per_example(values):
    """float [batch, ...] -> [batch]: sums over all but the first axis."""
    return tf.reduce_sum(tf.reshape(values, [tf.shape(values)[0], -1]), axis=1)


def _sparse_cross_entropy(labels, logits):
    """float32 labels' shape: `tf.nn.sparse_softmax_cross_entropy_with_logits`
    on the targets flattened to rows. Given logits of another rank, or of an
    unknown batch or length, it adds a runtime shape Assert, which XLA
    drops with a warning at every compile."""
    flat = tf.nn.sparse_softmax_cross_entropy_with_logits(
        labels=tf.reshape(labels, [-1]), logits=tf.reshape(logits, [-1, tf.shape(logits)[-1]])
    )
    return tf.reshape(flat, tf.shape(labels))


def target_losses(labels, logits, label_smoothing=0.0):
    """Cross-entropy of each target, float32 labels' shape, from int labels
    and float32 logits [..., classes]; smoothed towards uniform by
    `label_smoothing` (0: exactly the sparse cross-entropy)."""
    losses = _sparse_cross_entropy(labels, logits)
    if not label_smoothing:
        return losses
    # -sum_k smoothed_k log p_k = (1 - e) * nll + e * mean_k(-log p_k).
    uniform = -tf.reduce_mean(tf.nn.log_softmax(logits), axis=-1)
    return (1.0 - label_smoothing) * losses + label_smoothing * uniform


def _squared_norm(gradient):
    """Sum of squares of a gradient's dense value. `IndexedSlices` repeat an
    index once per lookup (and once per replica after an all-reduce): their
    rows are summed per index first, as the dense gradient would be."""
    if isinstance(gradient, tf.IndexedSlices):
        indices, position = tf.unique(gradient.indices)
        gradient = tf.math.unsorted_segment_sum(gradient.values, position, tf.size(indices))
    return tf.reduce_sum(tf.square(gradient))


def _scale(gradient, factor):
    """`gradient * factor`, an `IndexedSlices` staying sparse."""
    if isinstance(gradient, tf.IndexedSlices):
        return tf.IndexedSlices(gradient.values * factor, gradient.indices, gradient.dense_shape)
    return gradient * factor


class TrainStep:
    """Builds the compiled multi-step training function.

    Args:
        strategy: the `tf.distribute.Strategy` the model was built under.
        model: a task whose logits end in the class axis (`XLMMaskedLM`,
            `XLMCausalLM`, the fine-tuning tasks).
        optimizer: a Keras optimizer (`LossScaleOptimizer` for float16).
        num_languages: size of the per-language metric vectors.
        clip_norm: global gradient-norm clip (after summing replicas); 0: none.
        accumulation_steps: micro-batches per optimizer step.
        jit_compile: compile with XLA: under `OneDeviceStrategy` the whole
            step (every micro-batch's forward/backward, scaling, clipping,
            the optimizer update, the metrics) as one program; under several
            replicas the forward/backward pass (the replicas' all-reduce and
            the optimizer's cross-replica update stay outside XLA).
        label_smoothing: float in [0, 1); 0 is plain cross-entropy.
        batch_transforms: optional dict objective -> `fn(batch) -> batch`,
            run on each replica's micro-batch inside the step, before the
            forward pass, when `run` is called with that objective (e.g.
            online back-translation, which needs the current weights).
    """

    def __init__(
        self,
        strategy,
        model,
        optimizer,
        *,
        num_languages,
        clip_norm=1.0,
        accumulation_steps=1,
        jit_compile=False,
        label_smoothing=0.0,
        batch_transforms=None,
    ):
        self.strategy = strategy
        self.model = model
        self.optimizer = optimizer
        self.num_languages = num_languages
        self.clip_norm = clip_norm
        self.accumulation_steps = accumulation_steps
        self.label_smoothing = label_smoothing
        self.batch_transforms = batch_transforms or {}
        # Slot variables must exist before the first distributed step.
        with strategy.scope():
            optimizer.build(model.trainable_variables)
        # One device: nothing crosses replicas, so XLA can fuse the optimizer
        # update (many small element-wise ops per variable) with the backward
        # pass instead of running them one by one.
        whole_step = jit_compile and isinstance(strategy, tf.distribute.OneDeviceStrategy)
        # No AutoGraph: the step has no tensor-dependent Python control flow,
        # and converting every Keras / keras-hub call it reaches took about a
        # third of a small run's start-up.
        self._gradients = (
            self._local_gradients
            if whole_step
            else tf.function(self._local_gradients, jit_compile=jit_compile, autograph=False)
        )
        self._step = (
            tf.function(self._replica_step, jit_compile=True, autograph=False)
            if whole_step
            else tf.autograph.experimental.do_not_convert(self._replica_step)
        )
        # Embedding lookups give `IndexedSlices` (rows of the looked-up ids).
        # Micro-batches need dense gradients to be summed, and XLA densifies
        # inside its program anyway (its scatter fuses; `tf.unique` does not
        # compile); otherwise they stay sparse through the all-reduce, the
        # clip and the scaling (replicas exchange rows, not tables) and are
        # densified once, for the optimizer: Keras' Adam given
        # `IndexedSlices` would update its moments only at those rows.
        self._dense_gradients = accumulation_steps > 1 or whole_step
        self.run = tf.function(self._run, autograph=False)

    def _loss_scale(self):
        if isinstance(self.optimizer, keras.optimizers.LossScaleOptimizer):
            return tf.cast(self.optimizer.dynamic_scale, tf.float32)
        return tf.constant(1.0)

    def _local_gradients(self, batch, objective=None):
        """Gradients of this replica's summed target loss, and metric sums."""
        if objective in self.batch_transforms:
            batch = self.batch_transforms[objective](batch)
        labels = batch["labels"]
        weights = tf.cast(batch["sample_weight"], tf.float32)
        with tf.GradientTape() as tape:
            logits = self.model(batch["x"], training=True)
            losses = target_losses(labels, tf.cast(logits, tf.float32), self.label_smoothing)
            loss_sum = tf.reduce_sum(losses * weights)
            scaled = loss_sum * self._loss_scale()
        grads = tape.gradient(scaled, self.model.trainable_variables)
        if self._dense_gradients:
            grads = [tf.convert_to_tensor(g) for g in grads]
        correct = tf.cast(tf.argmax(logits, -1, output_type=tf.int32) == labels, tf.float32)
        language = batch["language"]
        metrics = {
            "loss_sum": tf.math.unsorted_segment_sum(
                _per_example(losses * weights), language, self.num_languages
            ),
            "correct": tf.math.unsorted_segment_sum(
                _per_example(correct * weights), language, self.num_languages
            ),
            "targets": tf.math.unsorted_segment_sum(
                _per_example(weights), language, self.num_languages
            ),
            # Real tokens of every input sequence (seq2seq: source and target).
            "tokens": tf.add_n(
                [
                    tf.reduce_sum(tf.cast(mask, tf.float32))
                    for name, mask in sorted(batch["x"].items())
                    if name.endswith("padding_mask")
                ]
            ),
        }
        return grads, metrics

    def _replica_step(self, batches, objective, loss_weight):
        grads, metrics = self._gradients(batches[0], objective)
        for batch in batches[1:]:
            more_grads, more = self._gradients(batch, objective)
            grads = [g + h for g, h in zip(grads, more_grads)]
            metrics = {k: metrics[k] + more[k] for k in metrics}
        context = tf.distribute.get_replica_context()
        grads = context.all_reduce(tf.distribute.ReduceOp.SUM, grads)
        total_weight = context.all_reduce(
            tf.distribute.ReduceOp.SUM, tf.reduce_sum(metrics["targets"])
        )
        # The mean gradient is grads / (targets * loss scale). The optimizer
        # removes the loss scale itself and sums over replicas again, so each
        # replica hands it grads * clip / (targets * replicas): one multiply
        # per gradient for the mean, the clip and the replica share.
        total_weight = tf.maximum(total_weight, 1.0)
        # loss_weight multiplies the loss, so the clip sees its gradient.
        factor = loss_weight / (total_weight * float(self.strategy.num_replicas_in_sync))
        if self.clip_norm:
            norm = (
                loss_weight
                * tf.sqrt(tf.add_n([_squared_norm(g) for g in grads]))
                / (total_weight * self._loss_scale())
            )
            factor *= tf.minimum(1.0, self.clip_norm / norm)
        self.optimizer.apply(
            [tf.convert_to_tensor(_scale(g, factor)) for g in grads], self.model.trainable_variables
        )
        return metrics

    def _run(self, iterator, num_steps, objective=None, loss_weight=None):
        """Run `num_steps` optimizer steps of `objective` (a Python string,
        which picks its batch transform), its loss multiplied by
        `loss_weight` (float32 scalar tensor; None: 1); returns metric sums
        (of the unweighted loss) over them."""
        loss_weight = tf.constant(1.0) if loss_weight is None else loss_weight
        totals = {
            "loss_sum": tf.zeros([self.num_languages]),
            "correct": tf.zeros([self.num_languages]),
            "targets": tf.zeros([self.num_languages]),
            "tokens": tf.constant(0.0),
        }

        def one_step(done, totals):
            batches = [next(iterator) for _ in range(self.accumulation_steps)]
            per_replica = self.strategy.run(self._step, args=(batches, objective, loss_weight))
            return done + 1, {
                key: totals[key]
                + self.strategy.reduce(tf.distribute.ReduceOp.SUM, per_replica[key], axis=None)
                for key in totals
            }

        _, totals = tf.while_loop(
            lambda done, _: done < num_steps, one_step, (tf.constant(0), totals)
        )
        return totals
