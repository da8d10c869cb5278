"""Precision, Recall, the confusion counts and AUC, with values worked out by hand, including ties,
thresholds hit exactly, sample weights, top_k, class_id and several labels."""

from __future__ import annotations

import numpy as np
import pytest

from numcnn import metrics

Y = np.array([0, 1, 1, 0, 1])
P = np.array([0.6, 0.4, 0.8, 0.2, 0.5])  # above 0.5: samples 0 and 2; 0.5 itself is not above
W = np.array([1.0, 2.0, 3.0, 4.0, 5.0])


def test_precision_and_recall_at_the_default_threshold():
    precision, recall = metrics.Precision(), metrics.Recall()
    precision.update_state(Y, P)
    recall.update_state(Y, P)
    assert precision.result() == pytest.approx(1 / 2)  # tp: sample 2; fp: sample 0
    assert recall.result() == pytest.approx(1 / 3)  # fn: samples 1 and 4
    precision.update_state(Y, P, sample_weight=W)
    recall.update_state(Y, P, sample_weight=W)
    assert precision.result() == pytest.approx((1 + 3) / (2 + 4))
    assert recall.result() == pytest.approx((1 + 3) / (3 + 3 + 7))
    precision.reset_state()
    assert precision.result() == 0.0


def test_counts_at_several_thresholds():
    counts = {
        cls: cls(thresholds=[0.3, 0.5, 0.7])
        for cls in (metrics.TruePositives, metrics.FalsePositives, metrics.TrueNegatives, metrics.FalseNegatives)
    }
    for metric in counts.values():
        metric.update_state(Y, P, sample_weight=W)
    np.testing.assert_allclose(counts[metrics.TruePositives].result(), [2 + 3 + 5, 3, 3])
    np.testing.assert_allclose(counts[metrics.FalsePositives].result(), [1, 1, 0])
    np.testing.assert_allclose(counts[metrics.TrueNegatives].result(), [4, 4, 5])
    np.testing.assert_allclose(counts[metrics.FalseNegatives].result(), [0, 7, 7])


def test_evenly_spread_thresholds_take_the_bucket_path_with_the_same_counts():
    # [0, 0.5, 1] is evenly spread: Keras buckets the predictions; 0 and 1 stay below thresholds 0 and 1
    y, p = np.array([1, 0, 1, 1]), np.array([0.0, 0.5, 1.0, 0.75])
    tp = metrics.TruePositives(thresholds=[0.0, 0.5, 1.0])
    tp.update_state(y, p)
    np.testing.assert_allclose(tp.result(), [2, 2, 0])
    fp = metrics.FalsePositives(thresholds=[0.0, 0.5, 1.0])
    fp.update_state(y, p)
    np.testing.assert_allclose(fp.result(), [1, 0, 0])


def test_every_entry_of_a_wide_output_is_a_decision():
    y = np.array([[1, 0, 1], [0, 1, 0]])
    p = np.array([[0.2, 0.9, 0.3], [0.1, 0.8, 0.05]])
    precision = metrics.Precision()
    precision.update_state(y, p, sample_weight=[1.0, 3.0])  # a row's weight covers its entries
    assert precision.result() == pytest.approx(3 / 4)
    top = metrics.Precision(top_k=1)
    top.update_state(y, p)  # the best of each row: column 1 twice, right once
    assert top.result() == pytest.approx(1 / 2)
    column = metrics.Recall(class_id=0)
    column.update_state(y, p)
    assert column.result() == 0.0
    column.update_state([[1, 0, 0]], [[0.7, 0.1, 0.1]])
    assert column.result() == pytest.approx(1 / 2)


def test_several_thresholds_give_an_array():
    precision = metrics.Precision(thresholds=[0.3, 0.7])
    precision.update_state(Y, P)
    np.testing.assert_allclose(precision.result(), [3 / 4, 1.0])


# The ROC of Y_AUC/P_AUC has area 0.75 (one of the four positive-negative pairs is ordered wrongly); no two
# scores share a bucket of the 200 thresholds, so every summation gives it exactly.
Y_AUC, P_AUC = np.array([0, 0, 1, 1]), np.array([0.1, 0.4, 0.35, 0.8])


@pytest.mark.parametrize("summation", ["interpolation", "minoring", "majoring"])
def test_roc_auc_of_distinct_scores(summation):
    auc = metrics.AUC(summation_method=summation)
    auc.update_state(Y_AUC[:2], P_AUC[:2])
    auc.update_state(Y_AUC[2:], P_AUC[2:])
    assert auc.result() == pytest.approx(0.75, abs=1e-12)


@pytest.mark.parametrize(("summation", "area"), [("interpolation", 0.5), ("minoring", 0.0), ("majoring", 1.0)])
def test_tied_scores_make_one_step_that_each_summation_reads_its_way(summation, area):
    auc = metrics.AUC(summation_method=summation)
    auc.update_state([0, 1], [0.5, 0.5])
    assert auc.result() == pytest.approx(area, abs=1e-12)


def test_pr_auc_of_a_perfect_ranking_is_one():
    auc = metrics.AUC(curve="PR")
    auc.update_state([0, 0, 1, 1], [0.1, 0.2, 0.7, 0.9])
    assert auc.result() == pytest.approx(1.0, abs=1e-9)


def test_auc_from_logits_applies_the_sigmoid():
    auc = metrics.AUC(from_logits=True)
    auc.update_state(Y_AUC, np.log(P_AUC / (1 - P_AUC)))
    assert auc.result() == pytest.approx(0.75, abs=1e-12)


def test_multi_label_auc_averages_the_labels():
    y = np.stack([Y_AUC, Y_AUC], axis=1)
    p = np.stack([P_AUC, np.array([0.1, 0.2, 0.7, 0.9])], axis=1)  # a perfect second label
    auc = metrics.AUC(multi_label=True)
    auc.update_state(y, p)
    assert auc.result() == pytest.approx((0.75 + 1.0) / 2, abs=1e-12)
    weighted = metrics.AUC(multi_label=True, label_weights=[1.0, 3.0])
    weighted.update_state(y, p)
    assert weighted.result() == pytest.approx((0.75 + 3.0) / 4, abs=1e-12)
    with pytest.raises(ValueError, match="built for 2 labels"):
        weighted.update_state(y[:, :1], p[:, :1])


def test_sample_weights_count_pairs_by_weight():
    auc = metrics.AUC()
    auc.update_state(Y_AUC, P_AUC, sample_weight=[1.0, 1.0, 3.0, 1.0])
    # the wrong pair (0.35 positive below 0.4 negative) now weighs 3 of the 8 weighted pairs
    assert auc.result() == pytest.approx(1 - 3 / 8, abs=1e-12)


def test_auc_thresholds_are_keras():
    thresholds = metrics.AUC(num_thresholds=5).thresholds
    np.testing.assert_allclose(thresholds, [-1e-7, 0.25, 0.5, 0.75, 1 + 1e-7])
    assert metrics.AUC(thresholds=[0.6, 0.2]).thresholds == pytest.approx([-1e-7, 0.2, 0.6, 1 + 1e-7])


@pytest.mark.parametrize(
    ("make", "error", "match"),
    [
        (lambda: metrics.Precision(thresholds=[1.5]), ValueError, "'thresholds'"),
        (lambda: metrics.Precision(thresholds=["a"]), TypeError, "'thresholds'"),
        (lambda: metrics.Recall(top_k=0), ValueError, "'top_k'"),
        (lambda: metrics.Recall(class_id=1.5), TypeError, "'class_id'"),
        (lambda: metrics.AUC(curve="XY"), ValueError, "'curve'"),
        (lambda: metrics.AUC(summation_method="mean"), ValueError, "'summation_method'"),
        (lambda: metrics.AUC(num_thresholds=1), ValueError, "'num_thresholds'"),
        (lambda: metrics.AUC(num_labels=3), ValueError, "'num_labels'"),
        (lambda: metrics.Precision(class_id=7).update_state([[1, 0]], [[0.6, 0.2]]), ValueError, "'class_id'"),
    ],
)
def test_bad_arguments_raise_house_style_errors(make, error, match):
    with pytest.raises(error, match=match):
        make()
