"""Planning: the project on disk, the toolchain, HCL, the embedded AWS endpoint, the plan runner, the plan model and redaction."""
