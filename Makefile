# The everyday commands. CMake does the building; see README.md.
#
#   make          install missing dependencies, build into build/
#   make run      ... and serve the default board's NVMe disk over NBD
#   make check    ... build and run the whole suite: normal (gcc), then
#                 AddressSanitizer + UndefinedBehaviorSanitizer (clang),
#                 then ThreadSanitizer (clang; all but the NBD clients)
#   make bench    run the benchmarks (prints figures beside baselines)
#   make fuzz     build the libFuzzer targets and run each briefly

JOBS     ?= $(shell nproc 2>/dev/null || echo 2)
BUILD    ?= build
ASAN     ?= build-asan
TSAN     ?= build-tsan
FUZZDIR  ?= build-fuzz
FUZZ_SECONDS ?= 30
CMAKE_GEN := $(shell command -v ninja >/dev/null 2>&1 && echo "-G Ninja")
CTEST_FLAGS ?= --output-on-failure -j $(JOBS)

.PHONY: all deps build run check check-normal check-asan check-tsan bench fuzz clean

all: build

deps:
	@bash scripts/deps.sh

build: deps
	@[ -f $(BUILD)/CMakeCache.txt ] || cmake -S . -B $(BUILD) $(CMAKE_GEN) -DCMAKE_C_COMPILER=gcc
	cmake --build $(BUILD) -j $(JOBS)

run: build
	./$(BUILD)/copro serve

check: check-normal check-asan check-tsan

check-normal: build
	cd $(BUILD) && ctest $(CTEST_FLAGS)

check-asan: deps
	cmake -S . -B $(ASAN) $(CMAKE_GEN) -DCMAKE_C_COMPILER=clang \
		-DCMAKE_BUILD_TYPE=Debug -DCOPRO_SANITIZE=ON
	cmake --build $(ASAN) -j $(JOBS)
	cd $(ASAN) && ASAN_OPTIONS=detect_leaks=1:abort_on_error=1 \
		UBSAN_OPTIONS=print_stacktrace=1:halt_on_error=1 \
		ctest $(CTEST_FLAGS)

# The NBD client tests (and bench nbd) load the plugin into nbdkit, which
# would need the TSan runtime preloaded (copro serve preloads only ASan's),
# and are the slowest tests; they run in the two builds above. Every race report fails the test it is in, and
# there are no suppressions: a report in copro's code is a bug to fix.
check-tsan: deps
	cmake -S . -B $(TSAN) $(CMAKE_GEN) -DCMAKE_C_COMPILER=clang \
		-DCMAKE_BUILD_TYPE=RelWithDebInfo -DCOPRO_TSAN=ON
	cmake --build $(TSAN) -j $(JOBS)
	cd $(TSAN) && TSAN_OPTIONS=halt_on_error=1:second_deadlock_stack=1 \
		ctest $(CTEST_FLAGS) -E '^(clients\.|cli\.bench_nbd)'

bench: build
	./$(BUILD)/copro bench mbox
	./$(BUILD)/copro bench boot
	./$(BUILD)/copro bench nvme
	./$(BUILD)/copro bench nbd

fuzz: deps
	cmake -S . -B $(FUZZDIR) $(CMAKE_GEN) -DCMAKE_C_COMPILER=clang \
		-DCMAKE_BUILD_TYPE=RelWithDebInfo -DCOPRO_FUZZ=ON
	cmake --build $(FUZZDIR) -j $(JOBS)
	@set -e; for f in $(FUZZDIR)/tests/fuzz/fuzz_*; do \
		[ -x "$$f" ] || continue; \
		name=$$(basename $$f); corpus=tests/fuzz/corpus/$${name#fuzz_}; \
		mkdir -p $(FUZZDIR)/corpus/$$name; \
		echo "== $$name ($(FUZZ_SECONDS) s)"; \
		ASAN_OPTIONS=abort_on_error=1:detect_leaks=1 \
		UBSAN_OPTIONS=halt_on_error=1:print_stacktrace=1 \
		$$f -max_total_time=$(FUZZ_SECONDS) -print_final_stats=1 \
			$(FUZZDIR)/corpus/$$name $$( [ -d $$corpus ] && echo $$corpus ); \
	done

clean:
	rm -rf $(BUILD) $(ASAN) $(TSAN) $(FUZZDIR)
