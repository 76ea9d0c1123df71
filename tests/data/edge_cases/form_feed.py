import numpy as np

def score(p):
    return np.log(np.prod(p, axis=-1))
def other(p):
    x = 1 # a form feed before a comment
    return np.log(np.prod(p, axis=-1))
