"""scikit-learn reference for dualfit's classification check: the cars data (vega-datasets),
Origin from the numeric columns, rows missing any of them dropped, logistic regression without
penalty (multinomial softmax, as dualfit's one Dense layer under cross_entropy), 5-fold
StratifiedKFold without shuffle (dualfit's `cv: {folds: 5}` under a classification loss), x
standardized per fold; the CV log loss as dualfit's cv_log_loss (the mean over folds).

    /usr/bin/python3 benchmarks/reference/logreg_sklearn.py path/to/cars.json
    /usr/bin/python3 benchmarks/reference/logreg_sklearn.py --folds LABELS-JSON K
        (the test fold of each row under StratifiedKFold(K), for core's stratifiedKFold)

prints one JSON object. (Debian: apt-get install -y python3-sklearn)
"""
import json
import sys

import numpy as np
from sklearn.linear_model import LogisticRegression
from sklearn.model_selection import StratifiedKFold, cross_val_score
from sklearn.pipeline import make_pipeline
from sklearn.preprocessing import StandardScaler

# The numeric columns of cars.json (Year is a date string, Name an id).
COLUMNS = ["Miles_per_Gallon", "Cylinders", "Displacement", "Horsepower", "Weight_in_lbs", "Acceleration"]


def test_folds(labels, k):
    folds = [0] * len(labels)
    for f, (_, test) in enumerate(StratifiedKFold(k).split(np.zeros(len(labels)), labels)):
        for i in test:
            folds[int(i)] = f
    return {"folds": folds}


def cars(path):
    records = json.load(open(path))
    rows = [r for r in records if all(r.get(c) is not None for c in COLUMNS + ["Origin"])]
    x = np.array([[r[c] for c in COLUMNS] for r in rows], dtype=np.float64)
    y = np.array([r["Origin"] for r in rows])
    # lbfgs to convergence: the unpenalized optimum, which dualfit's full-batch Adam approaches.
    model = make_pipeline(StandardScaler(), LogisticRegression(penalty=None, max_iter=100_000, tol=1e-10))
    scores = -cross_val_score(model, x, y, cv=StratifiedKFold(5), scoring="neg_log_loss")
    return {"rows": len(rows), "dropped": len(records) - len(rows), "cvLogLoss": scores.mean(), "folds": list(scores)}


if __name__ == "__main__":
    if sys.argv[1] == "--folds":
        result = test_folds(json.loads(sys.argv[2]), int(sys.argv[3]))
    else:
        result = cars(sys.argv[1])
    print(json.dumps(result))
