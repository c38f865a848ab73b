"""Order of the gallery: the headline experiment first, the most involved last."""

from pathlib import Path

# Examples not listed here follow, by file name.
ORDER = [
    "plot_layer_transfer.py",  # the headline: which layer of a network to transfer
    "plot_pretrained_layers.py",
    "plot_text_layers.py",
    "plot_select_extractor.py",
    "plot_gridsearch_transformers.py",
    "plot_width_bias.py",
    "plot_sample_size.py",
    "plot_source_selection.py",
    "plot_feature_selection.py",
    "plot_streaming.py",
    "plot_curriculum.py",
]


class HeadlineFirst:
    """Sort key of sphinx-gallery's ``within_subsection_order``."""

    def __init__(self, src_dir):
        self.src_dir = src_dir

    def __repr__(self):
        return f"<{type(self).__name__}>"

    def __call__(self, filename):
        name = Path(filename).name
        return (ORDER.index(name) if name in ORDER else len(ORDER), name)
