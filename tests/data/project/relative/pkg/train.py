import torch
import torch.nn.functional as F
from torch import nn

from . import utils
from .model import Net


def step(x, y):
    model = Net()
    criterion = nn.BCELoss()
    return criterion(model(x), y)  # expect: SL303


def rank(z, y):
    loss = F.cross_entropy(utils.scores(z), y)  # expect: SL301
    return loss, torch.log(utils.scores(z))  # expect: SL203
