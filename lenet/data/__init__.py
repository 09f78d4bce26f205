"""MNIST and pictures: the four IDX files fetched and verified (`fetch`), the splits as tensors
(`mnist`), any drawing or photo made into an MNIST-style digit (`preprocess`, `images`), and seeded
scribbles like the Draw page's canvas returns (`scribbles`). `python -m lenet.data` fetches.

May import: lenet.errors.
"""
