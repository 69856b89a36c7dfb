"""XLM-R large: 24 x 1024, otherwise the XLM-R base recipe with a lower peak
learning rate."""

from configs.xlm_roberta_base import get_config as base_recipe


def get_config():
    config = base_recipe()
    config.model.init_from = "xlm_roberta_large"
    config.optimizer.learning_rate = 3e-4
    return config
