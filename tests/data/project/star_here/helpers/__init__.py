from .ops import *
from .extra import *
