"""Consumer projects of the keras2java Maven and Gradle plugins (build-plugins/), for the tests:
install the plugins, write a project around a model directory, run the build tool."""
from __future__ import annotations

import re
import shutil
import subprocess
from pathlib import Path

from support.util import REPO

VERSION = next(line.split('"')[1] for line in (REPO / "pyproject.toml").read_text().splitlines()
               if line.startswith("version"))
# Maven 3.8's default plugin versions predate `maven.compiler.release` and the JUnit Platform.
MAVEN_BUILD_PLUGINS = "".join(
    f"<plugin><groupId>org.apache.maven.plugins</groupId><artifactId>{a}</artifactId><version>{v}</version></plugin>"
    for a, v in (("maven-compiler-plugin", "3.11.0"), ("maven-surefire-plugin", "3.2.5"),
                 ("maven-jar-plugin", "3.3.0")))
JUNIT = {"5": ("org.junit.jupiter", "junit-jupiter", "5.10.2"), "4": ("junit", "junit", "4.13.2")}


def install_plugins() -> None:
    """build-plugins/install.sh: builds and installs both plugins (quick when they are up to date)."""
    proc = subprocess.run(["bash", str(REPO / "build-plugins" / "install.sh")], capture_output=True, text=True,
                          timeout=1200)
    assert proc.returncode == 0, proc.stdout[-3000:] + proc.stderr[-3000:]


def maven_pom(artifact: str, configuration: str = "", junit: str = "5") -> str:
    """A jar project that declares the keras2java plugin (with ``configuration``) and JUnit."""
    g, a, v = JUNIT[junit]
    return f"""<?xml version="1.0" encoding="UTF-8"?>
<project xmlns="http://maven.apache.org/POM/4.0.0">
  <modelVersion>4.0.0</modelVersion>
  <groupId>demo</groupId><artifactId>{artifact}</artifactId><version>1.0.0</version>
  <properties>
    <maven.compiler.release>8</maven.compiler.release>
    <project.build.sourceEncoding>UTF-8</project.build.sourceEncoding>
  </properties>
  <dependencies>
    <dependency><groupId>{g}</groupId><artifactId>{a}</artifactId><version>{v}</version><scope>test</scope></dependency>
  </dependencies>
  <build><plugins>
    <plugin>
      <groupId>io.keras2java</groupId><artifactId>keras2java-maven-plugin</artifactId><version>{VERSION}</version>
      <executions><execution><goals><goal>generate</goal></goals></execution></executions>
      <configuration>{configuration}</configuration>
    </plugin>
    {MAVEN_BUILD_PLUGINS}
  </plugins></build>
</project>
"""


def gradle_build(configuration: str = "", junit: str = "4") -> str:
    """build.gradle of a Java project that applies io.keras2java (with ``configuration``) and JUnit."""
    g, a, v = JUNIT[junit]
    return f"""buildscript {{
    repositories {{ mavenLocal() }}
    dependencies {{ classpath 'io.keras2java:keras2java-gradle-plugin:{VERSION}' }}
}}
apply plugin: 'java'
apply plugin: 'io.keras2java'
sourceCompatibility = '1.8'
targetCompatibility = '1.8'
repositories {{ mavenCentral() }}
dependencies {{ testImplementation '{g}:{a}:{v}' }}
keras2java {{
{configuration}
}}
"""


def write_project(root: Path, build_file: str, build_text: str, models: dict, app: str = "") -> Path:
    """``root`` with the build file, ``models`` (name -> source path or bytes) in src/main/keras and an
    optional src/main/java/app/App.java."""
    keras = root / "src" / "main" / "keras"
    keras.mkdir(parents=True)
    for name, src in models.items():
        if isinstance(src, bytes):
            (keras / name).write_bytes(src)
        else:
            shutil.copy2(src, keras / name)
    (root / build_file).write_text(build_text)
    if app:
        (root / "src" / "main" / "java" / "app").mkdir(parents=True)
        (root / "src" / "main" / "java" / "app" / "App.java").write_text(app)
    return root


def mvn(project: Path, env: dict, *args: str) -> subprocess.CompletedProcess:
    exe = shutil.which("mvn")
    assert exe is not None, "Maven (mvn) must be installed"
    return subprocess.run([exe, "-B", "-Dstyle.color=never", *args], cwd=project, env=env, capture_output=True,
                          text=True, timeout=1500)


def gradle(project: Path, env: dict, *args: str) -> subprocess.CompletedProcess:
    exe = shutil.which("gradle")
    assert exe is not None, "gradle must be installed (scripts/setup.sh installs it)"
    return subprocess.run([exe, "--no-daemon", "--console=plain", *args], cwd=project, env=env,
                          capture_output=True, text=True, timeout=1500)


def generated_files(root: Path) -> list:
    """Every file under ``root`` (none when it does not exist)."""
    return sorted(str(p.relative_to(root)) for p in root.rglob("*") if p.is_file()) if root.exists() else []


def labelled_prediction(out: str) -> bool:
    """The example apps name the most probable activity by its label (examples/labels.txt order)."""
    m = re.search(r"class (\d) \((\w+)\)", out)
    return m is not None and (REPO / "examples" / "labels.txt").read_text().split()[int(m[1])] == m[2]
