"""Evaluation: ground truth and result files, top-k accuracy, Charades mAP."""
