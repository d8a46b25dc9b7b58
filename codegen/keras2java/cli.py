"""The ``keras2java`` command line."""
from __future__ import annotations

import argparse
import os
import sys
from typing import Optional, Sequence

from ._version import __version__
from .emit.weights import STORAGES
from .errors import Keras2JavaError

EXIT_USAGE = 2


class _Parser(argparse.ArgumentParser):
    def error(self, message: str) -> None:  # one line, exit 2
        sys.stderr.write(f"keras2java: error: {message} (see --help)\n")
        sys.exit(EXIT_USAGE)


PLUGIN_HELP = ("load a custom-layer plugin first: a .py file or an importable module whose converters are "
               "decorated with @keras2java.layer(\"ClassName\") (repeatable; see examples/plugins/). Installed "
               "packages' keras2java.layers entry points are always loaded (unless "
               "KERAS2JAVA_DISABLE_PLUGIN_AUTOLOAD is set). A plugin that fails to load is an error (exit 2)")


STORAGE_HELP = ("how the weights are stored: float32 (default, bit-exact), float16 or bfloat16 (half the size), "
                "int8 (a quarter: symmetric, one scale per output column); compressed matrices are expanded to "
                "float32 at load, vectors (biases) stay float32. The golden test (--with-test) and verify then "
                "accept the storage's tolerance instead of 1e-5: 16 x the format's relative rounding error, "
                "rounded up (float16 0.008, bfloat16 and int8 0.063)")


def add_plugin_argument(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("--plugin", action="append", default=[], metavar="PATH_OR_MODULE", help=PLUGIN_HELP)


def build_parser() -> argparse.ArgumentParser:
    p = _Parser(prog="keras2java", description=(
        "Compile Keras recurrent models (.keras, .h5) into standalone Java sources "
        "that need no TensorFlow and no native libraries."))
    p.add_argument("--version", action="version", version=f"keras2java {__version__}")
    sub = p.add_subparsers(dest="command", metavar="COMMAND", parser_class=_Parser)
    sub.required = True

    c = sub.add_parser("convert", help="generate a Java package from a model file", description=(
        "Generate Java sources for MODEL: OUT/<package path>/<CLASS>.java, its weights, and the "
        "keras2java runtime classes it uses. Compile them with: javac --release 8 -d classes $(find OUT -name '*.java')."))
    c.add_argument("model", metavar="MODEL", help="Keras model file: .keras archive or .h5")
    c.add_argument("--out", "-o", required=True, metavar="DIR", help="output source directory (created if missing)")
    c.add_argument("--package", "-p", default="models", help="Java package of the generated class (default: models)")
    c.add_argument("--class", "-c", dest="class_name", default="Model", metavar="CLASS",
                   help="name of the generated class (default: Model)")
    c.add_argument("--weights", choices=("auto", "embedded", "resource"), default="auto",
                   help="embedded: weights inside the Java sources; resource: a little-endian float32 file "
                        "<CLASS>.weights beside the class, loaded from the classpath; auto (default): embedded "
                        "up to 262,144 parameters, resource above")
    c.add_argument("--weights-storage", choices=STORAGES, default="float32", help=STORAGE_HELP)
    c.add_argument("--architecture", metavar="JSON", help="architecture JSON for a weights-only MODEL file")
    c.add_argument("--labels", metavar="FILE",
                   help="class labels, one per line (UTF-8), for a classifier with one output of shape (n,): "
                        "adds LABELS, predictClass(float[]) and predictLabel(float[])")
    c.add_argument("--with-test", action="store_true",
                   help="also emit golden vectors (<CLASS>Golden.java, a dependency-free check with a main) and a "
                        "JUnit test (<CLASS>Test.java); expected outputs come from Keras when it can be imported, "
                        "otherwise from keras2java's numpy reference")
    c.add_argument("--junit", choices=("5", "4", "none"), default="5",
                   help="JUnit version of the generated test (default: 5; 4 for Gradle < 4.6; none: only the Golden class)")
    c.add_argument("--test-samples", type=int, default=5, metavar="N", help="golden samples to record (default: 5)")
    c.add_argument("--test-out", metavar="DIR", help="directory for the test sources (default: the --out directory)")
    c.add_argument("--reference", choices=("auto", "keras", "numpy"), default="auto",
                   help="who computes the golden (and self-test) outputs: auto (default: Keras if usable, else "
                        "numpy), keras, numpy")
    c.add_argument("--self-test", nargs="?", const="method", choices=("method", "load"), metavar="method|load",
                   help="the generated class carries one recorded sample and gets selfTest(), which runs it and "
                        "throws IllegalStateException naming the output, the index, both values and the tolerance "
                        "(1e-5, or the --weights-storage one) if they differ; 'load' (not the default 'method') also "
                        "runs it when the class loads. The sample is --self-test-sample, else one random input with "
                        "outputs from --reference (Keras if usable, else the numpy reference)")
    c.add_argument("--self-test-sample", metavar="NPZ",
                   help="the self-test's sample: an .npz with the arrays input_0, input_1, ... and the Keras outputs "
                        "output_0, output_1, ... in model order (each with or without a leading batch axis of 1), "
                        "e.g. np.savez(f, input_0=x, output_0=model.predict(x)); implies --self-test")
    c.add_argument("--build", choices=("none", "maven"), default="none",
                   help="maven: lay OUT out as a Maven project (pom.xml, src/main/java, src/main/resources, "
                        "src/test/java) so that `mvn package` builds a jar (default: none, OUT is a source root)")
    c.add_argument("--group-id", default="models", help="Maven groupId with --build maven (default: models)")
    c.add_argument("--artifact-id", help="Maven artifactId with --build maven (default: the class name in lower case)")
    c.add_argument("--artifact-version", default="1.0.0", help="Maven version with --build maven (default: 1.0.0)")
    c.add_argument("--vector-out", metavar="DIR",
                   help="also write the optional JDK 17+ Vector API kernels into DIR, a source root of their own "
                        "(javac --release 17 --add-modules jdk.incubator.vector); used, with bit-identical results, by "
                        "a Java 25+ JVM run with --add-modules jdk.incubator.vector (Java 17-24: also "
                        "-Dkeras2java.kernels=vector). --build maven includes them")
    c.add_argument("--runtime", choices=("used", "full"), default="used",
                   help="which keras2java runtime classes OUT gets: used (default: only those this model needs) "
                        "or full (all of them, for a shared jar of many models converted with the same "
                        "keras2java version)")
    add_plugin_argument(c)
    c.add_argument("--quiet", "-q", action="store_true", help="print nothing on success")

    v = sub.add_parser("verify", help="generate, compile and run the Java, and compare it with Keras",
                       description=(
                           "Generate MODEL's Java into a temporary directory, compile it with javac, run it on N "
                           "random inputs (or the given .npy files) and report the max error per output against "
                           "Keras when it is installed, else against keras2java's numpy reference. Exit status: "
                           "0 within 1e-5 (or the --weights-storage tolerance), 1 beyond, 2 on bad input."))
    v.add_argument("model", metavar="MODEL", help="Keras model file: .keras archive or .h5")
    v.add_argument("--samples", type=int, default=20, metavar="N", help="random samples (default: 20)")
    v.add_argument("--inputs", nargs="+", metavar="NPY",
                   help="one .npy file per model input, each with a leading sample axis, instead of random inputs")
    v.add_argument("--reference", choices=("auto", "keras", "numpy"), default="auto",
                   help="auto (default: Keras if usable, else numpy), keras or numpy")
    v.add_argument("--architecture", metavar="JSON", help="architecture JSON for a weights-only MODEL file")
    v.add_argument("--weights-storage", choices=STORAGES, default="float32",
                   help="verify the model with its weights stored this way (see convert --weights-storage) and "
                        "report the accuracy cost against the storage's tolerance")
    add_plugin_argument(v)

    i = sub.add_parser("inspect", help="show layers, shapes, activations and weight-to-gate mapping",
                       description="Print how keras2java reads MODEL: layers, shapes, parameters, "
                                   "activations and how each stored tensor maps to gates.")
    i.add_argument("model", metavar="MODEL", help="Keras model file: .keras archive or .h5")
    i.add_argument("--architecture", metavar="JSON", help="architecture JSON for a weights-only MODEL file")
    add_plugin_argument(i)
    return p


def _convert(args: argparse.Namespace) -> int:
    from .pipeline import convert_file

    def progress(msg: str) -> None:
        if not args.quiet:
            sys.stderr.write(f"keras2java: {msg}\n")
            sys.stderr.flush()

    from .pipeline import ConvertOptions, TestOptions
    test = (TestOptions(args.junit, args.test_samples, args.test_out, args.reference) if args.with_test else None)
    maven = None
    if args.build == "maven":
        from .emit import MavenOptions
        maven = MavenOptions(args.group_id, args.artifact_id or args.class_name.lower(), args.artifact_version)
    self_test = None
    if args.self_test is not None or args.self_test_sample is not None:
        from .selftest import SelfTestOptions
        self_test = SelfTestOptions(args.self_test or "method", args.self_test_sample, args.reference)
    options = ConvertOptions(package=args.package, class_name=args.class_name, weights=args.weights,
                             architecture=args.architecture, labels=args.labels, test=test, maven=maven,
                             vector_out=args.vector_out, weights_storage=args.weights_storage,
                             runtime=args.runtime, self_test=self_test)
    result = convert_file(args.model, args.out, options, progress=progress)
    for w in result.warnings:
        sys.stderr.write(f"keras2java: warning: {w}\n")
    if not args.quiet:
        src_root = os.path.join(args.out, "src", "main", "java") if args.build == "maven" else args.out
        main_file = os.path.join(src_root, *args.package.split("."), args.class_name + ".java")
        stored = "" if args.weights_storage == "float32" else f" stored as {args.weights_storage}"
        print(f"wrote {main_file} ({result.model.param_count():,} parameters, weights {result.weights_mode}{stored}, "
              f"{len(result.files)} files)")
        if result.test_reference:
            print(f"golden vectors recorded with {result.test_reference}")
    return 0


def _verify(args: argparse.Namespace) -> int:
    from .verify import verify

    ok, report = verify(args.model, args.samples, args.inputs, args.reference, args.architecture,
                        args.weights_storage)
    sys.stdout.write(report)
    return 0 if ok else 1


def _inspect(args: argparse.Namespace) -> int:
    from .inspect_model import describe
    from .pipeline import load

    sys.stdout.write(describe(load(args.model, args.architecture)))
    return 0


def main(argv: Optional[Sequence[str]] = None) -> int:
    args = build_parser().parse_args(argv)
    try:
        from .plugin_loader import load_plugins
        load_plugins(args.plugin)
        if args.command == "convert":
            return _convert(args)
        if args.command == "verify":
            return _verify(args)
        return _inspect(args)
    except Keras2JavaError as exc:
        msg = " ".join(str(exc).split())
        sys.stderr.write(f"keras2java: error: {msg}\n")
        return EXIT_USAGE
    except KeyboardInterrupt:
        sys.stderr.write("keras2java: interrupted\n")
        return 130
    except Exception as exc:  # a bug: still one line, unless debugging
        if os.environ.get("KERAS2JAVA_DEBUG"):
            raise
        sys.stderr.write(f"keras2java: internal error: {type(exc).__name__}: {exc} "
                         "(please report this; set KERAS2JAVA_DEBUG=1 for a traceback)\n")
        return 3


def entry() -> None:
    sys.exit(main())


if __name__ == "__main__":
    entry()
