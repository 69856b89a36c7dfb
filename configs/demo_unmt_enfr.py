"""Unsupervised translation recipe, step 2 of 2: en<->fr from monolingual text
only (XLM's denoising `ae` + online back-translation `bt`), initialised from
step 1 (`configs/demo_unmt_pretrain.py`). The monolingual sentences are the
halves that step 1 read (`data.monolingual=halves`); BLEU and chrF on the
test split, with the copy baseline, end in `workdir/translation.json`:

  xlm-train --config=configs/demo_unmt_enfr.py --workdir=$W/unmt \\
      --config.model.init_from=$W/unmt_pre/preset
"""

from xlm_keras.config_files import load_config_file

unmt_enfr = load_config_file("unmt_enfr.py", relative_to=__file__)
FULL_CORPUS = load_config_file("demo_mt_pretrain.py", relative_to=__file__).FULL_CORPUS


def get_config():
    config = unmt_enfr.get_config()
    config.data.update(corpus_dir=FULL_CORPUS, source_length=64, target_length=64, batch_size=32)
    config.optimizer.update(learning_rate=1e-3, warmup_steps=200)
    # ae alone for the first 400 steps (learn to reconstruct before back-translating), then
    # ae + bt, ae's loss decaying to 0.1 (XLM's lambda_ae; docs/translation.md has the curves).
    config.objectives.bt.lambda_schedule = "0:0,399:0,400:1"
    config.objectives.ae.lambda_schedule = "0:1,400:1,2000:0.1"
    # chrF tells weak models apart where BLEU is near 0 (see translation.validation_metric).
    config.translation.validation_metric = "chrf"
    config.train.update(num_steps=2000, eval_every=250, checkpoint_every=250)
    return config
