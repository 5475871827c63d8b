# ipam: build fragment (empty until the module exists)
