# -*- coding: latin-1 -*-
# Déjà vu: café, naïve
import numpy as np
name = 'crème'; score = np.log(np.prod(p, axis=-1))  # é
