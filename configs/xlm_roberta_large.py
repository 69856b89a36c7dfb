"""XLM-R large: 24 x 1024, otherwise the XLM-R base recipe with a lower peak
learning rate."""

from xlm_keras.config_files import load_config_file

base_recipe = load_config_file("xlm_roberta_base.py", relative_to=__file__).get_config


def get_config():
    config = base_recipe()
    config.model.init_from = "xlm_roberta_large"
    config.optimizer.learning_rate = 3e-4
    return config
