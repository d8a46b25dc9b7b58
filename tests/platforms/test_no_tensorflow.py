"""keras2java must never import TensorFlow or Keras to read or generate."""
import subprocess
import sys
import textwrap

from support.util import EXAMPLE, REPO


def test_import_and_convert_without_tensorflow(tmp_path):
    code = textwrap.dedent(f"""
        import sys
        import keras2java, keras2java.cli, keras2java.pipeline, keras2java.inspect_model
        from keras2java.pipeline import load
        from keras2java.inspect_model import describe
        m = load({str(EXAMPLE)!r})
        describe(m)
        keras2java.convert({str(EXAMPLE)!r}, {str(tmp_path / 'out')!r}, package="p", class_name="M")
        bad = sorted(k for k in sys.modules if k.split(".")[0] in ("tensorflow", "keras", "tf_keras", "torch", "jax"))
        print("IMPORTED:", bad)
        sys.exit(1 if bad else 0)
    """)
    proc = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, cwd=str(REPO))
    assert proc.returncode == 0, proc.stdout + proc.stderr
    assert "IMPORTED: []" in proc.stdout
    assert (tmp_path / "out" / "p" / "M.java").is_file()
