import torch

__all__ = ["confidence"]


def confidence(logits):
    return torch.softmax(logits, dim=-1)


def _sharpen(logits):
    return torch.softmax(logits * 2, dim=-1)
