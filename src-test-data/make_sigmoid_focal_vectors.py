#!/usr/bin/python3
"""Reference vectors for LossFocal, from torchvision's sigmoid_focal_loss (float64).

Run with Debian's packages (no PyPI needed):
    apt-get install -y python3-torchvision
    /usr/bin/python3 src-test-data/make_sigmoid_focal_vectors.py

Writes src-test-data/sigmoid_focal_vectors.json. For every case it records the inputs
(logits, labels, alpha, gamma, optional per-column weights, optional mask, label smoothing) and
  scoreRows[i] = sum_j  w[j] * m[i,j] * FL(x[i,j], y'[i,j])       (torchvision, reduction="none")
  gradient     = d(sum_i scoreRows[i]) / dx                       (torch autograd)
where y' = y(1-eps) + eps/2 is the smoothed label.

torchvision computes 1 - p_t as 1 - (p*y + (1-p)(1-y)); where sigma saturates (hard label on the
right side of a |x| >~ 37 logit) that is exactly 0 and, for 0 < gamma < 1, autograd of
(1 - p_t)**gamma returns NaN (0 * inf). For those elements only, the gradient comes from a second,
log-space torch formulation (log(1-p_t) = logaddexp(log y + logsigmoid(-x), log(1-y) + logsigmoid(x)));
everywhere else the two formulations are asserted to agree. The count of such elements is
recorded per case as "fallbackElements".
"""
import json
import math
import os

import torch
from torchvision.ops import sigmoid_focal_loss

torch.set_default_dtype(torch.float64)
OUT = os.path.join(os.path.dirname(os.path.abspath(__file__)), "sigmoid_focal_vectors.json")


def f32(t):
    """Round to values exactly representable in float32, so FLOAT tests see the same inputs."""
    return t.to(torch.float32).to(torch.float64)


def log_space_focal(x, y, alpha, gamma):
    """Independent stable formulation: alpha_t * exp(gamma * log(1-p_t)) * BCE-with-logits."""
    log_q = torch.logaddexp(torch.log(y) + torch.nn.functional.logsigmoid(-x),
                            torch.log1p(-y) + torch.nn.functional.logsigmoid(x))
    bce = torch.nn.functional.binary_cross_entropy_with_logits(x, y, reduction="none")
    loss = torch.exp(gamma * log_q) * bce
    if alpha >= 0:
        loss = (alpha * y + (1 - alpha) * (1 - y)) * loss
    return loss


def make_case(name, logits, labels, alpha, gamma, weights=None, mask=None, smoothing=0.0):
    rows, cols = logits.shape
    y = labels * (1 - smoothing) + smoothing / 2 if smoothing > 0 else labels
    mult = torch.ones(rows, cols)
    if weights is not None:
        mult = mult * weights.reshape(1, cols)
    if mask is not None:
        mult = mult * mask  # broadcasts [rows,1] or [rows,cols]

    # (a) torchvision
    x = logits.clone().requires_grad_(True)
    elem = sigmoid_focal_loss(x, y, alpha=alpha, gamma=gamma, reduction="none")
    total = (elem * mult).sum()
    total.backward()
    grad_tv = x.grad.detach().clone()
    score_rows = (elem.detach() * mult).sum(dim=1)

    # (b) log-space formulation, for checking and for torchvision's NaN gradients
    x2 = logits.clone().requires_grad_(True)
    elem2 = log_space_focal(x2, y, alpha, gamma)
    (elem2 * mult).sum().backward()
    grad_ls = x2.grad.detach()

    def close(a, b):
        return torch.all((a - b).abs() <= 1e-9 * torch.maximum(a.abs(), b.abs()) + 1e-12)

    assert close(elem.detach(), elem2.detach()), name
    finite = torch.isfinite(grad_tv)
    assert close(grad_tv[finite], grad_ls[finite]), name
    grad = torch.where(finite, grad_tv, grad_ls)
    assert torch.all(torch.isfinite(grad)) and torch.all(torch.isfinite(score_rows)), name

    return {
        "name": name,
        "alpha": alpha,
        "gamma": gamma,
        "labelSmoothing": smoothing,
        "rows": rows,
        "cols": cols,
        "logits": logits.flatten().tolist(),
        "labels": labels.flatten().tolist(),
        "weights": None if weights is None else weights.tolist(),
        "mask": None if mask is None else mask.flatten().tolist(),
        "maskShape": None if mask is None else list(mask.shape),
        "scoreRows": score_rows.tolist(),
        "gradient": grad.flatten().tolist(),
        "fallbackElements": int((~finite).sum()),
    }


def main():
    g = torch.Generator().manual_seed(20171207)
    rows, cols = 5, 6
    # Row 0: extreme logits, saturated on both the right and the wrong side of hard labels.
    extreme_x = torch.tensor([-1000.0, -50.0, 0.0, 50.0, 1000.0, 1000.0])
    extreme_y = torch.tensor([0.0, 1.0, 1.0, 0.0, 1.0, 0.0])
    # Row 1: moderately large logits around the sigmoid's float saturation.
    big_x = torch.tensor([-40.0, -17.5, -3.25, 3.25, 17.5, 40.0])

    def logits_and_labels(soft):
        x = f32(torch.randn(rows, cols, generator=g) * 3)
        x[0] = extreme_x
        x[1] = big_x
        if soft:
            y = f32(torch.rand(rows, cols, generator=g))
            y[0] = extreme_y
            y[0, 2] = 0.3
            y[0, 4] = 0.75
        else:
            y = (torch.rand(rows, cols, generator=g) < 0.3).to(torch.float64)
            y[0] = extreme_y
        y[1] = torch.tensor([1.0, 0.0, 1.0, 0.0, 1.0, 0.0])
        return x, y

    cases = []
    for soft in (False, True):
        for alpha in (0.25, -1.0):
            for gamma in (0.0, 0.5, 1.0, 2.0, 5.0):
                x, y = logits_and_labels(soft)
                kind = "soft" if soft else "hard"
                cases.append(make_case(f"{kind}_a{alpha}_g{gamma}", x, y, alpha, gamma))

    for alpha in (0.0, 1.0, 0.75):
        x, y = logits_and_labels(False)
        cases.append(make_case(f"hard_a{alpha}_g2.0", x, y, alpha, 2.0))

    weights = torch.tensor([0.5, 1.0, 2.0, 0.0, 1.5, 3.0])
    per_example = torch.tensor([[1.0], [0.0], [1.0], [1.0], [0.0]])
    per_output = (torch.rand(rows, cols, generator=g) < 0.7).to(torch.float64)
    for gamma in (0.5, 2.0):
        x, y = logits_and_labels(True)
        cases.append(make_case(f"weights_g{gamma}", x, y, 0.25, gamma, weights=weights))
        x, y = logits_and_labels(False)
        cases.append(make_case(f"mask_per_example_g{gamma}", x, y, 0.25, gamma, mask=per_example))
        x, y = logits_and_labels(True)
        cases.append(make_case(f"mask_per_output_g{gamma}", x, y, 0.25, gamma, mask=per_output))
        x, y = logits_and_labels(False)
        cases.append(make_case(f"weights_mask_smoothing_g{gamma}", x, y, 0.25, gamma,
                               weights=weights, mask=per_output, smoothing=0.1))
    x, y = logits_and_labels(False)
    cases.append(make_case("smoothing_0.2", x, y, -1.0, 2.0, smoothing=0.2))

    doc = {
        "source": "torchvision.ops.sigmoid_focal_loss, torch " + torch.__version__,
        "generator": "src-test-data/make_sigmoid_focal_vectors.py",
        "dtype": "float64",
        "cases": cases,
    }
    with open(OUT, "w") as f:
        json.dump(doc, f, indent=1)
    print(f"wrote {len(cases)} cases to {OUT}; "
          f"fallback gradient elements: {sum(c['fallbackElements'] for c in cases)}")


if __name__ == "__main__":
    main()
