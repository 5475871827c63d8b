# src/lib: build fragment (empty until the module exists)
