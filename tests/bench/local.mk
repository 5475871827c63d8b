# tests/bench: build fragment (empty until the module exists)
