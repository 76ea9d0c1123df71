import numpy as np
try:
    pass
except ValueError :
    pass
try:
    pass
except ValueError :
    pass
try:
    pass
except ValueError :
    pass
try:
    pass
except ValueError :
    pass
try:
    pass
except ValueError :
    pass
try:
    pass
except ValueError :
    pass
try:
    pass
except ValueError :
    pass
try:
    pass
except ValueError :
    pass
try:
    pass
except ValueError :
    pass
try:
    pass
except ValueError :
    pass
try:
    pass
except ValueError :
    pass
try:
    pass
except ValueError :
    pass
try:
    pass
except ValueError :
    pass
try:
    pass
except ValueError :
    pass
try:
    pass
except ValueError :
    pass
try:
    pass
except ValueError :
    pass
try:
    pass
except ValueError :
    pass
try:
    pass
except ValueError :
    pass
try:
    pass
except ValueError :
    pass
try:
    pass
except ValueError :
    pass
try:
    pass
except ValueError :
    pass
try:
    pass
except ValueError :
    pass
try:
    pass
except ValueError :
    pass
try:
    pass
except ValueError :
    pass
try:
    pass
except ValueError :
    pass
try:
    pass
except ValueError :
    pass
try:
    pass
except ValueError :
    pass
try:
    pass
except ValueError :
    pass
try:
    pass
except ValueError :
    pass
try:
    pass
except ValueError :
    pass
def f(p):
    q = np.prod(p, axis=-1)
    return np.log(q)
def g(r):
    q = np.prod(r, axis=-1)
    return np.log(q)
