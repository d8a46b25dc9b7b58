"""Issue 18: Keras masks reaching attention layers are applied as each Keras
version applies them (bug 2), and masks reaching layers that drop them are
dropped as Keras does (cases in support/cases_masked_layers.py)."""
from __future__ import annotations

import pytest

from support.cases_masked_layers import CASES, prepare
from support.harness import keras_case_tests

pytestmark = [pytest.mark.keras, pytest.mark.java, pytest.mark.slow]


batch, test_matches_keras = keras_case_tests(CASES, prepare, 1800, "k2jtest.masked", "masked")
