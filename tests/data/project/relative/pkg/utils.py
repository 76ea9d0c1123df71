import torch


def scores(logits):
    probs = torch.softmax(logits, dim=-1)
    return probs


def log_scores(logits):
    return torch.log_softmax(logits, dim=-1)
