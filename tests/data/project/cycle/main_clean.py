import torch

from a import spin_a


def score(z):
    return torch.log(spin_a(z))
