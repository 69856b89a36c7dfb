"""The training engine shared by pretraining and fine-tuning: strategy
factory, optimizer and schedule, the compiled train step, the loop
(checkpoints, resume, TensorBoard, best-model keeping) and the config
sections both use."""
