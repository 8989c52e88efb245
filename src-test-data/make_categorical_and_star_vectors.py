#!/usr/bin/python3
"""Reference vectors for LossCategoricalFocal and LossFocalStar (torch autograd, float64).

Run with Debian's packages (no PyPI needed):
    apt-get install -y python3-torch
    /usr/bin/python3 src-test-data/make_categorical_and_star_vectors.py

Writes src-test-data/categorical_focal_vectors.json and src-test-data/focal_star_vectors.json, in
the schema of sigmoid_focal_vectors.json (see make_sigmoid_focal_vectors.py):
  scoreRows[i] = sum_j w[j] * m[i,j] * l[i,j]       gradient = d(sum_i scoreRows[i]) / dx

Categorical:  l[i,c] = -alpha_c * y[i,c] * (1 - p[i,c])**gamma * log p[i,c],  p = softmax(x[i,:])
              (y smoothed as y(1-eps) + eps/K first). Written the way kornia/Keras write it, with
              torch.log_softmax. Where p rounds to 1 and 0 < gamma < 1, autograd of (1-p)**gamma is
              NaN; there (only) the gradient comes from a log-space formulation,
              log(1-p_c) = logsumexp_{k != c} log p_k, asserted equal everywhere else.
FL*:          l = alpha_t * (-logsigmoid(gamma * x * (2y - 1) + beta)) / gamma   (paper, Appendix A),
              checked against eq. 11 for hard labels.
"""
import json
import os

import torch

torch.set_default_dtype(torch.float64)
HERE = os.path.dirname(os.path.abspath(__file__))


def f32(t):
    return t.to(torch.float32).to(torch.float64)


def close(a, b):
    return bool(torch.all((a - b).abs() <= 1e-9 * torch.maximum(a.abs(), b.abs()) + 1e-12))


def categorical_elements(x, y, alpha, gamma, log_space):
    logp = torch.log_softmax(x, dim=1)
    if log_space:
        k = x.shape[1]
        others = logp.unsqueeze(1).expand(-1, k, -1).clone()            # [rows, c, k]
        others[:, torch.arange(k), torch.arange(k)] = float("-inf")      # drop k == c
        modulator = torch.exp(gamma * torch.logsumexp(others, dim=2))
    else:
        modulator = (1 - torch.exp(logp)) ** gamma
    a = y if alpha is None else y * torch.tensor(alpha).reshape(1, -1)
    return -a * modulator * logp


def star_elements(x, y, alpha, gamma, beta):
    loss = -torch.nn.functional.logsigmoid(gamma * x * (2 * y - 1) + beta) / gamma
    if alpha >= 0:
        loss = (alpha * y + (1 - alpha) * (1 - y)) * loss
    return loss


def record(name, params, logits, labels, weights, mask, smoothing, elements_fn, fallback_fn=None):
    rows, cols = logits.shape
    mult = torch.ones(rows, cols)
    if weights is not None:
        mult = mult * weights.reshape(1, cols)
    if mask is not None:
        mult = mult * mask

    x = logits.clone().requires_grad_(True)
    elem = elements_fn(x)
    (elem * mult).sum().backward()
    grad = x.grad.detach().clone()
    fallback = 0
    if fallback_fn is not None:
        x2 = logits.clone().requires_grad_(True)
        elem2 = fallback_fn(x2)
        (elem2 * mult).sum().backward()
        assert close(elem.detach(), elem2.detach()), name
        finite = torch.isfinite(grad)
        assert close(grad[finite], x2.grad[finite]), name
        fallback = int((~finite).sum())
        grad = torch.where(finite, grad, x2.grad)
    score_rows = (elem.detach() * mult).sum(dim=1)
    assert torch.all(torch.isfinite(grad)) and torch.all(torch.isfinite(score_rows)), name
    case = {"name": name}
    case.update(params)
    case.update({
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
        "fallbackElements": fallback,
    })
    return case


def categorical_cases(g):
    rows, k = 6, 5

    def data(soft):
        x = f32(torch.randn(rows, k, generator=g) * 3)
        x[0] = torch.tensor([1e4, -1e4, 0.0, 5.0, -5.0])        # class 0 certain
        x[1] = torch.tensor([-1e4, 1e4, 0.0, 0.0, 0.0])         # class 1 certain
        x[2] = torch.tensor([1000.0, 999.0, -1000.0, 0.0, 998.5])
        if soft:
            y = f32(torch.rand(rows, k, generator=g))
            y = y / y.sum(dim=1, keepdim=True)
            y[0] = torch.tensor([0.5, 0.5, 0.0, 0.0, 0.0])
        else:
            y = torch.nn.functional.one_hot(torch.randint(0, k, (rows,), generator=g), k).to(torch.float64)
            y[0] = torch.tensor([1.0, 0.0, 0.0, 0.0, 0.0])      # right and sure
        y[1] = torch.tensor([1.0, 0.0, 0.0, 0.0, 0.0])          # wrong and sure
        return x, y

    def case(name, alpha, gamma, soft, weights=None, mask=None, smoothing=0.0):
        x, y = data(soft)
        ys = y * (1 - smoothing) + smoothing / k if smoothing > 0 else y
        return record(name, {"alpha": alpha, "gamma": gamma}, x, y, weights, mask, smoothing,
                      lambda t: categorical_elements(t, ys, alpha, gamma, False),
                      lambda t: categorical_elements(t, ys, alpha, gamma, True))

    per_class = [0.25, 1.0, 2.0, 0.5, 1.0]
    out = []
    for soft in (False, True):
        for alpha in (None, per_class):
            for gamma in (0.0, 0.5, 1.0, 2.0, 5.0):
                out.append(case(f"{'soft' if soft else 'hard'}_{'alpha' if alpha else 'noalpha'}_g{gamma}",
                                alpha, gamma, soft))
    weights = torch.tensor([0.5, 1.0, 2.0, 0.0, 1.5])
    per_example = torch.tensor([[1.0], [0.0], [1.0], [1.0], [0.0], [1.0]])
    for gamma in (0.5, 2.0):
        out.append(case(f"weights_g{gamma}", per_class, gamma, True, weights=weights))
        out.append(case(f"mask_per_example_g{gamma}", None, gamma, False, mask=per_example))
        out.append(case(f"weights_mask_smoothing_g{gamma}", per_class, gamma, False,
                        weights=weights, mask=per_example, smoothing=0.1))
    return out


def star_cases(g):
    rows, cols = 5, 6

    def data(soft):
        x = f32(torch.randn(rows, cols, generator=g) * 3)
        x[0] = torch.tensor([-1000.0, -50.0, 0.0, 50.0, 1000.0, 1000.0])
        if soft:
            y = f32(torch.rand(rows, cols, generator=g))
        else:
            y = (torch.rand(rows, cols, generator=g) < 0.3).to(torch.float64)
        y[0] = torch.tensor([0.0, 1.0, 1.0, 0.0, 1.0, 0.0])
        return x, y

    def case(name, alpha, gamma, beta, soft, weights=None, mask=None, smoothing=0.0):
        x, y = data(soft)
        ys = y * (1 - smoothing) + smoothing / 2 if smoothing > 0 else y
        c = record(name, {"alpha": alpha, "gamma": gamma, "beta": beta}, x, y, weights, mask, smoothing,
                   lambda t: star_elements(t, ys, alpha, gamma, beta))
        if not soft and smoothing == 0 and weights is None and mask is None:
            # eq. 11: dFL*/dx = y'(p*_t - 1), y' = 2y - 1, p*_t = sigmoid(gamma * y' x + beta), times alpha_t
            sign = 2 * y - 1
            eq11 = sign * (torch.sigmoid(gamma * sign * x + beta) - 1)
            if alpha >= 0:
                eq11 = eq11 * (alpha * y + (1 - alpha) * (1 - y))
            assert close(torch.tensor(c["gradient"]).reshape(rows, cols), eq11), name
        return c

    out = []
    for soft in (False, True):
        for alpha in (0.25, -1.0):
            for gamma, beta in ((2.0, 1.0), (4.0, 0.0), (1.0, 0.0), (0.5, -2.0), (5.0, 3.0)):
                out.append(case(f"{'soft' if soft else 'hard'}_a{alpha}_g{gamma}_b{beta}", alpha, gamma, beta, soft))
    weights = torch.tensor([0.5, 1.0, 2.0, 0.0, 1.5, 3.0])
    per_example = torch.tensor([[1.0], [0.0], [1.0], [1.0], [0.0]])
    per_output = (torch.rand(rows, cols, generator=g) < 0.7).to(torch.float64)
    out.append(case("weights", 0.25, 2.0, 1.0, True, weights=weights))
    out.append(case("mask_per_example", 0.25, 2.0, 1.0, False, mask=per_example))
    out.append(case("mask_per_output", 0.25, 4.0, 0.0, True, mask=per_output))
    out.append(case("weights_mask_smoothing", 0.25, 2.0, 1.0, False, weights=weights, mask=per_output, smoothing=0.1))
    return out


def write(filename, source, cases):
    path = os.path.join(HERE, filename)
    with open(path, "w") as f:
        json.dump({"source": source, "generator": "src-test-data/make_categorical_and_star_vectors.py",
                   "dtype": "float64", "cases": cases}, f, indent=1)
    print(f"wrote {len(cases)} cases to {path}; fallback gradient elements: "
          f"{sum(c['fallbackElements'] for c in cases)}")


def main():
    g = torch.Generator().manual_seed(20170807)
    write("categorical_focal_vectors.json", "torch " + torch.__version__ + " autograd, log_softmax formulation",
          categorical_cases(g))
    write("focal_star_vectors.json", "torch " + torch.__version__ + " autograd, logsigmoid formulation",
          star_cases(g))


if __name__ == "__main__":
    main()
