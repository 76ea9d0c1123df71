import numpy as np

class Scorer:
	def score(self, p):
		if p is not None:	# a tab before this comment
			return np.log(np.prod(p, axis=-1))
