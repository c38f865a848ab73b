"""Every import of a private scikit-learn name lives here.

scikit-learn moves its developer utilities between releases; keeping them in one module means an
upgrade touches one file.
"""

from sklearn.base import _fit_context  # noqa: F401
from sklearn.externals.array_api_compat import is_array_api_obj  # noqa: F401
from sklearn.utils import _safe_indexing  # noqa: F401
from sklearn.utils._array_api import (  # noqa: F401
    _convert_to_numpy,
    _is_numpy_namespace,
    _max_precision_float_dtype,
    get_namespace_and_device,
)
from sklearn.utils._param_validation import (  # noqa: F401
    HasMethods,
    Hidden,
    Interval,
    Options,
    RealNotInt,
    StrOptions,
    validate_parameter_constraints,
    validate_params,
)
from sklearn.utils._repr_html.estimator import _VisualBlock  # noqa: F401
from sklearn.utils._set_output import _safe_set_output  # noqa: F401
from sklearn.utils.metaestimators import _BaseComposition  # noqa: F401
from sklearn.utils.validation import (  # noqa: F401
    _check_feature_names_in,
    _check_method_params,
)
