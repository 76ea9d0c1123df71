import numpy as np


def score(p):
    return np.log(np.prod(p, axis=-1))
