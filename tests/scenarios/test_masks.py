"""Keras masks across a model, per Keras version (Keras 3 .keras / .h5 and tf-keras .h5):
nested Sequential and Functional models fed a masked tensor or creating a mask, a mask
reaching an initial state, and layers whose call never reads a mask (pooling, the Conv1D
family, Reshape, Permute, Flatten, padding, cropping, upsampling, Dot) dropping it, so
that a recurrent layer after them runs over every step.  (A layer's own mask handling is
in its family file under tests/layers/; refusals in test_mask_refusals.py.)"""
from __future__ import annotations

import pytest

from support.battery import KerasBattery
from support.cases_masked_layers import drops, forms, initial_state_mask, nested_creates_mask, nested_masked, prepare

pytestmark = [pytest.mark.keras, pytest.mark.java, pytest.mark.slow]

CASES = (
    forms("nested_masked", nested_masked, formats=("keras", "h5", "tf_h5"), data="tokens_padded")
    + forms("nested_creates_mask", nested_creates_mask, formats=("keras", "h5", "tf_h5"), data="tokens_padded")
    + forms("initial_state_mask", initial_state_mask, formats=("keras", "h5", "tf_h5"), data="tokens_padded")
    + forms("mask_dropped", drops)
)


battery = KerasBattery([(prepare, CASES)], seed=1800, package="k2jtest.masked", workdir="masked")
prepared, batch, test_matches_keras = battery.tests()
