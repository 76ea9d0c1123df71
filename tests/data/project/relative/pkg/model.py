import torch
from torch import nn


class Net(nn.Module):
    """Ends in a sigmoid: its output is a probability."""

    def __init__(self):
        super().__init__()
        self.fc = nn.Linear(16, 1)

    def forward(self, x):
        return torch.sigmoid(self.fc(x))


class Logits(nn.Module):
    """Ends in a linear layer: its output is a logit."""

    def __init__(self):
        super().__init__()
        self.fc = nn.Linear(16, 1)

    def forward(self, x):
        return self.fc(x)
