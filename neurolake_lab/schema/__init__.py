"""The cell report's JSON Schema and example reports, shared with the TypeScript side."""
