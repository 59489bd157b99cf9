# The README's two commands: `make demo` and `make test`. Both work on a fresh Debian 12
# machine as root: they install what they need with apt-get.
BUILD ?= build
JOBS ?= 2
LAB := tests/lab/lab.sh

.PHONY: all deps configure build release-jlrec demo test package-test lab-up lab-down lab-status clean format \
	check-format thread-safety thread-safety-probe fuzz sanitize-build

all: build

deps:
	@bash scripts/install-deps.sh

# CMAKE_SKIP_INSTALL_ALL_DEPENDENCY: the package (cpack) installs jlrec alone, so it does not
# build the test suites first.
configure: deps
	cmake -S . -B $(BUILD) -DJLREC_WERROR=ON -DCMAKE_BUILD_TYPE=Release \
		-DCMAKE_SKIP_INSTALL_ALL_DEPENDENCY=ON

build: configure
	cmake --build $(BUILD) -j$(JOBS)

# The release binary with its man page and completions: what `make test` measures and
# packages (the suites run from the sanitizer build).
release-jlrec: configure
	cmake --build $(BUILD) -j$(JOBS) --target jlrec jlrec_man jlrec_completion


lab-up: deps
	bash $(LAB) up

lab-down:
	bash $(LAB) down

lab-status:
	bash $(LAB) status

# The static checks, the release binary, the thread-safety probe, the sanitizer build
# (clang-15, ASan+UBSan, -Werror and -Wthread-safety: jlrec, the suite and the fuzz
# targets), lab up, the lab test that bounds memory run against the release binary (ASan
# cannot bound it), the WHOLE suite (unit + lab end-to-end) from the sanitizer build, lab
# down whatever happened, the release .deb (built, installed, run), then every fuzz target
# for TEST_FUZZ_SECONDS, FUZZ_JOBS at a time. The suites are not built in release: they were
# about half of the release build, for tests the sanitizer build runs anyway.
# (The lab suite runs once, sanitized, and the fuzz runs are 10 s in CI rather than `make
# fuzz`'s 60: both to fit CI's 30 minutes.)
SAN_BUILD ?= build-sanitize
FUZZ_SECONDS ?= 60
TEST_FUZZ_SECONDS ?= 10
FUZZ_JOBS ?= 2
RELEASE_LAB_TESTS := bounded time and memory
# Any sanitizer report fails the test (or the jlrec run) that made it.
SAN_ENV := ASAN_OPTIONS=detect_leaks=1:halt_on_error=1:detect_stack_use_after_return=1 \
	UBSAN_OPTIONS=halt_on_error=1:print_stacktrace=1
test: check-format release-jlrec thread-safety-probe sanitize-build lab-up
	@status=0; \
	JLREC_TEST_BINARY=$(abspath $(BUILD))/jlrec ctest --test-dir $(SAN_BUILD) \
		--output-on-failure -L lab -R "$(RELEASE_LAB_TESTS)" || status=$$?; \
	[ $$status -ne 0 ] || $(SAN_ENV) ctest --test-dir $(SAN_BUILD) --output-on-failure \
		-j$(JOBS) || status=$$?; \
	bash $(LAB) down; \
	[ $$status -ne 0 ] || bash scripts/package-test.sh $(BUILD) || status=$$?; \
	[ $$status -ne 0 ] || FUZZ_BUILD=$(SAN_BUILD) FUZZ_WITH_TESTS=1 FUZZ_JOBS=$(FUZZ_JOBS) \
		bash scripts/fuzz.sh $(TEST_FUZZ_SECONDS) || status=$$?; \
	exit $$status

# jlrec, the whole test suite and the libFuzzer targets with clang-15, AddressSanitizer and
# UBSan, in $(SAN_BUILD) (scripts/fuzz.sh --build-only).
sanitize-build: deps
	FUZZ_BUILD=$(SAN_BUILD) FUZZ_WITH_TESTS=1 JOBS=$(JOBS) bash scripts/fuzz.sh --build-only

package-test: build
	bash scripts/package-test.sh $(BUILD)

# Build, lab up, then the main job on the example lab manifest (the lab stays up).
demo: build lab-up
	bash scripts/demo.sh $(BUILD)/jlrec

format:
	clang-format-14 -i $$(git ls-files '*.cpp' '*.h')

# Every tracked C++ file clang-format clean (scripts/check-format.sh BASE: only those changed
# since BASE).
check-format: deps
	bash scripts/check-format.sh

# Proves on a probe that clang's -Wthread-safety rejects broken lock contracts. `make test`
# runs only this: its clang sanitizer build compiles every source with -Wthread-safety as an
# error (jlrec_thread_safety in CMakeLists.txt; ctest proves the flag is on each source).
thread-safety-probe: configure
	bash scripts/thread-safety-check.sh --probe $(BUILD)

# clang's -Wthread-safety over the sources of the g++ build, on the side (syntax only), after
# the probe: for a developer without the sanitizer build.
thread-safety: configure
	bash scripts/thread-safety-check.sh --probe $(BUILD)
	bash scripts/thread-safety-check.sh $(BUILD)

# Every libFuzzer target of tests/fuzz for FUZZ_SECONDS each (clang-15, ASan+UBSan, in
# build-fuzz), on a copy of its committed corpus; fails on any crash, leak or timeout.
fuzz: deps
	FUZZ_JOBS=$(FUZZ_JOBS) bash scripts/fuzz.sh $(FUZZ_SECONDS)

clean:
	rm -rf $(BUILD) $(SAN_BUILD) build-fuzz
