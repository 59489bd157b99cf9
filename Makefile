# The README's two commands: `make demo` and `make test`. Both work on a fresh Debian 12
# machine as root: they install what they need with apt-get.
BUILD ?= build
JOBS ?= 2
LAB := tests/lab/lab.sh

.PHONY: all deps build demo test package-test lab-up lab-down lab-status clean format \
	check-format thread-safety fuzz

all: build

deps:
	@bash scripts/install-deps.sh

build: deps
	cmake -S . -B $(BUILD) -DJLREC_WERROR=ON -DCMAKE_BUILD_TYPE=Release
	cmake --build $(BUILD) -j$(JOBS)

lab-up: deps
	bash $(LAB) up

lab-down:
	bash $(LAB) down

lab-status:
	bash $(LAB) status

# The static checks, build, lab up, the whole ctest suite (unit + lab end-to-end), lab down
# whatever happened, then the .deb: built, installed, run.
test: check-format build thread-safety lab-up
	@status=0; \
	ctest --test-dir $(BUILD) --output-on-failure -j$(JOBS) || status=$$?; \
	bash $(LAB) down; \
	[ $$status -ne 0 ] || bash scripts/package-test.sh $(BUILD) || status=$$?; \
	exit $$status

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

# clang's -Wthread-safety over the sources, after proving on a probe that it rejects broken
# lock contracts (the build itself is g++).
thread-safety: build
	bash scripts/thread-safety-check.sh --probe $(BUILD)
	bash scripts/thread-safety-check.sh $(BUILD)

# Every libFuzzer target of tests/fuzz for FUZZ_SECONDS each (clang-15, ASan+UBSan, in
# build-fuzz), on a copy of its committed corpus; fails on any crash, leak or timeout.
FUZZ_SECONDS ?= 60
fuzz: deps
	bash scripts/fuzz.sh $(FUZZ_SECONDS)

clean:
	rm -rf $(BUILD)
