#!/usr/bin/env bash
# scripts/fuzz-seeds.sh: regenerates the seed inputs of the fuzz corpora
# (tests/fuzz/corpus/TARGET/seed-*) from the fixtures, the example manifests and what jlrec's
# own encoders make of them (tests/fuzz/seed_corpus.cpp). Other files there (regress-*: the
# inputs of crashes found and fixed) are kept. Builds in FUZZ_BUILD (default build-fuzz),
# configured as scripts/fuzz.sh configures it.
set -euo pipefail

cd "$(dirname "$0")/.."
BUILD=${FUZZ_BUILD:-build-fuzz}
# Ninja when there is one, for a new build dir (an existing one keeps its generator).
generator=()
[[ ! -f $BUILD/CMakeCache.txt ]] && command -v ninja >/dev/null && generator=(-G Ninja)
mkdir -p "$BUILD"
cmake -S . -B "$BUILD" "${generator[@]}" -DJLREC_FUZZ=ON -DJLREC_BUILD_TESTS=OFF \
  -DCMAKE_C_COMPILER=clang-15 -DCMAKE_CXX_COMPILER=clang++-15 \
  -DCMAKE_BUILD_TYPE=RelWithDebInfo >"$BUILD/configure.log"
cmake --build "$BUILD" -j"${JOBS:-2}" --target fuzz_seed_corpus
find tests/fuzz/corpus -type f -name 'seed-*' -delete 2>/dev/null || true
"$BUILD/tests/fuzz/fuzz_seed_corpus" . tests/fuzz/corpus
du -sh tests/fuzz/corpus
