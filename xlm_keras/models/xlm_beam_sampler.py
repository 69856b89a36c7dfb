"""`XLMBeamSampler`: beam search for translation, with finished hypotheses
and a length penalty."""

import keras
from keras import ops
from keras import tree
from keras_hub.samplers import Sampler

from xlm_keras.models.checks import check_int
from xlm_keras.models.checks import check_number


def check_beam_arguments(num_beams, length_penalty):
    """`(num_beams, length_penalty)` checked: an int >= 1 and a finite
    float >= 0 (NaN or a negative penalty would make every score NaN or
    favour the shortest hypothesis); the rules of `XLMBeamSampler`, the
    exporter and the configs."""
    return (
        check_int(num_beams, "num_beams", 1, hint=" (1: greedy)"),
        check_number(length_penalty, "length_penalty", low=0, hint=" (0: plain sum; 1: mean)"),
    )


@keras.saving.register_keras_serializable(package="xlm_keras")
class XLMBeamSampler(Sampler):
    """Beam search that keeps finished hypotheses (keras-hub's `BeamSampler`
    keeps extending a beam after its stop token and has no length penalty).

    Each row keeps `num_beams` hypotheses ranked by summed log-probability.
    A hypothesis that emits a stop token is finished: it only extends with
    `pad_token_id` at no cost, so it keeps its score and its slot. When all
    are finished (or the length is reached) each row returns the hypothesis
    with the best `sum log p / generated_length ** length_penalty`
    (Hugging Face's normalisation; 0 ranks by the plain sum). With
    `num_beams=1` this is greedy decoding.

    Args:
        num_beams: int >= 1.
        length_penalty: finite float >= 0. Exponent of the length
            normalisation.
        pad_token_id: int. Written after a hypothesis's stop token.

    Call arguments (keras-hub's sampler contract):
        next: `(prompt, cache, index) -> (logits [rows, vocab], hidden, cache)`.
        prompt: int [batch, max_length]; `mask` marks the given positions.
        cache: `(beam_state, shared)`: `beam_state` (e.g. self-attention
            keys and values) is reordered with the beams; `shared` (e.g. the
            encoder output) is the same for every beam of a row and only
            repeated. Leaves have the batch as first axis.
        index: int, the first position to generate.

    Returns: `(token_ids int [batch, max_length], scores float32 [batch])`,
    the score being the normalised log-probability of the returned row.
    """

    def __init__(self, num_beams=4, length_penalty=1.0, pad_token_id=1, **kwargs):
        num_beams, length_penalty = check_beam_arguments(num_beams, length_penalty)
        super().__init__(**kwargs)
        self.num_beams = num_beams
        self.length_penalty = length_penalty
        self.pad_token_id = pad_token_id

    def __call__(
        self,
        next,
        prompt,
        cache=None,
        index=0,
        mask=None,
        stop_token_ids=None,
        hidden_states=None,
        model=None,
    ):
        beams = self.num_beams
        batch_size, max_length = ops.shape(prompt)[0], ops.shape(prompt)[1]
        index = ops.cast(index, "int32")
        mask = ops.zeros_like(prompt, dtype="bool") if mask is None else ops.cast(mask, "bool")
        stop_ids = ops.convert_to_tensor(list(stop_token_ids or []), "int32")

        def repeat(x):
            return ops.repeat(x, beams, axis=0)

        beam_state, shared = cache
        prompt, mask = repeat(prompt), repeat(mask)
        beam_state = tree.map_structure(repeat, beam_state)
        shared = tree.map_structure(repeat, shared)
        # Only beam 0 is alive at first, so the first step picks distinct tokens.
        first = ops.convert_to_tensor([0.0] + [-1e9] * (beams - 1), "float32")
        log_probs = ops.reshape(ops.tile(first[None], [batch_size, 1]), [-1])
        finished = ops.zeros_like(log_probs, dtype="bool")
        lengths = ops.zeros_like(log_probs, dtype="int32")

        def cond(prompt, beam_state, index, log_probs, finished, lengths):
            return ops.logical_not(ops.all(finished))

        def body(prompt, beam_state, index, log_probs, finished, lengths):
            logits, _, (beam_state, _) = next(prompt, (beam_state, shared), index)
            step = ops.log_softmax(
                ops.cast(self.compute_probabilities_logits(logits), "float32"), axis=-1
            )
            vocabulary_size = ops.shape(step)[-1]
            # Finished rows may only add padding, given positions their token,
            # at no cost: one candidate each, not a pass over the vocabulary.
            forced_token = ops.where(
                finished, self.pad_token_id, ops.cast(prompt[:, index], "int32")
            )
            is_forced = ops.logical_or(finished, mask[:, index])
            free_scores = ops.where(is_forced, -1e9, log_probs)
            scores = ops.reshape(free_scores[:, None] + step, [-1, beams * vocabulary_size])
            free_top, free_indices = ops.top_k(scores, k=beams)
            # Candidates [batch, 2 * beams], the forced first (they win ties).
            forced_scores = ops.reshape(ops.where(is_forced, log_probs, -1e9), [-1, beams])
            forced_indices = ops.reshape(
                ops.arange(beams) * vocabulary_size + ops.reshape(forced_token, [-1, beams]),
                [-1, beams],
            )
            candidate_scores = ops.concatenate([forced_scores, free_top], axis=1)
            candidate_indices = ops.concatenate(
                [forced_indices, ops.cast(free_indices, "int32")], axis=1
            )
            top_scores, picked = ops.top_k(candidate_scores, k=beams)
            top_indices = ops.take_along_axis(candidate_indices, picked, axis=1)
            source_beam = ops.arange(batch_size)[:, None] * beams + top_indices // vocabulary_size
            source_beam = ops.reshape(source_beam, [-1])
            token = ops.cast(ops.reshape(top_indices % vocabulary_size, [-1]), prompt.dtype)

            def gather(x):
                return ops.take(x, source_beam, axis=0)

            prompt = ops.slice_update(gather(prompt), [0, index], token[:, None])
            if beams > 1:  # One beam: every row stays in place.
                beam_state = tree.map_structure(gather, beam_state)
            was_finished = gather(finished)
            was_given = gather(mask[:, index])
            lengths = gather(lengths) + ops.cast(
                ops.logical_not(ops.logical_or(was_finished, was_given)), "int32"
            )
            stopped = ops.any(ops.cast(token, "int32")[:, None] == stop_ids[None, :], axis=-1)
            finished = ops.logical_or(
                was_finished, ops.logical_and(stopped, ops.logical_not(was_given))
            )
            return (prompt, beam_state, index + 1, ops.reshape(top_scores, [-1]), finished, lengths)

        prompt, _, _, log_probs, _, lengths = self.run_loop(
            cond=cond,
            body=body,
            loop_vars=(prompt, beam_state, index, log_probs, finished, lengths),
            maximum_iterations=max_length - index,
            model=model,
        )
        normalised = log_probs / ops.power(
            ops.cast(ops.maximum(lengths, 1), "float32"), self.length_penalty
        )
        normalised = ops.reshape(normalised, [batch_size, beams])
        best = ops.argmax(normalised, axis=-1)
        rows = ops.arange(batch_size) * beams + ops.cast(best, "int32")
        return ops.take(prompt, rows, axis=0), ops.max(normalised, axis=-1)

    def compute_probabilities_logits(self, logits):
        """Logits scaled by the sampler's temperature."""
        return ops.cast(logits, "float32") / self.temperature

    def get_config(self):
        config = super().get_config()
        config.update(
            {
                "num_beams": self.num_beams,
                "length_penalty": self.length_penalty,
                "pad_token_id": self.pad_token_id,
            }
        )
        return config
