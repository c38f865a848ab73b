"""Sphinx configuration of the skhscore documentation."""

import os
import sys
import warnings

sys.path.insert(0, os.path.abspath(".."))
sys.path.insert(0, os.path.abspath("sphinxext"))

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
    "sphinx-mathjax-offline",  # MathJax 3 copied into the site: maths render offline
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

# The documentation is built offline (CI reaches PyPI only): intersphinx reads the inventories
# saved in _inventories/ (see its README: the projects' own objects.inv, of the versions named
# there) and links to the projects' online pages; nothing is fetched at build time.
_inventories = os.path.join(os.path.dirname(__file__), "_inventories")
intersphinx_mapping = {
    name: (url, os.path.join(_inventories, f"{name}.inv"))
    for name, url in {
        "python": "https://docs.python.org/3",
        "scipy": "https://docs.scipy.org/doc/scipy",
        "sklearn": "https://scikit-learn.org/stable",
    }.items()
}
intersphinx_timeout = 1

# numpydoc's default aliases of NumPy's names point at NumPy's inventory, which no offline
# package ships: they render as plain names instead (linking nothing).
_NUMPY_NAMES = ["array", "ndarray", "np.ndarray", "array-like", "array_like", "np.inf", "np.nan"]
_NUMPY_NAMES += ["numpy", "RandomState", "np.random.RandomState"]
numpydoc_xref_aliases = {
    "estimator": "sklearn.base.BaseEstimator",
    "DataFrame": "pandas.DataFrame",
    "scalar": "numbers.Number",
    **{name: name for name in _NUMPY_NAMES},
}
numpydoc_xref_ignore.update(_NUMPY_NAMES)

# Docstrings inherited from scikit-learn (the ``set_*_request`` methods) use labels and glossary
# terms of scikit-learn's documentation, some newer than the saved inventory: those are linked
# to their stable addresses directly.
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
    # labels newer than the saved inventory (scikit-learn 1.2) link to their stable address
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
html_static_path = ["_static"]
html_css_files = ["custom.css"]

sphinx_gallery_conf = {
    "examples_dirs": "../examples",
    "gallery_dirs": "auto_examples",
    "filename_pattern": r"/plot_",
    "doc_module": ("skhscore",),
    "backreferences_dir": "generated/backreferences",
    "within_subsection_order": "gallery_order.HeadlineFirst",
    "download_all_examples": False,
    "matplotlib_animations": False,
}

warnings.filterwarnings("ignore", message="Matplotlib is currently using agg")
