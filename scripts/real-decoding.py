# Does post-processing of out-of-fold predictions raise kappa honestly? Reads the per-image
# predictions.csv of cross-validation runs (`drgrade train`, docs/real-data.md) and compares, fold by
# fold, argmax grades with three common post-processing steps, each fitted on the other four folds'
# predictions only (nested, so the held-out fold never chooses its own parameters):
#   cut-points: the expected grade sum(k * p_k) cut at four thresholds chosen for kappa;
#   both eyes: each eye's probabilities blended with its fellow eye's (weight w chosen as well), alone or before the cut-points;
#   ensembles: the recipes' probabilities averaged.
# Beside kappa it prints referable-DR (grade >= 2) sensitivity and specificity of the predicted grades
# and grade 2's recall, because a decoding can buy kappa with them. Needs numpy and scikit-learn
# (scripts/setup.sh --torch); tests never run it.
#   /usr/bin/python3 scripts/real-decoding.py <recipe-run-dir> [<recipe-run-dir> ...]
# (each a folder with the predictions.csv of `drgrade report`; several are averaged as an ensemble:
# recipes, or seeds of one recipe, on the same folds)
import csv, sys
import numpy as np
from sklearn.metrics import cohen_kappa_score

GRADES = np.arange(5)
WEIGHTS = [0.0, 0.1, 0.2, 0.3, 0.4, 0.5]


def read(path):
    rows = sorted(csv.DictReader(open(path)), key=lambda r: r['id'])
    probs = np.array([[float(r[f'p{k}']) for k in GRADES] for r in rows])
    return [r['id'] for r in rows], [r['patient'] for r in rows], np.array([int(r['grade']) for r in rows]), np.array([int(r['fold']) for r in rows]), probs


def qwk(a, b):
    return cohen_kappa_score(a, b, weights='quadratic', labels=GRADES)


def fellow_eyes(patients):
    """Index of each image's fellow eye (itself when the patient has one image)."""
    by_patient = {}
    for i, p in enumerate(patients):
        by_patient.setdefault(p, []).append(i)
    fellow = np.arange(len(patients))
    for members in by_patient.values():
        if len(members) == 2:
            fellow[members[0]], fellow[members[1]] = members[1], members[0]
    return fellow


def cut(probs, thresholds):
    return np.digitize(probs @ GRADES, thresholds)


def fit_cut_points(probs, grades):
    """Coordinate search over the four thresholds of the expected grade, maximising kappa."""
    expected = probs @ GRADES
    thresholds, best = np.array([0.5, 1.5, 2.5, 3.5]), -np.inf
    for _ in range(3):
        for k in range(4):
            for value in np.linspace(0, 4, 81):
                trial = np.sort(np.concatenate([thresholds[:k], [value], thresholds[k + 1:]]))
                score = qwk(grades, np.digitize(expected, trial))
                if score > best:
                    best, chosen = score, trial
            thresholds = chosen
    return thresholds, best


def blend(probs, fellow, w):
    return (1 - w) * probs + w * probs[fellow]


def nested(probs, grades, folds, fellow, with_eyes, with_cuts=True):
    predicted = np.zeros(len(grades), dtype=int)
    for f in np.unique(folds):
        inner = folds != f
        fits = []
        for w in (WEIGHTS if with_eyes else [0.0]):
            # Both eyes of a patient share a fold, so blending never mixes the held-out fold in.
            blended = blend(probs, fellow, w)
            if with_cuts:
                thresholds, score = fit_cut_points(blended[inner], grades[inner])
            else:
                thresholds, score = None, qwk(grades[inner], blended[inner].argmax(1))
            fits.append((score, w, thresholds))
        _, w, thresholds = max(fits, key=lambda t: t[0])
        blended = blend(probs, fellow, w)[folds == f]
        predicted[folds == f] = cut(blended, thresholds) if with_cuts else blended.argmax(1)
    return predicted


def line(name, grades, folds, predicted):
    per_fold = [qwk(grades[folds == f], predicted[folds == f]) for f in np.unique(folds)]
    referable, flagged = grades >= 2, predicted >= 2
    sensitivity = (flagged & referable).sum() / referable.sum()
    specificity = (~flagged & ~referable).sum() / (~referable).sum()
    recall2 = (predicted[grades == 2] == 2).mean()
    print(f'| {name} | {np.mean(per_fold):.3f} ± {np.std(per_fold, ddof=1):.3f} | {sensitivity:.3f} | {specificity:.3f} | {recall2:.2f} |')


def main():
    recipes = sys.argv[1:]
    runs = {r: read(f'{r}/predictions.csv') for r in recipes}
    ids, patients, grades, folds, _ = runs[recipes[0]]
    for r in recipes:
        assert runs[r][0] == ids and (runs[r][3] == folds).all(), f'{r}: other images or folds than {recipes[0]}'
    fellow = fellow_eyes(patients)
    print('| out-of-fold predictions | kappa (mean ± std over folds) | referable sensitivity | referable specificity | grade 2 recall |')
    print('|---|---|---|---|---|')
    label = lambda path: '/'.join(path.rstrip('/').split('/')[-2:])
    candidates = [(label(r), runs[r][4]) for r in recipes]
    if len(recipes) > 1:
        candidates.append((f'mean of the {len(recipes)} runs', sum(runs[r][4] for r in recipes) / len(recipes)))
    for name, probs in candidates:
        line(f'{name}: argmax', grades, folds, probs.argmax(1))
        line(f'{name}: both eyes, argmax (nested)', grades, folds, nested(probs, grades, folds, fellow, True, False))
        line(f'{name}: cut-points (nested)', grades, folds, nested(probs, grades, folds, fellow, False))
        line(f'{name}: both eyes + cut-points (nested)', grades, folds, nested(probs, grades, folds, fellow, True))


main()
