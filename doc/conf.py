"""Sphinx configuration of the skhscore documentation."""

import os
import sys
import warnings

sys.path.insert(0, os.path.abspath(".."))

import skhscore  # noqa: E402

project = "skhscore"
author = "The skhscore developers"
copyright = "2026, The skhscore developers"
version = release = skhscore.__version__

extensions = [
    "sphinx.ext.autodoc",
    "sphinx.ext.autosummary",
    "sphinx.ext.intersphinx",
    "sphinx.ext.mathjax",
    "numpydoc",
    "sphinx_gallery.gen_gallery",
]

templates_path = ["_templates"]
exclude_patterns = ["_build", "notes", "auto_examples/*.ipynb", "auto_examples/*.py"]
autosummary_generate = True
autodoc_default_options = {"members": True, "inherited-members": False}
numpydoc_show_class_members = False
numpydoc_class_members_toctree = False
default_role = "literal"

# The documentation is built offline (CI reaches PyPI only): intersphinx uses the inventories
# cached in _intersphinx/ when they exist and otherwise renders external names as plain text.
_cache = os.path.join(os.path.dirname(__file__), "_intersphinx")
intersphinx_mapping = {
    name: (url, os.path.join(_cache, f"{name}.inv"))
    for name, url in {
        "python": "https://docs.python.org/3",
        "numpy": "https://numpy.org/doc/stable",
        "scipy": "https://docs.scipy.org/doc/scipy",
        "sklearn": "https://scikit-learn.org/stable",
    }.items()
    if os.path.exists(os.path.join(_cache, f"{name}.inv"))
}

html_theme = "pydata_sphinx_theme"
html_title = "skhscore"
html_theme_options = {"navigation_with_keys": False}
html_static_path = []

sphinx_gallery_conf = {
    "examples_dirs": "../examples",
    "gallery_dirs": "auto_examples",
    "filename_pattern": r"/plot_",
    "doc_module": ("skhscore",),
    "reference_url": {"skhscore": None},
    "backreferences_dir": "generated/backreferences",
    "within_subsection_order": "FileNameSortKey",
    "download_all_examples": False,
    "matplotlib_animations": False,
}

warnings.filterwarnings("ignore", message="Matplotlib is currently using agg")
