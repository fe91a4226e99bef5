"""Analysis tools: shape and receptive-field calculators, model summary, boxes."""
