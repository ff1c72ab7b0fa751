"""CNN architectures, custom layers and the in-model preprocessing of skbia."""
