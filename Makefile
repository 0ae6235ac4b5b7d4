# The everyday commands. CMake does the building; see README.md.
#
#   make          install missing dependencies, build into build/
#   make run      ... and serve the default board's NVMe disk over NBD
#   make check    ... build and run the whole suite: normal (gcc), then
#                 AddressSanitizer + UndefinedBehaviorSanitizer (clang)
#   make bench    run the benchmarks (prints figures beside baselines)
#   make fuzz     build the libFuzzer targets and run each briefly

JOBS     ?= $(shell nproc 2>/dev/null || echo 2)
BUILD    ?= build
ASAN     ?= build-asan
FUZZDIR  ?= build-fuzz
FUZZ_SECONDS ?= 30
CMAKE_GEN := $(shell command -v ninja >/dev/null 2>&1 && echo "-G Ninja")
CTEST_FLAGS ?= --output-on-failure -j $(JOBS)

.PHONY: all deps build run check check-normal check-asan bench fuzz clean

all: build

deps:
	@bash scripts/deps.sh

build: deps
	@[ -f $(BUILD)/CMakeCache.txt ] || cmake -S . -B $(BUILD) $(CMAKE_GEN) -DCMAKE_C_COMPILER=gcc
	cmake --build $(BUILD) -j $(JOBS)

run: build
	./$(BUILD)/copro serve

check: check-normal check-asan

check-normal: build
	cd $(BUILD) && ctest $(CTEST_FLAGS)

check-asan: deps
	cmake -S . -B $(ASAN) $(CMAKE_GEN) -DCMAKE_C_COMPILER=clang \
		-DCMAKE_BUILD_TYPE=Debug -DCOPRO_SANITIZE=ON
	cmake --build $(ASAN) -j $(JOBS)
	cd $(ASAN) && ASAN_OPTIONS=detect_leaks=1:abort_on_error=1 \
		UBSAN_OPTIONS=print_stacktrace=1:halt_on_error=1 \
		ctest $(CTEST_FLAGS)

bench: build
	./$(BUILD)/copro bench mbox
	./$(BUILD)/copro bench boot
	./$(BUILD)/copro bench nvme
	./$(BUILD)/copro bench nbd
	./$(BUILD)/copro bench scmi

fuzz: deps
	cmake -S . -B $(FUZZDIR) $(CMAKE_GEN) -DCMAKE_C_COMPILER=clang \
		-DCMAKE_BUILD_TYPE=RelWithDebInfo -DCOPRO_FUZZ=ON
	cmake --build $(FUZZDIR) -j $(JOBS)
	@set -e; for f in $(FUZZDIR)/tests/fuzz/fuzz_*; do \
		[ -x "$$f" ] || continue; \
		name=$$(basename $$f); corpus=tests/fuzz/corpus/$${name#fuzz_}; \
		mkdir -p $(FUZZDIR)/corpus/$$name; \
		echo "== $$name ($(FUZZ_SECONDS) s)"; \
		$$f -max_total_time=$(FUZZ_SECONDS) -print_final_stats=1 \
			$(FUZZDIR)/corpus/$$name $$( [ -d $$corpus ] && echo $$corpus ); \
	done

clean:
	rm -rf $(BUILD) $(ASAN) $(FUZZDIR)
