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
exclude_patterns = ["_build", "auto_examples/*.ipynb", "auto_examples/*.py"]
autosummary_generate = True
autodoc_default_options = {"members": True, "inherited-members": False}
numpydoc_show_class_members = False
numpydoc_class_members_toctree = False
# Types in "Parameters" become cross-references; words that are not names stay plain text.
# (It also keeps sklearn-style types such as "ndarray of shape (n_features_in_,)" from being
# read as reST link targets.)
numpydoc_xref_param_type = True
numpydoc_xref_ignore = set(
    "of or and shape default optional the a an if is with same as like keyword instance none "
    "fitted any one".split()
)
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

# numpydoc's default aliases point at glossary terms of the Python and NumPy inventories;
# without a cached inventory they would be unresolved terms (a warning), so they become plain
# names instead.
numpydoc_xref_aliases = {
    "estimator": "sklearn.base.BaseEstimator",
    "DataFrame": "pandas.DataFrame",
}
if "numpy" not in intersphinx_mapping:
    numpydoc_xref_aliases.update(
        {"array-like": "numpy.typing.ArrayLike", "array_like": "numpy.typing.ArrayLike"}
    )
    numpydoc_xref_aliases["scalar"] = "numbers.Number"
if "python" not in intersphinx_mapping:
    numpydoc_xref_aliases.update(
        {
            "iterable": "collections.abc.Iterable",
            "sequence": "collections.abc.Sequence",
            "generator": "collections.abc.Generator",
            "bool": "bool",
            "boolean": "bool",
        }
    )

# Docstrings inherited from scikit-learn (the ``set_*_request`` methods) use labels and glossary
# terms of scikit-learn's documentation. Without its cached inventory they are linked to their
# stable addresses directly (nothing is fetched at build time).
_SKLEARN_TARGETS = {
    ("ref", "metadata_routing"): "metadata_routing.html#metadata-routing",
    ("term", "meta-estimator"): "glossary.html#term-meta-estimator",
    ("term", "estimator"): "glossary.html#term-estimator",
    ("term", "scorer"): "glossary.html#term-scorer",
    ("term", "cross-validation generator"): "glossary.html#term-cross-validation-generator",
    ("term", "cv splitter"): "glossary.html#term-CV-splitter",
    ("term", "joblib.parallel_backend"): "glossary.html#term-n_jobs",
    ("term", "glossary <n_jobs>"): "glossary.html#term-n_jobs",
    ("term", "n_jobs"): "glossary.html#term-n_jobs",
    ("term", "random_state"): "glossary.html#term-random_state",
    ("term", "glossary <random_state>"): "glossary.html#term-random_state",
}


def _sklearn_reference(app, env, node, contnode):
    if "sklearn" in intersphinx_mapping:
        return None
    target = node.get("reftarget", "").lower()
    url = _SKLEARN_TARGETS.get((node.get("reftype"), target))
    if url is None:
        return None
    from docutils import nodes

    ref = nodes.reference("", "", internal=False, refuri=f"https://scikit-learn.org/stable/{url}")
    ref.append(contnode)
    return ref


def setup(app):
    app.connect("missing-reference", _sklearn_reference)


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
