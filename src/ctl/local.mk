# src/ctl: build fragment (empty until the module exists)
