"""Every import of a private scikit-learn name lives here.

scikit-learn moves its developer utilities between releases; keeping them in one module means an
upgrade touches one file.
"""

from sklearn.utils._param_validation import (  # noqa: F401
    HasMethods,
    Interval,
    StrOptions,
    validate_parameter_constraints,
    validate_params,
)
