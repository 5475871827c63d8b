# src/cni: build fragment (empty until the module exists)
