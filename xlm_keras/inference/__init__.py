"""Inference speed without changing outputs: the backbone in fewer graph
ops (`encoder`), length-sorted slices of a batch (`length_slices`), and
task `predict` on raw text through both (`sliced_predict`). Core TensorFlow
ops only, so the serving signatures use them too."""
