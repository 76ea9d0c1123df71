import torch


def log_confidence(logits):
    return torch.log_softmax(logits, dim=-1)
