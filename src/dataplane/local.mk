# src/dataplane: build fragment (empty until the module exists)
