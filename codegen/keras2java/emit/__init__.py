"""Stage 4: Java code generation."""
from .java import (EmitOptions, GeneratedFile, MavenOptions, as_maven_project, check_maven, render, render_golden,
                   resolve_weights_mode, runtime_classes, runtime_package, vector_runtime_files, write_atomically,
                   write_roots)
from .runtime_deps import RUNTIME_CHOICES

__all__ = ["RUNTIME_CHOICES",
           "EmitOptions", "GeneratedFile", "MavenOptions", "as_maven_project", "check_maven", "render", "render_golden",
           "resolve_weights_mode", "runtime_classes", "runtime_package", "vector_runtime_files", "write_atomically",
           "write_roots"]
