"""Java naming: validation of user-chosen names and sanitizing of model names.

Nothing read from a model file reaches Java source except through
:func:`sanitize` (identifiers and comments: ``[A-Za-z0-9_]`` only) or
:func:`java_string` (string literals with every risky character escaped).
"""
from __future__ import annotations

import re

from ..errors import OptionError

JAVA_KEYWORDS = frozenset("""
abstract assert boolean break byte case catch char class const continue default do double
else enum extends final finally float for goto if implements import instanceof int interface
long native new package private protected public return short static strictfp super switch
synchronized this throw throws transient try void volatile while true false null _
""".split())
#: Restricted identifiers that cannot name a type in current Java.
RESTRICTED_TYPE_NAMES = frozenset(("var", "yield", "record", "sealed", "permits"))
#: java.lang types the generated code refers to by simple name.
JAVA_LANG_USED = frozenset(("String", "Object", "System", "Float", "Integer", "Math",
                            "IllegalArgumentException", "IllegalStateException", "Override"))

_IDENT = re.compile(r"[A-Za-z_][A-Za-z0-9_]*\Z")


def check_package(package: str) -> str:
    if not isinstance(package, str) or not package:
        raise OptionError("invalid --package '': give a Java package such as com.acme.models")
    for seg in package.split("."):
        if not _IDENT.match(seg):
            raise OptionError(f"invalid --package {package!r}: segment {seg!r} is not a Java identifier "
                              "(letters, digits and _, not starting with a digit)")
        if seg in JAVA_KEYWORDS:
            raise OptionError(f"invalid --package {package!r}: {seg!r} is a Java keyword")
    if package == "java" or package.startswith(("java.", "javax.")):
        raise OptionError(f"invalid --package {package!r}: packages under java.* cannot be defined by applications")
    if package.startswith("keras2java.runtime"):
        raise OptionError(f"invalid --package {package!r}: reserved for the keras2java runtime")
    return package


#: Nested classes of the generated model class (a class cannot share its name with one).
NESTED_CLASSES = frozenset(("Net", "State", "Session", "Outputs"))


def check_class_name(name: str) -> str:
    """A valid ``--class``.  Runtime class names are fine (``Dense``): the generated
    code refers to a clashing runtime class by its fully qualified name."""
    if not isinstance(name, str) or not _IDENT.match(name or ""):
        raise OptionError(f"invalid --class {name!r}: not a Java identifier "
                          "(letters, digits and _, not starting with a digit)")
    if name in JAVA_KEYWORDS or name in RESTRICTED_TYPE_NAMES:
        raise OptionError(f"invalid --class {name!r}: it is a Java keyword or reserved type name")
    if name in NESTED_CLASSES:
        raise OptionError(f"invalid --class {name!r}: the generated class has a nested class of that name")
    if name in JAVA_LANG_USED:
        raise OptionError(f"invalid --class {name!r}: it would hide java.lang.{name}, which the generated code uses")
    return name


def sanitize(text: str, max_len: int = 48) -> str:
    """A safe ``[A-Za-z0-9_]`` rendering of a model-supplied name."""
    s = re.sub(r"[^A-Za-z0-9_]", "_", text or "")
    s = s[:max_len] or "_"
    return s


def java_identifier(text: str, taken: set[str], prefix: str = "x") -> str:
    """A unique Java identifier derived from ``text``; registers it in ``taken``."""
    base = sanitize(text, 40)
    if not re.match(r"[A-Za-z]", base):
        base = prefix + "_" + base
    if base in JAVA_KEYWORDS or base in RESTRICTED_TYPE_NAMES:
        base = base + "_"
    name = base
    i = 2
    while name in taken:
        name = f"{base}_{i}"
        i += 1
    taken.add(name)
    return name


def java_string(text: str) -> str:
    """A Java string literal for ``text``.

    Backslash and quote are escaped, printable ASCII is kept, control
    characters become octal escapes, and everything else becomes ``\\uXXXX``
    (which Java translates before lexing: safe, because none of those code
    points is a quote, a backslash or a line terminator).
    """
    out = ['"']
    for ch in text:
        o = ord(ch)
        if ch == "\\":
            out.append("\\\\")
        elif ch == '"':
            out.append('\\"')
        elif 0x20 <= o <= 0x7E:
            out.append(ch)
        elif o < 0x20 or o == 0x7F:
            out.append("\\%03o" % o)
        elif o <= 0xFFFF:
            out.append("\\u%04x" % o)
        else:  # outside the BMP: a surrogate pair
            o -= 0x10000
            out.append("\\u%04x\\u%04x" % (0xD800 + (o >> 10), 0xDC00 + (o & 0x3FF)))
    out.append('"')
    return "".join(out)


def float_literal(value: float) -> str:
    """An exact Java float expression for a float32 value."""
    import math

    import numpy as np

    if math.isnan(value):
        return "Float.NaN"
    if math.isinf(value):
        return "Float.POSITIVE_INFINITY" if value > 0 else "Float.NEGATIVE_INFINITY"
    text = np.format_float_scientific(np.float32(value), unique=True, trim="-")
    # numpy writes "1.e-05" / "3.e+00"; Java wants a digit after the point.
    mant, _, exp = text.partition("e")
    if mant.endswith("."):
        mant += "0"
    if "." not in mant:
        mant += ".0"
    return f"{mant}e{int(exp)}f" if exp else f"{mant}f"
