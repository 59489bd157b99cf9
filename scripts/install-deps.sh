#!/usr/bin/env bash
# Installs every Debian package jlrec needs to build, test and run its lab (as root).
# Quiet and quick when everything is already there.
set -euo pipefail

PACKAGES=(
  # build
  cmake g++ make pkg-config
  libboost-graph-dev libboost-program-options-dev libboost-dev
  libyaml-cpp-dev libssh-dev libssl-dev libsqlite3-dev libpq-dev libspdlog-dev libfmt-dev
  nlohmann-json3-dev libkainjow-mustache-dev libarchive-dev catch2
  # jlrec serve's HTTP server (cpp-httplib: a shared library, linked through its pkg-config)
  libcpp-httplib-dev
  # lab (tests/lab/lab.sh) and tests
  docker.io openssh-server openssh-client busybox-static docker-registry apache2-utils curl sqlite3
  # the lab's PostgreSQL server (lab.sh runs its own cluster on 127.0.0.1:5433; the package's
  # system cluster 15/main stays unused)
  postgresql-15 postgresql-client-15 openssl
  # the schema tests: plan and drift JSON validated against docs/schemas
  python3-jsonschema
  # the browser test of serve's status page (headless Chromium driven through WebDriver)
  chromium chromium-driver
  # packaging (cpack -G DEB); package-test.sh: systemd-analyze verifies the units, lintian
  # checks the .deb
  dpkg-dev file systemd lintian
  # checks: scripts/thread-safety-check.sh (clang's -Wthread-safety; the build itself is g++)
  # and scripts/check-format.sh (one pinned clang-format, so `make format` and CI agree)
  clang-15 clang-format-14
  # scripts/fuzz.sh (`make fuzz`): the libFuzzer targets of tests/fuzz, built with clang-15
  libfuzzer-15-dev
)

missing=()
for p in "${PACKAGES[@]}"; do
  dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed" || missing+=("$p")
done
if ((${#missing[@]} == 0)); then
  echo "install-deps: all ${#PACKAGES[@]} packages present"
  exit 0
fi
if [[ $EUID -ne 0 ]]; then
  echo "install-deps: missing ${missing[*]}; run as root (apt-get install)" >&2
  exit 1
fi
echo "install-deps: installing ${missing[*]}"
export DEBIAN_FRONTEND=noninteractive
apt-get update -qq
apt-get install -y -qq --no-install-recommends "${missing[@]}" >/dev/null
echo "install-deps: done"
