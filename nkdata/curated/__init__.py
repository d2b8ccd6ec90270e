"""Reading curated files: safe YAML with line:col, the project reader, the new-source scaffold."""
