from .net import Net, Scorer

__all__ = ["Net", "Scorer"]
