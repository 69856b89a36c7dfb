"""Pretraining recipe for the zero-shot transfer demo (README, "Zero-shot
transfer"): MLM + TLM (one MLM step to two TLM steps) on the full cached
LibreOffice corpus, 4 layers x 128, no language embeddings (as XLM-R):
`configs/demo_mlm_tlm.py` at another size, longer.
About 38 minutes on 2 CPU cores (the README run); then fine-tune with
configs/finetune_help_topic.py.

  xlm-train --config=configs/demo_transfer.py --workdir=/tmp/pretrain \\
      --config.data.corpus_dir=~/.cache/xlm_keras/corpus
"""

from xlm_keras.config_files import load_config_file

demo_mlm_tlm = load_config_file("demo_mlm_tlm.py", relative_to=__file__)


def get_config():
    config = demo_mlm_tlm.get_config()
    config.model.update(init_from="xlm_mini", use_language_embedding=False)
    config.data.update(vocabulary_size=8000, batch_size=64)
    config.objectives.tlm.weight = 2.0
    config.optimizer.update(learning_rate=1e-3, warmup_steps=200)
    config.train.num_steps = 3600
    return config
