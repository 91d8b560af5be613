"""PyTorch side of topk-gan."""
