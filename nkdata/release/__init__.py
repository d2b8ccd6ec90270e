"""Release layout and I/O: rows, the writer (build), the verified reader."""
