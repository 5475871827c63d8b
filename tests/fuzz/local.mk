# tests/fuzz: build fragment (empty until the module exists)
