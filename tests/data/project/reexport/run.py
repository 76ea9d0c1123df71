import torch.nn.functional as F

from models import Net

net = Net()


def loss(x, y):
    return F.binary_cross_entropy(net(x), y)  # expect: SL303
