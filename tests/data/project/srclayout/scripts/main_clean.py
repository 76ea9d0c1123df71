from torch import nn

from mylib.network import build_logits


class Trainer:
    def __init__(self):
        self.model = build_logits(32)
        self.criterion = nn.CrossEntropyLoss()

    def loss(self, x, y):
        return self.criterion(self.model(x), y)
