"""What every layer uses: settings, the database engine, typed errors, logging, metrics."""
