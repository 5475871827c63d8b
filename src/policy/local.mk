# src/policy: network policy (selectors, model, nftables rendering)
