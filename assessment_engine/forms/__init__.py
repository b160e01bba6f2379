"""Web forms: fields shared by every form, and (built from JSON Schema) the assessment pages."""
