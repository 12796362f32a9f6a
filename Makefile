# The whole set-up: `make run` (install, build, start) and `make test` (install, build, test).
BUILD_DIR ?= build
BUILD_TYPE ?= RelWithDebInfo
CMAKE_FLAGS ?=
CTEST_FLAGS ?=
# ccache: hash paths relative to the checkout, so another clone of the same sources hits the cache.
export CCACHE_BASEDIR := $(CURDIR)
export CCACHE_NOHASHDIR := 1

.PHONY: all bootstrap configure build run test test-unit test-integration test-e2e bench clean

all: build

bootstrap:
	@bash scripts/bootstrap.sh

$(BUILD_DIR)/build.ninja:
	cmake -S . -B $(BUILD_DIR) -G Ninja -DCMAKE_BUILD_TYPE=$(BUILD_TYPE) $(CMAKE_FLAGS)

configure: bootstrap $(BUILD_DIR)/build.ninja

build: configure
	cmake --build $(BUILD_DIR)

run: build
	./$(BUILD_DIR)/nimbus serve

test: build
	cd $(BUILD_DIR) && ctest --output-on-failure --timeout 600 -j2 $(CTEST_FLAGS)

test-unit: build
	cd $(BUILD_DIR) && ctest --output-on-failure -L unit -j2

test-integration: build
	cd $(BUILD_DIR) && ctest --output-on-failure -L integration -j2

test-e2e: build
	cd $(BUILD_DIR) && ctest --output-on-failure -L e2e

bench: build
	bash bench/http.sh

clean:
	rm -rf $(BUILD_DIR)
