import numpy as npx = 1
y = 2score = np.log(np.prod(p, axis=-1))
z = 3