"""Every import of a private scikit-learn name lives here.

scikit-learn moves its developer utilities between releases; keeping them in one module means an
upgrade touches one file.
"""

from sklearn.base import _fit_context  # noqa: F401
from sklearn.utils._param_validation import (  # noqa: F401
    HasMethods,
    Interval,
    RealNotInt,
    StrOptions,
    validate_params,
)
