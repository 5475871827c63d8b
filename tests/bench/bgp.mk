# BGP ingest benchmark (injector + side-by-side harness)
