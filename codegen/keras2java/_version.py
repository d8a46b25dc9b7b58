"""The keras2java version (also the generated runtime package's suffix)."""
__version__ = "0.1.0"
