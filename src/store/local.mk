# src/store: build fragment (empty until the module exists)
