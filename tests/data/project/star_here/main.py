import torch

from helpers import *


def report(logits):
    return torch.log(confidence(logits))  # expect: SL203
