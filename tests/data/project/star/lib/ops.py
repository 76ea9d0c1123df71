import torch.nn.functional as F

__all__ = ["probabilities", "log_probabilities"]


def probabilities(z):
    return F.softmax(z, dim=-1)


def log_probabilities(z):
    return F.log_softmax(z, dim=-1)
