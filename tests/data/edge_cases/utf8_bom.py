# -*- coding: utf-8 -*-
import numpy as np
label = 'Größe'
score = np.log(np.prod(p, axis=-1))
