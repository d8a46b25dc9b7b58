"""A test module's battery of Keras case rows: every row is built with Keras, saved,
converted, compiled with the module's other rows in one ``javac`` call and run in one
JVM; each ``test_matches_keras[row]`` then compares one row with Keras' own outputs.

A layer family's test file (``tests/layers/test_<family>.py``) holds its case table
and declares its battery::

    battery = KerasBattery([(prepare, CASES), (cases_conv2d.prepare, IMAGE_CASES)],
                           seed=7000, package="k2jtest.norm", workdir="norm")
    prepared, batch, test_matches_keras = battery.tests()

Each table is (preparer, rows): the preparer builds a row's model with Keras, saves it
and records Keras' outputs (``support.keras_cases.prepare`` and the family preparers in
``support/cases_*``).  Row n of the module (counting over all tables) gets the seed
``seed + n`` and the Java package ``<package>.c<n>``.  Only the rows whose tests are
selected are prepared (all of them in a full run; fewer with ``-k``), and the battery
is one module-scoped fixture: one ``javac`` and one JVM per module.

``test_reference_matches_keras()`` adds the check of keras2java's numpy reference
(``keras2java.reference``, used for golden vectors without TensorFlow) on the rows of
the tables given as ``(preparer, rows, True)`` (or ``(preparer, rows, predicate)``),
on the same saved models and Keras outputs.
"""
from __future__ import annotations

from typing import Callable, Sequence

from support.cases_recurrent import harness_mode
from support.harness import JavaBatch, max_error
from support.keras_cases import Case

Preparer = Callable[[Case, object, int], tuple]
#: (preparer, rows) or (preparer, rows, reference): reference True, or a predicate on the row
Table = tuple

#: numpy reference against Keras (as the Java code: |ref - keras| / max(1, |keras|))
REFERENCE_TOLERANCE = 1e-5


class KerasBattery:
    def __init__(self, tables: Sequence[Table], *, seed: int, package: str, workdir: str) -> None:
        self.rows: list[tuple[int, Case, Preparer]] = []
        self.reference_rows: list[Case] = []
        for prep, cases, *reference in tables:
            for case in cases:
                self.rows.append((len(self.rows), case, prep))
                if reference and (reference[0] is True or reference[0](case)):
                    self.reference_rows.append(case)
        ids = [c.id for _, c, _ in self.rows]
        duplicates = sorted({i for i in ids if ids.count(i) > 1})
        if duplicates:
            raise ValueError(f"case ids used twice: {duplicates}")
        self.cases = [c for _, c, _ in self.rows]
        self.seed, self.package, self.workdir = seed, package, workdir

    def tests(self):
        """The module's fixtures ``prepared`` and ``batch`` and its ``test_matches_keras``."""
        return (*self.fixtures(), self.test_matches_keras())

    def fixtures(self):
        """The module-scoped fixtures ``prepared`` ({case id: (path, samples, Keras outputs)})
        and ``batch`` (the JavaBatch of every prepared row, compiled and run)."""
        import pytest

        rows = self.rows

        @pytest.fixture(scope="module")
        def prepared(tmp_path_factory, request):
            work = tmp_path_factory.mktemp(self.workdir)
            selected = {item.callspec.params["case"].id for item in request.session.items
                        if item.module is request.module and hasattr(item, "callspec")
                        and isinstance(item.callspec.params.get("case"), Case)}
            return work, {case.id: prep(case, work, self.seed + n) for n, case, prep in rows if case.id in selected}

        @pytest.fixture(scope="module")
        def batch(prepared):
            work, models = prepared
            b = JavaBatch(work)
            for n, case, _ in rows:
                if case.id in models:
                    path, samples, expected = models[case.id]
                    b.add(case.id, path, samples, expected, package=f"{self.package}.c{n}", class_name="M",
                          weights=case.weights, mode=harness_mode(case, samples),
                          architecture=case.architecture(path) if hasattr(case, "architecture") else None)
            b.run()
            return b

        return prepared, batch

    def test_matches_keras(self):
        import pytest

        @pytest.mark.keras
        @pytest.mark.java
        @pytest.mark.slow
        @pytest.mark.parametrize("case", self.cases, ids=[c.id for c in self.cases])
        def test_matches_keras(case, batch):
            err = batch.cases[case.id].check(case.tol)
            print(f"{case.id}: max error {err:.3g}")

        return test_matches_keras

    def test_reference_matches_keras(self):
        """keras2java's numpy reference against Keras on the reference rows; a model the
        reference cannot evaluate (masks, initial states as inputs) must be refused with
        UnsupportedModelError naming the numpy reference."""
        import pytest

        @pytest.mark.keras
        @pytest.mark.parametrize("case", self.reference_rows, ids=[c.id for c in self.reference_rows])
        def test_reference_matches_keras(case, prepared):
            from keras2java import UnsupportedModelError, reference
            from keras2java.pipeline import load

            path, samples, expected = prepared[1][case.id]
            model = load(path, case.architecture(path) if hasattr(case, "architecture") else None)
            if reference.unsupported(model):
                with pytest.raises(UnsupportedModelError, match="numpy reference"):
                    reference.predict(model, samples[0])
                return
            worst = 0.0
            for sample, exp in zip(samples, expected):
                got = reference.predict(model, sample)
                assert len(got) == len(exp)
                worst = max([worst] + [max_error(g, e) for g, e in zip(got, exp)])
            assert worst <= REFERENCE_TOLERANCE, f"max error {worst:.3g}"

        return test_reference_matches_keras
