"""Shared test support (not tests): import as ``from support.harness import JavaBatch``.

tests/conftest.py puts ``tests/`` on sys.path (also in pytest-xdist workers).

* ``util``             -- CLI runner, javac, CSV and .keras helpers (no TensorFlow)
* ``harness``          -- JavaBatch: convert many models, compile and run them at once (no TensorFlow)
* ``keras_cases``      -- ``Case``, the one case type, plus Keras model helpers
                          (Keras is imported lazily, inside the functions that use it)
* ``battery``          -- KerasBattery: a test module's Keras rows, prepared, compiled
                          and run at once (one javac per module), and their tests
* ``cases_*``          -- model builders and preparers of the rows; the rows themselves
                          (the case tables) live in the test files, by subject:
                          tests/layers/test_<family>.py for each ops/<family>.py
* ``cases_legacy``     -- tf-keras models in the legacy Keras layouts' shapes
* ``legacy_fixtures``  -- writers of the legacy Keras file layouts

Nothing here may import TensorFlow or Keras at module level: test modules
import these at collection time, also under ``pytest -m "not keras"`` without
TensorFlow (tests/tooling/test_suite_hygiene.py checks this).
"""
