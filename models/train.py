"""``python -m models.train`` (and ``torchrun ... -m models.train``): the transformer's trainer, models/transformer/train.py."""

import runpy

if __name__ == "__main__":
    runpy.run_module("models.transformer.train", run_name="__main__", alter_sys=True)
