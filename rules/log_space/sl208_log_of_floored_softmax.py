"""SL208 log-of-floored-softmax."""

from __future__ import annotations

from typing import ClassVar

from scorelint.rules.log_space.sl203_log_of_softmax import LogOfSoftmax

from scorelint.base.findings import Applicability
from scorelint.engine.rule import Clean, Flagged


class LogOfFlooredSoftmax(LogOfSoftmax):
    """
    ## What it does
    Finds the log of a softmax floored by an epsilon or a clamp:
    `log(softmax(x) + 1e-9)`, `log(p.clamp(min=eps))`, `log(np.clip(p, eps, 1))`.
    Opt-in (select `SL208`): the floor is often written on purpose, in a
    no-grad matching cost or a metric, where it keeps a cost matrix finite.

    ## Why is this bad?
    `log softmax(u)_k = u_k - logsumexp(u)` is exact; the floor replaces
    every log-probability below `log(eps)` by `log(eps)` (-20.7 for 1e-9,
    -27.6 for 1e-12), so among confident wrong answers all score the same,
    and the gradient there is zero. For `u = [0., 50.]`,
    `log(softmax(u) + 1e-9)` is `[-20.72, 0.0]`; `log_softmax(u)` is
    `[-50.0, 0.0]`.

    ## Example
    ```python
    logp = torch.log(F.softmax(logits, dim=-1) + 1e-9)
    ```

    ## Use instead
    ```python
    logp = F.log_softmax(logits, dim=-1)
    ```

    ## Fix safety
    Unsafe: it removes the floor, so values below `log(eps)` change (they
    become right). A floor that is not a tiny constant (a named setting, a
    parameter, a value of at least 1e-3, such as a clamp at 0.25 in a
    matching cost) is a deliberate threshold: the finding is reported with
    no fix at all.

    ## Known limitations
    As SL203. A floor applied in another function is not seen.
    """

    code = "SL208"
    name = "log-of-floored-softmax"
    message = "`{expr}` floors log-probabilities at `log(eps)`; log_softmax is exact"
    fix_title = "Replace with the framework's `log_softmax`, dropping the floor"
    applicability = Applicability.UNSAFE
    default = False
    floored: ClassVar[bool] = True

    flagged = (
        Flagged(
            """
            import torch
            def f(logits):
                probs = torch.softmax(logits, dim=-1)
                return torch.log(probs + 1e-9)
            """,
            """
            import torch
            def f(logits):
                probs = torch.softmax(logits, dim=-1)
                return torch.log_softmax(logits, dim=-1)
            """,
        ),
        Flagged(
            """
            from scipy.special import softmax
            import numpy as np
            lp = np.log(np.clip(softmax(z, axis=1), 1e-12, 1.0))
            """,
            """
            from scipy.special import softmax
            import numpy as np
            import scipy.special
            lp = scipy.special.log_softmax(z, axis=1)
            """,
        ),
        Flagged(
            """
            import torch
            import torch.nn.functional as F
            def f(x):
                return F.softmax(x, dim=-1).clamp(min=torch.finfo(x.dtype).tiny).log()
            """,
            """
            import torch
            import torch.nn.functional as F
            def f(x):
                return F.log_softmax(x, dim=-1)
            """,
        ),
        Flagged(
            """
            import torch
            import torch.nn.functional as F
            def matching_cost(logits):
                p = F.softmax(logits, dim=-1)
                return -torch.log(p.clamp(min=0.25))
            """
        ),
        Flagged(
            """
            import numpy as np
            from scipy.special import softmax
            def f(x):
                return np.log(np.maximum(softmax(x, axis=-1), 0.005))
            """
        ),
    )
    clean = (
        Clean(
            """
            import torch
            import torch.nn.functional as F
            lp = F.log_softmax(x, dim=-1)
            """
        ),
        Clean(
            """
            import torch
            import torch.nn.functional as F
            lp = torch.log(F.softmax(x, dim=-1))
            """
        ),
        Clean(
            """
            import numpy as np
            lp = np.log(counts + 1e-9)
            """
        ),
        Clean(
            """
            import torch
            lp = torch.log(torch.sigmoid(x) + 1e-9)
            """
        ),
        Clean(
            """
            import numpy as np
            import scipy.special
            lp = np.log(scipy.special.softmax(x, axis=-1) + 1)
            """
        ),
    )
