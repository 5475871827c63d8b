# tests/integration: build fragment (empty until the module exists)
