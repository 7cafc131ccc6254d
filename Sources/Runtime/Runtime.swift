// The `Runtime` module: see ../shared/docs/DESIGN.md. Filled in by its issue.
