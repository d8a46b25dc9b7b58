#!/usr/bin/env bash
# Builds the keras2java build plugins and installs them into the local Maven repository, so that builds
# on this machine resolve them:
#   Maven:  io.keras2java:keras2java-maven-plugin:VERSION
#   Gradle: buildscript { repositories { mavenLocal() }
#                         dependencies { classpath 'io.keras2java:keras2java-gradle-plugin:VERSION' } }
#           apply plugin: 'io.keras2java'
# VERSION is the project's version (pyproject.toml). Needs a JDK 8+ and Maven; the Gradle plugin is compiled
# with javac against the jars of the installed Gradle (GRADLE_HOME, else the `gradle` on the PATH).
# Idempotent: a plugin whose sources are unchanged since it was installed is not built again.
# Environment: KERAS2JAVA_M2_REPO, a local repository other than ~/.m2/repository.
set -euo pipefail
here=$(cd "$(dirname "$0")" && pwd)
version=$(sed -n 's/^version *= *"\([^"]*\)".*/\1/p' "$here/../pyproject.toml" | head -n 1)
[ -n "$version" ] || { echo "install.sh: no version in pyproject.toml" >&2; exit 1; }
m2=${KERAS2JAVA_M2_REPO:-$HOME/.m2/repository}
mvn_args=(-B -q -Dstyle.color=never "-Dmaven.repo.local=$m2")
command -v mvn >/dev/null 2>&1 || { echo "install.sh: Maven (mvn) is needed" >&2; exit 1; }
mkdir -p "$m2"
exec 9>"$m2/.keras2java-install.lock"
flock 9   # concurrent runs (parallel tests) build one at a time

# sha256 of the files under the given paths and the version: what an installed plugin was built from.
digest() {
    { echo "$version"; find "$@" -type f ! -path '*/target/*' ! -name '.flattened-pom.xml' -print0 | sort -z \
        | xargs -0 sha256sum; } | sha256sum | cut -c1-64
}

# up_to_date ARTIFACT DIGEST: the artifact is installed from these sources.
up_to_date() {
    local dir="$m2/io/keras2java/$1/$version"
    [ -f "$dir/$1-$version.jar" ] && [ "$(cat "$dir/.source-sha256" 2>/dev/null)" = "$2" ]
}

maven_digest=$(digest "$here/core" "$here/maven")
if up_to_date keras2java-maven-plugin "$maven_digest"; then
    echo "keras2java-maven-plugin $version: up to date"
else
    echo "== building keras2java-maven-plugin $version"
    mvn "${mvn_args[@]}" -f "$here/maven/pom.xml" -Drevision="$version" -DskipTests install
    echo "$maven_digest" > "$m2/io/keras2java/keras2java-maven-plugin/$version/.source-sha256"
fi

gradle_home=${GRADLE_HOME:-}
if [ -z "$gradle_home" ] && command -v gradle >/dev/null 2>&1; then
    gradle_home=$(dirname "$(dirname "$(readlink -f "$(command -v gradle)")")")
fi
if [ -z "$gradle_home" ] || [ ! -d "$gradle_home/lib" ]; then
    echo "install.sh: no Gradle found (GRADLE_HOME or gradle on the PATH): the Gradle plugin is not built" >&2
    exit 0
fi
gradle_digest=$(digest "$here/core" "$here/gradle")
if up_to_date keras2java-gradle-plugin "$gradle_digest"; then
    echo "keras2java-gradle-plugin $version: up to date"
    exit 0
fi
echo "== building keras2java-gradle-plugin $version (against $gradle_home)"
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
# Gradle's API jars; a Debian-packaged Gradle keeps Groovy, javax.inject and SLF4J in /usr/share/java.
cp=$(find "$gradle_home/lib" -name '*.jar' | sort | tr '\n' ':')
for extra in groovy-all atinject-jsr330-api slf4j-api; do
    [ -f "/usr/share/java/$extra.jar" ] && cp="$cp/usr/share/java/$extra.jar:"
done
mkdir -p "$work/classes"
javac --release 8 -nowarn -encoding UTF-8 -cp "$cp" -d "$work/classes" \
    $(find "$here/core/src/main/java" "$here/gradle/src/main/java" -name '*.java')
cp -R "$here/gradle/src/main/resources/." "$work/classes/"
jar cf "$work/keras2java-gradle-plugin.jar" -C "$work/classes" .
cat > "$work/pom.xml" <<POM
<?xml version="1.0" encoding="UTF-8"?>
<project xmlns="http://maven.apache.org/POM/4.0.0">
  <modelVersion>4.0.0</modelVersion>
  <groupId>io.keras2java</groupId>
  <artifactId>keras2java-gradle-plugin</artifactId>
  <version>$version</version>
  <name>keras2java Gradle plugin</name>
  <description>Gradle plugin io.keras2java: generates standalone Java classes from Keras models.</description>
  <licenses><license><name>Apache-2.0</name></license></licenses>
</project>
POM
mvn "${mvn_args[@]}" org.apache.maven.plugins:maven-install-plugin:3.1.1:install-file \
    -Dfile="$work/keras2java-gradle-plugin.jar" -DpomFile="$work/pom.xml"
echo "$gradle_digest" > "$m2/io/keras2java/keras2java-gradle-plugin/$version/.source-sha256"
