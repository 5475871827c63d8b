# src/tabbyd: build fragment (empty until the module exists)
