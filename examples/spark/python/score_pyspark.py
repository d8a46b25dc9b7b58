"""Score sequences from PySpark with the example's Java UDF (the same jar as the Java job).

    python examples/spark/python/score_pyspark.py target/keras2java-spark-example-1.0.0.jar \
        ../har_lstm_inputs.csv [../har_lstm_expected.csv]

Starts a local[2] session with the jar on the classpath (``spark.jars``), registers
``demo.spark.HarPredictUdf`` with ``spark.udf.registerJavaFunction`` and calls it from
SQL on a DataFrame of flattened windows (one CSV line each). With the expected CSV
(Keras' outputs), prints the max error and exits 1 beyond 1e-5. Nothing native is
involved: the model runs in the executor JVMs like any other Java UDF.
"""
from __future__ import annotations

import sys


def read_csv(path: str) -> list[list[float]]:
    with open(path, encoding="utf-8") as fh:
        return [[float(v) for v in line.split(",")] for line in fh if line.strip()]


def main(argv: list[str]) -> int:
    if len(argv) not in (2, 3):
        print(__doc__, file=sys.stderr)
        return 2
    jar, inputs = argv[0], read_csv(argv[1])
    from pyspark.sql import SparkSession
    from pyspark.sql.types import ArrayType, FloatType, LongType, StructField, StructType

    spark = (SparkSession.builder.master("local[2]").appName("keras2java-pyspark")
             .config("spark.jars", jar).config("spark.ui.enabled", "false")
             .config("spark.ui.showConsoleProgress", "false")
             .config("spark.sql.shuffle.partitions", "2").getOrCreate())
    try:
        spark.udf.registerJavaFunction("har_predict", "demo.spark.HarPredictUdf", ArrayType(FloatType()))
        schema = StructType([StructField("id", LongType(), False),
                             StructField("frames", ArrayType(FloatType(), False), False)])
        df = spark.createDataFrame([(i, x) for i, x in enumerate(inputs)], schema).repartition(2)
        df.createOrReplaceTempView("windows")
        rows = spark.sql("SELECT id, har_predict(frames) AS probs FROM windows").collect()
    finally:
        spark.stop()
    scored = {r["id"]: list(r["probs"]) for r in rows}
    print(f"pyspark local[2]: scored {len(scored)} rows with demo.spark.HarPredictUdf")
    if len(argv) == 3:
        expected = read_csv(argv[2])
        if sorted(scored) != list(range(len(expected))):
            print(f"pyspark: expected {len(expected)} rows, got ids {sorted(scored)}")
            return 1
        worst = max(abs(a - e) / max(1.0, abs(e)) for i, want in enumerate(expected)
                    for a, e in zip(scored[i], want, strict=True))
        print(f"pyspark local[2] vs Keras: max error {worst:.3g}")
        return 0 if worst <= 1e-5 else 1
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
