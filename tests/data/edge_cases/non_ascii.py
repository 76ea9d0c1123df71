import numpy as np
π = 'naïve 😀 ünïcödé'; σ = {'ключ': '值'}; score = np.log(np.prod(p, axis=-1))  # 🎉
