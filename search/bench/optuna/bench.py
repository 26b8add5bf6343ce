#!/usr/bin/python3
"""Optuna's samplers on the test functions of package bench.

This is the script behind the Optuna figures in the README. It runs Optuna's
samplers on the same functions, spaces, trial counts and number of seeds as
`dltune bench search`, and prints one JSON object per study (function,
sampler, seed, regret after 25, 50 and 100 trials), then one summary line per
(function, sampler) on standard error: the median regret and its quartiles,
computed as package bench does (linear interpolation, numpy's default).

    /usr/bin/python3 search/bench/optuna/bench.py --seeds 20 --trials 100 \\
        > search/bench/optuna/optuna-3.1.0.jsonl 2> optuna-3.1.0-summary.txt

(optuna-3.1.0.jsonl was made in two runs, --functions rastrigin6,schwefel4,
branin,hartmann6,styblinski-tang10,mixed,hartmann6-noisy,branin-noisy,pipeline
and then --functions ackley5,levy6; a study's line does not depend on the
others.)

Debian 12's python3-optuna is Optuna 3.1.0; the version run is in every
line. The functions are copies of those in search/bench/functions.go and
heldout.go (they agreed to 6e-15 at 55 random points when written): check
them against each other when either changes. Seeds are
Optuna's own (sampler seed = seed), so the studies are not the same random
draws as dltune's; only the distributions over seeds compare.
"""

import argparse
import json
import math
import sys
import warnings

import numpy as np
import optuna

# ---- functions (copies of search/bench) ------------------------------------


def branin(t):
    x1 = t.suggest_float("x1", -5, 10)
    x2 = t.suggest_float("x2", 0, 15)
    b = 5.1 / (4 * math.pi**2)
    c = 5 / math.pi
    s = 1 / (8 * math.pi)
    u = x2 - b * x1 * x1 + c * x1 - 6
    return u * u + 10 * (1 - s) * math.cos(x1) + 10


HART_A = [[10, 3, 17, 3.5, 1.7, 8], [0.05, 10, 17, 0.1, 8, 14],
          [3, 3.5, 1.7, 10, 17, 8], [17, 8, 0.05, 10, 0.1, 14]]
HART_P = [[1312, 1696, 5569, 124, 8283, 5886], [2329, 4135, 8307, 3736, 1004, 9991],
          [2348, 1451, 3522, 2883, 3047, 6650], [4047, 8828, 8732, 5743, 1091, 381]]
HART_ALPHA = [1.0, 1.2, 3.0, 3.2]


def hartmann6(t):
    x = [t.suggest_float("x%d" % (i + 1), 0, 1) for i in range(6)]
    y = 0.0
    for i in range(4):
        s = sum(HART_A[i][j] * (x[j] - HART_P[i][j] * 1e-4) ** 2 for j in range(6))
        y -= HART_ALPHA[i] * math.exp(-s)
    return y


def styblinski_tang10(t):
    y = 0.0
    for i in range(10):
        x = math.log10(t.suggest_float("u%d" % i, 1e-5, 1e5, log=True))
        y += (x**4 - 16 * x * x + 5 * x) / 2
    return y


def mixed(t):
    opt = t.suggest_categorical("opt", ["sgd", "adam", "rmsprop"])
    lr = math.log10(t.suggest_float("lr", 1e-5, 1, log=True))
    if opt == "sgd":
        y = (lr + 1.5) ** 2 + 4 * (t.suggest_float("momentum", 0, 0.99) - 0.9) ** 2
    elif opt == "adam":
        y = (lr + 3) ** 2 + 0.1 + 2 * (t.suggest_float("beta1", 0.5, 0.999) - 0.9) ** 2
    else:
        y = (lr + 2.5) ** 2 + 0.5
    y += 0.1 * (t.suggest_int("layers", 1, 6) - 3) ** 2
    y += 0.05 * (math.log2(t.suggest_int("width", 16, 1024, log=True)) - 7) ** 2
    bn = t.suggest_categorical("batchnorm", [True, False])
    d = t.suggest_float("dropout", 0, 0.5, step=0.05)
    y += 2 * d * d if bn else 0.2 + 2 * (d - 0.2) ** 2
    y += {"relu": 0, "tanh": 0.3, "none": 1}[t.suggest_categorical("act", ["relu", "tanh", "none"])]
    y += {32: 0.15, 64: 0, 128: 0.05, 256: 0.3}[t.suggest_categorical("batch", [32, 64, 128, 256])]
    return y


def rastrigin6(t):
    y = 60.0
    for i in range(6):
        x = t.suggest_float("x%d" % i, -5.12, 5.12)
        y += x * x - 10 * math.cos(2 * math.pi * x)
    return y


def schwefel_term(x):
    return 418.9828872724338 - x * math.sin(math.sqrt(abs(x)))


def schwefel4(t):
    return sum(schwefel_term(t.suggest_float("x%d" % i, -500, 500)) for i in range(4))


def pipeline(t):
    model = t.suggest_categorical("model", ["forest", "boosted", "linear"])
    if model == "forest":
        y = 0.3 + 0.05 * (math.log2(t.suggest_int("trees", 8, 1024, log=True)) - 8) ** 2
        y += 0.5 * (t.suggest_float("features", 0.05, 1) - 0.3) ** 2
    elif model == "boosted":
        y = 0.02 * (t.suggest_int("depth", 1, 12) - 5) ** 2
        y += (math.log10(t.suggest_float("eta", 1e-4, 1, log=True)) + 1.5) ** 2
        loss = t.suggest_categorical("loss", ["squared", "huber", "quantile"])
        if loss == "squared":
            y += 0.06
        elif loss == "huber":
            y += 4 * math.log10(t.suggest_float("delta", 0.01, 100, log=True)) ** 2
        else:
            y += 0.12
    else:
        y = 0.6 + 0.1 * (math.log10(t.suggest_float("l2", 1e-6, 10, log=True)) + 2) ** 2
    y += 0.1 * (t.suggest_float("bins", 16, 256, step=16) / 16 - 4) ** 2
    y += {"none": 0.15, "standard": 0, "minmax": 0.05}[t.suggest_categorical("scale", ["none", "standard", "minmax"])]
    return y


def ackley5(t):
    x = [t.suggest_float("x%d" % i, -32.768, 32.768) for i in range(5)]
    sq = sum(v * v for v in x)
    cs = sum(math.cos(2 * math.pi * v) for v in x)
    return max(0.0, -20 * math.exp(-0.2 * math.sqrt(sq / 5)) - math.exp(cs / 5) + 20 + math.e)


def levy6(t):
    w = [1 + (t.suggest_float("x%d" % i, -10, 10) - 1) / 4 for i in range(6)]
    y = math.sin(math.pi * w[0]) ** 2
    for i in range(5):
        y += (w[i] - 1) ** 2 * (1 + 10 * math.sin(math.pi * w[i] + 1) ** 2)
    return y + (w[5] - 1) ** 2 * (1 + math.sin(2 * math.pi * w[5]) ** 2)


def st_min():
    x = -2.9
    for _ in range(50):
        x -= (4 * x**3 - 32 * x + 5) / (12 * x * x - 32)
    return (x**4 - 16 * x * x + 5 * x) / 2


# name: (objective, optimum, noise sd, held out)
FUNCTIONS = {
    "branin": (branin, 5 / (4 * math.pi), 0, False),
    "hartmann6": (hartmann6, -3.322368011415515, 0, False),
    "styblinski-tang10": (styblinski_tang10, 10 * st_min(), 0, False),
    "mixed": (mixed, 0.0, 0, False),
    "rastrigin6": (rastrigin6, 0.0, 0, True),
    "schwefel4": (schwefel4, 4 * schwefel_term(420.9687463), 0, True),
    "hartmann6-noisy": (hartmann6, -3.322368011415515, 0.1, True),
    "branin-noisy": (branin, 5 / (4 * math.pi), 1.0, True),
    "pipeline": (pipeline, 0.0, 0, True),
    "ackley5": (ackley5, 0.0, 0, True),
    "levy6": (levy6, 0.0, 0, True),
}

SAMPLERS = {
    "optuna-random": lambda seed: optuna.samplers.RandomSampler(seed=seed),
    # Optuna's default sampler: univariate TPE.
    "optuna-tpe": lambda seed: optuna.samplers.TPESampler(seed=seed),
    # Multivariate TPE; group=True models conditional parameters by the
    # subspaces they occur in, as dltune's multivariate TPE does.
    "optuna-tpe-multivariate": lambda seed: optuna.samplers.TPESampler(seed=seed, multivariate=True, group=True),
}


def run(fname, sname, seed, trials):
    fn, optimum, noise, _ = FUNCTIONS[fname]
    rng = np.random.default_rng(seed)
    truth = {}

    def objective(t):
        y = fn(t)
        truth[t.number] = y
        return y + noise * rng.standard_normal() if noise > 0 else y

    study = optuna.create_study(sampler=SAMPLERS[sname](seed))
    study.optimize(objective, n_trials=trials)
    # The regret after k trials: the noiseless value at the point observed
    # lowest among the first k, minus the optimum.
    best, seen, regret = math.inf, math.inf, []
    for tr in study.trials:
        if tr.value < seen:
            seen, best = tr.value, truth[tr.number]
        regret.append(best - optimum)
    return regret


def main():
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--seeds", type=int, default=20)
    ap.add_argument("--trials", type=int, default=100)
    ap.add_argument("--functions", default=",".join(FUNCTIONS))
    ap.add_argument("--samplers", default=",".join(SAMPLERS))
    a = ap.parse_args()
    optuna.logging.set_verbosity(optuna.logging.WARNING)
    warnings.filterwarnings("ignore", category=optuna.exceptions.ExperimentalWarning)
    checks = [c for c in (25, 50, 100) if c < a.trials] + [a.trials]
    for fname in a.functions.split(","):
        for sname in a.samplers.split(","):
            rows = []
            for seed in range(a.seeds):
                r = run(fname, sname, seed, a.trials)
                row = {"optuna": optuna.__version__, "function": fname, "held_out": FUNCTIONS[fname][3],
                       "sampler": sname, "seed": seed, "regret": {str(c): r[c - 1] for c in checks}}
                print(json.dumps(row), flush=True)
                rows.append(row)
            summary = []
            for c in checks:
                q1, med, q3 = np.percentile([row["regret"][str(c)] for row in rows], [25, 50, 75])
                summary.append("@%d %.4g [%.4g, %.4g]" % (c, med, q1, q3))
            print("%s %s: %s" % (fname, sname, "  ".join(summary)), file=sys.stderr, flush=True)


if __name__ == "__main__":
    main()
