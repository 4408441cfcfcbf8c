"""scikit-learn reference for dualfit's real-data check: the cars data (vega-datasets),
Horsepower -> Miles_per_Gallon, rows missing either value dropped, 5-fold KFold without shuffle
(dualfit's `cv: {folds: 5}`), standardized x and y fitted per fold, CV MSE in the data's units.

    /usr/bin/python3 benchmarks/reference/cars_sklearn.py path/to/cars.json
(Debian: apt-get install -y python3-sklearn)
"""
import json
import sys
import warnings

import numpy as np
from sklearn.compose import TransformedTargetRegressor
from sklearn.linear_model import LinearRegression
from sklearn.model_selection import KFold, cross_val_score
from sklearn.neural_network import MLPRegressor
from sklearn.pipeline import make_pipeline
from sklearn.preprocessing import StandardScaler

records = json.load(open(sys.argv[1]))
rows = [r for r in records if r.get("Horsepower") is not None and r.get("Miles_per_Gallon") is not None]
x = np.array([[r["Horsepower"]] for r in rows], dtype=np.float64)
y = np.array([r["Miles_per_Gallon"] for r in rows], dtype=np.float64)


def scaled(model):
    return TransformedTargetRegressor(regressor=make_pipeline(StandardScaler(), model), transformer=StandardScaler())


models = {
    "LinearRegression": scaled(LinearRegression()),
    "MLPRegressor 16-16 tanh (adam, lr 0.01, batch 32, 200 epochs)": scaled(
        MLPRegressor(hidden_layer_sizes=(16, 16), activation="tanh", solver="adam", learning_rate_init=0.01,
                     batch_size=32, max_iter=200, n_iter_no_change=200, tol=0, random_state=0)
    ),
}
# A fixed epoch budget, as dualfit's, rather than sklearn's convergence test.
warnings.filterwarnings("ignore", message=".*Maximum iterations.*")
print(f"rows: {len(rows)} (dropped {len(records) - len(rows)} of {len(records)})")
for name, model in models.items():
    scores = -cross_val_score(model, x, y, cv=KFold(5), scoring="neg_mean_squared_error")
    print(f"{name}: CV MSE {scores.mean():.4f} (folds {', '.join(f'{s:.2f}' for s in scores)})")
