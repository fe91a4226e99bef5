"""Compression: pruning, quantization, distillation, low-rank factorization, efficient convs."""
