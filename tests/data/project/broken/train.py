from torch import nn

from good_model import Net


def step(x, y):
    return nn.BCELoss()(Net()(x), y)  # expect: SL303
