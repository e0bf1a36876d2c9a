"""The versioned store: SQLAlchemy Core schema, Alembic migrations, queries."""
