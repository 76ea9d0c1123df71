import torch.nn.functional as F
from torch import nn

from .model import Logits
from .utils import log_scores


def step(x, y):
    model = Logits()
    criterion = nn.BCEWithLogitsLoss()
    return criterion(model(x), y)


def rank(z, y):
    return F.nll_loss(log_scores(z), y)
