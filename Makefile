# Two commands for a fresh machine: `make demo` (the main job on the bundled model) and
# `make test` (every test). Both install missing system packages first.
SWIFT ?= swift
MODEL ?= Fixtures/models/demo-faces-64.pkl

.PHONY: deps build demo test clean

deps:
	@bash scripts/install-deps.sh

build: deps
	$(SWIFT) build -c release

demo: build
	.build/release/stylegan inspect $(MODEL) | head -12
	mkdir -p demo
	.build/release/stylegan convert $(MODEL) -o demo/faces-f16.sgan --dtype f16 --force
	.build/release/stylegan verify demo/faces-f16.sgan --against $(MODEL) --seeds 0-3 | tail -2
	.build/release/stylegan generate demo/faces-f16.sgan --seeds 0-15 --psi 0.7 --batch 8 --outdir demo --grid demo/grid.png
	.build/release/stylegan mix demo/faces-f16.sgan --rows 1,2,3 --cols 4,5,6,7 --styles 0-3 -o demo/mix.png
	@echo "demo: demo/faces-f16.sgan, images in demo/ (grid.png: 16 seeds, mix.png: style mixing)"

test: deps
	$(SWIFT) build -c release
	$(SWIFT) test

clean:
	rm -rf .build demo
