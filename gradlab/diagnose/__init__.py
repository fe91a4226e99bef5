"""Training diagnosis: per-layer statistics, warnings, plots; anomaly mode lives in autograd."""
